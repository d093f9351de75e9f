package strategy

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// base is a small valid strategy the malformed cases are derived from.
const base = `name: test_strategy
description: "unit-test strategy"
version: "1.0"
training_data:
  symbols: {mode: single_symbol, list: [SPX]}
  timeframes: {mode: single_timeframe, list: [1d], base_timeframe: 1d}
  history_required: 100
indicators:
  - name: rsi
    feature_id: rsi_14
    period: 14
    source: close
  - name: macd
    feature_id: macd_12_26_9
    fast_period: 12
    slow_period: 26
    signal_period: 9
fuzzy_sets:
  rsi_14:
    oversold: {type: triangular, parameters: [0, 20, 35]}
    overbought: {type: triangular, parameters: [65, 80, 100]}
  macd_12_26_9.histogram:
    negative: {type: trapezoidal, parameters: [-1000, -1000, -5, 0]}
    positive: {type: gaussian, parameters: [5, 2]}
model:
  type: mlp
  architecture: {hidden_layers: [8], activation: relu, output_activation: softmax, dropout: 0.1}
  features: {include_price_context: false, lookback_periods: 1, scale_features: true}
  training: {learning_rate: 0.01, batch_size: 16, epochs: 5, optimizer: adam, early_stopping: {enabled: true, patience: 3, min_delta: 0.001}}
decisions:
  output_format: classification
  confidence_threshold: 0.6
  position_awareness: true
  filters: {min_signal_separation: 2, volume_filter: false}
training:
  method: supervised
  labels: {source: zigzag, zigzag_threshold: 0.03, label_lookahead: 20}
  data_split: {train: 0.7, validation: 0.15, test: 0.15}
`

// edit replaces old (which must occur exactly once) in base.
func edit(t testing.TB, src, old, new string) string {
	t.Helper()
	if strings.Count(src, old) != 1 {
		t.Fatalf("edit: %q occurs %d times", old, strings.Count(src, old))
	}
	return strings.Replace(src, old, new, 1)
}

type badCase struct {
	name     string
	old, new string // edit of base; old "" means new is the whole file
	path     string // the exact path of the expected problem
	msg      string // a substring of its message
	more     bool   // other problems are expected too
}

