package marketdata

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Layout identifies a CSV column layout.
type Layout string

const (
	// LayoutKtrdr is date,open,high,low,close,volume.
	LayoutKtrdr Layout = "ktrdr"
	// LayoutYahoo is date,open,high,low,close,adjclose,volume.
	//
	// Rule: bars use the raw OHLC and adjclose is only carried along in
	// Row.AdjClose. Yahoo adjusts just the close (for splits and dividends),
	// so mixing it with raw open/high/low would break low <= close <= high,
	// and its value is rewritten back in time at every dividend, which would
	// make cached bars irreproducible.
	LayoutYahoo Layout = "yahoo"
)

var layoutColumns = map[Layout][]string{
	LayoutKtrdr: {"date", "open", "high", "low", "close", "volume"},
	LayoutYahoo: {"date", "open", "high", "low", "close", "adjclose", "volume"},
}

// Row is one parsed data row, not yet validated. Line is the 1-based line in
// the file, so quality findings can point at it.
type Row struct {
	Line   int
	Time   time.Time
	Open   float64
	High   float64
	Low    float64
	Close  float64
	Volume float64
	// AdjClose is set only for LayoutYahoo (0 otherwise).
	AdjClose float64
}

// Bar returns the row's OHLCV (raw prices, never adjclose).
func (r Row) Bar() Bar {
	return Bar{Time: r.Time, Open: r.Open, High: r.High, Low: r.Low, Close: r.Close, Volume: r.Volume}
}

// RawTable is the syntactic content of a CSV file.
type RawTable struct {
	Layout Layout
	Rows   []Row
}

// normColumn folds header spellings together: "Adj Close", "adj_close" and
// "adjclose" all become "adjclose".
func normColumn(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "_", "").Replace(s)
	if s == "datetime" || s == "timestamp" {
		return "date"
	}
	return s
}

// detectLayout maps a header to a layout and the column index of each field.
// Columns may appear in any order but the set must match a layout exactly:
// an unknown column is more likely a different format than noise to ignore.
func detectLayout(header []string) (Layout, map[string]int, error) {
	idx := make(map[string]int, len(header))
	for i, h := range header {
		n := normColumn(h)
		if _, dup := idx[n]; dup {
			return "", nil, fmt.Errorf("line 1: duplicate column %q", h)
		}
		idx[n] = i
	}
	for _, l := range []Layout{LayoutKtrdr, LayoutYahoo} {
		cols := layoutColumns[l]
		if len(cols) != len(idx) {
			continue
		}
		ok := true
		for _, c := range cols {
			if _, found := idx[c]; !found {
				ok = false
				break
			}
		}
		if ok {
			return l, idx, nil
		}
	}
	return "", nil, fmt.Errorf("line 1: unrecognised header %q: want %s (ktrdr) or %s (yahoo)",
		strings.Join(header, ","), strings.Join(layoutColumns[LayoutKtrdr], ","), strings.Join(layoutColumns[LayoutYahoo], ","))
}

// Accepted date forms. Values without a zone are UTC.
var dateLayouts = []string{
	"2006-01-02",
	time.RFC3339, // also accepts fractional seconds
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
}

func parseDate(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			// A zone offset can push 9999-12-31 into year 10000, which
			// neither RFC3339 nor JSON can represent.
			if t = t.UTC(); t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, errors.New("is out of range (years 0001-9999 in UTC)")
			}
			return t, nil
		}
	}
	return time.Time{}, errors.New("is not a date (want 2006-01-02, RFC3339 or 2006-01-02 15:04:05)")
}

// parseNumber accepts anything strconv does (including NaN and Inf) plus
// empty and "null" as NaN: Yahoo writes "null" for missing days, and turning
// those into NaN lets Check refuse and report the row instead of failing the
// whole file. Check refuses every non-finite value.
func parseNumber(s string) (float64, error) {
	if s == "" || strings.EqualFold(s, "null") {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("is not a number")
	}
	return v, nil
}

// ReadCSV reads a ktrdr or Yahoo CSV, detecting the layout from the header
// (case-insensitive). It is syntax only: a value that does not parse is an
// error such as `line 17, column "high": "abc" is not a number`; rows that
// parse but are wrong (high < low, ...) are Check's business.
func ReadCSV(r io.Reader) (RawTable, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return RawTable{}, errors.New("empty CSV: no header")
	}
	if err != nil {
		return RawTable{}, err
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // UTF-8 BOM from spreadsheets
	}
	layout, idx, err := detectLayout(header)
	if err != nil {
		return RawTable{}, err
	}
	cr.FieldsPerRecord = len(header)
	tab := RawTable{Layout: layout}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return tab, nil
		}
		if err != nil {
			return RawTable{}, err // csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		row := Row{Line: line}
		field := func(col string) string { return strings.TrimSpace(rec[idx[col]]) }
		if row.Time, err = parseDate(field("date")); err != nil {
			return RawTable{}, fmt.Errorf("line %d, column %q: %q %v", line, "date", field("date"), err)
		}
		for _, f := range []struct {
			col string
			dst *float64
		}{{"open", &row.Open}, {"high", &row.High}, {"low", &row.Low}, {"close", &row.Close}, {"volume", &row.Volume}, {"adjclose", &row.AdjClose}} {
			if f.col == "adjclose" && layout != LayoutYahoo {
				continue
			}
			if *f.dst, err = parseNumber(field(f.col)); err != nil {
				return RawTable{}, fmt.Errorf("line %d, column %q: %q %v", line, f.col, field(f.col), err)
			}
		}
		tab.Rows = append(tab.Rows, row)
	}
}

// ReadSeries is ReadCSV followed by Check with the given rules.
func ReadSeries(r io.Reader, symbol string, tf Timeframe, rules Rules) (Series, QualityReport, error) {
	tab, err := ReadCSV(r)
	if err != nil {
		return Series{}, QualityReport{}, err
	}
	bars, rep := Check(tab.Rows, tf, rules)
	return Series{Symbol: symbol, Timeframe: tf, Bars: bars}, rep, nil
}

// WriteCSV writes s in the ktrdr layout. Numbers use the shortest decimal
// that parses back to the identical float64 ('f', -1), so write→read is
// exact; 'f' rather than 'g' keeps volumes like 931800000 readable. Daily
// and weekly bars at midnight UTC are written as dates, everything else as
// RFC3339 (with fractional seconds only when present).
func WriteCSV(w io.Writer, s Series) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(layoutColumns[LayoutKtrdr]); err != nil {
		return err
	}
	daily := s.Timeframe == TF1d || s.Timeframe == TF1w
	rec := make([]string, 6)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, b := range s.Bars {
		t := b.Time.UTC()
		if h, m, sec := t.Clock(); daily && h == 0 && m == 0 && sec == 0 && t.Nanosecond() == 0 {
			rec[0] = t.Format("2006-01-02")
		} else {
			rec[0] = t.Format(time.RFC3339Nano)
		}
		rec[1], rec[2], rec[3], rec[4], rec[5] = num(b.Open), num(b.High), num(b.Low), num(b.Close), num(b.Volume)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
