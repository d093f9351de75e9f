// Package features turns bars into a model's inputs: indicators, fuzzy
// memberships, optional price context and lags, with higher timeframes
// aligned to the base one. Training and backtesting both build their inputs
// here, so a model sees in a backtest exactly what it saw in training.
//
// Every step is causal: the value at bar t uses bars up to t only, and a
// higher-timeframe bar is used only once it has closed, so there is no
// look-ahead anywhere in a table.
package features

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/ktrdr/ktrdr/internal/fuzzy"
	"github.com/ktrdr/ktrdr/internal/indicators"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/strategy"
)

// Table is the feature matrix of one symbol at the base timeframe, stored by
// column. Rows are base bars; Complete[i] is false where any feature is
// still warming up (NaN), and such rows are neither trained on nor traded.
type Table struct {
	Symbol   string
	Times    []time.Time // base bar open times
	Close    []float64   // base closes, for labels and fills
	Names    []string
	Cols     [][]float64 // Cols[j][i]: feature j at row i
	Complete []bool
}

// Rows is the number of base bars.
func (t *Table) Rows() int { return len(t.Times) }

// Row copies row i into dst (len(Names)).
func (t *Table) Row(i int, dst []float64) {
	for j, c := range t.Cols {
		dst[j] = c[i]
	}
}

// FirstComplete is the index of the first complete row (Rows() if none).
func (t *Table) FirstComplete() int {
	for i, ok := range t.Complete {
		if ok {
			return i
		}
	}
	return len(t.Complete)
}

// Computed holds one symbol's indicator outputs per timeframe: the first
// phase of Build, separate so a caller can time (and trace) it apart from
// the fuzzy phase.
type Computed struct {
	s       *strategy.Strategy
	symbol  string
	bars    map[marketdata.Timeframe][]marketdata.Bar
	inputs  map[marketdata.Timeframe]indicators.Input
	outputs map[marketdata.Timeframe]map[string][]float64 // by "feature_id" and "feature_id.output"
}

// Build computes the table of one symbol. bars holds one series per
// timeframe of the strategy; the base timeframe's series sets the rows.
func Build(s *strategy.Strategy, bars map[marketdata.Timeframe]marketdata.Series) (*Table, error) {
	c, err := ComputeIndicators(s, bars)
	if err != nil {
		return nil, err
	}
	return c.Fuzzify()
}

// ComputeIndicators runs every indicator of the strategy on every timeframe.
func ComputeIndicators(s *strategy.Strategy, bars map[marketdata.Timeframe]marketdata.Series) (*Computed, error) {
	base, ok := bars[s.BaseTimeframe]
	if !ok || len(base.Bars) == 0 {
		return nil, fmt.Errorf("no %s bars for the base timeframe", s.BaseTimeframe)
	}
	c := &Computed{s: s, symbol: base.Symbol, bars: map[marketdata.Timeframe][]marketdata.Bar{},
		inputs: map[marketdata.Timeframe]indicators.Input{}, outputs: map[marketdata.Timeframe]map[string][]float64{}}
	for _, tf := range s.Timeframes {
		series, ok := bars[tf]
		if !ok || len(series.Bars) == 0 {
			return nil, fmt.Errorf("no %s bars for %s", tf, base.Symbol)
		}
		in := input(series.Bars)
		outputs := map[string][]float64{}
		for _, ind := range s.Indicators {
			def, ok := indicators.Lookup(ind.Name)
			if !ok {
				return nil, fmt.Errorf("indicator %q (feature %s) is not in the catalog", ind.Name, ind.FeatureID)
			}
			var src []float64
			if def.UsesSource {
				var err error
				if src, err = indicators.Source(in, ind.Source); err != nil {
					return nil, fmt.Errorf("indicator %s: %w", ind.FeatureID, err)
				}
			}
			res := def.Compute(in, src, ind.Params)
			for k, name := range def.Outputs {
				if k == 0 {
					outputs[ind.FeatureID] = res[k]
				}
				outputs[ind.FeatureID+"."+name] = res[k]
			}
		}
		c.bars[tf], c.inputs[tf], c.outputs[tf] = series.Bars, in, outputs
	}
	return c, nil
}

// Fuzzify turns the indicator outputs into the table: memberships, price
// context and lags per timeframe, aligned to the base timeframe.
func (c *Computed) Fuzzify() (*Table, error) {
	s := c.s
	base := c.bars[s.BaseTimeframe]
	t := &Table{Symbol: c.symbol, Times: make([]time.Time, len(base)), Close: make([]float64, len(base))}
	for i, b := range base {
		t.Times[i], t.Close[i] = b.Time, b.Close
	}
	for _, tf := range s.Timeframes {
		names, cols, err := c.timeframeColumns(tf)
		if err != nil {
			return nil, err
		}
		if tf != s.BaseTimeframe {
			idx := alignIndex(base, s.BaseTimeframe, c.bars[tf], tf)
			for j, col := range cols {
				cols[j] = gather(col, idx)
			}
		}
		t.Names = append(t.Names, names...)
		t.Cols = append(t.Cols, cols...)
	}
	t.Complete = make([]bool, len(t.Times))
	for i := range t.Complete {
		t.Complete[i] = true
		for _, col := range t.Cols {
			if math.IsNaN(col[i]) {
				t.Complete[i] = false
				break
			}
		}
	}
	return t, nil
}

// Names are the feature names a strategy produces, in table order, without
// computing anything (to check a model against its strategy).
func Names(s *strategy.Strategy) []string {
	var out []string
	for _, tf := range s.Timeframes {
		out = append(out, withLags(baseNames(s, tf), s.Model.LookbackPeriods)...)
	}
	return out
}

