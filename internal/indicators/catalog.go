package indicators

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Input is one series of bars as columns (all the same length).
type Input struct{ Open, High, Low, Close, Volume []float64 }

// Param describes one numeric parameter of an indicator as it appears inline in a
// strategy YAML entry (e.g. `period: 14`, `fast_period: 12`, `multiplier: 2.0`).
type Param struct {
	Name     string
	Default  float64
	Min, Max float64 // inclusive bounds; Max 0 means unbounded
	Integer  bool
	Doc      string
}

// Definition is one indicator of the catalog.
type Definition struct {
	Name        string   // canonical lower-case name used in strategies, e.g. "rsi", "macd", "bbands"
	Aliases     []string // other accepted names, matched case-insensitively (e.g. "RSI", "RSIIndicator", "bollinger_bands")
	Description string
	Params      []Param
	UsesSource  bool     // true when the indicator reads one price column chosen by `source:` (default close)
	Outputs     []string // output names; Outputs[0] is the primary output; single-output indicators have ["value"]
	// Compute returns one slice per output (same order as Outputs), each len(in.Close).
	// src is the resolved source column (nil when !UsesSource); p holds every Param by name (defaults filled).
	Compute func(in Input, src []float64, p map[string]float64) [][]float64
	// WarmUp is the number of leading NaN entries of the primary output for these params.
	WarmUp func(p map[string]float64) int

	// check validates relations between parameters after each was checked alone.
	check func(p map[string]float64) error
}

