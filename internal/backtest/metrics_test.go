package backtest

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func curve(equity, pos []float64) []EquityPoint {
	out := make([]EquityPoint, len(equity))
	for i, e := range equity {
		out[i] = EquityPoint{Time: t0.AddDate(0, 0, i), Equity: e, Cash: e}
		if pos != nil {
			out[i].Position = pos[i]
		}
	}
	return out
}

func TestMetricsHandComputed(t *testing.T) {
	cfg := Config{InitialCapital: 100, BarsPerYear: 16} // sqrt(16) = 4
	eq := curve([]float64{100, 110, 99, 108.9, 130.68}, []float64{0, 5, 5, 0, 0})
	trades := []Trade{
		{PnL: 50, HoldingBars: 2, Fees: 1},
		{PnL: -20, HoldingBars: 3, Fees: 2},
		{PnL: 30, HoldingBars: 1, Fees: 3},
		{PnL: -10, HoldingBars: 4, Fees: 4},
		{PnL: 0, HoldingBars: 5, Fees: 0.5}, // break-even: neither win nor loss
	}
	m := ComputeMetrics(cfg, eq, trades)

	// r = 110/100-1, 99/110-1, 108.9/99-1, 130.68/108.9-1 = 0.1, -0.1, 0.1, 0.2
	// mean = 0.3/4 = 0.075
	// deviations 0.025, -0.175, 0.025, 0.125; squares 0.000625 + 0.030625 + 0.000625 + 0.015625 = 0.0475
	// sample sd = sqrt(0.0475/3) = sqrt(0.0158333...) = 0.125830573921179
	// volatility = 0.125830573921179*4 = 0.503322295684717
	// Sharpe = 0.075/0.125830573921179*4 = 2.38415824271708
	// downside: mean(0, 0.01, 0, 0) = 0.0025, sqrt = 0.05; Sortino = 0.075/0.05*4 = 6
	// total = 130.68/100-1 = 0.3068; annualized = 1.3068^(16/4)-1:
	//   1.3068^2 = 1.70772624, 1.70772624^2 = 2.91632891078454, so 1.91632891078454
	// drawdown: peaks 100, 100, 110; 99 is 11/110 = 0.1 down, 108.9 is 0.01 down; 130.68 a new peak.
	//   duration: peak 110 at point 1, regained at point 4: 3 bars
	// Calmar = 1.91632891078454/0.1 = 19.1632891078454
	near(t, "initial_capital", m.InitialCapital, 100)
	near(t, "final_equity", m.FinalEquity, 130.68)
	near(t, "total_return", m.TotalReturn, 0.3068)
	near(t, "annualized_return", m.AnnualizedReturn, 1.91632891078454)
	near(t, "annualized_volatility", m.AnnualizedVolatility, 0.503322295684717)
	near(t, "sharpe", m.Sharpe, 2.38415824271708)
	near(t, "sortino", m.Sortino, 6)
	near(t, "max_drawdown", m.MaxDrawdown, 0.1)
	near(t, "calmar", m.Calmar, 19.1632891078454)
	if m.MaxDrawdownDuration != 3 {
		t.Errorf("max_drawdown_duration = %d, want 3", m.MaxDrawdownDuration)
	}

	// trades: wins 50, 30; losses -20, -10; one break-even
	// win rate 2/5 = 0.4; profit factor 80/30 = 2.666...; avg win 40, avg loss -15
	// largest win 50, largest loss -20; holding (2+3+1+4+5)/5 = 3; fees 1+2+3+4+0.5 = 10.5
	if m.NumTrades != 5 || m.Wins != 2 || m.Losses != 2 || m.Bars != 5 {
		t.Errorf("counts: %+v", m)
	}
	near(t, "win_rate", m.WinRate, 0.4)
	if m.ProfitFactor == nil {
		t.Fatal("profit_factor nil")
	}
	near(t, "profit_factor", *m.ProfitFactor, 2.6666666666666667)
	near(t, "avg_win", m.AvgWin, 40)
	near(t, "avg_loss", m.AvgLoss, -15)
	near(t, "largest_win", m.LargestWin, 50)
	near(t, "largest_loss", m.LargestLoss, -20)
	near(t, "avg_holding_bars", m.AvgHoldingBars, 3)
	near(t, "total_fees", m.TotalFees, 10.5)
	near(t, "exposure", m.Exposure, 0.4) // positions at points 1 and 2 of 5
}