func baseNames(s *strategy.Strategy, tf marketdata.Timeframe) []string {
	var out []string
	for _, ff := range s.FuzzySets {
		for _, set := range ff.Sets {
			out = append(out, strategy.FeatureName(tf, ff.Key, set.Name))
		}
	}
	if s.Model.IncludePriceContext {
		for _, n := range contextNames {
			out = append(out, fmt.Sprintf("%s_%s", tf, n))
		}
	}
	return out
}

func withLags(names []string, lags int) []string {
	out := append([]string(nil), names...)
	for k := 1; k <= lags; k++ {
		for _, n := range names {
			out = append(out, fmt.Sprintf("%s_lag%d", n, k))
		}
	}
	return out
}

// contextNames are the price-context features: one-bar and five-bar
// returns, the bar's range relative to its close, and where the close sits
// within the range. They are scale-free, so they mean the same on any symbol.
var contextNames = []string{"ctx_return_1", "ctx_return_5", "ctx_range", "ctx_close_position"}

// timeframeColumns computes one timeframe's features on its own bars:
// fuzzy memberships, then price context, then lags.
func (c *Computed) timeframeColumns(tf marketdata.Timeframe) ([]string, [][]float64, error) {
	s := c.s
	outputs := c.outputs[tf]
	n := len(c.bars[tf])
	var cols [][]float64
	for _, ff := range s.FuzzySets {
		x, ok := outputs[ff.Key]
		if !ok {
			return nil, nil, fmt.Errorf("fuzzy_sets.%s: no such indicator output", ff.Key)
		}
		for _, set := range ff.Sets {
			col := make([]float64, n)
			fuzzy.Apply(set.Func, x, col)
			cols = append(cols, col)
		}
	}
	if s.Model.IncludePriceContext {
		cols = append(cols, priceContext(c.inputs[tf])...)
	}
	names := baseNames(s, tf)
	if len(names) != len(cols) {
		return nil, nil, fmt.Errorf("internal: %d names for %d columns", len(names), len(cols))
	}
	return withLags(names, s.Model.LookbackPeriods), lagged(cols, s.Model.LookbackPeriods), nil
}

func input(bars []marketdata.Bar) indicators.Input {
	n := len(bars)
	in := indicators.Input{Open: make([]float64, n), High: make([]float64, n), Low: make([]float64, n), Close: make([]float64, n), Volume: make([]float64, n)}
	for i, b := range bars {
		in.Open[i], in.High[i], in.Low[i], in.Close[i], in.Volume[i] = b.Open, b.High, b.Low, b.Close, b.Volume
	}
	return in
}

func priceContext(in indicators.Input) [][]float64 {
	n := len(in.Close)
	ret1, ret5, rng, pos := nans(n), nans(n), nans(n), nans(n)
	for i := range n {
		c := in.Close[i]
		if i >= 1 && in.Close[i-1] > 0 {
			ret1[i] = c/in.Close[i-1] - 1
		}
		if i >= 5 && in.Close[i-5] > 0 {
			ret5[i] = c/in.Close[i-5] - 1
		}
		if c > 0 {
			rng[i] = (in.High[i] - in.Low[i]) / c
		}
		if r := in.High[i] - in.Low[i]; r > 0 {
			pos[i] = (c - in.Low[i]) / r
		} else {
			pos[i] = 0.5
		}
	}
	return [][]float64{ret1, ret5, rng, pos}
}

func nans(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// lagged appends, for k = 1..lags, every column shifted k bars later.
func lagged(cols [][]float64, lags int) [][]float64 {
	out := cols
	for k := 1; k <= lags; k++ {
		for _, c := range cols {
			l := nans(len(c))
			copy(l[k:], c[:max(len(c)-k, 0)])
			out = append(out, l)
		}
	}
	return out
}

// alignIndex maps each base bar to the last bar of another timeframe that
// has closed by the time the base bar closes (-1: none yet). A bar's close
// is its open time plus its timeframe's duration.
func alignIndex(base []marketdata.Bar, baseTF marketdata.Timeframe, other []marketdata.Bar, tf marketdata.Timeframe) []int {
	idx := make([]int, len(base))
	j := -1
	for i, b := range base {
		closeAt := b.Time.Add(baseTF.Duration())
		// other is sorted: advance while the next bar has closed.
		for j+1 < len(other) && !other[j+1].Time.Add(tf.Duration()).After(closeAt) {
			j++
		}
		idx[i] = j
	}
	return idx
}

func gather(c []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		if j < 0 {
			out[i] = math.NaN()
		} else {
			out[i] = c[j]
		}
	}
	return out
}

// CheckNames reports how a model's feature list differs from a strategy's,
// or nil when they match exactly (same names, same order).
func CheckNames(model, strategyNames []string) error {
	if len(model) == len(strategyNames) {
		same := true
		for i := range model {
			if model[i] != strategyNames[i] {
				same = false
				break
			}
		}
		if same {
			return nil
		}
	}
	have := map[string]bool{}
	for _, n := range strategyNames {
		have[n] = true
	}
	var missing []string
	for _, n := range model {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		if len(missing) > 5 {
			missing = append(missing[:5], "...")
		}
		return fmt.Errorf("the model expects %d features and the strategy makes %d; features the strategy does not make: %v", len(model), len(strategyNames), missing)
	}
	return fmt.Errorf("the model expects %d features and the strategy makes %d (same names, different order or count)", len(model), len(strategyNames))
}
