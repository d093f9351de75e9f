package indicators_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ktrdr/ktrdr/internal/indicators"
)

var nan = math.NaN()

// equalSeries compares with NaN == NaN and a 1e-12 tolerance for hand-computed values.
func equalSeries(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d (%v)", name, len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && math.Abs(g-w) > 1e-12*math.Max(1, math.Abs(w))) {
			t.Fatalf("%s = %v, want %v (index %d)", name, got, want, i)
		}
	}
}

func TestHandComputed(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	equalSeries(t, "SMA", indicators.SMA(x, 3), []float64{nan, nan, 2, 3, 4})
	equalSeries(t, "SMA/1", indicators.SMA(x, 1), x)
	equalSeries(t, "SMA/5", indicators.SMA(x, 5), []float64{nan, nan, nan, nan, 3})
	// EMA(3): alpha 0.5, seeded with mean(1,2,3) = 2.
	equalSeries(t, "EMA", indicators.EMA([]float64{1, 2, 3, 10, 2}, 3), []float64{nan, nan, 2, 6, 4})
	equalSeries(t, "Momentum", indicators.Momentum([]float64{1, 3, 6, 10}, 2), []float64{nan, nan, 5, 7})
	equalSeries(t, "ROC", indicators.ROC([]float64{100, 110, 99, 0, 5}, 1), []float64{nan, 10, -10, -100, 0})

	// RSI(2) of 1,2,1,3: seed gain = loss = 0.5 -> 50; then +2: gain (0.5+2)/2 = 1.25,
	// loss 0.5/2 = 0.25 -> 100*1.25/1.5.
	equalSeries(t, "RSI", indicators.RSI([]float64{1, 2, 1, 3}, 2), []float64{nan, nan, 50, 100 * 1.25 / 1.5})
	rising := make([]float64, 50)
	falling := make([]float64, 50)
	flat := make([]float64, 50)
	for i := range rising {
		rising[i] = 10 + float64(i)*0.37
		falling[i] = 100 - float64(i)*0.5
		flat[i] = 7
	}
	for name, c := range map[string]struct {
		x    []float64
		want float64
	}{"rising": {rising, 100}, "falling": {falling, 0}, "flat": {flat, 0}} {
		r := indicators.RSI(c.x, 14)
		if leadingNaNs(r) != 14 {
			t.Errorf("RSI %s: %d leading NaNs, want 14", name, leadingNaNs(r))
		}
		for i, v := range r[14:] {
			if v != c.want {
				t.Fatalf("RSI of a %s series [%d] = %v, want %v", name, 14+i, v, c.want)
			}
		}
	}

	// OBV starts at the first volume; unchanged closes keep it.
	equalSeries(t, "OBV", indicators.OBV([]float64{10, 11, 11, 10, 12}, []float64{100, 200, 300, 400, 500}),
		[]float64{100, 300, 300, -100, 400})

	// Bollinger of 1,2,3,4 over 4 bars: mean 2.5, population variance 1.25.
	u, m, l := indicators.Bollinger([]float64{1, 2, 3, 4}, 4, 2)
	sd := math.Sqrt(1.25)
	equalSeries(t, "Bollinger upper", u, []float64{nan, nan, nan, 2.5 + 2*sd})
	equalSeries(t, "Bollinger middle", m, []float64{nan, nan, nan, 2.5})
	equalSeries(t, "Bollinger lower", l, []float64{nan, nan, nan, 2.5 - 2*sd})
	equalSeries(t, "BollingerWidth", indicators.BollingerWidth([]float64{1, 2, 3, 4}, 4, 2), []float64{nan, nan, nan, 4 * sd / 2.5})

	// Williams %R over 2 bars: highest 12, lowest 8, close 11 -> -100*(12-11)/4.
	equalSeries(t, "WilliamsR", indicators.WilliamsR([]float64{10, 12}, []float64{8, 9}, []float64{9, 11}, 2), []float64{nan, -25})

	// ATR(2): TR of bar 1 = max(12-9, |9-12|, |9-9|) = 3, bar 2 = max(11-10, |11-11|, |11-10|) = 1,
	// bar 3 = max(13-12, |11-13|, |11-12|) = 2 -> mean(3,1) = 2, then (2*1+2)/2 = 2.
	equalSeries(t, "ATR", indicators.ATR([]float64{10, 12, 11, 13}, []float64{8, 9, 10, 12}, []float64{9, 11, 11, 12.5}, 2),
		[]float64{nan, nan, 2, 2})

	equalSeries(t, "VolumeRatio", indicators.VolumeRatio([]float64{1, 1, 4, 0, 0, 0}, 3), []float64{nan, nan, 2, 0, 0, 0})
	equalSeries(t, "DistanceFromMA", indicators.DistanceFromMA([]float64{10, 10, 13}, 3, false), []float64{nan, nan, 100 * 2.0 / 11})
}

