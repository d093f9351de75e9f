package marketdata

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeframe(t *testing.T) {
	want := map[string]time.Duration{"1m": time.Minute, "5m": 5 * time.Minute, "15m": 15 * time.Minute,
		"30m": 30 * time.Minute, "1h": time.Hour, "4h": 4 * time.Hour, "1d": 24 * time.Hour, "1w": 7 * 24 * time.Hour}
	for s, d := range want {
		tf, err := ParseTimeframe(s)
		if err != nil {
			t.Fatalf("ParseTimeframe(%q): %v", s, err)
		}
		if tf.String() != s || tf.Duration() != d {
			t.Errorf("%q: got %s %v", s, tf, tf.Duration())
		}
	}
	if len(Timeframes) != len(want) {
		t.Errorf("Timeframes has %d entries, want %d", len(Timeframes), len(want))
	}
	for _, bad := range []string{"", "1M", "2h", "1D", " 1d", "1y", "60m"} {
		_, err := ParseTimeframe(bad)
		if err == nil {
			t.Errorf("ParseTimeframe(%q) accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), `"`+bad+`"`) || !strings.Contains(err.Error(), "1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w") {
			t.Errorf("error %q should name the value and list valid ones", err)
		}
	}
}

func TestBarsPerYear(t *testing.T) {
	want := map[Timeframe]float64{TF1m: 98280, TF5m: 19656, TF15m: 6552, TF30m: 3276, TF1h: 1638, TF4h: 409.5, TF1d: 252, TF1w: 52}
	for tf, w := range want {
		if got := tf.BarsPerYear(); got != w {
			t.Errorf("%s.BarsPerYear() = %v, want %v", tf, got, w)
		}
	}
	if Timeframe("2h").BarsPerYear() != 0 || Timeframe("2h").Duration() != 0 {
		t.Error("invalid timeframe should have zero duration and bars per year")
	}
	if !TF4h.Intraday() || TF1d.Intraday() || TF1w.Intraday() {
		t.Error("Intraday wrong")
	}
}

func FuzzParseTimeframe(f *testing.F) {
	for _, s := range []string{"1m", "4h", "1w", "", "1M", "\x00", "15m "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tf, err := ParseTimeframe(s)
		if err != nil {
			if tf != "" {
				t.Fatalf("error with non-empty result %q", tf)
			}
			return
		}
		if tf.String() != s || tf.Duration() <= 0 || tf.BarsPerYear() <= 0 || !tf.Valid() {
			t.Fatalf("accepted %q with inconsistent %v %v", s, tf.Duration(), tf.BarsPerYear())
		}
	})
}
