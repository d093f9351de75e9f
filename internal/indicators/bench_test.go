package indicators_test

import (
	"runtime"
	"testing"

	talib "github.com/markcheno/go-talib"

	"github.com/ktrdr/ktrdr/internal/indicators"
)

const benchBars = 1_000_000

var benchSink []float64

// BenchmarkIndicators computes each catalog indicator with its default parameters on
// 1M synthetic bars, as BenchmarkIndicators/ktrdr/<name>, and the go-talib equivalent as
// BenchmarkIndicators/talib/<name> (for the indicators go-talib lacks, its SMA, EMA or
// BBands plus the same arithmetic), so ratios can be read off one run.
func BenchmarkIndicators(b *testing.B) {
	in := synth(benchBars, 1)
	h, l, c, v := in.High, in.Low, in.Close, in.Volume
	div := func(num, den []float64) []float64 {
		for i := range den {
			den[i] = ratio(num[i], den[i])
		}
		return den
	}
	cases := []struct {
		name         string
		ktrdr, talib func() []float64
	}{
		{"sma", func() []float64 { return indicators.SMA(c, 20) }, func() []float64 { return talib.Sma(c, 20) }},
		{"ema", func() []float64 { return indicators.EMA(c, 20) }, func() []float64 { return talib.Ema(c, 20) }},
		{"rsi", func() []float64 { return indicators.RSI(c, 14) }, func() []float64 { return talib.Rsi(c, 14) }},
		{"macd",
			func() []float64 { line, _, _ := indicators.MACD(c, 12, 26, 9); return line },
			func() []float64 { line, _, _ := talib.Macd(c, 12, 26, 9); return line }},
		{"bbands",
			func() []float64 { u, _, _ := indicators.Bollinger(c, 20, 2); return u },
			func() []float64 { u, _, _ := talib.BBands(c, 20, 2, 2, talib.SMA); return u }},
		{"bb_width",
			func() []float64 { return indicators.BollingerWidth(c, 20, 2) },
			func() []float64 { u, m, l := talib.BBands(c, 20, 2, 2, talib.SMA); return widthRef(u, m, l) }},
		{"atr", func() []float64 { return indicators.ATR(h, l, c, 14) }, func() []float64 { return talib.Atr(h, l, c, 14) }},
		{"stochastic",
			func() []float64 { k, _ := indicators.Stochastic(h, l, c, 14, 3, 3); return k },
			func() []float64 { k, _ := talib.Stoch(h, l, c, 14, 3, talib.SMA, 3, talib.SMA); return k }},
		{"williams_r", func() []float64 { return indicators.WilliamsR(h, l, c, 14) }, func() []float64 { return talib.WillR(h, l, c, 14) }},
		{"roc", func() []float64 { return indicators.ROC(c, 10) }, func() []float64 { return talib.Roc(c, 10) }},
		{"momentum", func() []float64 { return indicators.Momentum(c, 10) }, func() []float64 { return talib.Mom(c, 10) }},
		{"cci", func() []float64 { return indicators.CCI(h, l, c, 20) }, func() []float64 { return talib.Cci(h, l, c, 20) }},
		{"obv", func() []float64 { return indicators.OBV(c, v) }, func() []float64 { return talib.Obv(c, v) }},
		{"adx", func() []float64 { return indicators.ADX(h, l, c, 14) }, func() []float64 { return talib.Adx(h, l, c, 14) }},
		{"mfi", func() []float64 { return indicators.MFI(h, l, c, v, 14) }, func() []float64 { return talib.Mfi(h, l, c, v, 14) }},
		{"distance_from_ma",
			func() []float64 { return indicators.DistanceFromMA(c, 20, false) },
			func() []float64 { return distanceRef(c, talib.Sma(c, 20)) }},
		{"distance_from_ema",
			func() []float64 { return indicators.DistanceFromMA(c, 20, true) },
			func() []float64 { return distanceRef(c, talib.Ema(c, 20)) }},
		{"volume_ratio",
			func() []float64 { return indicators.VolumeRatio(v, 20) },
			func() []float64 { return div(v, talib.Sma(v, 20)) }},
	}
	for _, bc := range cases {
		for _, side := range []struct {
			name string
			fn   func() []float64
		}{{"ktrdr", bc.ktrdr}, {"talib", bc.talib}} {
			b.Run(side.name+"/"+bc.name, func(b *testing.B) {
				b.ReportAllocs()
				runtime.GC() // start each side with the same heap; b.Loop starts the timer
				for b.Loop() {
					benchSink = side.fn()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchBars, "ns/bar")
			})
		}
	}
}
