package backtest

import "math"

// Metrics summarises a run; the formulas are in the package doc. Ratios that
// are undefined (zero volatility, no downside, no drawdown) are 0.
type Metrics struct {
	InitialCapital       float64 `json:"initial_capital"`
	FinalEquity          float64 `json:"final_equity"`
	TotalReturn          float64 `json:"total_return"` // fraction
	AnnualizedReturn     float64 `json:"annualized_return"`
	AnnualizedVolatility float64 `json:"annualized_volatility"`

	Sharpe  float64 `json:"sharpe"`  // 0 when the volatility is 0
	Sortino float64 `json:"sortino"` // 0 when no per-bar return is negative
	Calmar  float64 `json:"calmar"`  // 0 when there is no drawdown

	MaxDrawdown         float64 `json:"max_drawdown"`          // fraction, positive
	MaxDrawdownDuration int     `json:"max_drawdown_duration"` // bars from a peak until equity regains it (or the end)

	NumTrades    int      `json:"num_trades"`
	Wins         int      `json:"wins"`
	Losses       int      `json:"losses"`
	WinRate      float64  `json:"win_rate"`
	ProfitFactor *float64 `json:"profit_factor"` // nil (null) when there is no losing trade
	AvgWin       float64  `json:"avg_win"`
	AvgLoss      float64  `json:"avg_loss"` // negative
	LargestWin   float64  `json:"largest_win"`
	LargestLoss  float64  `json:"largest_loss"` // negative

	AvgHoldingBars float64 `json:"avg_holding_bars"`
	Exposure       float64 `json:"exposure"` // fraction of bars with an open position at the close
	TotalFees      float64 `json:"total_fees"`
	Bars           int     `json:"bars"`
}

// barReturn is r_t = E_t/E_{t-1}-1, or 0 when E_{t-1} <= 0.
func barReturn(equity []EquityPoint, t int) float64 {
	prev := equity[t-1].Equity
	if !(prev > 0) {
		return 0
	}
	return equity[t].Equity/prev - 1
}

// ComputeMetrics computes the metrics of an equity curve (one point per bar)
// and its trades. It uses cfg.InitialCapital and cfg.BarsPerYear only, and
// does not allocate (except ProfitFactor).
func ComputeMetrics(cfg Config, equity []EquityPoint, trades []Trade) Metrics {
	n := len(equity)
	capital, bpy := cfg.InitialCapital, cfg.BarsPerYear
	m := Metrics{InitialCapital: capital, FinalEquity: capital, Bars: n, NumTrades: len(trades)}
	if n > 0 {
		m.FinalEquity = equity[n-1].Equity
	}
	if capital > 0 {
		m.TotalReturn = m.FinalEquity/capital - 1
		if n >= 2 && bpy > 0 {
			if g := m.FinalEquity / capital; g > 0 {
				m.AnnualizedReturn = math.Pow(g, bpy/float64(n-1)) - 1
			} else {
				m.AnnualizedReturn = -1
			}
		}
	}

	// Per-bar returns: mean, then sample and downside deviations.
	if k := n - 1; k >= 1 && bpy > 0 {
		var sum float64
		for t := 1; t < n; t++ {
			sum += barReturn(equity, t)
		}
		mean := sum / float64(k)
		var ss, down float64
		for t := 1; t < n; t++ {
			r := barReturn(equity, t)
			ss += (r - mean) * (r - mean)
			if r < 0 {
				down += r * r
			}
		}
		ann := math.Sqrt(bpy)
		if k >= 2 {
			if sd := math.Sqrt(ss / float64(k-1)); sd > 0 {
				m.AnnualizedVolatility = sd * ann
				m.Sharpe = mean / sd * ann
			}
		}
		if dd := math.Sqrt(down / float64(k)); dd > 0 {
			m.Sortino = mean / dd * ann
		}
	}

	// Drawdown over C, E_0..E_{n-1}; C sits at index -1.
	if capital > 0 {
		peak, peakIdx, under := capital, -1, false
		for t := range equity {
			v := equity[t].Equity
			if v >= peak {
				if under && t-peakIdx > m.MaxDrawdownDuration {
					m.MaxDrawdownDuration = t - peakIdx
				}
				peak, peakIdx, under = v, t, false
				continue
			}
			under = true
			if dd := (peak - v) / peak; dd > m.MaxDrawdown {
				m.MaxDrawdown = dd
			}
		}
		if under && n-1-peakIdx > m.MaxDrawdownDuration {
			m.MaxDrawdownDuration = n - 1 - peakIdx
		}
	}
	if m.MaxDrawdown > 0 {
		m.Calmar = m.AnnualizedReturn / m.MaxDrawdown
	}

	// Trades.
	var grossWin, grossLoss, holding float64
	for i := range trades {
		tr := &trades[i]
		m.TotalFees += tr.Fees
		holding += float64(tr.HoldingBars)
		switch {
		case tr.PnL > 0:
			if m.Wins == 0 || tr.PnL > m.LargestWin {
				m.LargestWin = tr.PnL
			}
			m.Wins++
			grossWin += tr.PnL
		case tr.PnL < 0:
			if m.Losses == 0 || tr.PnL < m.LargestLoss {
				m.LargestLoss = tr.PnL
			}
			m.Losses++
			grossLoss += tr.PnL
		}
	}
	if m.NumTrades > 0 {
		m.WinRate = float64(m.Wins) / float64(m.NumTrades)
		m.AvgHoldingBars = holding / float64(m.NumTrades)
	}
	if m.Wins > 0 {
		m.AvgWin = grossWin / float64(m.Wins)
	}
	if m.Losses > 0 {
		m.AvgLoss = grossLoss / float64(m.Losses)
		pf := clamp(grossWin / -grossLoss)
		m.ProfitFactor = &pf
	}

	// Exposure.
	if n > 0 {
		held := 0
		for t := range equity {
			if equity[t].Position != 0 {
				held++
			}
		}
		m.Exposure = float64(held) / float64(n)
	}

	for _, p := range [...]*float64{
		&m.InitialCapital, &m.FinalEquity, &m.TotalReturn, &m.AnnualizedReturn, &m.AnnualizedVolatility,
		&m.Sharpe, &m.Sortino, &m.Calmar, &m.MaxDrawdown, &m.WinRate, &m.AvgWin, &m.AvgLoss,
		&m.LargestWin, &m.LargestLoss, &m.AvgHoldingBars, &m.Exposure, &m.TotalFees,
	} {
		*p = clamp(*p)
	}
	return m
}

// clamp makes x JSON-encodable: NaN becomes 0 and ±Inf ±math.MaxFloat64.
func clamp(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0
	case math.IsInf(x, 1):
		return math.MaxFloat64
	case math.IsInf(x, -1):
		return -math.MaxFloat64
	}
	return x
}
