package backtest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A winning long with close fills and no costs.
func TestWinningLongAtClose(t *testing.T) {
	bars := barsC(10, 10, 12, 12, 15)
	res := mustRun(t, baseCfg(1000, FillClose), bars, sigs("-B-S-"))
	// bar 1: buy at 10, qty = 1000/10 = 100, cash 0, equity 100*10 = 1000
	// bar 2: equity 100*12 = 1200
	// bar 3: sell at 12: cash 1200; bar 4 flat: 1200 (the 15 does not count)
	checkCurve(t, res, bars,
		[]float64{1000, 1000, 1200, 1200, 1200},
		[]float64{1000, 0, 0, 1200, 1200},
		[]float64{0, 100, 100, 0, 0})
	// PnL = 100*(12-10) = 200; return = 200/1000 = 20%; held 3-1 = 2 bars.
	checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 3, EntryPrice: 10, ExitPrice: 12,
		Quantity: 100, Fees: 0, PnL: 200, ReturnPct: 20, HoldingBars: 2, ExitReason: "signal"})
	m := res.Metrics
	near(t, "total_return", m.TotalReturn, 0.2)      // 1200/1000-1
	near(t, "final_equity", m.FinalEquity, 1200)     //
	near(t, "exposure", m.Exposure, 0.4)             // bars 1, 2 of 5
	near(t, "win_rate", m.WinRate, 1)                // 1 of 1
	near(t, "avg_holding_bars", m.AvgHoldingBars, 2) //
	if m.NumTrades != 1 || m.Wins != 1 || m.Losses != 0 || m.ProfitFactor != nil || m.Bars != 5 {
		t.Errorf("metrics %+v", m)
	}
}

// A losing long, closed by the end of data, with a per-trade commission.
func TestLosingLongForcedCloseAtEnd(t *testing.T) {
	bars := barsC(50, 50, 40, 45, 30)
	cfg := baseCfg(1000, FillClose)
	cfg.CommissionPerTrade = 10
	res := mustRun(t, cfg, bars, sigs("-B---"))
	// bar 1: budget = 1000 - 10 = 990, qty = 990/50 = 19.8, cash = 1000-990-10 = 0,
	//        equity 19.8*50 = 990
	// bar 2: 19.8*40 = 792; bar 3: 19.8*45 = 891
	// bar 4: forced close at 30: value 594, fee 10, cash 584 (position 0 in the last point)
	checkCurve(t, res, bars,
		[]float64{1000, 990, 792, 891, 584},
		[]float64{1000, 0, 0, 0, 584},
		[]float64{0, 19.8, 19.8, 19.8, 0})
	// PnL = (594-10) - (990+10) = -416; return = -416/1000 = -41.6%; fees 20.
	checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 4, EntryPrice: 50, ExitPrice: 30,
		Quantity: 19.8, Fees: 20, PnL: -416, ReturnPct: -41.6, HoldingBars: 3, ExitReason: "end_of_data"})
	m := res.Metrics
	near(t, "total_return", m.TotalReturn, -0.416)
	near(t, "max_drawdown", m.MaxDrawdown, 0.416) // (1000-584)/1000
	if m.MaxDrawdownDuration != 4 {               // peak at bar 0 (1000), never regained: 4-0
		t.Errorf("max_drawdown_duration = %d, want 4", m.MaxDrawdownDuration)
	}
	near(t, "exposure", m.Exposure, 0.6) // bars 1..3 of 5; the forced close flattens bar 4
	near(t, "total_fees", m.TotalFees, 20)
	near(t, "avg_loss", m.AvgLoss, -416)
	near(t, "largest_loss", m.LargestLoss, -416)
	if m.Wins != 0 || m.Losses != 1 || m.WinRate != 0 || m.ProfitFactor == nil || *m.ProfitFactor != 0 {
		t.Errorf("metrics %+v", m) // profit factor 0/416 = 0
	}
}