var badCases = []badCase{
	{"missing name", "name: test_strategy\n", "", "name", "required", false},
	{"invalid name", "name: test_strategy", "name: test strategy!", "name", "not a valid name", false},
	{"name too long", "name: test_strategy", "name: " + strings.Repeat("a", 65), "name", "not a valid name", false},
	{"name is a list", "name: test_strategy", "name: [a, b]", "name", "must be a string, got a list", false},
	{"duplicate key", "version: \"1.0\"\n", "version: \"1.0\"\nversion: \"2.0\"\n", "version", "duplicate key", false},
	{"no training_data", "training_data:\n  symbols: {mode: single_symbol, list: [SPX]}\n  timeframes: {mode: single_timeframe, list: [1d], base_timeframe: 1d}\n  history_required: 100\n", "", "training_data", "required", false},
	{"no symbols", "  symbols: {mode: single_symbol, list: [SPX]}\n", "", "training_data.symbols", "required", false},
	{"bad symbol", "list: [SPX]", "list: [\"S P X\"]", "training_data.symbols.list[0]", "invalid symbol", false},
	{"symbols list is a mapping", "list: [SPX]", "list: {a: SPX}", "training_data.symbols.list", "must be a list, got a mapping", false},
	{"single_symbol with two", "list: [SPX]", "list: [SPX, QQQ]", "training_data.symbols.mode", "single_symbol needs exactly one symbol, got 2", false},
	{"multi_symbol with one", "mode: single_symbol", "mode: multi_symbol", "training_data.symbols.mode", "multi_symbol needs at least two symbols", false},
	{"unknown symbol mode", "mode: single_symbol", "mode: symbol_group", "training_data.symbols.mode", "must be one of single_symbol, multi_symbol", false},
	{"duplicate symbol", "mode: single_symbol, list: [SPX]", "mode: multi_symbol, list: [SPX, spx]", "training_data.symbols.list[1]", "duplicate symbol \"SPX\"", true},
	{"symbol and list", "list: [SPX]}", "list: [SPX], symbol: SPX}", "training_data.symbols", "either symbol or list", false},
	{"empty symbol list", "list: [SPX]", "list: []", "training_data.symbols.list", "at least one symbol", false},
	{"bad timeframe", "list: [1d], base_timeframe: 1d", "list: [1x]", "training_data.timeframes.list[0]", "invalid timeframe \"1x\"", false},
	{"uppercase timeframe", "list: [1d], base_timeframe: 1d", "list: [1D]", "training_data.timeframes.list[0]", "invalid timeframe", false},
	{"base timeframe not listed", "base_timeframe: 1d", "base_timeframe: 4h", "training_data.timeframes.base_timeframe", "not one of the timeframes", false},
	{"multi_timeframe with one", "mode: single_timeframe", "mode: multi_timeframe", "training_data.timeframes.mode", "multi_timeframe needs at least two timeframes", false},
	{"single_timeframe with two", "list: [1d], base", "list: [1d, 1h], base", "training_data.timeframes.mode", "single_timeframe needs exactly one timeframe, got 2", false},
	{"timeframes missing list", "{mode: single_timeframe, list: [1d], base_timeframe: 1d}", "{mode: single_timeframe}", "training_data.timeframes", "needs list (or timeframe)", false},
	{"history_required string", "history_required: 100", "history_required: lots", "training_data.history_required", "must be a number, got string \"lots\"", false},
	{"history_required negative", "history_required: 100", "history_required: -5", "training_data.history_required", "must be >= 0", false},
	{"unknown indicator", "  - name: macd\n", "  - name: foo\n", "indicators[1].name", `unknown indicator "foo"`, false},
	{"indicator without name", "  - name: rsi\n    feature_id: rsi_14\n", "  - feature_id: rsi_14\n", "indicators[0].name", "required", false},
	{"indicator without feature_id", "    feature_id: rsi_14\n", "", "indicators[0].feature_id", "required", true},
	{"duplicate feature_id", "feature_id: macd_12_26_9", "feature_id: rsi_14", "indicators[1].feature_id", `duplicate feature_id "rsi_14" (also indicators[0])`, true},
	{"feature_id with a dot", "feature_id: rsi_14", "feature_id: rsi.14", "indicators[0].feature_id", "not a valid feature_id", true},
	{"period too small", "period: 14", "period: 1", "indicators[0].period", "must be an integer >= 2", false},
	{"period fractional", "period: 14", "period: 14.5", "indicators[0].period", "", false},
	{"period quoted", "period: 14", "period: \"14\"", "indicators[0].period", "must be a number, got string \"14\"", false},
	{"period a list", "period: 14", "period: [14]", "indicators[0].period", "must be a number, got a list", false},
	{"unknown source", "source: close", "source: typical", "indicators[0].source", `unknown source "typical"`, false},
	{"indicators a mapping", "indicators:\n  - name: rsi", "indicators:\n  x:\n  - name: rsi", "indicators", "must be a list, got a mapping", true},
	{"indicator a string", "  - name: rsi\n    feature_id: rsi_14\n    period: 14\n    source: close\n", "  - rsi\n", "indicators[0]", "must be a mapping, got string \"rsi\"", true},
	{"fuzzy key undeclared", "  rsi_14:\n    oversold", "  rsi_99:\n    oversold", "fuzzy_sets.rsi_99", `unknown feature_id "rsi_99"`, false},
	{"fuzzy output unknown", "macd_12_26_9.histogram:", "macd_12_26_9.hist:", "fuzzy_sets.macd_12_26_9.hist", `no output "hist"`, false},
	{"fuzzy output on single-output", "  rsi_14:\n", "  rsi_14.histogram:\n", "fuzzy_sets.rsi_14.histogram", `no output "histogram"`, false},
	{"too few parameters", "parameters: [0, 20, 35]", "parameters: [0, 20]", "fuzzy_sets.rsi_14.oversold.parameters", "need 3 numbers, got 2", false},
	{"decreasing parameters", "parameters: [0, 20, 35]", "parameters: [0, 40, 35]", "fuzzy_sets.rsi_14.oversold.parameters", "parameters must be non-decreasing", false},
	{"gaussian sigma zero", "parameters: [5, 2]", "parameters: [5, 0]", "fuzzy_sets.macd_12_26_9.histogram.positive.parameters", "sigma must be > 0", false},
	{"parameter not a number", "parameters: [0, 20, 35]", "parameters: [0, x, 35]", "fuzzy_sets.rsi_14.oversold.parameters[1]", "must be a number", false},
	{"parameter infinite", "parameters: [0, 20, 35]", "parameters: [0, 20, .inf]", "fuzzy_sets.rsi_14.oversold.parameters[2]", "must be a finite number", false},
	{"parameters a mapping", "parameters: [0, 20, 35]", "parameters: {a: 1}", "fuzzy_sets.rsi_14.oversold.parameters", "must be a list", false},
	{"set without type", "oversold: {type: triangular, parameters: [0, 20, 35]}", "oversold: {parameters: [0, 20, 35]}", "fuzzy_sets.rsi_14.oversold.type", "required", false},
	{"set without parameters", "oversold: {type: triangular, parameters: [0, 20, 35]}", "oversold: {type: triangular}", "fuzzy_sets.rsi_14.oversold.parameters", "required", false},
	{"unknown set type", "oversold: {type: triangular", "oversold: {type: bell", "fuzzy_sets.rsi_14.oversold.type", `unknown membership function "bell"`, false},
	{"set is a list", "oversold: {type: triangular, parameters: [0, 20, 35]}", "oversold: [0, 20, 35]", "fuzzy_sets.rsi_14.oversold", "must be a mapping", false},
	{"feature without sets", "  macd_12_26_9.histogram:\n    negative: {type: trapezoidal, parameters: [-1000, -1000, -5, 0]}\n    positive: {type: gaussian, parameters: [5, 2]}\n", "  macd_12_26_9.histogram: {}\n", "fuzzy_sets.macd_12_26_9.histogram", "at least one fuzzy set", false},
	{"same output twice", "  macd_12_26_9.histogram:\n", "  macd_12_26_9:\n    up: {type: gaussian, parameters: [1, 1]}\n  macd_12_26_9.line:\n    down: {type: gaussian, parameters: [-1, 1]}\n  macd_12_26_9.histogram:\n", "fuzzy_sets.macd_12_26_9.line", "same indicator output as fuzzy_sets.macd_12_26_9", false},
	{"primary output named twice", "  rsi_14:\n    oversold", "  rsi_14:\n    x: {type: gaussian, parameters: [1, 1]}\n  rsi_14.value:\n    oversold", "fuzzy_sets.rsi_14.value", "same indicator output as fuzzy_sets.rsi_14", false},
	{"no fuzzy_sets", "fuzzy_sets:\n", "unused:\n", "fuzzy_sets", "at least one fuzzy set", true},
	{"model type", "type: mlp", "type: lstm", "model.type", "must be one of mlp, got \"lstm\"", false},
	{"model a list", "model:\n  type: mlp\n", "model: [1, 2]\nx:\n  type: mlp\n", "model", "must be a mapping, got a list", true},
	{"hidden layers empty", "hidden_layers: [8]", "hidden_layers: []", "model.architecture.hidden_layers", "at least one layer", false},
	{"hidden layer zero", "hidden_layers: [8]", "hidden_layers: [8, 0]", "model.architecture.hidden_layers[1]", "must be an integer in 1..", false},
	{"hidden layer fractional", "hidden_layers: [8]", "hidden_layers: [8, 1.5]", "model.architecture.hidden_layers[1]", "must be an integer, got 1.5", false},
	{"hidden layers a number", "hidden_layers: [8]", "hidden_layers: 8", "model.architecture.hidden_layers", "must be a list, got number 8", false},
	{"activation", "activation: relu", "activation: gelu", "model.architecture.activation", "must be one of relu, tanh, sigmoid, leaky_relu", false},
	{"output activation", "output_activation: softmax", "output_activation: sigmoid", "model.architecture.output_activation", "must be one of softmax", false},
	{"dropout 1", "dropout: 0.1", "dropout: 1", "model.architecture.dropout", "must be in [0, 1)", false},
	{"dropout bool", "dropout: 0.1", "dropout: true", "model.architecture.dropout", "must be a number, got boolean true", false},
	{"lookback negative", "lookback_periods: 1", "lookback_periods: -1", "model.features.lookback_periods", "must be an integer in 0..", false},
	{"scale_features string", "scale_features: true", "scale_features: \"yes\"", "model.features.scale_features", "must be true or false", false},
	{"learning rate zero", "learning_rate: 0.01", "learning_rate: 0", "model.training.learning_rate", "must be > 0", false},
	{"batch size zero", "batch_size: 16", "batch_size: 0", "model.training.batch_size", "must be an integer in 1..", false},
	{"epochs too many", "epochs: 5", "epochs: 100001", "model.training.epochs", "must be an integer in 1..100000", false},
	{"epochs zero", "epochs: 5", "epochs: 0", "model.training.epochs", "must be an integer in 1..100000", false},
	{"optimizer", "optimizer: adam", "optimizer: rmsprop", "model.training.optimizer", "must be one of adam, sgd", false},
	{"patience zero", "patience: 3", "patience: 0", "model.training.early_stopping.patience", "must be an integer >= 1", false},
	{"confidence above 1", "confidence_threshold: 0.6", "confidence_threshold: 1.5", "decisions.confidence_threshold", "must be in [0, 1]", false},
	{"output format", "output_format: classification", "output_format: regression", "decisions.output_format", "must be one of classification", false},
	{"position awareness string", "position_awareness: true", "position_awareness: sure", "decisions.position_awareness", "must be true or false, got string \"sure\"", false},
	{"separation negative", "min_signal_separation: 2", "min_signal_separation: -1", "decisions.filters.min_signal_separation", "must be >= 0", false},
	{"filters a list", "filters: {min_signal_separation: 2, volume_filter: false}", "filters: [1]", "decisions.filters", "must be a mapping, got a list", false},
	{"training method", "method: supervised", "method: reinforcement", "training.method", "must be one of supervised", false},
	{"label source", "source: zigzag", "source: fixed", "training.labels.source", "must be one of zigzag", false},
	{"zigzag threshold percent", "zigzag_threshold: 0.03", "zigzag_threshold: 3", "training.labels.zigzag_threshold", "must be in (0, 1)", false},
	{"lookahead zero", "label_lookahead: 20", "label_lookahead: 0", "training.labels.label_lookahead", "must be an integer >= 1", false},
	{"min swing zero", "label_lookahead: 20", "label_lookahead: 20, min_swing_length: 0", "training.labels.min_swing_length", "must be an integer >= 1", false},
	{"split sum", "test: 0.15", "test: 0.05", "training.data_split", "must be 1, got 0.9", false},
	{"split train zero", "{train: 0.7, validation: 0.15, test: 0.15}", "{train: 0, validation: 0.5, test: 0.5}", "training.data_split.train", "must be > 0", false},
	{"split negative", "{train: 0.7, validation: 0.15, test: 0.15}", "{train: 1.15, validation: -0.15, test: 0}", "training.data_split.validation", "must be in [0, 1]", true},
	{"deployment a string", "", base + "deployment: everywhere\n", "deployment", "must be a mapping", false},
	{"yaml syntax", "", base + "  bad: [unclosed\n", "", "line", false},
	{"empty document", "", "", "", "empty document", false},
	{"only a comment", "", "# nothing\n", "", "empty document", false},
	{"top-level list", "", "- name: x\n", "", "must be a mapping of sections", false},
	{"two documents", "", base + "---\nname: other\n", "", "more than one YAML document", false},
	{"merge of a scalar", "  rsi_14:\n    oversold", "  rsi_14:\n    <<: 3\n    oversold", "fuzzy_sets.rsi_14", "<< must merge a mapping", false},
}

