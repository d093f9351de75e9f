package backtesting

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	sample "github.com/ktrdr/ktrdr/data/sample"
	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/features"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/nn"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/workers"
)

func spx(t testing.TB) []marketdata.Bar {
	t.Helper()
	f, err := sample.FS.Open("SPX_1d.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, _, err := marketdata.ReadSeries(f, "SPX", marketdata.TF1d, marketdata.Rules{IgnoreGaps: true})
	if err != nil {
		t.Fatal(err)
	}
	return s.Bars
}

// fixedNet is a 1-input network whose output probabilities are set by its
// bias: the weights are zero, so Predict returns softmax(bias) whatever the
// input. It makes the decider's filters testable by hand.
func fixedNet(t *testing.T, probs [3]float64) *nn.MLP {
	t.Helper()
	net, err := nn.New(nn.Config{Inputs: 1, Hidden: []int{1}, Outputs: 3, Activation: "relu", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range net.Layers {
		for j := range net.Layers[i].W.Data {
			net.Layers[i].W.Data[j] = 0
		}
		for j := range net.Layers[i].B {
			net.Layers[i].B[j] = 0
		}
	}
	last := net.Layers[len(net.Layers)-1].B
	for k, p := range probs {
		last[k] = math.Log(p)
	}
	return net
}

func table(n, warm int) *features.Table {
	t := &features.Table{Names: []string{"x"}, Cols: [][]float64{make([]float64, n)}, Complete: make([]bool, n), Times: make([]time.Time, n), Close: make([]float64, n)}
	for i := range n {
		t.Complete[i] = i >= warm
	}
	return t
}

func TestModelDeciderFilters(t *testing.T) {
	buy := fixedNet(t, [3]float64{0.7, 0.2, 0.1})
	sell := fixedNet(t, [3]float64{0.1, 0.2, 0.7})
	weak := fixedNet(t, [3]float64{0.5, 0.3, 0.2})
	vol := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	dec := strategy.Decisions{ConfidenceThreshold: 0.6, PositionAwareness: true}

	d := NewModelDecider(buy, nil, table(10, 2), dec, vol)
	if s := d.Decide(1, 0); s.Action != backtest.Hold {
		t.Errorf("warm-up row: %v", s.Action)
	}
	if s := d.Decide(2, 0); s.Action != backtest.Buy || math.Abs(s.Confidence-0.7) > 1e-12 {
		t.Errorf("buy: %+v", s)
	}
	if s := d.Decide(3, 5); s.Action != backtest.Hold {
		t.Errorf("buy while long with position awareness: %v", s.Action)
	}
	if s := NewModelDecider(weak, nil, table(10, 0), dec, vol).Decide(0, 0); s.Action != backtest.Hold {
		t.Errorf("below the confidence threshold: %v", s.Action)
	}
	if s := NewModelDecider(sell, nil, table(10, 0), dec, vol).Decide(0, 0); s.Action != backtest.Hold {
		t.Errorf("sell while flat, long only: %v", s.Action)
	}
	short := dec
	short.AllowShort = true
	if s := NewModelDecider(sell, nil, table(10, 0), short, vol).Decide(0, 0); s.Action != backtest.Sell {
		t.Errorf("sell while flat, shorts allowed: %v", s.Action)
	}
	unaware := dec
	unaware.PositionAwareness = false
	if s := NewModelDecider(buy, nil, table(10, 0), unaware, vol).Decide(0, 5); s.Action != backtest.Buy {
		t.Errorf("buy while long without position awareness: %v", s.Action)
	}

	// min_signal_separation 3: after a signal at bar 0, bars 1 and 2 are held, bar 3 may act.
	sep := unaware
	sep.MinSignalSeparation = 3
	d = NewModelDecider(buy, nil, table(10, 0), sep, vol)
	var got []backtest.Action
	for i := range 5 {
		got = append(got, d.Decide(i, 0).Action)
	}
	want := []backtest.Action{backtest.Buy, backtest.Hold, backtest.Hold, backtest.Buy, backtest.Hold}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("separation: %v, want %v", got, want)
		}
	}

	// volume_filter: a bar whose volume is below its 20-bar average is held.
	vf := unaware
	vf.VolumeFilter = true
	v := make([]float64, 30)
	for i := range v {
		v[i] = 100
	}
	v[25] = 50
	d = NewModelDecider(buy, nil, table(30, 0), vf, v)
	if s := d.Decide(10, 0); s.Action != backtest.Hold {
		t.Errorf("volume average still warming up: %v", s.Action)
	}
	if s := d.Decide(24, 0); s.Action != backtest.Buy {
		t.Errorf("normal volume: %v", s.Action)
	}
	if s := d.Decide(25, 0); s.Action != backtest.Hold {
		t.Errorf("low volume: %v", s.Action)
	}
}

// TestSimulateMatchesEngine: the worker's loop over a rule decider gives the
// engine's own result for the same signals, and honours cancellation.
func TestSimulateMatchesEngine(t *testing.T) {
	bars := spx(t)
	cfg := backtest.Config{InitialCapital: 10000, Costs: backtest.Costs{Commission: 0.001, Slippage: 0.0005},
		Sizing: backtest.Sizing{Mode: "fraction", Fraction: 1}, Fill: backtest.FillNextOpen, BarsPerYear: 252}
	rule := &strategy.Rule{Type: strategy.RuleMACrossover, MA: "sma", FastPeriod: 10, SlowPeriod: 30}
	dec, err := NewRuleDecider(rule, bars)
	if err != nil {
		t.Fatal(err)
	}
	first := 1000
	var calls int
	res, signals, err := Simulate(context.Background(), cfg, bars, first, dec, func(int, float64) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	closes := make([]float64, len(bars))
	for i, b := range bars {
		closes[i] = b.Close
	}
	want, err := backtest.Run(cfg, bars[first:], backtest.MACrossover(closes, 10, 30, false)[first:])
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(want)
	if string(a) != string(b) || len(res.Trades) < 20 {
		t.Errorf("Simulate differs from backtest.Run (%d vs %d trades)", len(res.Trades), len(want.Trades))
	}
	if calls < 50 || calls > 51 || signals["BUY"] == 0 || signals["SELL"] == 0 {
		t.Errorf("progress calls %d, signals %v", calls, signals)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Simulate(ctx, cfg, bars, first, dec, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestPlanValidation(t *testing.T) {
	yaml := `name: r
training_data: {symbols: {symbol: SPX}, timeframes: {timeframe: 1d}}
rules: {type: rsi_threshold}
`
	good := Params{StrategyYAML: yaml, InitialCapital: 1000}
	if p, err := NewPlan(good); err != nil || p.Symbol != "SPX" || p.Timeframe != "1d" || p.Config.Fill != backtest.FillNextOpen || p.Config.BarsPerYear != 252 {
		t.Fatalf("good plan: %+v %v", p, err)
	}
	for field, mutate := range map[string]func(*Params){
		"strategy_yaml":   func(p *Params) { p.StrategyYAML = "" },
		"strategy":        func(p *Params) { p.StrategyYAML = "name: [" },
		"symbol":          func(p *Params) { p.Symbol = "a b" },
		"timeframe":       func(p *Params) { p.Timeframe = "7m" },
		"start":           func(p *Params) { p.Start, p.End = "2020-02-01", "2020-01-01" },
		"end":             func(p *Params) { p.End = "soon" },
		"initial_capital": func(p *Params) { p.InitialCapital = -1 },
		"commission":      func(p *Params) { p.Commission = 1 },
		"slippage":        func(p *Params) { p.Slippage = -0.01 },
		"fill":            func(p *Params) { p.Fill = "vwap" },
		"position_size":   func(p *Params) { p.PositionSize = 2 },
	} {
		p := good
		mutate(&p)
		_, err := NewPlan(p)
		var pe *workers.ParamError
		if !errors.As(err, &pe) || pe.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestApplyModelRefusesMismatchedFeatures(t *testing.T) {
	yaml := `name: m
training_data: {symbols: {symbol: SPX}, timeframes: {timeframe: 1d}}
indicators: [{name: rsi, feature_id: rsi_14, period: 14}]
fuzzy_sets: {rsi_14: {low: {type: triangular, parameters: [0, 20, 50]}, high: {type: triangular, parameters: [50, 80, 100]}}}
`
	s, _, err := strategy.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	art := &models.Artifact{Strategy: "m", Timeframe: "1d", Version: 2, Features: []string{"1d_rsi_14_low", "1d_rsi_14_high"}, Data: models.DataSummary{Timeframes: []string{"1d"}}}
	if err := ApplyModel(s, art); err != nil {
		t.Errorf("matching model refused: %v", err)
	}
	art.Features = []string{"1d_rsi_14_low", "1d_rsi_14_mid"}
	err = ApplyModel(s, art)
	var pe *workers.ParamError
	if !errors.As(err, &pe) || pe.Field != "model_version" {
		t.Errorf("mismatched model: %v", err)
	}
}
