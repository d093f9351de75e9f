// Package ibhost is the market-data host service (the "IB host service"):
// it serves OHLCV bars to the API and the workers.
//
// Bars come from a Provider (CSV files, the synthetic generator, several in
// order; an Interactive Brokers provider later) through an optional local
// Cache. Routes:
//
//	GET  /health            untraced; names the provider and its state
//	GET  /ping              traced
//	POST /data/historical   {"symbol","timeframe","start","end","operation_id"} → bars + quality
//	GET  /data/symbols      what the provider can serve
//	GET  /data/range        ?symbol=&timeframe= → first/last bar time and count
//
// An unknown symbol is a 404 naming it: the default provider only makes up
// synthetic bars for symbols starting with "SYN", so a typo never silently
// returns fake data.
package ibhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/data/sample"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// ServiceName is the host service's service.name.
const ServiceName = "ktrdr-ib-host-service"

// Limits on requests.
const (
	MaxBody = 64 << 10  // bytes of a request body
	MaxBars = 5_000_000 // bar lengths in a requested window
)

// OperationHeader carries the operation a request works for, when the body
// does not name it.
const OperationHeader = "X-Ktrdr-Operation-Id"

// TracerName is the instrumentation scope of the service's own spans.
const TracerName = "ktrdr/ibhost"

// Config configures a Server.
type Config struct {
	Info     httpx.Info
	Provider Provider // nil: DefaultProvider(1)
	Cache    *Cache   // nil: no cache
}

// Server is the host service's HTTP surface.
type Server struct {
	info     httpx.Info
	provider Provider
	cache    *Cache
}

// New returns the host service with the default provider and no cache.
func New(info httpx.Info) *Server { return NewWithConfig(Config{Info: info}) }

// NewWithConfig returns the host service.
func NewWithConfig(cfg Config) *Server {
	if cfg.Provider == nil {
		cfg.Provider = DefaultProvider(1)
	}
	return &Server{info: cfg.Info, provider: cfg.Provider, cache: cfg.Cache}
}

// SampleProvider serves the SPX sample embedded in the binary.
func SampleProvider() *CSVProvider { return &CSVProvider{FS: sample.FS, Label: "sample"} }

// DefaultProvider is the "auto" provider without user files: the embedded
// sample, then synthetic bars for SYN* symbols.
func DefaultProvider(seed int64) *Multi {
	return &Multi{Label: "auto", Providers: []Provider{SampleProvider(), &SyntheticProvider{Seed: seed, Prefix: "SYN"}}}
}

// HealthBody is GET /health: the shared health fields plus the provider.
type HealthBody struct {
	httpx.Health
	Provider ProviderHealth `json:"provider"`
	Cache    string         `json:"cache_dir,omitempty"`
}

// ProviderHealth names the provider and its state ("ok" or "error").
type ProviderHealth struct {
	Name    string `json:"name"`
	State   string `json:"state"`
	Symbols int    `json:"symbols"`
	Error   string `json:"error,omitempty"`
}

// Handler routes the host service. It builds the mux itself rather than
// extending httpx.NewServiceMux, because its /health says more.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	telemetry.HandleUntraced(mux, "GET /health", http.HandlerFunc(s.health))
	telemetry.HandleFunc(mux, "GET /ping", httpx.PingHandler(s.info))
	telemetry.HandleFunc(mux, "POST /data/historical", s.historical)
	telemetry.HandleFunc(mux, "GET /data/symbols", s.symbols)
	telemetry.HandleFunc(mux, "GET /data/range", s.rangeHandler)
	mux.HandleFunc("/", httpx.NotFound)
	return mux
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ph := ProviderHealth{Name: s.provider.Name(), State: "ok"}
	syms, err := s.provider.Symbols(r.Context())
	if err != nil {
		ph.State, ph.Error = "error", err.Error()
	}
	ph.Symbols = len(syms)
	body := HealthBody{Health: httpx.Health{Info: s.info, Status: "ok"}, Provider: ph}
	if s.cache != nil {
		body.Cache = s.cache.Dir
	}
	if ph.State != "ok" {
		body.Status = "degraded"
	}
	httpx.WriteJSON(w, http.StatusOK, body)
}

// HistoricalRequest is the body of POST /data/historical. Start and End are
// RFC3339 or YYYY-MM-DD (a date-only End means the end of that day, UTC);
// both are optional (all available).
type HistoricalRequest struct {
	Symbol      string `json:"symbol"`
	Timeframe   string `json:"timeframe"`
	Start       string `json:"start,omitempty"`
	End         string `json:"end,omitempty"`
	OperationID string `json:"operation_id,omitempty"`
}

// HistoricalResponse is the answer of POST /data/historical.
type HistoricalResponse struct {
	Symbol    string                   `json:"symbol"`
	Timeframe marketdata.Timeframe     `json:"timeframe"`
	Provider  string                   `json:"provider"`
	Bars      []marketdata.Bar         `json:"bars"`
	Quality   marketdata.QualityReport `json:"quality"`
}