// Resolve fills defaults and checks a params map (from YAML) against d.Params: it returns
// a new map holding every parameter of d, or an error naming the parameter (e.g.
// `period: must be an integer >= 2`). Unknown keys are not an error here and are not
// copied; given is not modified.
func (d Definition) Resolve(given map[string]float64) (map[string]float64, error) {
	out := make(map[string]float64, len(d.Params))
	for _, p := range d.Params {
		v, ok := given[p.Name]
		if !ok {
			v = p.Default
		}
		if err := p.validate(v); err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	if d.check != nil {
		if err := d.check(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// validate checks one value against the parameter's type and bounds.
func (p Param) validate(v float64) error {
	integer := !p.Integer || v == math.Trunc(v)
	inRange := v >= p.Min && (p.Max == 0 || v <= p.Max) // false for NaN
	if integer && inRange && !math.IsInf(v, 0) {
		return nil
	}
	kind := "a number"
	if p.Integer {
		kind = "an integer"
	}
	if p.Max == 0 {
		return fmt.Errorf("%s: must be %s >= %s", p.Name, kind, fmtNum(p.Min))
	}
	return fmt.Errorf("%s: must be %s between %s and %s", p.Name, kind, fmtNum(p.Min), fmtNum(p.Max))
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Lookup finds a definition by its name or one of its aliases, case-insensitively.
func Lookup(name string) (Definition, bool) {
	i, ok := catalogIndex[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Definition{}, false
	}
	return catalog[i].clone(), true
}

// All returns every definition, sorted by Name.
func All() []Definition {
	out := make([]Definition, len(catalog))
	for i, d := range catalog {
		out[i] = d.clone()
	}
	return out
}

// clone copies the slices of d so callers cannot modify the catalog.
func (d Definition) clone() Definition {
	d.Aliases = slices.Clone(d.Aliases)
	d.Params = slices.Clone(d.Params)
	d.Outputs = slices.Clone(d.Outputs)
	return d
}

// Source resolves a `source:` value: open, high, low, close, volume, hl2, hlc3 or ohlc4
// (case-insensitive; empty means close). The plain columns are returned as they are (do
// not modify them); hl2 = (high+low)/2, hlc3 = (high+low+close)/3 and
// ohlc4 = (open+high+low+close)/4 are computed. Every column used must have
// len(in.Close) values.
func Source(in Input, name string) ([]float64, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	var cols []string
	switch key {
	case "", "close":
		return in.Close, nil
	case "open", "high", "low", "volume":
		cols = []string{key}
	case "hl2":
		cols = []string{"high", "low"}
	case "hlc3":
		cols = []string{"high", "low"}
	case "ohlc4":
		cols = []string{"open", "high", "low"}
	default:
		return nil, fmt.Errorf("unknown source %q (want open, high, low, close, volume, hl2, hlc3 or ohlc4)", name)
	}
	n := len(in.Close)
	for _, c := range cols {
		if got := len(in.column(c)); got != n {
			return nil, fmt.Errorf("source %s: column %s has %d values, close has %d", key, c, got, n)
		}
	}
	switch key {
	case "hl2":
		out := make([]float64, n)
		for i := range out {
			out[i] = (in.High[i] + in.Low[i]) / 2
		}
		return out, nil
	case "hlc3":
		out := make([]float64, n)
		for i := range out {
			out[i] = (in.High[i] + in.Low[i] + in.Close[i]) / 3
		}
		return out, nil
	case "ohlc4":
		out := make([]float64, n)
		for i := range out {
			out[i] = (in.Open[i] + in.High[i] + in.Low[i] + in.Close[i]) / 4
		}
		return out, nil
	}
	return in.column(key), nil
}

func (in Input) column(name string) []float64 {
	switch name {
	case "open":
		return in.Open
	case "high":
		return in.High
	case "low":
		return in.Low
	case "volume":
		return in.Volume
	}
	return in.Close
}

// params is the resolved parameter map handed to the compute functions.
type params map[string]float64

// int returns the parameter as an int, clamped to ±2^31 so that absurd YAML values give
// all-NaN output instead of an undefined conversion.
func (p params) int(name string) int {
	v := p[name]
	switch {
	case v >= math.MaxInt32:
		return math.MaxInt32
	case v <= math.MinInt32:
		return math.MinInt32
	case math.IsNaN(v):
		return 0
	}
	return int(v)
}

// entry describes a catalog definition; define turns it into a Definition.
type entry struct {
	name, description string
	aliases           []string
	params            []Param
	usesSource        bool
	outputs           []string
	compute           func(in Input, src []float64, p params) [][]float64
	warmUp            func(p params) int
	check             func(p params) error
}

// define builds a Definition whose Compute and WarmUp fill missing parameters with
// their defaults, take the close when a source indicator gets no source column, and
// return len(in.Close) values per output (all NaN when a column has another length).
func define(e entry) Definition {
	withDefaults := func(p map[string]float64) params {
		q := make(params, len(e.params))
		for _, prm := range e.params {
			if v, ok := p[prm.Name]; ok {
				q[prm.Name] = v
			} else {
				q[prm.Name] = prm.Default
			}
		}
		return q
	}
	d := Definition{
		Name:        e.name,
		Aliases:     e.aliases,
		Description: e.description,
		Params:      e.params,
		UsesSource:  e.usesSource,
		Outputs:     e.outputs,
		Compute: func(in Input, src []float64, p map[string]float64) [][]float64 {
			if e.usesSource && src == nil {
				src = in.Close
			}
			outs := e.compute(in, src, withDefaults(p))
			n := len(in.Close)
			for i, o := range outs {
				if len(o) != n {
					outs[i] = nans(n)
				}
			}
			return outs
		},
		WarmUp: func(p map[string]float64) int { return e.warmUp(withDefaults(p)) },
	}
	if e.check != nil {
		d.check = func(p map[string]float64) error { return e.check(params(p)) }
	}
	return d
}

func periodParam(def, lowest int, doc string) Param {
	return Param{Name: "period", Default: float64(def), Min: float64(lowest), Integer: true, Doc: doc}
}

func intParam(name string, def, lowest int, doc string) Param {
	return Param{Name: name, Default: float64(def), Min: float64(lowest), Integer: true, Doc: doc}
}

var value = []string{"value"}

// single wraps a one-output function.
func single(out []float64) [][]float64 { return [][]float64{out} }

func periodMinus1(p params) int { return p.int("period") - 1 }
func periodWarm(p params) int   { return p.int("period") }

var (
	catalog      = buildCatalog()
	catalogIndex = indexCatalog(catalog)
)

func buildCatalog() []Definition {
	multiplier := Param{Name: "multiplier", Default: 2, Min: 0, Doc: "band distance from the middle, in population standard deviations"}
	entries := []entry{
		{
			name: "sma", aliases: []string{"simple_moving_average", "SimpleMovingAverage", "SMAIndicator"},
			description: "Simple moving average of the source.",
			params:      []Param{periodParam(20, 1, "bars in the average")},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 { return single(SMA(src, p.int("period"))) },
			warmUp:  periodMinus1,
		},
		{
			name: "ema", aliases: []string{"exponential_moving_average", "ExponentialMovingAverage", "EMAIndicator"},
			description: "Exponential moving average of the source (alpha 2/(period+1)), seeded with the SMA of the first period values.",
			params:      []Param{periodParam(20, 1, "span of the average; alpha = 2/(period+1)")},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 { return single(EMA(src, p.int("period"))) },
			warmUp:  periodMinus1,
		},
		{
			name: "rsi", aliases: []string{"relative_strength_index", "RelativeStrengthIndex", "RSIIndicator"},
			description: "Wilder's relative strength index of the source, 0..100.",
			params:      []Param{periodParam(14, 2, "Wilder smoothing period")},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 { return single(RSI(src, p.int("period"))) },
			warmUp:  periodWarm,
		},
		{
			name: "macd", aliases: []string{"moving_average_convergence_divergence", "MACDIndicator"},
			description: "MACD line (fast EMA - slow EMA), its signal EMA and the histogram (line - signal).",
			params: []Param{
				intParam("fast_period", 12, 1, "period of the fast EMA"),
				intParam("slow_period", 26, 2, "period of the slow EMA; greater than fast_period"),
				intParam("signal_period", 9, 1, "period of the signal EMA of the line"),
			},
			usesSource: true, outputs: []string{"line", "signal", "histogram"},
			compute: func(_ Input, src []float64, p params) [][]float64 {
				l, s, h := MACD(src, p.int("fast_period"), p.int("slow_period"), p.int("signal_period"))
				return [][]float64{l, s, h}
			},
			warmUp: func(p params) int {
				return max(p.int("fast_period"), p.int("slow_period")) + p.int("signal_period") - 2
			},
			check: func(p params) error {
				if p["fast_period"] >= p["slow_period"] {
					return fmt.Errorf("fast_period: must be less than slow_period (%s)", fmtNum(p["slow_period"]))
				}
				return nil
			},
		},
		{
			name: "bbands", aliases: []string{"bollinger", "bollinger_bands", "BollingerBands", "BollingerBandsIndicator", "bb"},
			description: "Bollinger bands of the source: SMA ± multiplier population standard deviations, and their width (upper-lower)/middle.",
			params:      []Param{periodParam(20, 2, "bars in the average and the deviation"), multiplier},
			usesSource:  true, outputs: []string{"upper", "middle", "lower", "width"},
			compute: func(_ Input, src []float64, p params) [][]float64 {
				u, m, l, w := bollingerAll(src, p.int("period"), p["multiplier"])
				return [][]float64{u, m, l, w}
			},
			warmUp: periodMinus1,
		},
		{
			name: "bb_width", aliases: []string{"bbands_width", "bollinger_width", "bollinger_band_width", "BollingerBandWidth", "BollingerBandWidthIndicator", "bbw"},
			description: "Relative width of the Bollinger bands of the source, (upper-lower)/middle.",
			params:      []Param{periodParam(20, 2, "bars in the average and the deviation"), multiplier},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 {
				return single(BollingerWidth(src, p.int("period"), p["multiplier"]))
			},
			warmUp: periodMinus1,
		},
		{
			name: "atr", aliases: []string{"average_true_range", "AverageTrueRange", "ATRIndicator"},
			description: "Wilder's average true range of the bars.",
			params:      []Param{periodParam(14, 1, "Wilder smoothing period")},
			outputs:     value,
			compute: func(in Input, _ []float64, p params) [][]float64 {
				return single(ATR(in.High, in.Low, in.Close, p.int("period")))
			},
			warmUp: periodWarm,
		},
		{
			name: "stochastic", aliases: []string{"stoch", "stochastic_oscillator", "StochasticOscillator", "StochasticIndicator"},
			description: "Slow stochastic oscillator: %K smoothed by an SMA, and its SMA %D, 0..100.",
			params: []Param{
				intParam("k_period", 14, 1, "bars of the highest high / lowest low window"),
				intParam("smooth_k", 3, 1, "SMA period applied to the fast %K"),
				intParam("d_period", 3, 1, "SMA period of %D over the slow %K"),
			},
			outputs: []string{"k", "d"},
			compute: func(in Input, _ []float64, p params) [][]float64 {
				k, d := Stochastic(in.High, in.Low, in.Close, p.int("k_period"), p.int("smooth_k"), p.int("d_period"))
				return [][]float64{k, d}
			},
			warmUp: func(p params) int { return p.int("k_period") + p.int("smooth_k") + p.int("d_period") - 3 },
		},
		{
			name: "williams_r", aliases: []string{"willr", "williams_%r", "williams_percent_r", "WilliamsR", "WilliamsRIndicator"},
			description: "Williams %R, -100..0.",
			params:      []Param{periodParam(14, 1, "bars of the highest high / lowest low window")},
			outputs:     value,
			compute: func(in Input, _ []float64, p params) [][]float64 {
				return single(WilliamsR(in.High, in.Low, in.Close, p.int("period")))
			},
			warmUp: periodMinus1,
		},
		{
			name: "roc", aliases: []string{"rate_of_change", "RateOfChange", "ROCIndicator"},
			description: "Rate of change of the source over period bars, in percent.",
			params:      []Param{periodParam(10, 1, "bars back")},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 { return single(ROC(src, p.int("period"))) },
			warmUp:  periodWarm,
		},
		{
			name: "momentum", aliases: []string{"mom", "MomentumIndicator"},
			description: "Difference of the source and its value period bars back.",
			params:      []Param{periodParam(10, 1, "bars back")},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 {
				return single(Momentum(src, p.int("period")))
			},
			warmUp: periodWarm,
		},
		{
			name: "cci", aliases: []string{"commodity_channel_index", "CommodityChannelIndex", "CCIIndicator"},
			description: "Commodity channel index of the typical price (high+low+close)/3.",
			params:      []Param{periodParam(20, 2, "bars in the mean and the mean deviation")},
			outputs:     value,
			compute: func(in Input, _ []float64, p params) [][]float64 {
				return single(CCI(in.High, in.Low, in.Close, p.int("period")))
			},
			warmUp: periodMinus1,
		},
		{
			name: "obv", aliases: []string{"on_balance_volume", "OnBalanceVolume", "OBVIndicator"},
			description: "On-balance volume of the close and the volume, starting at the first bar's volume.",
			outputs:     value,
			compute:     func(in Input, _ []float64, _ params) [][]float64 { return single(OBV(in.Close, in.Volume)) },
			warmUp:      func(params) int { return 0 },
		},
		{
			name: "adx", aliases: []string{"average_directional_index", "AverageDirectionalIndex", "ADXIndicator"},
			description: "Wilder's average directional index, 0..100.",
			params:      []Param{periodParam(14, 2, "Wilder smoothing period")},
			outputs:     value,
			compute: func(in Input, _ []float64, p params) [][]float64 {
				return single(ADX(in.High, in.Low, in.Close, p.int("period")))
			},
			warmUp: func(p params) int { return 2*p.int("period") - 1 },
		},
		{
			name: "mfi", aliases: []string{"money_flow_index", "MoneyFlowIndex", "MFIIndicator"},
			description: "Money flow index of the typical price and the volume, 0..100.",
			params:      []Param{periodParam(14, 2, "bars of money flow summed")},
			outputs:     value,
			compute: func(in Input, _ []float64, p params) [][]float64 {
				return single(MFI(in.High, in.Low, in.Close, in.Volume, p.int("period")))
			},
			warmUp: periodWarm,
		},
		{
			name: "distance_from_ma", aliases: []string{"distance_from_sma", "DistanceFromMA", "DistanceFromMAIndicator", "ma_distance"},
			description: "Percent distance of the source from its SMA, 100*(x-SMA)/SMA.",
			params:      []Param{periodParam(20, 1, "bars in the SMA")},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 {
				return single(DistanceFromMA(src, p.int("period"), false))
			},
			warmUp: periodMinus1,
		},
		{
			name: "distance_from_ema", aliases: []string{"DistanceFromEMA", "ema_distance"},
			description: "Percent distance of the source from its EMA, 100*(x-EMA)/EMA.",
			params:      []Param{periodParam(20, 1, "span of the EMA")},
			usesSource:  true, outputs: value,
			compute: func(_ Input, src []float64, p params) [][]float64 {
				return single(DistanceFromMA(src, p.int("period"), true))
			},
			warmUp: periodMinus1,
		},
		{
			name: "volume_ratio", aliases: []string{"VolumeRatio", "VolumeRatioIndicator", "relative_volume"},
			description: "Volume divided by its SMA over period bars (the bar included).",
			params:      []Param{periodParam(20, 1, "bars in the volume SMA")},
			outputs:     value,
			compute: func(in Input, _ []float64, p params) [][]float64 {
				return single(VolumeRatio(in.Volume, p.int("period")))
			},
			warmUp: periodMinus1,
		},
	}
	defs := make([]Definition, len(entries))
	for i, e := range entries {
		defs[i] = define(e)
	}
	slices.SortFunc(defs, func(a, b Definition) int { return strings.Compare(a.Name, b.Name) })
	return defs
}

// indexCatalog maps every lower-case name and alias to its definition; a name used twice
// is a programming error.
func indexCatalog(defs []Definition) map[string]int {
	idx := make(map[string]int)
	for i, d := range defs {
		for _, name := range append([]string{d.Name}, d.Aliases...) {
			key := strings.ToLower(name)
			if j, dup := idx[key]; dup && j != i {
				panic("indicators: name " + name + " used by " + defs[j].Name + " and " + d.Name)
			}
			idx[key] = i
		}
	}
	return idx
}
