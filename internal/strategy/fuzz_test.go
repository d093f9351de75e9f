package strategy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/ktrdr/ktrdr/internal/fuzzy"
	"github.com/ktrdr/ktrdr/internal/indicators"
	"github.com/ktrdr/ktrdr/internal/marketdata"
)

func FuzzParse(f *testing.F) {
	for _, data := range exampleFiles(f) {
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte(minimal))
	for _, c := range badCases {
		f.Add([]byte(c.source(f)))
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("x: &x {<<: *x}\n"))
	f.Add([]byte("name: x\nfuzzy_sets: &f {rsi: *f}\n"))
	f.Add([]byte("deployment: &d {a: *d, b: [*d]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, warns, err := Parse(data)
		for _, w := range warns {
			if w.Message == "" {
				t.Fatalf("empty warning at %q", w.Path)
			}
		}
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 || s != nil {
				t.Fatalf("error %T %v with strategy %v", err, err, s != nil)
			}
			for _, p := range ve.Problems {
				if p.Message == "" {
					t.Fatalf("empty problem message at %q", p.Path)
				}
			}
			return
		}
		checkInvariants(t, s)
		if !bytes.Equal(s.Raw, data) {
			t.Fatal("Raw differs from the input")
		}
		if sum := sha256.Sum256(data); s.Hash() != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Fatalf("hash %s", s.Hash())
		}
	})
}

// checkInvariants asserts what every successfully parsed strategy promises.
func checkInvariants(t *testing.T, s *Strategy) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format, args...)
	}
	if s == nil || !nameRE.MatchString(s.Name) {
		fail("bad name")
	}
	// training data
	if len(s.Symbols) == 0 || (s.SymbolMode == "single_symbol") != (len(s.Symbols) == 1) ||
		(s.SymbolMode != "single_symbol" && s.SymbolMode != "multi_symbol") {
		fail("symbols %v mode %q", s.Symbols, s.SymbolMode)
	}
	for _, sym := range s.Symbols {
		if v, err := marketdata.ValidateSymbol(sym); err != nil || v != sym {
			fail("symbol %q not canonical", sym)
		}
	}
	if len(s.Timeframes) == 0 || (s.TimeframeMode == "single_timeframe") != (len(s.Timeframes) == 1) ||
		(s.TimeframeMode != "single_timeframe" && s.TimeframeMode != "multi_timeframe") ||
		!slices.Contains(s.Timeframes, s.BaseTimeframe) {
		fail("timeframes %v mode %q base %q", s.Timeframes, s.TimeframeMode, s.BaseTimeframe)
	}
	for i, tf := range s.Timeframes {
		if !tf.Valid() || slices.Index(s.Timeframes, tf) != i {
			fail("timeframe %q invalid or repeated", tf)
		}
	}
	if s.HistoryRequired < 0 {
		fail("history_required %d", s.HistoryRequired)
	}
	if s.Deployment != nil {
		if _, err := json.Marshal(s.Deployment); err != nil {
			fail("deployment not JSON-encodable: %v", err)
		}
	}
	// indicators
	if len(s.Indicators) == 0 && s.Rule == nil {
		fail("no indicators")
	}
	defs := map[string]indicators.Definition{}
	for _, ind := range s.Indicators {
		d, ok := indicators.Lookup(ind.Name)
		if !ok || d.Name != ind.Name || ind.FeatureID == "" {
			fail("indicator %+v", ind)
		}
		if _, dup := defs[ind.FeatureID]; dup {
			fail("duplicate feature_id %q", ind.FeatureID)
		}
		defs[ind.FeatureID] = d
		if (ind.Source != "") != d.UsesSource || (ind.Source != "" && !validSource(ind.Source)) {
			fail("indicator %s source %q", ind.Name, ind.Source)
		}
		if len(ind.Params) != len(d.Params) {
			fail("indicator %s params %v", ind.Name, ind.Params)
		}
		if _, err := d.Resolve(ind.Params); err != nil {
			fail("indicator %s params %v: %v", ind.Name, ind.Params, err)
		}
	}
	// fuzzy sets
	if len(s.FuzzySets) == 0 && s.Rule == nil {
		fail("no fuzzy sets")
	}
	sets := 0
	for _, ff := range s.FuzzySets {
		d, ok := defs[ff.FeatureID]
		if !ok || (ff.Output != "" && slices.Index(d.Outputs, ff.Output) < 1) || len(ff.Sets) == 0 {
			fail("fuzzy feature %+v", ff)
		}
		for _, set := range ff.Sets {
			sets++
			if set.Func == nil || fuzzy.NumParams(set.Type) != len(set.Parameters) {
				fail("fuzzy set %+v", set)
			}
			for _, x := range append([]float64{-1e300, 0, 1e300, math.Inf(1)}, set.Parameters...) {
				if m := set.Func.Membership(x); !(m >= 0 && m <= 1) {
					fail("membership %v at %v", m, x)
				}
			}
		}
	}
	names := s.FeatureNames()
	if len(names) != sets*len(s.Timeframes) {
		fail("%d feature names for %d sets × %d timeframes", len(names), sets, len(s.Timeframes))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			fail("feature name %q repeated", n)
		}
		seen[n] = true
	}
	// model, decisions, training
	m := s.Model
	if m.Type != "mlp" || len(m.HiddenLayers) == 0 || !(m.Dropout >= 0 && m.Dropout < 1) || !(m.LearningRate > 0) ||
		math.IsInf(m.LearningRate, 0) || m.BatchSize < 1 || m.Epochs < 1 || m.Epochs > maxEpochs ||
		m.LookbackPeriods < 0 || (m.Optimizer != "adam" && m.Optimizer != "sgd") ||
		!slices.Contains(activations, m.Activation) || m.OutputActivation != "softmax" ||
		(m.EarlyStopping != nil && (m.EarlyStopping.Patience < 1 || m.EarlyStopping.MinDelta < 0)) {
		fail("model %+v", m)
	}
	for _, h := range m.HiddenLayers {
		if h < 1 || h > maxHiddenUnits {
			fail("hidden layer %d", h)
		}
	}
	d := s.Decisions
	if !(d.ConfidenceThreshold >= 0 && d.ConfidenceThreshold <= 1) || d.MinSignalSeparation < 0 || d.OutputFormat != "classification" {
		fail("decisions %+v", d)
	}
	tr := s.Training
	if tr.Method != "supervised" || tr.LabelSource != "zigzag" || !(tr.ZigzagThreshold > 0 && tr.ZigzagThreshold < 1) ||
		tr.LabelLookahead < 1 || tr.MinSwingLength < 1 || !(tr.TrainSplit > 0) || tr.ValidationSplit < 0 || tr.TestSplit < 0 ||
		math.Abs(tr.TrainSplit+tr.ValidationSplit+tr.TestSplit-1) > 1e-6 {
		fail("training %+v", tr)
	}
}
