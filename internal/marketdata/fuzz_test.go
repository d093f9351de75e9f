package marketdata

import (
	"bytes"
	"math"
	"testing"
)

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,100\n2020-01-01,1,2,0.5,1.5,100\n"))
	f.Add([]byte("Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,null,1,1,1,1,1\n2020-01-02T10:00:00Z,1,0,1,1,1,-1\n"))
	f.Add([]byte("date,open,high,low,close,volume\n2020-01-02 14:30:00,NaN,Inf,-Inf,0,1e308\n\"2020-01-03\",1,1,1,1,0\n"))
	f.Add([]byte("\ufeffdatetime,volume,close,low,high,open\n2020-01-02,1,1,1,1,1\n"))
	f.Add([]byte("date,open\n\"unterminated"))
	f.Add([]byte("date,open,high,low,close,volume\n9999-12-31T23:00:00-05:00,1,1,1,1,1\n0001-01-01T00:00:00+01:00,1,1,1,1,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ReadCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, tf := range []Timeframe{TF1m, TF1d, TF1w} {
			bars, rep := Check(tab.Rows, tf, Rules{})
			if rep.Rows != len(tab.Rows) || rep.Accepted != len(bars) || rep.Accepted+rep.Refused != rep.Rows {
				t.Fatalf("inconsistent report %+v for %d rows", rep, len(tab.Rows))
			}
			for i, b := range bars {
				if !b.Valid() {
					t.Fatalf("accepted invalid bar %+v", b)
				}
				if i > 0 && !bars[i-1].Time.Before(b.Time) {
					t.Fatalf("bars not strictly sorted at %d", i)
				}
			}
			// Accepted bars survive a write/read/check cycle unchanged.
			var buf bytes.Buffer
			if err := WriteCSV(&buf, Series{Timeframe: tf, Bars: bars}); err != nil {
				t.Fatal(err)
			}
			back, err := ReadCSV(&buf)
			if err != nil {
				t.Fatalf("re-reading own output: %v\n%s", err, buf.String())
			}
			again, rep2 := Check(back.Rows, tf, Rules{})
			if len(again) != len(bars) || rep2.Refused != 0 {
				t.Fatalf("round trip changed the bars: %d -> %d, %+v", len(bars), len(again), rep2)
			}
			for i := range again {
				if !sameBar(again[i], bars[i]) {
					t.Fatalf("round trip bar %d: %+v vs %+v", i, again[i], bars[i])
				}
			}
		}
	})
}

func sameBar(a, b Bar) bool {
	bits := math.Float64bits
	return a.Time.Equal(b.Time) && bits(a.Open) == bits(b.Open) && bits(a.High) == bits(b.High) &&
		bits(a.Low) == bits(b.Low) && bits(a.Close) == bits(b.Close) && bits(a.Volume) == bits(b.Volume)
}