// The forced close at the end pays slippage on either side.
func TestForcedCloseSlippage(t *testing.T) {
	t.Run("long", func(t *testing.T) {
		bars := barsC(8, 8, 8, 16)
		cfg := baseCfg(100, FillClose)
		cfg.Slippage = 0.25
		res := mustRun(t, cfg, bars, sigs("-B--"))
		// bar 1: buy at 8*1.25 = 10: qty 10, cash 0, equity 10*8 = 80; bar 2: 80
		// bar 3: equity 160 at the close, then the forced sell at 16*0.75 = 12: cash 120
		// PnL 10*(12-10) = 20, 20/100 = 20%
		checkCurve(t, res, bars,
			[]float64{100, 80, 80, 120},
			[]float64{100, 0, 0, 120},
			[]float64{0, 10, 10, 0})
		checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 3, EntryPrice: 10, ExitPrice: 12,
			Quantity: 10, PnL: 20, ReturnPct: 20, HoldingBars: 2, ExitReason: "end_of_data"})
	})
	t.Run("short", func(t *testing.T) {
		bars := barsC(16, 16, 16, 8)
		cfg := baseCfg(120, FillClose)
		cfg.Slippage = 0.25
		cfg.AllowShort = true
		res := mustRun(t, cfg, bars, sigs("-S--"))
		// bar 1: sell at 16*0.75 = 12: qty 120/12 = 10, cash 240, equity 240-160 = 80; bar 2: 80
		// bar 3: equity 240-80 = 160 at the close, then the forced buy at 8*1.25 = 10: cash 140
		// PnL 10*(12-10) = 20, 20/120 = 16.666...%
		checkCurve(t, res, bars,
			[]float64{120, 80, 80, 140},
			[]float64{120, 240, 240, 140},
			[]float64{0, -10, -10, 0})
		checkTrades(t, res, bars, Trade{Side: "short", EntryBar: 1, ExitBar: 3, EntryPrice: 12, ExitPrice: 10,
			Quantity: 10, PnL: 20, ReturnPct: 16.666666666666668, HoldingBars: 2, ExitReason: "end_of_data"})
	})
}

// Commission (fraction and per trade) and slippage together, with both fill modes.
func TestCostsBothFills(t *testing.T) {
	// Opens equal closes on bars 1 and 3, so a next-open order decided one bar
	// earlier fills at the same base prices as the close-fill run.
	bars := barsOC([]float64{100, 100, 105, 120, 120}, []float64{100, 100, 110, 120, 120})
	// buy fill 100*1.01 = 101; budget = 10202-1 = 10201; qty = 10201/(101*1.01) = 10201/102.01 = 100
	// entry value 100*101 = 10100, fee 0.01*10100 + 1 = 102, cash 10202-10100-102 = 0
	// bar 1 equity 100*100 = 10000; bar 2: 100*110 = 11000
	// sell fill 120*0.99 = 118.8; value 11880, fee 118.8+1 = 119.8, cash 11760.2
	// PnL = 11760.2 - 10202 = 1558.2; return = 1558.2/10202*100 = 15.273475789060969%
	// fees 102 + 119.8 = 221.8
	for _, tc := range []struct {
		fill Fill
		sig  string
	}{{FillClose, "-B-S-"}, {FillNextOpen, "B-S--"}} {
		t.Run(string(tc.fill), func(t *testing.T) {
			cfg := baseCfg(10202, tc.fill)
			cfg.Costs = Costs{Commission: 0.01, CommissionPerTrade: 1, Slippage: 0.01}
			res := mustRun(t, cfg, bars, sigs(tc.sig))
			checkCurve(t, res, bars,
				[]float64{10202, 10000, 11000, 11760.2, 11760.2},
				[]float64{10202, 0, 0, 11760.2, 11760.2},
				[]float64{0, 100, 100, 0, 0})
			checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 3, EntryPrice: 101, ExitPrice: 118.8,
				Quantity: 100, Fees: 221.8, PnL: 1558.2, ReturnPct: 15.273475789060969, HoldingBars: 2, ExitReason: "signal"})
			near(t, "total_fees", res.Metrics.TotalFees, 221.8)
			near(t, "total_return", res.Metrics.TotalReturn, 1558.2/10202)
			for i, p := range res.Equity {
				if p.Cash < 0 {
					t.Errorf("cash[%d] = %g < 0", i, p.Cash)
				}
			}
		})
	}
}