func init() {
	// A clash of column names: feature "a_b" set "c" vs feature "a" set "b_c".
	clash := strings.Replace(base, "  - name: macd\n    feature_id: macd_12_26_9\n", "  - name: rsi\n    feature_id: rsi\n    period: 7\n  - name: macd\n    feature_id: macd_12_26_9\n", 1)
	clash = strings.Replace(clash, "  rsi_14:\n", "  rsi:\n    14_oversold: {type: gaussian, parameters: [20, 5]}\n  rsi_14:\n", 1)
	badCases = append(badCases, badCase{"feature name clash", "", clash, "fuzzy_sets.rsi_14.oversold", `feature name "rsi_14_oversold" clashes with fuzzy_sets.rsi.14_oversold`, false})
}

func (c badCase) source(t testing.TB) string {
	if c.old == "" {
		return c.new
	}
	return edit(t, base, c.old, c.new)
}

func TestBaseIsValid(t *testing.T) {
	s, warns, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) > 0 {
		t.Fatalf("warnings: %v", warns)
	}
	if s.Name != "test_strategy" || len(s.Indicators) != 2 || len(s.FuzzySets) != 2 {
		t.Fatalf("unexpected strategy %+v", s)
	}
}

func TestMalformed(t *testing.T) {
	if len(badCases) < 25 {
		t.Fatalf("only %d cases", len(badCases))
	}
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			s, _, err := Parse([]byte(c.source(t)))
			if err == nil {
				t.Fatalf("no error; parsed %s with %d fuzzy features", s.Name, len(s.FuzzySets))
			}
			if s != nil {
				t.Errorf("strategy returned with an error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v is not a *ValidationError", err, err)
			}
			found := false
			for _, p := range ve.Problems {
				if p.Path == c.path && strings.Contains(p.Message, c.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a problem at %q containing %q; got %v", c.path, c.msg, err)
			}
			if !c.more && len(ve.Problems) != 1 {
				t.Errorf("want exactly one problem, got %d: %v", len(ve.Problems), err)
			}
		})
	}
}

