package marketdata

import (
	"math"
	"testing"
	"time"
)

func TestSyntheticDeterministicAcrossWindows(t *testing.T) {
	for _, tf := range Timeframes {
		start := SyntheticEpoch.AddDate(0, 3, 0)
		span := 10*24*time.Hour + 1000*tf.Duration() // several sessions for any timeframe
		full := Synthetic("AAPL", tf, 42, start, start.Add(span))
		if len(full.Bars) < 50 {
			t.Fatalf("%s: only %d bars", tf, len(full.Bars))
		}
		mid := full.Bars[len(full.Bars)/3].Time
		part := Synthetic("AAPL", tf, 42, mid, start.Add(span/2))
		if len(part.Bars) == 0 || !part.Bars[0].Time.Equal(mid) {
			t.Fatalf("%s: window start", tf)
		}
		got := (Series{Bars: full.Bars}).Slice(mid, start.Add(span/2))
		if len(got) != len(part.Bars) {
			t.Fatalf("%s: %d vs %d bars", tf, len(got), len(part.Bars))
		}
		for i := range got {
			if got[i] != part.Bars[i] {
				t.Fatalf("%s: bar %d differs by window: %+v vs %+v", tf, i, got[i], part.Bars[i])
			}
		}
		// Different seed or symbol: different path.
		if other := Synthetic("AAPL", tf, 43, mid, mid); len(other.Bars) != 1 || other.Bars[0] == part.Bars[0] {
			t.Errorf("%s: seed does not matter", tf)
		}
		if other := Synthetic("MSFT", tf, 42, mid, mid); len(other.Bars) != 1 || other.Bars[0] == part.Bars[0] {
			t.Errorf("%s: symbol does not matter", tf)
		}
	}
}

func TestSyntheticAlwaysValid(t *testing.T) {
	symbols := []string{"AAPL", "X", "^GSPC", "EURUSD=X", "BTC-USD", "PENNY", "BRK.A", "Z9"}
	for _, tf := range Timeframes {
		end := SyntheticEpoch.Add(3000 * tf.Duration())
		if !tf.Intraday() {
			end = SyntheticEpoch.AddDate(26, 0, 0) // long enough to hit price walls
		}
		for _, sym := range symbols {
			for seed := int64(-2); seed < 3; seed++ {
				s := Synthetic(sym, tf, seed, SyntheticEpoch, end)
				rows := make([]Row, len(s.Bars))
				for i, b := range s.Bars {
					if !b.Valid() || b.Time.Location() != time.UTC {
						t.Fatalf("%s %s %d: invalid bar %+v", sym, tf, seed, b)
					}
					if wd := b.Time.Weekday(); wd == time.Saturday || wd == time.Sunday {
						t.Fatalf("weekend bar %v", b.Time)
					}
					if tf.Intraday() {
						tod := b.Time.Sub(b.Time.Truncate(24 * time.Hour))
						if tod < SyntheticSessionOpen || tod >= SyntheticSessionClose {
							t.Fatalf("%s bar outside session: %v", tf, b.Time)
						}
					}
					if tf == TF1w && b.Time.Weekday() != time.Monday {
						t.Fatalf("weekly bar not on Monday: %v", b.Time)
					}
					rows[i] = Row{Time: b.Time, Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume}
				}
				bars, rep := Check(rows, tf, Rules{})
				if len(rep.Findings) != 0 || len(bars) != len(s.Bars) {
					t.Fatalf("%s %s %d: Check found %v", sym, tf, seed, rep.Findings[:min(3, len(rep.Findings))])
				}
			}
		}
	}
}

// TestSyntheticStructure checks the stylised facts the generator promises,
// loosely enough to be robust but tightly enough to fail on a plain walk.
func TestSyntheticStructure(t *testing.T) {
	s := Synthetic("SPY", TF1d, 7, SyntheticEpoch, SyntheticEpoch.AddDate(20, 0, 0))
	n := len(s.Bars)
	if n < 5000 {
		t.Fatalf("%d daily bars in 20 years", n)
	}
	r := make([]float64, n-1)
	for i := 1; i < n; i++ {
		r[i-1] = math.Log(s.Bars[i].Close / s.Bars[i-1].Close)
	}
	// Volatility clustering: |r| autocorrelated while r itself is not much.
	abs := make([]float64, len(r))
	for i, v := range r {
		abs[i] = math.Abs(v)
	}
	if ac := autocorr(abs, 1); ac < 0.05 {
		t.Errorf("no volatility clustering: acf(|r|,1) = %.3f", ac)
	}
	if ac := autocorr(r, 1); math.Abs(ac) > 0.15 {
		t.Errorf("returns too predictable: acf(r,1) = %.3f", ac)
	}
	// Volume follows volatility.
	vol := make([]float64, len(r))
	for i := range r {
		vol[i] = s.Bars[i+1].Volume
	}
	if c := corr(abs, vol); c < 0.1 {
		t.Errorf("volume not correlated with volatility: %.3f", c)
	}
	// Intraday: the session has the expected number of bars.
	for tf, want := range map[Timeframe]int{TF1m: 390, TF5m: 78, TF30m: 13, TF1h: 7, TF4h: 2} {
		d := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC) // Wednesday
		if got := len(Synthetic("SPY", tf, 7, d, d.Add(24*time.Hour-1)).Bars); got != want {
			t.Errorf("%s: %d bars a day, want %d", tf, got, want)
		}
	}
	if got := len(Synthetic("SPY", TF1d, 7, time.Date(2021, 3, 6, 0, 0, 0, 0, time.UTC), time.Date(2021, 3, 7, 23, 0, 0, 0, time.UTC)).Bars); got != 0 {
		t.Errorf("weekend daily bars: %d", got)
	}
	if got := len(Synthetic("SPY", TF1d, 7, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), SyntheticEpoch.Add(-1)).Bars); got != 0 {
		t.Errorf("bars before the epoch: %d", got)
	}
	if got := len(Synthetic("SPY", "2d", 7, SyntheticEpoch, SyntheticEpoch.AddDate(1, 0, 0)).Bars); got != 0 {
		t.Errorf("invalid timeframe gave %d bars", got)
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func corr(x, y []float64) float64 {
	mx, my := mean(x), mean(y)
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func autocorr(x []float64, lag int) float64 { return corr(x[:len(x)-lag], x[lag:]) }

func BenchmarkSynthetic1M(b *testing.B) {
	// 1m bars from the epoch: 390 a day, so ~2,565 weekdays ≈ 1M bars.
	end := SyntheticEpoch.AddDate(0, 0, 3590)
	for b.Loop() {
		s := Synthetic("BENCH", TF1m, 1, SyntheticEpoch, end)
		if len(s.Bars) < 1_000_000 {
			b.Fatal(len(s.Bars))
		}
	}
}

func BenchmarkSyntheticSkip(b *testing.B) {
	// A 1m window in 2026: ~6.8M bars are stepped but not kept.
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		Synthetic("BENCH", TF1m, 1, start, start.AddDate(0, 0, 1))
	}
}