// The same decisions fill at different prices and bars with next_open.
func TestNextOpenVersusClose(t *testing.T) {
	bars := barsOC([]float64{10, 10, 8, 12, 20}, []float64{10, 10, 12, 16, 18})
	t.Run("close", func(t *testing.T) {
		res := mustRun(t, baseCfg(400, FillClose), bars, sigs("-B-S-"))
		// buy bar 1 at 10: qty 40, cash 0; equity 400, 40*12 = 480; sell bar 3 at 16: 640
		checkCurve(t, res, bars,
			[]float64{400, 400, 480, 640, 640},
			[]float64{400, 0, 0, 640, 640},
			[]float64{0, 40, 40, 0, 0})
		// PnL 40*(16-10) = 240, 240/400 = 60%
		checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 3, EntryPrice: 10, ExitPrice: 16,
			Quantity: 40, PnL: 240, ReturnPct: 60, HoldingBars: 2, ExitReason: "signal"})
	})
	t.Run("next_open", func(t *testing.T) {
		// The Buy on the last bar has no next bar and is ignored.
		res := mustRun(t, baseCfg(400, FillNextOpen), bars, sigs("-B-SB"))
		// bar 1: order queued, still flat (equity 400)
		// bar 2: buy at open 8: qty 50, cash 0; equity 50*12 = 600
		// bar 3: 50*16 = 800, sell queued
		// bar 4: sell at open 20: cash 1000; equity 1000
		checkCurve(t, res, bars,
			[]float64{400, 400, 600, 800, 1000},
			[]float64{400, 400, 0, 0, 1000},
			[]float64{0, 0, 50, 50, 0})
		// PnL 50*(20-8) = 600, 600/400 = 150%
		checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 2, ExitBar: 4, EntryPrice: 8, ExitPrice: 20,
			Quantity: 50, PnL: 600, ReturnPct: 150, HoldingBars: 2, ExitReason: "signal"})
	})
}

// A short with AllowShort; without it every Sell from flat is ignored.
func TestShort(t *testing.T) {
	bars := barsC(100, 100, 80, 90, 70)
	t.Run("allowed", func(t *testing.T) {
		cfg := baseCfg(1000, FillClose)
		cfg.AllowShort = true
		res := mustRun(t, cfg, bars, sigs("-SS--")) // the second Sell (already short) is ignored
		// bar 1: sell 10 at 100: cash 2000, position -10, equity 2000-1000 = 1000
		// bar 2: 2000-800 = 1200; bar 3: 2000-900 = 1100; bar 4: 2000-700 = 1300
		// forced close at 70: cash 2000-700 = 1300
		checkCurve(t, res, bars,
			[]float64{1000, 1000, 1200, 1100, 1300},
			[]float64{1000, 2000, 2000, 2000, 1300},
			[]float64{0, -10, -10, -10, 0})
		// PnL 10*(100-70) = 300, 300/1000 = 30%
		checkTrades(t, res, bars, Trade{Side: "short", EntryBar: 1, ExitBar: 4, EntryPrice: 100, ExitPrice: 70,
			Quantity: 10, PnL: 300, ReturnPct: 30, HoldingBars: 3, ExitReason: "end_of_data"})
		near(t, "exposure", res.Metrics.Exposure, 0.6) // short at bars 1..3 of 5
	})
	t.Run("long_only", func(t *testing.T) {
		res := mustRun(t, baseCfg(1000, FillClose), bars, sigs("-SS--"))
		checkCurve(t, res, bars,
			[]float64{1000, 1000, 1000, 1000, 1000},
			[]float64{1000, 1000, 1000, 1000, 1000},
			[]float64{0, 0, 0, 0, 0})
		checkTrades(t, res, bars)
	})
}

