// Command indicators measures indicator throughput: bars per second of each
// ktrdr indicator on one million synthetic bars, against go-talib (the Go
// port of TA-Lib) computing the same indicator on the same bars, in the
// same run, printed as a ratio (ktrdr / talib; above 1 is faster).
//
//	go run ./bench/indicators [-bars 1000000]
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	talib "github.com/markcheno/go-talib"

	"github.com/ktrdr/ktrdr/internal/indicators"
)

type pair struct {
	name       string
	ktrdr, ref func()
}

func main() {
	n := flag.Int("bars", 1_000_000, "bars per run")
	flag.Parse()
	h, l, c, v := synthetic(*n)
	var sink []float64
	keep := func(x []float64) { sink = x }
	pairs := []pair{
		{"sma(20)", func() { keep(indicators.SMA(c, 20)) }, func() { keep(talib.Sma(c, 20)) }},
		{"ema(20)", func() { keep(indicators.EMA(c, 20)) }, func() { keep(talib.Ema(c, 20)) }},
		{"rsi(14)", func() { keep(indicators.RSI(c, 14)) }, func() { keep(talib.Rsi(c, 14)) }},
		{"macd(12,26,9)", func() { _, _, x := indicators.MACD(c, 12, 26, 9); keep(x) }, func() { _, _, x := talib.Macd(c, 12, 26, 9); keep(x) }},
		{"bbands(20,2)", func() { x, _, _ := indicators.Bollinger(c, 20, 2); keep(x) }, func() { x, _, _ := talib.BBands(c, 20, 2, 2, talib.SMA); keep(x) }},
		{"atr(14)", func() { keep(indicators.ATR(h, l, c, 14)) }, func() { keep(talib.Atr(h, l, c, 14)) }},
		{"stoch(14,3,3)", func() { x, _ := indicators.Stochastic(h, l, c, 14, 3, 3); keep(x) }, func() { x, _ := talib.Stoch(h, l, c, 14, 3, talib.SMA, 3, talib.SMA); keep(x) }},
		{"willr(14)", func() { keep(indicators.WilliamsR(h, l, c, 14)) }, func() { keep(talib.WillR(h, l, c, 14)) }},
		{"roc(10)", func() { keep(indicators.ROC(c, 10)) }, func() { keep(talib.Roc(c, 10)) }},
		{"mom(10)", func() { keep(indicators.Momentum(c, 10)) }, func() { keep(talib.Mom(c, 10)) }},
		{"cci(20)", func() { keep(indicators.CCI(h, l, c, 20)) }, func() { keep(talib.Cci(h, l, c, 20)) }},
		{"obv", func() { keep(indicators.OBV(c, v)) }, func() { keep(talib.Obv(c, v)) }},
		{"adx(14)", func() { keep(indicators.ADX(h, l, c, 14)) }, func() { keep(talib.Adx(h, l, c, 14)) }},
		{"mfi(14)", func() { keep(indicators.MFI(h, l, c, v, 14)) }, func() { keep(talib.Mfi(h, l, c, v, 14)) }},
	}
	fmt.Printf("indicator throughput on %d synthetic bars (Mbars/s; ratio = ktrdr/talib, >1 is faster)\n\n", *n)
	fmt.Printf("%-16s %10s %10s %8s\n", "indicator", "ktrdr", "talib", "ratio")
	var sumLog float64
	for _, p := range pairs {
		k, r := rate(p.ktrdr, *n), rate(p.ref, *n)
		sumLog += math.Log(k / r)
		fmt.Printf("%-16s %10.1f %10.1f %8.2f\n", p.name, k/1e6, r/1e6, k/r)
	}
	fmt.Printf("\ngeometric mean ratio: %.2f\n", math.Exp(sumLog/float64(len(pairs))))
	if len(sink) != *n {
		fmt.Fprintln(os.Stderr, "unexpected output length", len(sink))
		os.Exit(1)
	}
}

// rate is bars per second of f, from testing.Benchmark (at least 1 s of runs).
func rate(f func(), n int) float64 {
	res := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			f()
		}
	})
	return float64(n) * float64(res.N) / res.T.Seconds()
}

// synthetic is a seeded random walk with valid OHLCV bars.
func synthetic(n int) (h, l, c, v []float64) {
	r := rand.New(rand.NewPCG(1, 2))
	h, l, c, v = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	p := 100.0
	for i := range n {
		open := p
		p *= math.Exp(r.NormFloat64() * 0.01)
		c[i] = p
		h[i] = max(open, c[i]) * (1 + r.Float64()*0.005)
		l[i] = min(open, c[i]) * (1 - r.Float64()*0.005)
		v[i] = 1000 + r.Float64()*1000
	}
	return
}