// TestBollingerPrecision checks the deviation against an exact two-pass computation on
// data where E[x²]-E[x]² loses most of its digits (a high level with small moves, and a
// level shift) over a long series.
func TestBollingerPrecision(t *testing.T) {
	in := synth(200000, 11)
	x := make([]float64, len(in.Close))
	for i, v := range in.Close {
		x[i] = v / 1000 // moves of ~1e-3 ...
		if i > len(x)/2 {
			x[i] += 1e6 // ... on a level of 1e6 for the second half
		}
	}
	for _, period := range []int{2, 20, 333} {
		u, m, _ := indicators.Bollinger(x, period, 1)
		w := indicators.BollingerWidth(x, period, 1)
		worst := 0.0
		for i := period - 1; i < len(x); i++ {
			// Two passes over deviations from the window's first value (exact for
			// neighbouring values), so a constant window has exactly 0.
			win := x[i-period+1 : i+1]
			dm := 0.0
			for _, v := range win {
				dm += v - win[0]
			}
			dm /= float64(period)
			mean := win[0] + dm
			ss := 0.0
			for _, v := range win {
				d := v - win[0] - dm
				ss += d * d
			}
			sd := math.Sqrt(ss / float64(period))
			if e := math.Abs(m[i]-mean) / math.Abs(mean); e > 1e-13 {
				t.Fatalf("period %d, bar %d: middle %v, exact %v", period, i, m[i], mean)
			}
			if sd == 0 {
				continue
			}
			// The band itself is only as precise as mean+sd can be stored (ulp(1e6) is
			// 1.2e-10 against deviations down to 3e-5); the width carries sd at full precision.
			if d := math.Abs((u[i] - m[i]) - sd); d > 1e-15*math.Abs(mean)+1e-12*sd {
				t.Fatalf("period %d, bar %d: upper-middle %v, exact deviation %v", period, i, u[i]-m[i], sd)
			}
			if e := math.Abs(w[i]-2*sd/mean) / (2 * sd / mean); e > worst {
				worst = e
			}
		}
		if worst > 1e-10 {
			t.Errorf("period %d: worst relative error of the width %.3g", period, worst)
		}
		t.Logf("period %d: worst relative error of the width %.3g", period, worst)
	}
}

