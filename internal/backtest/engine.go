package backtest

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Trade sides and exit reasons.
const (
	SideLong  = "long"
	SideShort = "short"

	ExitSignal    = "signal"
	ExitEndOfData = "end_of_data"
)

// Trade is one round trip: an entry fill and the matching exit fill.
type Trade struct {
	Side        string    `json:"side"` // long | short
	EntryTime   time.Time `json:"entry_time"`
	ExitTime    time.Time `json:"exit_time"`
	EntryBar    int       `json:"entry_bar"`
	ExitBar     int       `json:"exit_bar"`
	EntryPrice  float64   `json:"entry_price"` // fill price after slippage
	ExitPrice   float64   `json:"exit_price"`
	Quantity    float64   `json:"quantity"`
	Fees        float64   `json:"fees"`         // entry + exit commissions
	PnL         float64   `json:"pnl"`          // net of fees
	ReturnPct   float64   `json:"return_pct"`   // PnL / (entry value incl. entry fees) * 100
	HoldingBars int       `json:"holding_bars"` // ExitBar - EntryBar
	ExitReason  string    `json:"exit_reason"`  // signal | end_of_data
}

// EquityPoint is the account marked at one bar's close, after that bar's fills.
type EquityPoint struct {
	Time     time.Time `json:"time"`
	Equity   float64   `json:"equity"`
	Cash     float64   `json:"cash"`
	Position float64   `json:"position"` // signed units
}

// Result is a finished simulation.
type Result struct {
	Trades  []Trade       `json:"trades"`
	Equity  []EquityPoint `json:"equity_curve"`
	Metrics Metrics       `json:"metrics"`
}

// Engine runs one simulation over bars. Decisions are fed bar by bar with
// Step; Finish closes out and computes the metrics. An Engine is not safe for
// concurrent use.
type Engine struct {
	cfg  Config // defaults applied
	bars []marketdata.Bar

	next    int    // the bar Step expects
	pending Action // next-open order decided at bar next-1
	opened  bool   // Open(next) has run: the pending order is filled
	done    bool
	result  Result

	cash   float64
	pos    float64 // signed units
	equity float64 // marked at the last stepped close

	// the open position's entry
	entryBar   int
	entryPrice float64
	entryValue float64 // qty*entryPrice
	entryFee   float64

	curve  []EquityPoint
	trades []Trade
}

// NewEngine validates cfg and the bars (non-empty, valid OHLC, strictly
// increasing times) and returns an engine ready for Step(0).
func NewEngine(cfg Config, bars []marketdata.Bar) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(bars) == 0 {
		return nil, errors.New("backtest: no bars")
	}
	for i := range bars {
		if !bars[i].Valid() {
			return nil, fmt.Errorf("backtest: bar %d (%s) is not a valid OHLCV bar", i, bars[i].Time.Format(time.RFC3339))
		}
		if i > 0 && !bars[i-1].Time.Before(bars[i].Time) {
			return nil, fmt.Errorf("backtest: bar %d (%s) is not after bar %d", i, bars[i].Time.Format(time.RFC3339), i-1)
		}
	}
	cfg = cfg.withDefaults()
	return &Engine{
		cfg:    cfg,
		bars:   bars,
		cash:   cfg.InitialCapital,
		equity: cfg.InitialCapital,
		curve:  make([]EquityPoint, 0, len(bars)),
	}, nil
}

// Step applies the decision taken at bar i's close. It must be called for
// i = 0..len(bars)-1 in order (Hold for bars without a decision); it panics
// otherwise, or after Finish. A next-open order decided at bar i-1 executes
// first, at bar i's open; then sig is executed at bar i's close (FillClose)
// or queued for bar i+1's open (FillNextOpen); then the account is marked at
// bar i's close.
func (e *Engine) Step(i int, sig Signal) {
	e.Open(i)
	e.Close(i, sig)
}

// Open executes at bar i's open the order a next-open decision left
// pending, without deciding anything: a caller that decides with the
// position in mind (position awareness) calls Open(i), reads Position(),
// then Close(i, sig). Step(i, sig) is Open then Close. Open is idempotent
// for the same bar.
func (e *Engine) Open(i int) {
	if e.done {
		panic("backtest: Step after Finish")
	}
	if i != e.next || i >= len(e.bars) {
		panic(fmt.Sprintf("backtest: Step(%d) out of order, expected Step(%d) of %d bars", i, e.next, len(e.bars)))
	}
	if e.opened {
		return
	}
	e.opened = true
	if e.pending != Hold {
		e.execute(i, e.pending, e.bars[i].Open)
		e.pending = Hold
	}
}

// Close takes the decision of bar i at its close (filled now with
// FillClose, queued for the next open otherwise) and marks equity; Open(i)
// is applied first if the caller has not.
func (e *Engine) Close(i int, sig Signal) {
	e.Open(i)
	b := &e.bars[i]
	if sig.Action == Buy || sig.Action == Sell {
		if e.cfg.Fill == FillClose {
			e.execute(i, sig.Action, b.Close)
		} else if i+1 < len(e.bars) {
			e.pending = sig.Action
		}
	}
	e.equity = e.cash + e.pos*b.Close
	e.curve = append(e.curve, EquityPoint{Time: b.Time, Equity: e.equity, Cash: e.cash, Position: e.pos})
	e.next++
	e.opened = false
}

