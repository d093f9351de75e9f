package backtest

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

const tol = 1e-9

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// barsOC builds daily bars from opens and closes (high/low span both).
func barsOC(opens, closes []float64) []marketdata.Bar {
	bars := make([]marketdata.Bar, len(closes))
	for i, c := range closes {
		o := opens[i]
		bars[i] = marketdata.Bar{
			Time: t0.AddDate(0, 0, i), Open: o, Close: c,
			High: math.Max(o, c), Low: math.Min(o, c), Volume: 1000,
		}
	}
	return bars
}

// barsC builds daily bars with open == close.
func barsC(closes ...float64) []marketdata.Bar { return barsOC(closes, closes) }

// sigs turns "-B-S-" into Hold, Buy, Hold, Sell, Hold.
func sigs(s string) []Signal {
	out := make([]Signal, len(s))
	for i, c := range s {
		switch c {
		case 'B':
			out[i] = Signal{Action: Buy, Confidence: 1}
		case 'S':
			out[i] = Signal{Action: Sell, Confidence: 1}
		}
	}
	return out
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.15g, want %.15g", name, got, want)
	}
}

func mustRun(t *testing.T, cfg Config, bars []marketdata.Bar, signals []Signal) Result {
	t.Helper()
	res, err := Run(cfg, bars, signals)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// checkCurve compares the equity curve (one point per bar, bar times) with
// the hand-computed equity, cash and position columns.
func checkCurve(t *testing.T, res Result, bars []marketdata.Bar, equity, cash, pos []float64) {
	t.Helper()
	if len(res.Equity) != len(bars) {
		t.Fatalf("%d equity points for %d bars", len(res.Equity), len(bars))
	}
	for i, p := range res.Equity {
		if !p.Time.Equal(bars[i].Time) {
			t.Errorf("point %d time %v, want %v", i, p.Time, bars[i].Time)
		}
		near(t, "equity["+strconv.Itoa(i)+"]", p.Equity, equity[i])
		near(t, "cash["+strconv.Itoa(i)+"]", p.Cash, cash[i])
		near(t, "position["+strconv.Itoa(i)+"]", p.Position, pos[i])
	}
}

// checkTrades compares the trades field by field; times must be those of the
// entry and exit bars.
func checkTrades(t *testing.T, res Result, bars []marketdata.Bar, want ...Trade) {
	t.Helper()
	if len(res.Trades) != len(want) {
		t.Fatalf("%d trades, want %d: %+v", len(res.Trades), len(want), res.Trades)
	}
	for k, w := range want {
		g := res.Trades[k]
		if g.Side != w.Side || g.EntryBar != w.EntryBar || g.ExitBar != w.ExitBar ||
			g.HoldingBars != w.HoldingBars || g.ExitReason != w.ExitReason {
			t.Errorf("trade %d = %+v, want %+v", k, g, w)
		}
		if !g.EntryTime.Equal(bars[w.EntryBar].Time) || !g.ExitTime.Equal(bars[w.ExitBar].Time) {
			t.Errorf("trade %d times %v..%v, want bars %d..%d", k, g.EntryTime, g.ExitTime, w.EntryBar, w.ExitBar)
		}
		near(t, "entry_price", g.EntryPrice, w.EntryPrice)
		near(t, "exit_price", g.ExitPrice, w.ExitPrice)
		near(t, "quantity", g.Quantity, w.Quantity)
		near(t, "fees", g.Fees, w.Fees)
		near(t, "pnl", g.PnL, w.PnL)
		near(t, "return_pct", g.ReturnPct, w.ReturnPct)
	}
}

func baseCfg(capital float64, fill Fill) Config {
	return Config{InitialCapital: capital, Fill: fill, BarsPerYear: 252}
}