// Buy while short closes the short, then opens a long at the same price.
func TestBuyWhileShortReverses(t *testing.T) {
	bars := barsC(100, 100, 80, 80, 96)
	cfg := baseCfg(1000, FillClose)
	cfg.AllowShort = true
	res := mustRun(t, cfg, bars, sigs("-SB--"))
	// bar 1: short 10 at 100, cash 2000
	// bar 2: buy back 10 at 80: cash 1200 (PnL 200, 20%); long 1200/80 = 15, cash 0; equity 1200
	// bar 3: 15*80 = 1200; bar 4: 15*96 = 1440, forced close: cash 1440 (PnL 240, 240/1200 = 20%)
	checkCurve(t, res, bars,
		[]float64{1000, 1000, 1200, 1200, 1440},
		[]float64{1000, 2000, 0, 0, 1440},
		[]float64{0, -10, 15, 15, 0})
	checkTrades(t, res, bars,
		Trade{Side: "short", EntryBar: 1, ExitBar: 2, EntryPrice: 100, ExitPrice: 80,
			Quantity: 10, PnL: 200, ReturnPct: 20, HoldingBars: 1, ExitReason: "signal"},
		Trade{Side: "long", EntryBar: 2, ExitBar: 4, EntryPrice: 80, ExitPrice: 96,
			Quantity: 15, PnL: 240, ReturnPct: 20, HoldingBars: 2, ExitReason: "end_of_data"})
}

// Sell while long closes the long, then opens a short only with AllowShort.
func TestSellWhileLongReverses(t *testing.T) {
	bars := barsC(10, 10, 20, 16, 12)
	long := Trade{Side: "long", EntryBar: 1, ExitBar: 2, EntryPrice: 10, ExitPrice: 20,
		Quantity: 10, PnL: 100, ReturnPct: 100, HoldingBars: 1, ExitReason: "signal"}
	t.Run("allow_short", func(t *testing.T) {
		cfg := baseCfg(100, FillClose)
		cfg.AllowShort = true
		res := mustRun(t, cfg, bars, sigs("-BS--"))
		// bar 1: long 10 at 10, cash 0
		// bar 2: sell 10 at 20: cash 200 (PnL 100, 100%); short 200/20 = 10: cash 400, equity 400-200 = 200
		// bar 3: 400-160 = 240; bar 4: 400-120 = 280, forced close: cash 280 (PnL 80, 80/200 = 40%)
		checkCurve(t, res, bars,
			[]float64{100, 100, 200, 240, 280},
			[]float64{100, 0, 400, 400, 280},
			[]float64{0, 10, -10, -10, 0})
		checkTrades(t, res, bars, long,
			Trade{Side: "short", EntryBar: 2, ExitBar: 4, EntryPrice: 20, ExitPrice: 12,
				Quantity: 10, PnL: 80, ReturnPct: 40, HoldingBars: 2, ExitReason: "end_of_data"})
	})
	t.Run("long_only", func(t *testing.T) {
		res := mustRun(t, baseCfg(100, FillClose), bars, sigs("-BS--"))
		checkCurve(t, res, bars,
			[]float64{100, 100, 200, 200, 200},
			[]float64{100, 0, 200, 200, 200},
			[]float64{0, 10, 0, 0, 0})
		checkTrades(t, res, bars, long)
	})
}

// Buy while long does nothing (no pyramiding), visible with Fraction 0.5.
func TestBuyWhileLongIgnored(t *testing.T) {
	bars := barsC(10, 10, 20, 20, 20)
	cfg := baseCfg(100, FillClose)
	cfg.Sizing = Sizing{Fraction: 0.5}
	res := mustRun(t, cfg, bars, sigs("-BBS-"))
	// bar 1: budget 0.5*100 = 50, qty 5, cash 50
	// bar 2: Buy ignored; equity 50 + 5*20 = 150
	// bar 3: sell 5 at 20: cash 150 (PnL 50, 50/50 = 100%)
	checkCurve(t, res, bars,
		[]float64{100, 100, 150, 150, 150},
		[]float64{100, 50, 50, 150, 150},
		[]float64{0, 5, 5, 0, 0})
	checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 3, EntryPrice: 10, ExitPrice: 20,
		Quantity: 5, PnL: 50, ReturnPct: 100, HoldingBars: 2, ExitReason: "signal"})
}

