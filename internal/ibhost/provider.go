package ibhost

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Provider errors. The HTTP layer answers both with 404.
var (
	// ErrUnknownSymbol: the provider has no data at all for the symbol.
	ErrUnknownSymbol = errors.New("unknown symbol")
	// ErrNoData: the provider knows the symbol but not at that timeframe.
	ErrNoData = errors.New("no data")
)

// Provider is a source of historical bars. The CSV and synthetic providers
// below implement it today; an Interactive Brokers provider (TWS/Gateway) is
// meant to implement the same interface later, so nothing above this
// interface knows where bars come from.
//
// Fetch returns the bars with start <= Time <= end. A zero start or end means
// "from the first available bar" / "up to the last available bar". A known
// symbol and timeframe with no bar in the window is not an error: the series
// is empty. Errors wrap ErrUnknownSymbol or ErrNoData when they are about
// availability.
type Provider interface {
	Name() string
	Symbols(ctx context.Context) ([]SymbolInfo, error)
	Fetch(ctx context.Context, symbol string, tf marketdata.Timeframe, start, end time.Time) (marketdata.Series, marketdata.QualityReport, error)
}

// SymbolInfo is one entry of GET /data/symbols. Symbol is a concrete symbol,
// or a pattern when Any is true: "*" (any valid symbol) or "SYN*" (any valid
// symbol with that prefix).
type SymbolInfo struct {
	Symbol     string                 `json:"symbol"`
	Any        bool                   `json:"any,omitempty"`
	Timeframes []marketdata.Timeframe `json:"timeframes"`
	Provider   string                 `json:"provider"`
}

// fetchSourcer is implemented by providers that combine others (Multi), so
// the answer can name the provider that actually served the bars.
type fetchSourcer interface {
	fetchFrom(ctx context.Context, symbol string, tf marketdata.Timeframe, start, end time.Time) (string, marketdata.Series, marketdata.QualityReport, error)
}

// ---- CSV ----

// CSVProvider serves files named {SYMBOL}_{tf}.csv (ktrdr or Yahoo layout)
// at the top level of FS. A file is read with marketdata.ReadSeries (which
// runs Check) on its first request and kept in memory afterwards: files are
// assumed immutable for the life of the process (restart the service to pick
// up a changed file; new files are seen, since the listing is re-read).
type CSVProvider struct {
	FS    fs.FS  // where the files are (os.DirFS(dir), or an embedded FS)
	Label string // provider name, e.g. "sample" or "csv:/path/to/dir"

	mu     sync.Mutex
	loaded map[string]csvEntry // key: file name
}

type csvEntry struct {
	series marketdata.Series
	report marketdata.QualityReport
}

// Name returns Label (or "csv").
func (p *CSVProvider) Name() string {
	if p.Label == "" {
		return "csv"
	}
	return p.Label
}

// index lists the usable files: symbol → timeframe → file name. Files whose
// names do not parse as {SYMBOL}_{tf}.csv are ignored.
func (p *CSVProvider) index() (map[string]map[marketdata.Timeframe]string, error) {
	ents, err := fs.ReadDir(p.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("%s: list files: %w", p.Name(), err)
	}
	idx := map[string]map[marketdata.Timeframe]string{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		sym, tf, err := marketdata.ParseFileName(e.Name())
		if err != nil {
			continue
		}
		if idx[sym] == nil {
			idx[sym] = map[marketdata.Timeframe]string{}
		}
		idx[sym][tf] = e.Name()
	}
	return idx, nil
}

