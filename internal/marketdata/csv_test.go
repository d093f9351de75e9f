package marketdata

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spxPath is the real S&P 500 sample shipped with the repository.
const spxPath = "../../data/sample/SPX_1d.csv"

func TestReadCSVLayouts(t *testing.T) {
	cases := []struct {
		name, text string
		layout     Layout
		time       time.Time
		adj        float64
	}{
		{"ktrdr daily", "date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,100\n", LayoutKtrdr, time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), 0},
		{"ktrdr rfc3339", "date,open,high,low,close,volume\n2020-01-02T09:30:00-05:00,1,2,0.5,1.5,100\n", LayoutKtrdr, time.Date(2020, 1, 2, 14, 30, 0, 0, time.UTC), 0},
		{"ktrdr space", "date,open,high,low,close,volume\n2020-01-02 14:30:00,1,2,0.5,1.5,100\n", LayoutKtrdr, time.Date(2020, 1, 2, 14, 30, 0, 0, time.UTC), 0},
		{"yahoo lower", "date,open,high,low,close,adjclose,volume\n2020-01-02,1,2,0.5,1.5,1.4,100\n", LayoutYahoo, time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), 1.4},
		{"yahoo title", "Date,Open,High,Low,Close,Adj Close,Volume\r\n2020-01-02,1,2,0.5,1.5,1.4,100\r\n", LayoutYahoo, time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), 1.4},
		{"bom, reordered", "\ufeffDATE,Volume,open,high,low,close\n2020-01-02,100,1,2,0.5,1.5\n", LayoutKtrdr, time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), 0},
	}
	for _, c := range cases {
		tab, err := ReadCSV(strings.NewReader(c.text))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if tab.Layout != c.layout || len(tab.Rows) != 1 {
			t.Errorf("%s: layout %s rows %d", c.name, tab.Layout, len(tab.Rows))
			continue
		}
		r := tab.Rows[0]
		if !r.Time.Equal(c.time) || r.Time.Location() != time.UTC || r.Line != 2 || r.AdjClose != c.adj {
			t.Errorf("%s: row %+v", c.name, r)
		}
		if b := r.Bar(); b.Open != 1 || b.High != 2 || b.Low != 0.5 || b.Close != 1.5 || b.Volume != 100 {
			t.Errorf("%s: bar must use raw OHLC, got %+v", c.name, b)
		}
	}
}