// Equity is the current marked-to-market equity: InitialCapital before the
// first Step, then the equity at the last stepped bar's close.
func (e *Engine) Equity() float64 { return e.equity }

// Position is the signed number of units held (negative when short).
func (e *Engine) Position() float64 { return e.pos }

// Finish steps any remaining bars with Hold, closes an open position at the
// last bar's close (exit reason end_of_data, costs applied, reflected in the
// last EquityPoint) and computes the metrics. Calling it again returns the
// same Result.
func (e *Engine) Finish() Result {
	if e.done {
		return e.result
	}
	for e.next < len(e.bars) {
		e.Step(e.next, Signal{})
	}
	last := len(e.bars) - 1
	if e.pos != 0 {
		c := e.bars[last].Close
		if e.pos > 0 {
			e.close(last, c*(1-e.cfg.Slippage), ExitEndOfData)
		} else {
			e.close(last, c*(1+e.cfg.Slippage), ExitEndOfData)
		}
		e.equity = e.cash
		e.curve[last].Cash = e.cash
		e.curve[last].Position = 0
		e.curve[last].Equity = e.cash
	}
	trades := e.trades
	if trades == nil {
		trades = []Trade{}
	}
	e.result = Result{Trades: trades, Equity: e.curve, Metrics: ComputeMetrics(e.cfg, e.curve, trades)}
	e.done = true
	return e.result
}

// Run is the convenience loop: signals[i] is the decision at bar i.
func Run(cfg Config, bars []marketdata.Bar, signals []Signal) (Result, error) {
	if len(signals) != len(bars) {
		return Result{}, fmt.Errorf("backtest: %d signals for %d bars", len(signals), len(bars))
	}
	e, err := NewEngine(cfg, bars)
	if err != nil {
		return Result{}, err
	}
	for i, s := range signals {
		e.Step(i, s)
	}
	return e.Finish(), nil
}

// execute applies action a at base price p (before slippage) on bar i,
// following the position-awareness table of the package doc.
func (e *Engine) execute(i int, a Action, p float64) {
	switch a {
	case Buy:
		fill := p * (1 + e.cfg.Slippage)
		if e.pos < 0 {
			e.close(i, fill, ExitSignal)
		}
		if e.pos == 0 {
			e.open(i, 1, fill)
		}
	case Sell:
		fill := p * (1 - e.cfg.Slippage)
		if e.pos > 0 {
			e.close(i, fill, ExitSignal)
		}
		if e.pos == 0 && e.cfg.AllowShort {
			e.open(i, -1, fill)
		}
	}
}

// fee is the commission of one fill of the given traded value.
func (e *Engine) fee(value float64) float64 {
	return e.cfg.Commission*value + e.cfg.CommissionPerTrade
}

// open enters a position (dir +1 long, -1 short) from flat at fill price px,
// or does nothing if the entry is refused (see the package doc).
func (e *Engine) open(i int, dir float64, px float64) {
	var qty float64
	if e.cfg.Sizing.Mode == SizingFixed {
		qty = e.cfg.Sizing.Quantity
	} else {
		budget := e.cfg.Sizing.Fraction*e.cash - e.cfg.CommissionPerTrade
		if !(budget > 0) {
			return
		}
		qty = budget / (px * (1 + e.cfg.Commission))
	}
	if !(qty > 0) || math.IsInf(qty, 0) {
		return
	}
	value, fee := qty*px, e.fee(qty*px)
	// Rounding may overshoot the cash by an ulp or so with Fraction 1.
	for k := 0; value+fee > e.cash; k++ {
		if e.cfg.Sizing.Mode == SizingFixed || k == 16 {
			return
		}
		qty = math.Nextafter(qty, 0)
		value, fee = qty*px, e.fee(qty*px)
	}
	if !(qty > 0) {
		return
	}
	if dir > 0 {
		e.cash -= value + fee
		e.pos = qty
	} else {
		e.cash += value - fee
		e.pos = -qty
	}
	e.entryBar, e.entryPrice, e.entryValue, e.entryFee = i, px, value, fee
}

// close exits the open position at fill price px on bar i and records the trade.
func (e *Engine) close(i int, px float64, reason string) {
	qty := math.Abs(e.pos)
	value := qty * px
	fee := e.fee(value)
	var pnl float64
	side := SideLong
	if e.pos > 0 {
		e.cash += value - fee
		pnl = (value - fee) - (e.entryValue + e.entryFee)
	} else {
		side = SideShort
		e.cash -= value + fee
		pnl = (e.entryValue - e.entryFee) - (value + fee)
	}
	e.trades = append(e.trades, Trade{
		Side:        side,
		EntryTime:   e.bars[e.entryBar].Time,
		ExitTime:    e.bars[i].Time,
		EntryBar:    e.entryBar,
		ExitBar:     i,
		EntryPrice:  e.entryPrice,
		ExitPrice:   px,
		Quantity:    qty,
		Fees:        e.entryFee + fee,
		PnL:         pnl,
		ReturnPct:   pnl / (e.entryValue + e.entryFee) * 100,
		HoldingBars: i - e.entryBar,
		ExitReason:  reason,
	})
	e.pos = 0
}