// Fixed sizing refuses an entry the cash cannot pay for.
func TestFixedSizingInsufficientCash(t *testing.T) {
	bars := barsC(11, 10, 9, 12, 12)
	t.Run("per_trade_commission", func(t *testing.T) {
		cfg := baseCfg(100, FillClose)
		cfg.Sizing = Sizing{Mode: "fixed", Quantity: 10}
		cfg.CommissionPerTrade = 1
		res := mustRun(t, cfg, bars, sigs("BBBS-"))
		// bar 0: 10*11 + 1 = 111 > 100 refused; bar 1: 10*10 + 1 = 101 > 100 refused
		// bar 2: 10*9 + 1 = 91: cash 9, equity 9 + 90 = 99
		// bar 3: sell at 12: cash 9 + 120 - 1 = 128; PnL 119 - 91 = 28, 28/91 = 30.76923076923077%
		checkCurve(t, res, bars,
			[]float64{100, 100, 99, 128, 128},
			[]float64{100, 100, 9, 128, 128},
			[]float64{0, 0, 10, 0, 0})
		checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 2, ExitBar: 3, EntryPrice: 9, ExitPrice: 12,
			Quantity: 10, Fees: 2, PnL: 28, ReturnPct: 30.76923076923077, HoldingBars: 1, ExitReason: "signal"})
	})
	t.Run("exact_cash", func(t *testing.T) {
		cfg := baseCfg(100, FillClose)
		cfg.Sizing = Sizing{Mode: "fixed", Quantity: 10}
		res := mustRun(t, cfg, bars, sigs("BBBS-"))
		// bar 0: 110 > 100 refused; bar 1: 10*10 = 100 <= 100 bought, cash 0;
		// bar 2: Buy while long ignored, equity 90; bar 3: sell at 12: cash 120 (PnL 20, 20%)
		checkCurve(t, res, bars,
			[]float64{100, 100, 90, 120, 120},
			[]float64{100, 0, 0, 120, 120},
			[]float64{0, 10, 10, 0, 0})
		checkTrades(t, res, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 3, EntryPrice: 10, ExitPrice: 12,
			Quantity: 10, PnL: 20, ReturnPct: 20, HoldingBars: 2, ExitReason: "signal"})
	})
}

// The engine API: Position and Equity after each Step, Finish stepping the
// remaining bars (executing a pending order), idempotent Finish, misuse panics.
func TestEngineStepwise(t *testing.T) {
	bars := barsC(50, 50, 40, 45, 30)
	cfg := baseCfg(1000, FillClose)
	cfg.CommissionPerTrade = 10
	e, err := NewEngine(cfg, bars)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "equity before Step", e.Equity(), 1000)
	e.Step(0, Signal{})
	e.Step(1, Signal{Action: Buy, Confidence: 0.7})
	near(t, "position", e.Position(), 19.8) // (1000-10)/50
	near(t, "equity", e.Equity(), 990)      // 19.8*50
	e.Step(2, Signal{})
	near(t, "equity", e.Equity(), 792) // 19.8*40
	res := e.Finish()                  // steps 3 and 4 with Hold, then closes at 30
	near(t, "position after Finish", e.Position(), 0)
	near(t, "equity after Finish", e.Equity(), 584)
	want := mustRun(t, cfg, bars, sigs("-B---"))
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("stepwise result\n%s\nwant\n%s", a, b)
	}
	if again, _ := json.Marshal(e.Finish()); string(again) != string(a) {
		t.Error("second Finish differs")
	}
	mustPanic(t, "Step after Finish", func() { e.Step(4, Signal{}) })

	e2, _ := NewEngine(cfg, bars)
	mustPanic(t, "Step out of order", func() { e2.Step(1, Signal{}) })
	e2.Step(0, Signal{})
	mustPanic(t, "Step repeated", func() { e2.Step(0, Signal{}) })

	// A next-open order pending when Finish is called still executes.
	e3, _ := NewEngine(baseCfg(1000, FillNextOpen), bars)
	e3.Step(0, Signal{Action: Buy})
	near(t, "pending not yet filled", e3.Position(), 0)
	r3 := e3.Finish() // buy 20 at bar 1's open 50, forced close at 30: PnL -400
	checkTrades(t, r3, bars, Trade{Side: "long", EntryBar: 1, ExitBar: 4, EntryPrice: 50, ExitPrice: 30,
		Quantity: 20, PnL: -400, ReturnPct: -40, HoldingBars: 3, ExitReason: "end_of_data"})
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", name)
		}
	}()
	f()
}