func TestReadCSVErrors(t *testing.T) {
	hdr := "date,open,high,low,close,volume\n"
	good := "2020-01-02,1,2,0.5,1.5,100\n"
	cases := []struct{ text, want string }{
		{"", "empty CSV"},
		{"foo,bar\n", "unrecognised header"},
		{"date,open,high,low,close\n", "unrecognised header"},
		{"date,open,high,low,close,volume,extra\n", "unrecognised header"},
		{"date,open,open,low,close,volume\n", "duplicate column"},
		{hdr + good + "2020-01-03,1,abc,0.5,1.5,100\n", `line 3, column "high": "abc" is not a number`},
		{hdr + "02/01/2020,1,2,0.5,1.5,100\n", `line 2, column "date": "02/01/2020" is not a date`},
		{hdr + good + good + "2020-01-04,1,2,0.5,1.5,1e\n", `line 4, column "volume": "1e" is not a number`},
		{hdr + "2020-01-02,1,2,0.5\n", "line 2"}, // wrong field count
		{hdr + "9999-12-31T23:00:00-05:00,1,2,0.5,1.5,100\n", `line 2, column "date": "9999-12-31T23:00:00-05:00" is out of range`},
	}
	for _, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadCSV(%q) error = %v, want %q", c.text, err, c.want)
		}
	}
	// null / empty become NaN rows (for Check to refuse), not errors.
	tab, err := ReadCSV(strings.NewReader("Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,null,null,null,null,null,\n"))
	if err != nil || len(tab.Rows) != 1 || !math.IsNaN(tab.Rows[0].Open) || !math.IsNaN(tab.Rows[0].Volume) {
		t.Fatalf("null row: %+v %v", tab, err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	awkward := []float64{0.1, 1.0 / 3, 1469.25, 1e-7, 123456789.123456789, math.Nextafter(2, 3), 5e21}
	var in Series
	in.Timeframe = TF5m
	for i, v := range awkward {
		in.Bars = append(in.Bars, Bar{Time: time.Date(2020, 1, 2, 14, 30, 0, 123000, time.UTC).Add(time.Duration(i) * 5 * time.Minute),
			Open: v, High: v * 2, Low: v / 2, Close: v, Volume: v * 1000})
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBars(t, in.Bars, tab.Rows)
}

func assertSameBars(t *testing.T, want []Bar, rows []Row) {
	t.Helper()
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		w, g := want[i], r.Bar()
		if !g.Time.Equal(w.Time) || math.Float64bits(g.Open) != math.Float64bits(w.Open) ||
			math.Float64bits(g.High) != math.Float64bits(w.High) || math.Float64bits(g.Low) != math.Float64bits(w.Low) ||
			math.Float64bits(g.Close) != math.Float64bits(w.Close) || math.Float64bits(g.Volume) != math.Float64bits(w.Volume) {
			t.Fatalf("row %d: got %+v, want %+v", i, g, w)
		}
	}
}

// TestSPXFile checks the shared sample: 5,105 data rows (as its README says;
// `wc -l` shows 5,105 lines only because the last row has no newline).
func TestSPXFile(t *testing.T) {
	f, err := os.Open(spxPath)
	if err != nil {
		t.Fatalf("the repository's sample data: %v", err)
	}
	defer f.Close()
	s, rep, err := ReadSeries(f, "SPX", TF1d, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Bars) != 5105 || rep.Rows != 5105 || rep.Accepted != 5105 || rep.Refused != 0 || !rep.OK() {
		t.Fatalf("bars %d report %+v", len(s.Bars), rep)
	}
	first, last := s.Range()
	if !first.Equal(time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)) || !last.Equal(time.Date(2020, 4, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("range %v - %v", first, last)
	}
	if s.Bars[0].Open != 1469.25 {
		t.Errorf("first open %v", s.Bars[0].Open)
	}
	// Only gaps beyond weekend+holiday: 9/11, the Ford funeral, Sandy.
	if rep.Count(RuleGap) != 3 || len(rep.Findings) != 3 || rep.Findings[0].Line != 428 {
		t.Errorf("expected only gap findings (9/11 closure at least): %v", rep.Findings)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "date,open,high,low,close,volume\n2000-01-03,1469.25,1478,1438.359985,1455.219971,931800000\n") {
		t.Errorf("unexpected output start: %.120q", buf.String())
	}
	tab, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBars(t, s.Bars, tab.Rows)
}

// TestBadRowsFile writes a file with every kind of bad row and checks that
// the report names each row (line) and rule.
func TestBadRowsFile(t *testing.T) {
	lines := []string{
		"date,open,high,low,close,volume",  // 1
		"2020-01-06,10,11,9,10.5,100",      // 2 ok (Monday)
		"2020-01-07,10,9,11,10,100",        // 3 high_below_low (+ open/close outside)
		"2020-01-08,12,11,9,10,100",        // 4 open_outside_range
		"2020-01-09,10,11,9,8,100",         // 5 close_outside_range
		"2020-01-10,10,11,9,10,-5",         // 6 negative_volume
		"2020-01-13,NaN,11,9,10,100",       // 7 not_finite
		"2020-01-14,10,+Inf,9,10,100",      // 8 not_finite
		"2020-01-15,0,0,0,0,100",           // 9 non_positive_price
		"2020-01-16,-1,11,-2,10,100",       // 10 non_positive_price
		"2020-01-17,10,11,9,10,100",        // 11 ok
		"2020-01-17,10,12,9,11,200",        // 12 duplicate_time (dropped)
		"2020-01-15,10,11,9,10,100",        // 13 unsorted (kept: 9 was refused)
		"2020-01-27,10,11,9,10,100",        // 14 gap (10 days)
		"2020-01-28,10,11,9,10,",           // 15 not_finite (empty volume)
		"2020-01-29,null,null,null,null,0", // 16 not_finite (Yahoo null)
		"2020-01-30,10,10,10,10,0",         // 17 ok: flat bar, zero volume
	}
	path := filepath.Join(t.TempDir(), "BAD_1d.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, rep, err := ReadSeries(f, "BAD", TF1d, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{ // "line:rule"
		"3:high_below_low": true, "3:open_outside_range": true, "3:close_outside_range": true,
		"4:open_outside_range": true, "5:close_outside_range": true, "6:negative_volume": true,
		"7:not_finite": true, "8:not_finite": true, "9:non_positive_price": true, "10:non_positive_price": true,
		"12:duplicate_time": true, "13:unsorted": true, "13:gap": true, // 01-06 → 01-15 once the bad rows are gone
		"14:gap": true, "15:not_finite": true, "16:not_finite": true,
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[fmt.Sprintf("%d:%s", f.Line, f.Rule)] = true
		if f.Detail == "" || f.Time.IsZero() {
			t.Errorf("finding without detail/time: %+v", f)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing finding %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected finding %s", k)
		}
	}
	if rep.Rows != 16 || rep.Accepted != 5 || rep.Refused != 11 || rep.OK() {
		t.Errorf("report counts %+v", rep)
	}
	wantDays := []int{6, 15, 17, 27, 30}
	for i, b := range s.Bars {
		if b.Time.Day() != wantDays[i] || !b.Valid() {
			t.Errorf("bar %d: %+v", i, b)
		}
	}
	if s.Bars[2].Volume != 100 {
		t.Error("duplicate: the first row must be kept")
	}
	for _, f := range rep.Findings {
		if f.Line == 3 && f.Rule == RuleHighBelowLow && !strings.Contains(f.Detail, "high=9 low=11") {
			t.Errorf("detail should carry the values: %q", f.Detail)
		}
	}
}

func BenchmarkReadCSV(b *testing.B) {
	data, err := os.ReadFile(spxPath)
	if err != nil {
		var buf bytes.Buffer
		_ = WriteCSV(&buf, Synthetic("BENCH", TF1d, 1, SyntheticEpoch, SyntheticEpoch.AddDate(20, 0, 0)))
		data = buf.Bytes()
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		tab, err := ReadCSV(bytes.NewReader(data))
		if err != nil || len(tab.Rows) < 5000 {
			b.Fatal(err, len(tab.Rows))
		}
	}
}
