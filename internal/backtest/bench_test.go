package backtest

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRun runs 1M one-minute bars with SMA(10)/SMA(50) crossover
// signals (computed once, outside the timing) and reports bars/s.
func BenchmarkRun(b *testing.B) {
	const n = 1_000_000
	bars := fuzzBars(rand.New(rand.NewPCG(42, 42)), n, 0.002)
	closes := make([]float64, n)
	for i := range bars {
		closes[i] = bars[i].Close
	}
	signals := MACrossover(closes, 10, 50, false)
	cfg := Config{
		InitialCapital: 100_000,
		Costs:          Costs{Commission: 0.001, Slippage: 0.0005},
		AllowShort:     true,
		BarsPerYear:    98_280,
	}
	b.ReportAllocs()
	var trades int
	for b.Loop() {
		res, err := Run(cfg, bars, signals)
		if err != nil {
			b.Fatal(err)
		}
		trades = len(res.Trades)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "bars/s")
	b.ReportMetric(float64(trades), "trades")
}