// An unknown Action is Hold.
func TestUnknownActionIsHold(t *testing.T) {
	bars := barsC(10, 11, 12)
	res := mustRun(t, baseCfg(100, FillClose), bars, []Signal{{Action: 7}, {Action: -1}, {}})
	if len(res.Trades) != 0 || res.Metrics.FinalEquity != 100 {
		t.Errorf("result %+v", res)
	}
	if Buy.String() != "BUY" || Sell.String() != "SELL" || Hold.String() != "HOLD" || Action(7).String() != "Action(7)" {
		t.Error("Action.String")
	}
}

func TestRunErrors(t *testing.T) {
	cfg := baseCfg(100, FillClose)
	good := barsC(10, 11, 12)
	if _, err := Run(cfg, good, sigs("--")); err == nil || !strings.Contains(err.Error(), "2 signals for 3 bars") {
		t.Errorf("length mismatch: %v", err)
	}
	if _, err := Run(cfg, nil, nil); err == nil {
		t.Error("no bars: no error")
	}
	unsorted := barsC(10, 11, 12)
	unsorted[2].Time = unsorted[1].Time
	if _, err := Run(cfg, unsorted, sigs("---")); err == nil {
		t.Error("duplicate time: no error")
	}
	bad := barsC(10, 11, 12)
	bad[1].High = 5 // below the close
	if _, err := Run(cfg, bad, sigs("---")); err == nil {
		t.Error("invalid bar: no error")
	}
	var fe *FieldError
	if _, err := Run(Config{InitialCapital: 100}, good, sigs("---")); !errors.As(err, &fe) || fe.Field != "bars_per_year" {
		t.Errorf("invalid config: %v", err)
	}
}

// Results marshal to JSON with the documented names; no trades is [], not null.
func TestResultJSON(t *testing.T) {
	res := mustRun(t, baseCfg(100, FillClose), barsC(10, 11), sigs("--"))
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"trades":[]`, `"equity_curve":[{"time":"2024-01-01T00:00:00Z","equity":100,"cash":100,"position":0}`,
		`"metrics":{"initial_capital":100,`, `"profit_factor":null`, `"max_drawdown_duration":0`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON lacks %s:\n%s", s, b)
		}
	}
	res = mustRun(t, baseCfg(1000, FillClose), barsC(10, 10, 12, 12, 15), sigs("-B-S-"))
	b, _ = json.Marshal(res.Trades[0])
	want := `{"side":"long","entry_time":"2024-01-02T00:00:00Z","exit_time":"2024-01-04T00:00:00Z","entry_bar":1,"exit_bar":3,` +
		`"entry_price":10,"exit_price":12,"quantity":100,"fees":0,"pnl":200,"return_pct":20,"holding_bars":2,"exit_reason":"signal"}`
	if string(b) != want {
		t.Errorf("trade JSON\n%s\nwant\n%s", b, want)
	}
}

// Step does not allocate (the curve is preallocated; no trades here).
func TestStepDoesNotAllocate(t *testing.T) {
	closes := make([]float64, 20000)
	for i := range closes {
		closes[i] = 100 + float64(i%7)
	}
	bars := barsC(closes...)
	e, err := NewEngine(baseCfg(1000, FillNextOpen), bars)
	if err != nil {
		t.Fatal(err)
	}
	e.Step(0, Signal{Action: Buy})
	i := 1
	allocs := testing.AllocsPerRun(100, func() {
		for k := 0; k < 100; k++ {
			e.Step(i, Signal{Action: Buy}) // Buy while long: nothing
			i++
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per 100 steps", allocs)
	}
}