func TestAllProblemsCollected(t *testing.T) {
	src := edit(t, base, "name: test_strategy", "name: \"bad name\"")
	src = edit(t, src, "period: 14", "period: 1")
	src = edit(t, src, "parameters: [0, 20, 35]", "parameters: [0, 20]")
	src = edit(t, src, "epochs: 5", "epochs: many")
	src = edit(t, src, "test: 0.15", "test: 0.5")
	_, _, err := Parse([]byte(src))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	want := []string{"name", "indicators[0].period", "fuzzy_sets.rsi_14.oversold.parameters", "model.training.epochs", "training.data_split"}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Path)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problem paths %v, want %v", got, want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid strategy: name: ") || !strings.Contains(msg, "; indicators[0].period: must be an integer >= 2; ") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestSyntaxErrorNamesLine(t *testing.T) {
	_, _, err := Parse([]byte("name: x\nindicators: [\n"))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "" || !strings.Contains(ve.Problems[0].Message, "line") {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	src := base + "author: me\n"
	src = edit(t, src, "  history_required: 100\n", "  history_required: 100\n  start_date: 2020-01-01\n")
	src = edit(t, src, "    period: 14\n", "    period: 14\n    smoothing: 3\n")
	src = edit(t, src, "oversold: {type: triangular,", "oversold: {colour: red, type: triangular,")
	src = edit(t, src, "dropout: 0.1}", "dropout: 0.1, batch_norm: true}")
	src = edit(t, src, "  method: supervised\n", "  method: supervised\n  extra: {a: 1}\n")
	src += "indicators_extra: []\n"
	s, warns, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"author",
		"training_data.start_date",
		"indicators[0].smoothing",
		"fuzzy_sets.rsi_14.oversold.colour",
		"model.architecture.batch_norm",
		"training.extra",
		"indicators_extra",
	}
	got := map[string]string{}
	for _, w := range warns {
		got[w.Path] = w.Message
	}
	for _, p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("no warning at %q; warnings %v", p, warns)
		}
	}
	if len(warns) != len(want) {
		t.Errorf("got %d warnings, want %d: %v", len(warns), len(want), warns)
	}
	if !strings.Contains(got["indicators[0].smoothing"], "unknown parameter for rsi") {
		t.Errorf("parameter warning: %q", got["indicators[0].smoothing"])
	}
	if _, ok := s.Indicators[0].Params["smoothing"]; ok {
		t.Error("unknown parameter kept")
	}
}

