package strategy

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/ktrdr/ktrdr/internal/fuzzy"
	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Strategy is a parsed and validated strategy file. Every field is filled:
// optional sections that were absent hold their defaults (see the package
// documentation).
type Strategy struct {
	Name, Description, Version, Hypothesis, Scope string

	Symbols         []string               // from training_data.symbols (list or symbol), upper-cased, order kept
	SymbolMode      string                 // single_symbol | multi_symbol
	Timeframes      []marketdata.Timeframe // from training_data.timeframes (list or timeframe), order kept
	TimeframeMode   string                 // single_timeframe | multi_timeframe
	BaseTimeframe   marketdata.Timeframe   // base_timeframe, default Timeframes[0]
	HistoryRequired int                    // bars of history; default: the indicators' warm-up + lookback
	Deployment      map[string]any         // kept as written, not acted on; nil when absent

	Indicators []Indicator
	FuzzySets  []FuzzyFeature // in file order
	Model      Model
	Decisions  Decisions
	Training   Training
	Rule       *Rule // the rules section of a rule-based baseline; nil for a model-based strategy

	Raw []byte // the exact bytes parsed
}

// Indicator is one entry of the indicators list.
type Indicator struct {
	Name      string             // canonical catalog name (indicators.Lookup(...).Name)
	FeatureID string             // unique within the strategy
	Source    string             // price series fed to the indicator; "close" by default, "" when it uses none
	Params    map[string]float64 // every parameter, defaults filled in (Definition.Resolve)
}

// FuzzyFeature is one key of fuzzy_sets: the fuzzy sets of one indicator
// output.
type FuzzyFeature struct {
	Key       string     // as written: "rsi_14" or "macd_12_26_9.histogram"
	FeatureID string     // "macd_12_26_9"
	Output    string     // "" for the primary output, else an output name of the indicator
	Sets      []FuzzySet // in file order
}

// FuzzySet is one membership function of a fuzzy feature.
type FuzzySet struct {
	Name       string
	Type       string // triangular | trapezoidal | gaussian
	Parameters []float64
	Func       fuzzy.Func
}

// Model is the model section: an MLP over the fuzzy memberships.
type Model struct {
	Type             string // only "mlp"
	HiddenLayers     []int
	Activation       string // relu | tanh | sigmoid | leaky_relu
	OutputActivation string // softmax
	Dropout          float64

	IncludePriceContext bool
	LookbackPeriods     int // lagged copies of the features; 0 = none
	ScaleFeatures       bool

	LearningRate  float64
	BatchSize     int
	Epochs        int
	Optimizer     string         // adam | sgd
	EarlyStopping *EarlyStopping // nil when absent or enabled: false
}

// EarlyStopping stops training when validation loss has not improved by
// MinDelta for Patience epochs.
type EarlyStopping struct {
	Patience int
	MinDelta float64
}

// Decisions turns model outputs into trading signals.
type Decisions struct {
	OutputFormat        string // classification
	ConfidenceThreshold float64
	PositionAwareness   bool
	MinSignalSeparation int  // filters.min_signal_separation, bars
	VolumeFilter        bool // filters.volume_filter
	AllowShort          bool // allow_short
}

// Training is the training section: how labels are made and data split.
type Training struct {
	Method          string // supervised
	LabelSource     string // zigzag
	ZigzagThreshold float64
	LabelLookahead  int
	MinSwingLength  int // labels.min_swing_length

	TrainSplit, ValidationSplit, TestSplit float64
}

// Hash identifies the exact file content: "sha256:" + hex of Raw.
func (s *Strategy) Hash() string {
	sum := sha256.Sum256(s.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// FeatureName is the name of one fuzzy membership column:
// "{tf}_{feature_id}_{set}", with a non-primary output joined by "_":
// FeatureName("1d", "macd_12_26_9.histogram", "positive") is
// "1d_macd_12_26_9_histogram_positive".
func FeatureName(tf marketdata.Timeframe, key, set string) string {
	return string(tf) + "_" + strings.ReplaceAll(key, ".", "_") + "_" + set
}

// FeatureNames lists the model's fuzzy input columns (before lags): for
// each timeframe in Timeframes order, every set of every fuzzy feature in
// file order. Parse guarantees the names are distinct.
func (s *Strategy) FeatureNames() []string {
	var out []string
	for _, tf := range s.Timeframes {
		for _, f := range s.FuzzySets {
			for _, set := range f.Sets {
				out = append(out, FeatureName(tf, f.Key, set.Name))
			}
		}
	}
	return out
}

// Warning is a harmless oddity, such as an unknown key that is ignored.
type Warning struct{ Path, Message string }

// String renders "path: message".
func (w Warning) String() string { return pathMessage(w.Path, w.Message) }

// Problem is one reason a strategy is invalid, at a YAML path such as
// "indicators[2].name" or "fuzzy_sets.rsi_14.oversold.parameters". The path
// is "" for problems with the document as a whole (YAML syntax errors).
type Problem struct{ Path, Message string }

// String renders "path: message".
func (p Problem) String() string { return pathMessage(p.Path, p.Message) }

func pathMessage(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

// ValidationError lists every problem found in a strategy file.
type ValidationError struct{ Problems []Problem }

// Error renders "invalid strategy: path: msg; path2: msg2".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid strategy: " + strings.Join(parts, "; ")
}

// Rule types of rule-based strategies.
const (
	RuleMACrossover  = "ma_crossover"  // BUY when the fast MA crosses above the slow one, SELL when below
	RuleRSIThreshold = "rsi_threshold" // BUY when RSI crosses below oversold, SELL when above overbought
)

// Rule is the `rules` section: a baseline that trades without a model.
// Decisions are taken at a bar's close from closes up to that bar.
type Rule struct {
	Type                   string
	MA                     string  // ma_crossover: sma (default) or ema
	FastPeriod, SlowPeriod int     // ma_crossover: defaults 10 and 30
	Period                 int     // rsi_threshold: default 14
	Oversold, Overbought   float64 // rsi_threshold: defaults 30 and 70
}