// SymbolsResponse is the answer of GET /data/symbols.
type SymbolsResponse struct {
	Symbols []SymbolInfo `json:"symbols"`
}

// RangeResponse is the answer of GET /data/range (Start/End null when there
// are no bars).
type RangeResponse struct {
	Symbol    string               `json:"symbol"`
	Timeframe marketdata.Timeframe `json:"timeframe"`
	Start     *time.Time           `json:"start"`
	End       *time.Time           `json:"end"`
	Bars      int                  `json:"bars"`
}

// query is a validated request.
type query struct {
	symbol     string
	tf         marketdata.Timeframe
	start, end time.Time
}

func validate(symbol, timeframe, start, end string, now time.Time) (query, *httpx.RequestError) {
	var q query
	if symbol == "" {
		return q, httpx.BadField("symbol", "symbol is required")
	}
	sym, err := marketdata.ValidateSymbol(symbol)
	if err != nil {
		return q, httpx.BadField("symbol", "%v", err)
	}
	q.symbol = sym
	if timeframe == "" {
		return q, httpx.BadField("timeframe", "timeframe is required (one of %s)", tfList())
	}
	tf, err := marketdata.ParseTimeframe(timeframe)
	if err != nil {
		return q, httpx.BadField("timeframe", "%v", err)
	}
	q.tf = tf
	for _, f := range []struct {
		name, val string
		dst       *time.Time
		eod       bool
	}{{"start", start, &q.start, false}, {"end", end, &q.end, true}} {
		if f.val == "" {
			continue
		}
		t, err := marketdata.ParseBound(f.val, f.eod, now)
		if err != nil {
			return q, httpx.BadField(f.name, "%s: %v", f.name, err)
		}
		*f.dst = t
	}
	if !q.start.IsZero() {
		// A missing end means "up to now" for the size check.
		hi := q.end
		if hi.IsZero() {
			hi = now
		}
		if !q.end.IsZero() && q.start.After(q.end) {
			return q, httpx.BadField("start", "start %s is after end %s", start, end)
		}
		if n := hi.Sub(q.start) / tf.Duration(); n > MaxBars {
			return q, httpx.BadField("end", "window of ~%d %s bars is more than %d: narrow start..end", int64(n), tf, MaxBars)
		}
	}
	return q, nil
}

func tfList() string {
	s := make([]string, len(marketdata.Timeframes))
	for i, tf := range marketdata.Timeframes {
		s[i] = string(tf)
	}
	return strings.Join(s, ", ")
}

// writeProviderError answers a Fetch error: availability errors are 404
// naming the symbol (and timeframe), anything else 502.
func writeProviderError(w http.ResponseWriter, q query, err error) {
	switch {
	case errors.Is(err, ErrUnknownSymbol):
		httpx.WriteError(w, http.StatusNotFound, "unknown_symbol",
			fmt.Sprintf("unknown symbol %s: no provider has it (synthetic bars are only made for SYN* symbols unless --provider synthetic); see GET /data/symbols", q.symbol), "symbol")
	case errors.Is(err, ErrNoData):
		httpx.WriteError(w, http.StatusNotFound, "no_data", fmt.Sprintf("no data for %s at %s: %v", q.symbol, q.tf, err), "timeframe")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		httpx.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error(), "")
	default:
		httpx.WriteError(w, http.StatusBadGateway, "provider_error", err.Error(), "")
	}
}

func (s *Server) historical(w http.ResponseWriter, r *http.Request) {
	span := trace.SpanFromContext(r.Context())
	var req HistoricalRequest
	if e := httpx.DecodeJSON(w, r, MaxBody, &req); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	q, e := validate(req.Symbol, req.Timeframe, req.Start, req.End, time.Now().UTC())
	if e != nil {
		span.SetAttributes(attribute.String("error.field", e.Field))
		httpx.WriteRequestError(w, e)
		return
	}
	opID := req.OperationID
	if opID == "" {
		opID = r.Header.Get(OperationHeader)
	}
	span.SetAttributes(attribute.String("data.symbol", q.symbol), attribute.String("data.timeframe", string(q.tf)))
	if opID != "" {
		span.SetAttributes(attribute.String("operation.id", opID))
	}
	name, series, rep, hit, err := s.fetch(r.Context(), q, opID)
	span.SetAttributes(attribute.String("data.provider", name), attribute.Bool("cache.hit", hit))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		writeProviderError(w, q, err)
		return
	}
	span.SetAttributes(attribute.Int("bars.returned", len(series.Bars)))
	bars := series.Bars
	if bars == nil {
		bars = []marketdata.Bar{}
	}
	if rep.Findings == nil {
		rep.Findings = []marketdata.Finding{}
	}
	writeHistorical(w, HistoricalResponse{Symbol: q.symbol, Timeframe: q.tf, Provider: name, Bars: bars, Quality: rep})
}

