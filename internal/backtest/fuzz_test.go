package backtest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// unit maps any float to [0,1).
func unit(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	x = math.Abs(x)
	return x - math.Floor(x)
}

func timeStep(i int) time.Duration { return time.Duration(i) * time.Minute }

// fuzzBars is a random walk of valid OHLC bars; vol is the per-step log
// volatility, prices are kept within [0.5, 2000].
func fuzzBars(rng *rand.Rand, n int, vol float64) []marketdata.Bar {
	bars := make([]marketdata.Bar, n)
	p := 100.0
	step := func() float64 {
		p = math.Min(math.Max(p*math.Exp(vol*rng.NormFloat64()), 0.5), 2000)
		return p
	}
	for i := range bars {
		o := step()
		c := step()
		if rng.IntN(20) == 0 {
			c = o // flat bars happen
		}
		bars[i] = marketdata.Bar{
			Time:   t0.Add(timeStep(i)),
			Open:   o,
			Close:  c,
			High:   math.Max(o, c) * math.Exp(vol*math.Abs(rng.NormFloat64())/2),
			Low:    math.Min(o, c) * math.Exp(-vol*math.Abs(rng.NormFloat64())/2),
			Volume: float64(rng.IntN(1000)),
		}
	}
	return bars
}

func FuzzEngine(f *testing.F) {
	f.Add(int64(1), uint16(50), 0.001, 0.0, 0.0005, 1.0, 0.0, uint8(0), 0.02, 0.2)
	f.Add(int64(2), uint16(300), 0.01, 0.3, 0.01, 0.5, 3.0, uint8(3), 0.1, 0.5)
	f.Add(int64(3), uint16(1), 0.0, 0.0, 0.0, 0.0, 0.0, uint8(1), 0.0, 0.9)
	f.Add(int64(4), uint16(200), 0.2, 0.9, 0.3, 0.99, 7.5, uint8(7), 0.29, 0.4)
	f.Add(int64(5), uint16(120), 0.0, 0.0, 0.0, 0.0, 50.0, uint8(6), 0.25, 0.45)
	f.Fuzz(func(t *testing.T, seed int64, nBars uint16, comm, cpt, slip, frac, qty float64, flags uint8, vol, activity float64) {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x6b74726472))
		n := 1 + int(nBars%500)
		bars := fuzzBars(rng, n, 0.3*unit(vol))
		capital := math.Pow(10, 1+5*rng.Float64()) // 10 .. 1e6
		cfg := Config{
			InitialCapital: capital,
			Costs: Costs{
				Commission:         0.05 * unit(comm),
				CommissionPerTrade: 0.01 * capital * unit(cpt),
				Slippage:           0.05 * unit(slip),
			},
			Sizing:      Sizing{Fraction: unit(frac)}, // 0 = default 1
			AllowShort:  flags&2 != 0,
			BarsPerYear: 1 + 1e5*rng.Float64(),
		}
		if flags&1 != 0 {
			cfg.Fill = FillClose
		}
		if flags&4 != 0 {
			// a quantity worth up to about 2x the capital at the start price of 100
			cfg.Sizing = Sizing{Mode: "fixed", Quantity: 0.02 * capital * (unit(qty) + 1e-3)}
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("fuzz config invalid: %v", err)
		}
		p := 0.5 * unit(activity) // probability of Buy, and of Sell
		signals := make([]Signal, n)
		for i := range signals {
			switch u := rng.Float64(); {
			case u < p:
				signals[i] = Signal{Action: Buy, Confidence: rng.Float64()}
			case u < 2*p:
				signals[i] = Signal{Action: Sell, Confidence: rng.Float64()}
			case u > 0.995:
				signals[i] = Signal{Action: Action(rng.IntN(256) - 128)} // unknown: Hold
			}
		}

		res, err := Run(cfg, bars, signals)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if len(res.Equity) != n {
			t.Fatalf("%d equity points for %d bars", len(res.Equity), n)
		}
		for i, pt := range res.Equity {
			if !finite(pt.Equity) || !finite(pt.Cash) || !finite(pt.Position) {
				t.Fatalf("point %d not finite: %+v", i, pt)
			}
			mark := pt.Cash + pt.Position*bars[i].Close
			scale := math.Max(capital, math.Abs(pt.Cash)+math.Abs(pt.Position*bars[i].Close))
			if math.Abs(pt.Equity-mark) > 1e-9*scale {
				t.Fatalf("point %d: equity %v != cash + position*close %v", i, pt.Equity, mark)
			}
			if !cfg.AllowShort && pt.Position < 0 {
				t.Fatalf("point %d: short position %v without AllowShort", i, pt.Position)
			}
			if !cfg.AllowShort && cfg.CommissionPerTrade == 0 && pt.Cash < 0 {
				t.Fatalf("point %d: negative cash %v long-only", i, pt.Cash)
			}
		}
		last := res.Equity[n-1]
		if last.Position != 0 || last.Equity != last.Cash {
			t.Fatalf("not flat at the end: %+v", last)
		}
		// Cash accounting identity.
		sum, fees := 0.0, 0.0
		prevExit := -1
		for k, tr := range res.Trades {
			sum += tr.PnL
			fees += tr.Fees
			if tr.EntryBar < prevExit || tr.ExitBar < tr.EntryBar || tr.HoldingBars != tr.ExitBar-tr.EntryBar ||
				!(tr.Quantity > 0) || tr.Fees < 0 || !finite(tr.PnL) || !finite(tr.ReturnPct) ||
				(tr.Side != "long" && tr.Side != "short") || (tr.Side == "short" && !cfg.AllowShort) {
				t.Fatalf("trade %d invalid: %+v", k, tr)
			}
			if tr.ExitReason != "signal" && (tr.ExitReason != "end_of_data" || k != len(res.Trades)-1 || tr.ExitBar != n-1) {
				t.Fatalf("trade %d exit reason: %+v", k, tr)
			}
			prevExit = tr.ExitBar
		}
		if d := last.Equity - (capital + sum); math.Abs(d) > 1e-6*capital {
			t.Fatalf("final equity %v != initial %v + sum(PnL) %v (diff %g)", last.Equity, capital, sum, d)
		}
		m := res.Metrics
		if math.Abs(m.TotalFees-fees) > 1e-9*math.Max(1, fees) || m.NumTrades != len(res.Trades) ||
			m.Wins+m.Losses > m.NumTrades || m.Exposure < 0 || m.Exposure > 1 || m.MaxDrawdown < 0 || m.Bars != n {
			t.Fatalf("metrics inconsistent: %+v", m)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	})
}
