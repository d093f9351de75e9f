package backtest

import (
	"fmt"
	"math"
)

// Action is a trading decision.
type Action int8

// The actions. Any other value is treated as Hold.
const (
	Hold Action = 0
	Buy  Action = 1
	Sell Action = 2
)

// String returns "HOLD", "BUY" or "SELL" (and "Action(n)" for other values).
func (a Action) String() string {
	switch a {
	case Hold:
		return "HOLD"
	case Buy:
		return "BUY"
	case Sell:
		return "SELL"
	}
	return fmt.Sprintf("Action(%d)", int8(a))
}

// Signal is a decision taken at a bar's close, from data up to and including that bar.
type Signal struct {
	Action     Action
	Confidence float64
}

// Fill selects the price a decision executes at.
type Fill string

// The fill modes.
const (
	FillClose    Fill = "close"     // at the deciding bar's close
	FillNextOpen Fill = "next_open" // at the next bar's open
)

// Sizing modes.
const (
	SizingFraction = "fraction"
	SizingFixed    = "fixed"
)

// Sizing decides the quantity of an entry.
type Sizing struct {
	Mode     string  `json:"mode,omitempty"`     // "fraction" (of current equity, default) | "fixed" (Quantity units)
	Fraction float64 `json:"fraction,omitempty"` // default 1.0; (0,1]
	Quantity float64 `json:"quantity,omitempty"` // for fixed
}

// Costs are the trading costs charged on every fill.
type Costs struct {
	Commission         float64 `json:"commission"`           // fraction of traded value per fill, [0,1)
	CommissionPerTrade float64 `json:"commission_per_trade"` // fixed currency amount per fill, >= 0
	Slippage           float64 `json:"slippage"`             // fraction, [0,1): buys fill at p*(1+s), sells at p*(1-s)
}

// Config is one simulation's settings. The zero values of Sizing.Mode,
// Sizing.Fraction and Fill select the defaults ("fraction", 1.0, next_open).
// In JSON the Costs fields are top-level and the Sizing fields nest under
// "sizing", matching the FieldError names.
type Config struct {
	InitialCapital float64 `json:"initial_capital"` // > 0
	Costs
	Sizing      `json:"sizing"`
	Fill        Fill    `json:"fill,omitempty"` // default FillNextOpen
	AllowShort  bool    `json:"allow_short"`    // default false: long-only
	BarsPerYear float64 `json:"bars_per_year"`  // annualisation; > 0 (callers pass Timeframe.BarsPerYear())
}

// FieldError is an invalid Config field; Field is its JSON name
// (e.g. "sizing.fraction").
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{field, fmt.Sprintf(format, args...)}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the config, defaults applied. It returns the first invalid
// field as a *FieldError.
func (c Config) Validate() error {
	if !finite(c.InitialCapital) || c.InitialCapital <= 0 {
		return fieldErr("initial_capital", "must be a finite number > 0, got %v", c.InitialCapital)
	}
	if !finite(c.Commission) || c.Commission < 0 || c.Commission >= 1 {
		return fieldErr("commission", "must be in [0,1), got %v", c.Commission)
	}
	if !finite(c.CommissionPerTrade) || c.CommissionPerTrade < 0 {
		return fieldErr("commission_per_trade", "must be a finite number >= 0, got %v", c.CommissionPerTrade)
	}
	if !finite(c.Slippage) || c.Slippage < 0 || c.Slippage >= 1 {
		return fieldErr("slippage", "must be in [0,1), got %v", c.Slippage)
	}
	switch c.Sizing.Mode {
	case "", SizingFraction:
		if f := c.Sizing.Fraction; f != 0 && !(f > 0 && f <= 1) {
			return fieldErr("sizing.fraction", "must be in (0,1] (0 for the default 1), got %v", f)
		}
	case SizingFixed:
		if q := c.Sizing.Quantity; !finite(q) || q <= 0 {
			return fieldErr("sizing.quantity", "must be a finite number > 0 with mode fixed, got %v", q)
		}
	default:
		return fieldErr("sizing.mode", "must be fraction or fixed, got %q", c.Sizing.Mode)
	}
	switch c.Fill {
	case "", FillClose, FillNextOpen:
	default:
		return fieldErr("fill", "must be close or next_open, got %q", string(c.Fill))
	}
	if !finite(c.BarsPerYear) || c.BarsPerYear <= 0 {
		return fieldErr("bars_per_year", "must be a finite number > 0, got %v", c.BarsPerYear)
	}
	return nil
}

// withDefaults fills in the zero-valued defaults.
func (c Config) withDefaults() Config {
	if c.Sizing.Mode == "" {
		c.Sizing.Mode = SizingFraction
	}
	if c.Sizing.Fraction == 0 {
		c.Sizing.Fraction = 1
	}
	if c.Fill == "" {
		c.Fill = FillNextOpen
	}
	return c
}