// writeHistorical writes a HistoricalResponse as compact JSON, the bars
// through marketdata.AppendBarsJSON in chunks: a million bars through
// encoding/json with indentation cost seconds and doubled the bytes.
func writeHistorical(w http.ResponseWriter, r HistoricalResponse) {
	head, err := json.Marshal(struct {
		Symbol    string                   `json:"symbol"`
		Timeframe marketdata.Timeframe     `json:"timeframe"`
		Provider  string                   `json:"provider"`
		Quality   marketdata.QualityReport `json:"quality"`
	}{r.Symbol, r.Timeframe, r.Provider, r.Quality})
	if err != nil {
		httpx.WriteError(w, http.StatusInternalServerError, "internal", "encoding the answer: "+err.Error(), "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	buf := append(head[:len(head)-1:len(head)-1], `,"bars":[`...)
	const chunk = 4096
	for i := 0; i < len(r.Bars); i += chunk {
		if i > 0 {
			buf = append(buf, ',')
		}
		part := marketdata.AppendBarsJSON(buf, r.Bars[i:min(i+chunk, len(r.Bars))])
		// Drop the chunk's own brackets: the array spans every chunk.
		part = append(part[:len(buf)], part[len(buf)+1:len(part)-1]...)
		if _, err := w.Write(part); err != nil {
			return // the client went away
		}
		buf = buf[:0]
	}
	_, _ = w.Write(append(buf, "]}\n"...))
}

// fetch serves q from the cache when it covers the window, else from the
// provider (then storing the result in the cache). A cache failure is
// recorded on its span and otherwise ignored: the cache is an optimisation.
func (s *Server) fetch(ctx context.Context, q query, opID string) (string, marketdata.Series, marketdata.QualityReport, bool, error) {
	tr := otel.Tracer(TracerName)
	common := []attribute.KeyValue{attribute.String("data.symbol", q.symbol), attribute.String("data.timeframe", string(q.tf))}
	if opID != "" {
		common = append(common, attribute.String("operation.id", opID))
	}
	if s.cache != nil {
		_, span := tr.Start(ctx, "data.cache.read", trace.WithAttributes(common...))
		cached, ok, err := s.cache.Get(q.symbol, q.tf, q.start, q.end)
		span.SetAttributes(attribute.Bool("cache.hit", ok))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		if ok {
			span.SetAttributes(attribute.Int("bars.read", len(cached.Bars)))
			span.AddEvent("cache.hit")
			span.End()
			n := len(cached.Bars)
			return "cache", cached, marketdata.QualityReport{Rows: n, Accepted: n, Findings: []marketdata.Finding{}}, true, nil
		}
		span.End()
	}

	fctx, span := tr.Start(ctx, "data.fetch", trace.WithAttributes(common...))
	name, series, rep, err := fetchNamed(fctx, s.provider, q.symbol, q.tf, q.start, q.end)
	span.SetAttributes(attribute.String("data.provider", name), attribute.Int("bars.received", len(series.Bars)))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	if err != nil {
		return name, series, rep, false, err
	}

	if s.cache != nil && len(series.Bars) > 0 {
		_, span := tr.Start(ctx, "data.cache.write", trace.WithAttributes(common...))
		span.SetAttributes(attribute.Int("bars.written", len(series.Bars)))
		if err := s.cache.Put(series); err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
	return name, series, rep, false, nil
}

func (s *Server) symbols(w http.ResponseWriter, r *http.Request) {
	syms, err := s.provider.Symbols(r.Context())
	if err != nil {
		trace.SpanFromContext(r.Context()).SetStatus(codes.Error, err.Error())
		httpx.WriteError(w, http.StatusBadGateway, "provider_error", err.Error(), "")
		return
	}
	trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("data.provider", s.provider.Name()), attribute.Int("symbols.count", len(syms)))
	httpx.WriteJSON(w, http.StatusOK, SymbolsResponse{Symbols: syms})
}

func (s *Server) rangeHandler(w http.ResponseWriter, r *http.Request) {
	span := trace.SpanFromContext(r.Context())
	qv := r.URL.Query()
	q, e := validate(qv.Get("symbol"), qv.Get("timeframe"), "", "", time.Now().UTC())
	if e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	span.SetAttributes(attribute.String("data.symbol", q.symbol), attribute.String("data.timeframe", string(q.tf)))
	name, series, _, err := fetchNamed(r.Context(), s.provider, q.symbol, q.tf, time.Time{}, time.Time{})
	span.SetAttributes(attribute.String("data.provider", name))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		writeProviderError(w, q, err)
		return
	}
	out := RangeResponse{Symbol: q.symbol, Timeframe: q.tf, Bars: len(series.Bars)}
	if len(series.Bars) > 0 {
		first, last := series.Range()
		out.Start, out.End = &first, &last
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