func TestSourceOnSourcelessIndicatorWarns(t *testing.T) {
	src := edit(t, base, "  - name: macd\n", "  - name: obv\n    feature_id: obv\n    source: high\n  - name: macd\n")
	s, warns, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Path != "indicators[1].source" {
		t.Fatalf("warnings %v", warns)
	}
	if s.Indicators[1].Source != "" {
		t.Errorf("obv source = %q, want none", s.Indicators[1].Source)
	}
}

func TestResolvedFields(t *testing.T) {
	s, _, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Symbols, []string{"SPX"}) || s.SymbolMode != "single_symbol" ||
		!reflect.DeepEqual(s.Timeframes, []marketdata.Timeframe{"1d"}) || s.BaseTimeframe != "1d" ||
		s.TimeframeMode != "single_timeframe" || s.HistoryRequired != 100 {
		t.Errorf("training data: %+v", s)
	}
	rsi, macd := s.Indicators[0], s.Indicators[1]
	if rsi.Name != "rsi" || rsi.FeatureID != "rsi_14" || rsi.Source != "close" || rsi.Params["period"] != 14 {
		t.Errorf("rsi: %+v", rsi)
	}
	if macd.Params["fast_period"] != 12 || macd.Params["slow_period"] != 26 || macd.Params["signal_period"] != 9 {
		t.Errorf("macd: %+v", macd)
	}
	f := s.FuzzySets[1]
	if f.Key != "macd_12_26_9.histogram" || f.FeatureID != "macd_12_26_9" || f.Output != "histogram" {
		t.Errorf("macd feature: %+v", f)
	}
	if s.FuzzySets[0].Output != "" || s.FuzzySets[0].Sets[0].Name != "oversold" || s.FuzzySets[0].Sets[1].Name != "overbought" {
		t.Errorf("rsi feature: %+v", s.FuzzySets[0])
	}
	if m := s.FuzzySets[0].Sets[0].Func.Membership(27.5); math.Abs(m-0.5) > 1e-12 {
		t.Errorf("oversold(27.5) = %v", m)
	}
	m := s.Model
	if m.Type != "mlp" || !reflect.DeepEqual(m.HiddenLayers, []int{8}) || m.Dropout != 0.1 || m.LookbackPeriods != 1 ||
		m.LearningRate != 0.01 || m.BatchSize != 16 || m.Epochs != 5 || m.Optimizer != "adam" ||
		m.EarlyStopping == nil || *m.EarlyStopping != (EarlyStopping{Patience: 3, MinDelta: 0.001}) {
		t.Errorf("model: %+v", m)
	}
	if s.Decisions != (Decisions{OutputFormat: "classification", ConfidenceThreshold: 0.6, PositionAwareness: true, MinSignalSeparation: 2}) {
		t.Errorf("decisions: %+v", s.Decisions)
	}
	if s.Training != (Training{Method: "supervised", LabelSource: "zigzag", ZigzagThreshold: 0.03, LabelLookahead: 20,
		MinSwingLength: 1, TrainSplit: 0.7, ValidationSplit: 0.15, TestSplit: 0.15}) {
		t.Errorf("training: %+v", s.Training)
	}
	want := []string{"1d_rsi_14_oversold", "1d_rsi_14_overbought", "1d_macd_12_26_9_histogram_negative", "1d_macd_12_26_9_histogram_positive"}
	if got := s.FeatureNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("FeatureNames = %v", got)
	}
}