// The drawdown starts from the initial capital, not from the first point.
func TestMetricsDrawdownFromInitialCapital(t *testing.T) {
	cfg := Config{InitialCapital: 100, BarsPerYear: 4}
	m := ComputeMetrics(cfg, curve([]float64{95, 97, 100, 90, 92}, nil), nil)
	// Series C, E_0.. = 100 | 95, 97, 100, 90, 92 (C at index -1):
	//   95 is 5% under 100, regained at point 2: 2-(-1) = 3 bars
	//   90 is 10% under 100 (point 2), not regained by point 4: 4-2 = 2 bars
	// max drawdown 0.1, duration 3; annualized = 0.92^(4/4)-1 = -0.08; Calmar = -0.08/0.1 = -0.8
	near(t, "max_drawdown", m.MaxDrawdown, 0.1)
	if m.MaxDrawdownDuration != 3 {
		t.Errorf("max_drawdown_duration = %d, want 3", m.MaxDrawdownDuration)
	}
	near(t, "annualized_return", m.AnnualizedReturn, -0.08)
	near(t, "calmar", m.Calmar, -0.8)
	near(t, "exposure", m.Exposure, 0)
}

// Undefined ratios are 0 and the profit factor is nil without losing trades.
func TestMetricsUndefined(t *testing.T) {
	t.Run("flat", func(t *testing.T) {
		m := ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 252}, curve([]float64{100, 100, 100}, nil), nil)
		if m.Sharpe != 0 || m.Sortino != 0 || m.Calmar != 0 || m.AnnualizedVolatility != 0 || m.AnnualizedReturn != 0 ||
			m.MaxDrawdown != 0 || m.MaxDrawdownDuration != 0 || m.ProfitFactor != nil || m.WinRate != 0 || m.NumTrades != 0 {
			t.Errorf("%+v", m)
		}
	})
	t.Run("constant_growth", func(t *testing.T) {
		// r = 1, 1: stddev 0 (Sharpe 0), no negative return (Sortino 0), no drawdown (Calmar 0)
		// annualized = 4^(4/2)-1 = 15
		m := ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 4}, curve([]float64{100, 200, 400}, nil),
			[]Trade{{PnL: 10}, {PnL: 5}})
		near(t, "annualized_return", m.AnnualizedReturn, 15)
		if m.Sharpe != 0 || m.Sortino != 0 || m.Calmar != 0 || m.AnnualizedVolatility != 0 || m.MaxDrawdown != 0 {
			t.Errorf("%+v", m)
		}
		if m.ProfitFactor != nil || m.Wins != 2 || m.AvgLoss != 0 || m.LargestLoss != 0 {
			t.Errorf("%+v", m)
		}
		near(t, "avg_win", m.AvgWin, 7.5)
		b, _ := json.Marshal(m)
		if !strings.Contains(string(b), `"profit_factor":null`) {
			t.Errorf("JSON %s", b)
		}
	})
	t.Run("profit_factor_json", func(t *testing.T) {
		m := ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 4}, curve([]float64{100}, nil),
			[]Trade{{PnL: 30}, {PnL: -20}})
		b, _ := json.Marshal(m)
		if !strings.Contains(string(b), `"profit_factor":1.5`) { // 30/20
			t.Errorf("JSON %s", b)
		}
	})
	t.Run("short_curves", func(t *testing.T) {
		for _, eq := range [][]float64{nil, {120}} {
			m := ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 4}, curve(eq, nil), nil)
			if m.Bars != len(eq) || m.AnnualizedReturn != 0 || m.Sharpe != 0 || m.AnnualizedVolatility != 0 {
				t.Errorf("%v: %+v", eq, m)
			}
		}
	})
	t.Run("single_return", func(t *testing.T) {
		// one return -0.5: no sample stddev (vol, Sharpe 0); downside sqrt(0.25) = 0.5,
		// Sortino = -0.5/0.5*2 = -2
		m := ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 4}, curve([]float64{100, 50}, nil), nil)
		near(t, "sortino", m.Sortino, -2)
		near(t, "volatility", m.AnnualizedVolatility, 0)
		near(t, "annualized_return", m.AnnualizedReturn, -0.9375) // 0.5^4-1
	})
}

// Non-finite results are clamped so that Metrics always marshals.
func TestMetricsFinite(t *testing.T) {
	// 10000^(98280/1) overflows; a negative final equity has no real root.
	for _, eq := range [][]float64{{100, 1e6}, {100, -50}, {100, 0, 10}} {
		m := ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 98280}, curve(eq, nil), nil)
		if _, err := json.Marshal(m); err != nil {
			t.Errorf("%v: %v", eq, err)
		}
	}
	m := ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 98280}, curve([]float64{100, 1e6}, nil), nil)
	if m.AnnualizedReturn != math.MaxFloat64 {
		t.Errorf("annualized_return = %g", m.AnnualizedReturn)
	}
	m = ComputeMetrics(Config{InitialCapital: 100, BarsPerYear: 4}, curve([]float64{100, -50}, nil), nil)
	near(t, "annualized_return", m.AnnualizedReturn, -1)
	near(t, "max_drawdown", m.MaxDrawdown, 1.5) // (100-(-50))/100
}