// TestInvalidArguments checks invalid periods and mismatched columns give all-NaN of the
// right length instead of panicking, and empty input gives empty output.
func TestInvalidArguments(t *testing.T) {
	in := synth(50, 1)
	h, l, c, v := in.High, in.Low, in.Close, in.Volume
	n := len(c)
	type fn func(p int) [][]float64
	funcs := map[string]fn{
		"SMA":            func(p int) [][]float64 { return one(indicators.SMA(c, p)) },
		"EMA":            func(p int) [][]float64 { return one(indicators.EMA(c, p)) },
		"RSI":            func(p int) [][]float64 { return one(indicators.RSI(c, p)) },
		"MACD/fast":      func(p int) [][]float64 { return three(indicators.MACD(c, p, 26, 9)) },
		"MACD/slow":      func(p int) [][]float64 { return three(indicators.MACD(c, 12, p, 9)) },
		"MACD/signal":    func(p int) [][]float64 { return three(indicators.MACD(c, 12, 26, p)) },
		"Bollinger":      func(p int) [][]float64 { return three(indicators.Bollinger(c, p, 2)) },
		"BollingerWidth": func(p int) [][]float64 { return one(indicators.BollingerWidth(c, p, 2)) },
		"ATR":            func(p int) [][]float64 { return one(indicators.ATR(h, l, c, p)) },
		"Stochastic/k":   func(p int) [][]float64 { return two(indicators.Stochastic(h, l, c, p, 3, 3)) },
		"Stochastic/sk":  func(p int) [][]float64 { return two(indicators.Stochastic(h, l, c, 14, p, 3)) },
		"Stochastic/sd":  func(p int) [][]float64 { return two(indicators.Stochastic(h, l, c, 14, 3, p)) },
		"WilliamsR":      func(p int) [][]float64 { return one(indicators.WilliamsR(h, l, c, p)) },
		"ROC":            func(p int) [][]float64 { return one(indicators.ROC(c, p)) },
		"Momentum":       func(p int) [][]float64 { return one(indicators.Momentum(c, p)) },
		"CCI":            func(p int) [][]float64 { return one(indicators.CCI(h, l, c, p)) },
		"ADX":            func(p int) [][]float64 { return one(indicators.ADX(h, l, c, p)) },
		"MFI":            func(p int) [][]float64 { return one(indicators.MFI(h, l, c, v, p)) },
		"DistanceFromMA": func(p int) [][]float64 { return one(indicators.DistanceFromMA(c, p, false)) },
		"DistanceEMA":    func(p int) [][]float64 { return one(indicators.DistanceFromMA(c, p, true)) },
		"VolumeRatio":    func(p int) [][]float64 { return one(indicators.VolumeRatio(v, p)) },
	}
	for name, f := range funcs {
		for _, p := range []int{math.MinInt, -1, 0, n + 1, n * 10, math.MaxInt32} {
			for o, out := range f(p) {
				if len(out) != n || !allNaN(out) {
					t.Errorf("%s(period %d) output %d: len %d, all NaN %v; want %d NaNs", name, p, o, len(out), allNaN(out), n)
				}
			}
		}
		// A valid period defines at least one value here.
		for o, out := range f(5) {
			if allNaN(out) {
				t.Errorf("%s(period 5) output %d is all NaN", name, o)
			}
		}
	}
	// Periods that need more bars than there are.
	for name, out := range map[string][]float64{
		"RSI(n)":      indicators.RSI(c, n),
		"ROC(n)":      indicators.ROC(c, n),
		"Momentum(n)": indicators.Momentum(c, n),
		"ATR(n)":      indicators.ATR(h, l, c, n),
		"MFI(n)":      indicators.MFI(h, l, c, v, n),
		"ADX(n/2+1)":  indicators.ADX(h, l, c, n/2+1),
		"MACD(n)":     first(indicators.MACD(c, 2, n, 2)),
		"Stoch(n)":    first(indicators.Stochastic(h, l, c, n-1, 2, 2)),
	} {
		if len(out) != n || !allNaN(out) {
			t.Errorf("%s: len %d, all NaN %v", name, len(out), allNaN(out))
		}
	}
	// Columns of different lengths.
	short := c[:n-1]
	for name, out := range map[string][]float64{
		"ATR":        indicators.ATR(short, l, c, 14),
		"Stochastic": first(indicators.Stochastic(h, short, c, 14, 3, 3)),
		"WilliamsR":  indicators.WilliamsR(short, l, c, 14),
		"CCI":        indicators.CCI(h, short, c, 14),
		"ADX":        indicators.ADX(short, l, c, 14),
		"MFI":        indicators.MFI(h, l, c, short, 14),
		"OBV":        indicators.OBV(c, short),
	} {
		if len(out) != n || !allNaN(out) {
			t.Errorf("%s with a short column: len %d, all NaN %v", name, len(out), allNaN(out))
		}
	}
	// Empty and nil input.
	for _, x := range [][]float64{nil, {}} {
		for name, out := range map[string][]float64{
			"SMA": indicators.SMA(x, 3), "EMA": indicators.EMA(x, 3), "RSI": indicators.RSI(x, 3),
			"MACD": first(indicators.MACD(x, 12, 26, 9)), "Bollinger": first(indicators.Bollinger(x, 3, 2)),
			"ATR": indicators.ATR(x, x, x, 3), "Stochastic": first(indicators.Stochastic(x, x, x, 3, 3, 3)),
			"WilliamsR": indicators.WilliamsR(x, x, x, 3), "CCI": indicators.CCI(x, x, x, 3),
			"OBV": indicators.OBV(x, x), "ADX": indicators.ADX(x, x, x, 3), "MFI": indicators.MFI(x, x, x, x, 3),
			"VolumeRatio": indicators.VolumeRatio(x, 3),
		} {
			if len(out) != 0 {
				t.Errorf("%s of empty input: len %d", name, len(out))
			}
		}
	}
}

func first(a []float64, _ ...[]float64) []float64 { return a }

// TestInputsNotModified runs every catalog entry and raw function and checks the input
// columns are unchanged.
func TestInputsNotModified(t *testing.T) {
	in := synth(3000, 5)
	orig := indicators.Input{
		Open: slices.Clone(in.Open), High: slices.Clone(in.High), Low: slices.Clone(in.Low),
		Close: slices.Clone(in.Close), Volume: slices.Clone(in.Volume),
	}
	for _, def := range indicators.All() {
		p, err := def.Resolve(nil)
		if err != nil {
			t.Fatal(err)
		}
		def.Compute(in, in.Close, p)
	}
	indicators.DistanceFromMA(in.Close, 10, true)
	indicators.MACD(in.Close, 26, 12, 9)
	for name, pair := range map[string][2][]float64{
		"open": {in.Open, orig.Open}, "high": {in.High, orig.High}, "low": {in.Low, orig.Low},
		"close": {in.Close, orig.Close}, "volume": {in.Volume, orig.Volume},
	} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("column %s was modified", name)
		}
	}
}