const minimal = `name: minimal
training_data:
  symbols: {symbol: aapl}
  timeframes: {timeframe: 1h}
indicators:
  - {name: rsi, feature_id: rsi_14}
fuzzy_sets:
  rsi_14:
    low: {type: triangular, parameters: [0, 0, 50]}
`

func TestDefaults(t *testing.T) {
	s, warns, err := Parse([]byte(minimal))
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	if !reflect.DeepEqual(s.Symbols, []string{"AAPL"}) || s.SymbolMode != "single_symbol" ||
		s.TimeframeMode != "single_timeframe" || s.BaseTimeframe != "1h" || s.Scope != "universal" {
		t.Errorf("training data defaults: %+v", s)
	}
	if s.HistoryRequired < 15 {
		t.Errorf("default history_required %d is shorter than an RSI-14 warm-up", s.HistoryRequired)
	}
	if s.Deployment != nil {
		t.Errorf("deployment %v", s.Deployment)
	}
	want := Model{Type: "mlp", HiddenLayers: []int{32, 16}, Activation: "relu", OutputActivation: "softmax", Dropout: 0.2,
		ScaleFeatures: true, LearningRate: 0.001, BatchSize: 32, Epochs: 50, Optimizer: "adam"}
	if !reflect.DeepEqual(s.Model, want) {
		t.Errorf("model defaults %+v, want %+v", s.Model, want)
	}
	if s.Decisions != (Decisions{OutputFormat: "classification", ConfidenceThreshold: 0.6, PositionAwareness: true}) {
		t.Errorf("decision defaults %+v", s.Decisions)
	}
	if s.Training != (Training{Method: "supervised", LabelSource: "zigzag", ZigzagThreshold: 0.03, LabelLookahead: 20,
		MinSwingLength: 1, TrainSplit: 0.7, ValidationSplit: 0.15, TestSplit: 0.15}) {
		t.Errorf("training defaults %+v", s.Training)
	}
}

