package marketdata

import (
	"fmt"
	"strings"
	"time"
)

// Timeframe is a bar interval such as "1h" or "1d". Its string form is the
// wire and file-name form, so it marshals to JSON as a plain string.
type Timeframe string

// The supported timeframes.
const (
	TF1m  Timeframe = "1m"
	TF5m  Timeframe = "5m"
	TF15m Timeframe = "15m"
	TF30m Timeframe = "30m"
	TF1h  Timeframe = "1h"
	TF4h  Timeframe = "4h"
	TF1d  Timeframe = "1d"
	TF1w  Timeframe = "1w"
)

// Timeframes lists every supported timeframe, shortest first.
var Timeframes = []Timeframe{TF1m, TF5m, TF15m, TF30m, TF1h, TF4h, TF1d, TF1w}

// Trading-calendar constants used for annualisation and synthetic sessions:
// a US equity session of 6.5 hours and 252 trading days a year.
const (
	SessionLength      = 6*time.Hour + 30*time.Minute
	TradingDaysPerYear = 252
	WeeksPerYear       = 52
)

var tfDurations = map[Timeframe]time.Duration{
	TF1m:  time.Minute,
	TF5m:  5 * time.Minute,
	TF15m: 15 * time.Minute,
	TF30m: 30 * time.Minute,
	TF1h:  time.Hour,
	TF4h:  4 * time.Hour,
	TF1d:  24 * time.Hour,
	TF1w:  7 * 24 * time.Hour,
}

// ParseTimeframe parses the exact form ("1m" ... "1w"). It is deliberately
// case-sensitive: "1M" would be ambiguous between minute and month.
func ParseTimeframe(s string) (Timeframe, error) {
	tf := Timeframe(s)
	if _, ok := tfDurations[tf]; ok {
		return tf, nil
	}
	names := make([]string, len(Timeframes))
	for i, t := range Timeframes {
		names[i] = string(t)
	}
	return "", fmt.Errorf("invalid timeframe %q: valid timeframes are %s", s, strings.Join(names, ", "))
}

// Valid reports whether tf is one of the supported timeframes.
func (tf Timeframe) Valid() bool { _, ok := tfDurations[tf]; return ok }

// String returns the wire form, e.g. "1h".
func (tf Timeframe) String() string { return string(tf) }

// Duration is the nominal bar length (1d = 24h, 1w = 7×24h); 0 if invalid.
func (tf Timeframe) Duration() time.Duration { return tfDurations[tf] }

// Intraday reports whether bars are shorter than a day.
func (tf Timeframe) Intraday() bool { return tf.Valid() && tf.Duration() < 24*time.Hour }

// BarsPerYear is the annualisation factor for returns measured per bar.
//
// Rule: intraday = 252 trading days × (6.5 h session / bar length), so 1m =
// 98,280, 1h = 1,638 and 4h = 409.5 (fractional on purpose: a 6.5 h session
// holds 6.5 hourly bars of trading time even though it is usually printed as
// 7 bars, the last one partial). 1d = 252, 1w = 52. 0 for an invalid value.
func (tf Timeframe) BarsPerYear() float64 {
	switch {
	case tf == TF1d:
		return TradingDaysPerYear
	case tf == TF1w:
		return WeeksPerYear
	case tf.Intraday():
		return TradingDaysPerYear * float64(SessionLength) / float64(tf.Duration())
	}
	return 0
}