// Symbols lists the files' symbols and timeframes, sorted.
func (p *CSVProvider) Symbols(context.Context) ([]SymbolInfo, error) {
	idx, err := p.index()
	if err != nil {
		return nil, err
	}
	out := make([]SymbolInfo, 0, len(idx))
	for sym, tfs := range idx {
		info := SymbolInfo{Symbol: sym, Provider: p.Name()}
		for _, tf := range marketdata.Timeframes {
			if _, ok := tfs[tf]; ok {
				info.Timeframes = append(info.Timeframes, tf)
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Symbol < out[j].Symbol })
	return out, nil
}

// Fetch reads (once) and slices the symbol's file.
func (p *CSVProvider) Fetch(_ context.Context, symbol string, tf marketdata.Timeframe, start, end time.Time) (marketdata.Series, marketdata.QualityReport, error) {
	sym, err := marketdata.ValidateSymbol(symbol)
	if err != nil {
		return marketdata.Series{}, marketdata.QualityReport{}, err
	}
	idx, err := p.index()
	if err != nil {
		return marketdata.Series{}, marketdata.QualityReport{}, err
	}
	tfs, ok := idx[sym]
	if !ok {
		return marketdata.Series{}, marketdata.QualityReport{}, fmt.Errorf("%s: %w %s", p.Name(), ErrUnknownSymbol, sym)
	}
	name, ok := tfs[tf]
	if !ok {
		return marketdata.Series{}, marketdata.QualityReport{}, fmt.Errorf("%s: %w for %s at %s", p.Name(), ErrNoData, sym, tf)
	}
	ent, err := p.load(name, sym, tf)
	if err != nil {
		return marketdata.Series{}, marketdata.QualityReport{}, err
	}
	return window(ent.series, ent.report, start, end)
}

func (p *CSVProvider) load(name, sym string, tf marketdata.Timeframe) (csvEntry, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ent, ok := p.loaded[name]; ok {
		return ent, nil
	}
	f, err := p.FS.Open(name)
	if err != nil {
		return csvEntry{}, fmt.Errorf("%s: %w", p.Name(), err)
	}
	defer f.Close()
	s, rep, err := marketdata.ReadSeries(f, sym, tf, marketdata.Rules{})
	if err != nil {
		return csvEntry{}, fmt.Errorf("%s: %s: %w", p.Name(), name, err)
	}
	if p.loaded == nil {
		p.loaded = map[string]csvEntry{}
	}
	ent := csvEntry{series: s, report: rep}
	p.loaded[name] = ent
	return ent, nil
}

// window slices s to [start, end] (zero = open) and narrows the report to
// the findings inside the window: Accepted is the bars returned, Refused the
// refused or dropped rows in the window.
func window(s marketdata.Series, rep marketdata.QualityReport, start, end time.Time) (marketdata.Series, marketdata.QualityReport, error) {
	if start.IsZero() && end.IsZero() {
		return s, rep, nil
	}
	lo, hi := start, end
	if lo.IsZero() {
		lo = time.Unix(0, 0).UTC().AddDate(-100, 0, 0)
	}
	if hi.IsZero() {
		hi = time.Now().UTC().AddDate(100, 0, 0)
	}
	out := marketdata.Series{Symbol: s.Symbol, Timeframe: s.Timeframe, Bars: s.Slice(lo, hi)}
	q := marketdata.QualityReport{Accepted: len(out.Bars), Findings: []marketdata.Finding{}}
	for _, f := range rep.Findings {
		if f.Time.Before(lo) || f.Time.After(hi) {
			continue
		}
		q.Findings = append(q.Findings, f)
		if f.Action == marketdata.ActionRefused || f.Action == marketdata.ActionDropped {
			q.Refused++
		}
	}
	q.Rows = q.Accepted + q.Refused
	return out, q, nil
}

// ---- synthetic ----

// SyntheticDefaultBars is how many bar lengths back from now a synthetic
// request without a start reaches (clamped to marketdata.SyntheticEpoch):
// "all available" would be millions of minute bars.
const SyntheticDefaultBars = 10000

// SyntheticProvider serves deterministic bars from marketdata.Synthetic for
// any valid symbol and timeframe, or, with Prefix set, only for symbols
// starting with Prefix (others are ErrUnknownSymbol). A missing end means
// now; a missing start means SyntheticDefaultBars bar lengths before end.
type SyntheticProvider struct {
	Seed   int64
	Prefix string
}

// Name is "synthetic".
func (p *SyntheticProvider) Name() string { return "synthetic" }

// Symbols answers a pattern: "*" or Prefix+"*".
func (p *SyntheticProvider) Symbols(context.Context) ([]SymbolInfo, error) {
	return []SymbolInfo{{Symbol: p.Prefix + "*", Any: true, Timeframes: marketdata.Timeframes, Provider: p.Name()}}, nil
}

// Fetch generates the window.
func (p *SyntheticProvider) Fetch(_ context.Context, symbol string, tf marketdata.Timeframe, start, end time.Time) (marketdata.Series, marketdata.QualityReport, error) {
	sym, err := marketdata.ValidateSymbol(symbol)
	if err != nil {
		return marketdata.Series{}, marketdata.QualityReport{}, err
	}
	if p.Prefix != "" && !strings.HasPrefix(sym, p.Prefix) {
		return marketdata.Series{}, marketdata.QualityReport{}, fmt.Errorf("synthetic (%s* only): %w %s", p.Prefix, ErrUnknownSymbol, sym)
	}
	if !tf.Valid() {
		return marketdata.Series{}, marketdata.QualityReport{}, fmt.Errorf("synthetic: %w for %s at %q", ErrNoData, sym, tf)
	}
	if end.IsZero() {
		end = time.Now().UTC()
	}
	if start.IsZero() {
		start = end.Add(-SyntheticDefaultBars * tf.Duration())
		if start.Before(marketdata.SyntheticEpoch) {
			start = marketdata.SyntheticEpoch
		}
	}
	s := marketdata.Synthetic(sym, tf, p.Seed, start, end)
	return s, marketdata.QualityReport{Rows: len(s.Bars), Accepted: len(s.Bars), Findings: []marketdata.Finding{}}, nil
}

// ---- multi ----

// Multi asks its providers in order: the first that knows the symbol at the
// timeframe serves it. A provider answering ErrUnknownSymbol or ErrNoData
// passes to the next; any other error stops the search. When none serves,
// the error wraps ErrNoData if some provider knew the symbol, else
// ErrUnknownSymbol.
type Multi struct {
	Label     string // e.g. "auto"
	Providers []Provider
}

// Name returns Label (or "multi").
func (m *Multi) Name() string {
	if m.Label == "" {
		return "multi"
	}
	return m.Label
}

// Symbols concatenates the providers' lists (first provider first).
func (m *Multi) Symbols(ctx context.Context) ([]SymbolInfo, error) {
	var out []SymbolInfo
	for _, p := range m.Providers {
		s, err := p.Symbols(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	if out == nil {
		out = []SymbolInfo{}
	}
	return out, nil
}

// Fetch asks the providers in order.
func (m *Multi) Fetch(ctx context.Context, symbol string, tf marketdata.Timeframe, start, end time.Time) (marketdata.Series, marketdata.QualityReport, error) {
	_, s, q, err := m.fetchFrom(ctx, symbol, tf, start, end)
	return s, q, err
}

func (m *Multi) fetchFrom(ctx context.Context, symbol string, tf marketdata.Timeframe, start, end time.Time) (string, marketdata.Series, marketdata.QualityReport, error) {
	known := false
	for _, p := range m.Providers {
		name, s, q, err := fetchNamed(ctx, p, symbol, tf, start, end)
		switch {
		case err == nil:
			return name, s, q, nil
		case errors.Is(err, ErrNoData):
			known = true
		case errors.Is(err, ErrUnknownSymbol):
		default:
			return name, marketdata.Series{}, marketdata.QualityReport{}, err
		}
	}
	sym := strings.ToUpper(symbol)
	if known {
		return m.Name(), marketdata.Series{}, marketdata.QualityReport{}, fmt.Errorf("%w for %s at %s", ErrNoData, sym, tf)
	}
	return m.Name(), marketdata.Series{}, marketdata.QualityReport{}, fmt.Errorf("%w %s", ErrUnknownSymbol, sym)
}

// fetchNamed fetches from p and names the provider that served.
func fetchNamed(ctx context.Context, p Provider, symbol string, tf marketdata.Timeframe, start, end time.Time) (string, marketdata.Series, marketdata.QualityReport, error) {
	if fs, ok := p.(fetchSourcer); ok {
		return fs.fetchFrom(ctx, symbol, tf, start, end)
	}
	s, q, err := p.Fetch(ctx, symbol, tf, start, end)
	return p.Name(), s, q, err
}