func TestModesInferredAndMulti(t *testing.T) {
	src := edit(t, minimal, "symbols: {symbol: aapl}", "symbols: {list: [SYNA, SYNB]}")
	src = edit(t, src, "timeframes: {timeframe: 1h}", "timeframes: {list: [4h, 1h], base_timeframe: 1h}")
	s, _, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.SymbolMode != "multi_symbol" || s.TimeframeMode != "multi_timeframe" || s.BaseTimeframe != "1h" ||
		!reflect.DeepEqual(s.Timeframes, []marketdata.Timeframe{"4h", "1h"}) {
		t.Errorf("%+v", s)
	}
	if got := s.FeatureNames(); !reflect.DeepEqual(got, []string{"4h_rsi_14_low", "1h_rsi_14_low"}) {
		t.Errorf("FeatureNames = %v", got)
	}
}

func TestEarlyStoppingDisabled(t *testing.T) {
	s, _, err := Parse([]byte(edit(t, base, "enabled: true", "enabled: false")))
	if err != nil {
		t.Fatal(err)
	}
	if s.Model.EarlyStopping != nil {
		t.Errorf("early stopping %+v", s.Model.EarlyStopping)
	}
}

func TestExplicitPrimaryOutput(t *testing.T) {
	s, _, err := Parse([]byte(edit(t, base, "macd_12_26_9.histogram:", "macd_12_26_9.line:")))
	if err != nil {
		t.Fatal(err)
	}
	if f := s.FuzzySets[1]; f.Output != "" || f.Key != "macd_12_26_9.line" {
		t.Errorf("%+v", f)
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	src := edit(t, base, "  rsi_14:\n    oversold: {type: triangular, parameters: [0, 20, 35]}\n    overbought: {type: triangular, parameters: [65, 80, 100]}\n",
		"  rsi_14: &rsisets\n    oversold: {type: triangular, parameters: [0, 20, 35]}\n    overbought: {type: triangular, parameters: [65, 80, 100]}\n")
	src = edit(t, src, "    period: 14\n    source: close\n", "    period: 14\n    source: close\n  - {name: rsi, feature_id: rsi_7, period: 7}\n")
	src = edit(t, src, "model:\n", "  rsi_7:\n    <<: *rsisets\n    overbought: {type: triangular, parameters: [70, 85, 100]}\n    neutral: {type: gaussian, parameters: [50, 10]}\nmodel:\n")
	s, warns, err := Parse([]byte(src))
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	f := s.FuzzySets[2]
	var names []string
	for _, set := range f.Sets {
		names = append(names, set.Name)
	}
	if f.Key != "rsi_7" || !reflect.DeepEqual(names, []string{"oversold", "overbought", "neutral"}) || f.Sets[1].Parameters[0] != 70 {
		t.Errorf("merged sets %v %+v", names, f.Sets)
	}
}

func TestDeploymentKept(t *testing.T) {
	src := base + "deployment:\n  target_symbols: {mode: training_only}\n  target_timeframes: {mode: single_timeframe}\n  weights: [1, 2.5, .nan]\n"
	s, warns, err := Parse([]byte(src))
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	want := map[string]any{
		"target_symbols":    map[string]any{"mode": "training_only"},
		"target_timeframes": map[string]any{"mode": "single_timeframe"},
		"weights":           []any{1, 2.5, ".nan"},
	}
	if !reflect.DeepEqual(s.Deployment, want) {
		t.Errorf("deployment %#v", s.Deployment)
	}
}

func TestVersionAsNumber(t *testing.T) {
	s, _, err := Parse([]byte(edit(t, base, `version: "1.0"`, "version: 1.0")))
	if err != nil || s.Version != "1.0" {
		t.Fatal(err, s)
	}
}

func TestHash(t *testing.T) {
	a, _, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Parse([]byte(base))
	if a.Hash() != b.Hash() || !strings.HasPrefix(a.Hash(), "sha256:") || len(a.Hash()) != len("sha256:")+64 {
		t.Fatalf("hash %q vs %q", a.Hash(), b.Hash())
	}
	// The hash is of the bytes, not the meaning: a comment changes it.
	c, _, _ := Parse([]byte(base + "# comment\n"))
	if c.Hash() == a.Hash() {
		t.Error("hash ignores content")
	}
	// Raw is a copy: changing the caller's buffer does not change it.
	buf := []byte(base)
	d, _, _ := Parse(buf)
	buf[0] = 'X'
	if d.Hash() != a.Hash() {
		t.Error("Raw aliases the input")
	}
	// Known value: sha256 of the empty input is fixed.
	e := &Strategy{}
	if e.Hash() != "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty hash %s", e.Hash())
	}
}

