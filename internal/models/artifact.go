// Package models is the backend's model store: versioned artifacts of
// trained models, written by training workers over HTTP and read by
// backtest workers, so nothing is shared through a filesystem. It knows the
// artifact's envelope (names, metadata, metrics) but not the network's
// weights, which it keeps as opaque JSON.
package models

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Artifact is one trained model with everything needed to use it again:
// the network, the exact strategy it was trained from, the feature names in
// input order and the scaler fitted on the training split.
type Artifact struct {
	Strategy     string               `json:"strategy"`
	Timeframe    marketdata.Timeframe `json:"timeframe"` // the strategy's base timeframe
	Version      int                  `json:"version"`   // assigned by the store
	CreatedAt    time.Time            `json:"created_at"`
	StrategyHash string               `json:"strategy_hash"`
	StrategyYAML string               `json:"strategy_yaml"`
	Features     []string             `json:"features"`
	Scaler       *Scaler              `json:"scaler,omitempty"`
	Architecture Architecture         `json:"architecture"`
	Network      json.RawMessage      `json:"network"` // the nn.MLP, weights included
	Labels       Labels               `json:"labels"`
	Fuzzy        json.RawMessage      `json:"fuzzy_config,omitempty"`
	Metrics      Metrics              `json:"metrics"`
	Data         DataSummary          `json:"data"`
	Seed         uint64               `json:"seed"`
	OperationID  string               `json:"operation_id,omitempty"`
	TraceID      string               `json:"trace_id,omitempty"`
}

// Scaler standardises features: (x - Mean) / Std, fitted on the training split.
type Scaler struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// Architecture is the network's shape, readable without decoding it.
type Architecture struct {
	Inputs     int     `json:"inputs"`
	Hidden     []int   `json:"hidden_layers"`
	Outputs    int     `json:"outputs"`
	Activation string  `json:"activation"`
	Dropout    float64 `json:"dropout"`
}

// Labels is how the training targets were made.
type Labels struct {
	Source         string  `json:"source"`
	Threshold      float64 `json:"zigzag_threshold"`
	Lookahead      int     `json:"label_lookahead"`
	MinSwingLength int     `json:"min_swing_length"`
}

// Metrics are the model's scores on its held-out test split, with the
// majority-class baseline it has to beat.
type Metrics struct {
	TestAccuracy     float64   `json:"test_accuracy"`
	TestLoss         float64   `json:"test_loss"`
	MajorityBaseline float64   `json:"majority_baseline"`
	MajorityClass    string    `json:"majority_class"`
	TrainAccuracy    float64   `json:"train_accuracy"`
	ValAccuracy      float64   `json:"val_accuracy"`
	Precision        []float64 `json:"precision"` // per class, BUY HOLD SELL
	Recall           []float64 `json:"recall"`
	F1               []float64 `json:"f1"`
	Support          []int     `json:"support"`
	Confusion        [][]int   `json:"confusion"` // [true][predicted]
	Epochs           int       `json:"epochs"`
	BestEpoch        int       `json:"best_epoch"`
	StoppedEarly     bool      `json:"stopped_early"`
}

// DataSummary is what the model was trained on.
type DataSummary struct {
	Symbols    []string  `json:"symbols"`
	Timeframes []string  `json:"timeframes"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Bars       int       `json:"bars"`
	Samples    int       `json:"samples"`
	Train      int       `json:"train_samples"`
	Validation int       `json:"validation_samples"`
	Test       int       `json:"test_samples"`
	LabelCount []int     `json:"label_distribution"` // BUY HOLD SELL over all samples
}

// Name is the artifact's display name, {strategy}/{timeframe}_v{N}.
func Name(strategy string, tf marketdata.Timeframe, version int) string {
	return fmt.Sprintf("%s/%s_v%d", strategy, tf, version)
}

var strategyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// FieldError is an artifact that cannot be stored; Field names the JSON field.
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidateName checks a strategy name as used in store paths.
func ValidateName(s string) error {
	if !strategyName.MatchString(s) || s == "." || s == ".." {
		return &FieldError{"strategy", fmt.Sprintf("invalid strategy name %q", s)}
	}
	return nil
}

// Validate checks what the store and its readers rely on.
func (a *Artifact) Validate() error {
	if err := ValidateName(a.Strategy); err != nil {
		return err
	}
	if _, err := marketdata.ParseTimeframe(string(a.Timeframe)); err != nil {
		return &FieldError{"timeframe", err.Error()}
	}
	if len(a.Features) == 0 {
		return &FieldError{"features", "at least one feature is required"}
	}
	if a.Architecture.Inputs != len(a.Features) {
		return &FieldError{"architecture.inputs", fmt.Sprintf("%d inputs for %d features", a.Architecture.Inputs, len(a.Features))}
	}
	if a.Architecture.Outputs < 2 {
		return &FieldError{"architecture.outputs", "at least 2 outputs are required"}
	}
	if a.Scaler != nil && (len(a.Scaler.Mean) != len(a.Features) || len(a.Scaler.Std) != len(a.Features)) {
		return &FieldError{"scaler", "mean and std need one value per feature"}
	}
	var probe map[string]json.RawMessage
	if len(a.Network) == 0 || json.Unmarshal(a.Network, &probe) != nil {
		return &FieldError{"network", "must be a JSON object"}
	}
	if a.StrategyYAML == "" {
		return &FieldError{"strategy_yaml", "the strategy the model was trained from is required"}
	}
	return nil
}

// Info is an artifact without its weights, as listed.
type Info struct {
	Name         string               `json:"name"`
	Strategy     string               `json:"strategy"`
	Timeframe    marketdata.Timeframe `json:"timeframe"`
	Version      int                  `json:"version"`
	CreatedAt    time.Time            `json:"created_at"`
	StrategyHash string               `json:"strategy_hash"`
	Features     int                  `json:"features"`
	Architecture Architecture         `json:"architecture"`
	Metrics      Metrics              `json:"metrics"`
	Data         DataSummary          `json:"data"`
	OperationID  string               `json:"operation_id,omitempty"`
	TraceID      string               `json:"trace_id,omitempty"`
	SizeBytes    int64                `json:"size_bytes"`
}

// Info summarises the artifact.
func (a *Artifact) Info(size int64) Info {
	return Info{
		Name: Name(a.Strategy, a.Timeframe, a.Version), Strategy: a.Strategy, Timeframe: a.Timeframe, Version: a.Version,
		CreatedAt: a.CreatedAt, StrategyHash: a.StrategyHash, Features: len(a.Features), Architecture: a.Architecture,
		Metrics: a.Metrics, Data: a.Data, OperationID: a.OperationID, TraceID: a.TraceID, SizeBytes: size,
	}
}