func TestFeatureName(t *testing.T) {
	for _, c := range []struct{ tf, key, set, want string }{
		{"1d", "rsi_14", "oversold", "1d_rsi_14_oversold"},
		{"1d", "macd_12_26_9.histogram", "positive", "1d_macd_12_26_9_histogram_positive"},
		{"4h", "bb", "wide", "4h_bb_wide"},
	} {
		if got := FeatureName(marketdata.Timeframe(c.tf), c.key, c.set); got != c.want {
			t.Errorf("FeatureName(%s, %s, %s) = %s", c.tf, c.key, c.set, got)
		}
	}
}

// YAML lets an anchored node contain an alias to itself; the parser must
// neither loop nor blow up on merges of merges.
func TestSelfReferentialAliases(t *testing.T) {
	for _, c := range []struct{ src, path string }{
		{"deployment: &d {a: *d}\n", "deployment.a"},
		{"fuzzy_sets: &f {<<: *f}\n", "fuzzy_sets"},
		{"fuzzy_sets: &f {rsi: *f}\n", "fuzzy_sets.rsi"},
		{"indicators: &i [*i]\n", "indicators[0]"},
		{"a: &a {b: 1}\nb: &b {<<: [*a, *a]}\nc: &c {<<: [*b, *b]}\nfuzzy_sets: {<<: [*c, *c]}\n", "fuzzy_sets"},
	} {
		_, _, err := Parse([]byte(c.src))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%q: %v", c.src, err)
		}
		found := false
		for _, p := range ve.Problems {
			found = found || strings.HasPrefix(p.Path, c.path)
		}
		if !found {
			t.Errorf("%q: no problem under %s: %v", c.src, c.path, err)
		}
	}
}
