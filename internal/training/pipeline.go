// Package training is ktrdr's training pipeline and the training worker's
// executor. The pipeline (this file) is plain computation: tables of
// features per symbol, zigzag labels, chronological splits, scaling, the
// MLP fit and its evaluation. The executor (executor.go) adds what a worker
// needs around it: parameters, bars over HTTP, progress, spans, the upload.
package training

import (
	"context"
	"fmt"
	"math"

	"github.com/ktrdr/ktrdr/internal/features"
	"github.com/ktrdr/ktrdr/internal/labels"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/nn"
	"github.com/ktrdr/ktrdr/internal/strategy"
)

// Data is the bars of a training run: symbol → timeframe → series.
type Data map[string]map[marketdata.Timeframe]marketdata.Series

// ComputeIndicators runs the strategy's indicators for every symbol, in
// the order of symbols.
func ComputeIndicators(s *strategy.Strategy, symbols []string, data Data) ([]*features.Computed, error) {
	out := make([]*features.Computed, 0, len(symbols))
	for _, sym := range symbols {
		c, err := features.ComputeIndicators(s, data[sym])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sym, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Fuzzify turns computed indicators into feature tables.
func Fuzzify(cs []*features.Computed) ([]*features.Table, error) {
	out := make([]*features.Table, 0, len(cs))
	for _, c := range cs {
		t, err := c.Fuzzify()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Split is one part of the dataset.
type Split struct {
	X nn.Matrix
	Y []int
}

// Dataset is what the network is fitted and scored on.
type Dataset struct {
	Names            []string
	Train, Val, Test Split
	Scaler           *models.Scaler
	Samples          int
	LabelCount       [labels.NumClasses]int
	Bars             int // base bars over all symbols
}

// MakeDataset labels every table with the strategy's zigzag rule, keeps the
// rows that are complete and labelled, splits each symbol chronologically
// (train, then validation, then test: the test split is always the most
// recent data and never seen in training) and, when the strategy asks for
// it, standardises features with statistics of the training split only.
func MakeDataset(s *strategy.Strategy, tables []*features.Table) (*Dataset, error) {
	if len(tables) == 0 {
		return nil, fmt.Errorf("no data")
	}
	ds := &Dataset{Names: tables[0].Names}
	nf := len(ds.Names)
	var parts [3]struct {
		x []float64
		y []int
	}
	for _, t := range tables {
		ls, err := labels.Zigzag(t.Close, s.Training.ZigzagThreshold, s.Training.LabelLookahead, s.Training.MinSwingLength)
		if err != nil {
			return nil, err
		}
		var rows []int
		for i := range t.Rows() {
			if t.Complete[i] && ls[i] != labels.Unknown {
				rows = append(rows, i)
			}
		}
		ds.Bars += t.Rows()
		n := len(rows)
		nTrain := int(math.Round(float64(n) * s.Training.TrainSplit))
		nVal := int(math.Round(float64(n) * s.Training.ValidationSplit))
		if nTrain+nVal > n {
			nVal = n - nTrain
		}
		row := make([]float64, nf)
		for k, i := range rows {
			p := 2
			if k < nTrain {
				p = 0
			} else if k < nTrain+nVal {
				p = 1
			}
			t.Row(i, row)
			parts[p].x = append(parts[p].x, row...)
			parts[p].y = append(parts[p].y, int(ls[i]))
			ds.LabelCount[ls[i]]++
		}
		ds.Samples += n
	}
	mk := func(p int) Split {
		return Split{X: nn.Matrix{Rows: len(parts[p].y), Cols: nf, Data: parts[p].x}, Y: parts[p].y}
	}
	ds.Train, ds.Val, ds.Test = mk(0), mk(1), mk(2)
	if ds.Train.X.Rows < 10 {
		return nil, fmt.Errorf("only %d training samples after warm-up and labelling (%d bars): load a longer range", ds.Train.X.Rows, ds.Bars)
	}
	if ds.Test.X.Rows == 0 {
		return nil, fmt.Errorf("the test split is empty (%d samples): load a longer range or raise training.data_split.test", ds.Samples)
	}
	if s.Model.ScaleFeatures {
		ds.Scaler = FitScaler(ds.Train.X)
		for _, sp := range []Split{ds.Train, ds.Val, ds.Test} {
			for i := range sp.X.Rows {
				ApplyScaler(ds.Scaler, sp.X.Row(i))
			}
		}
	}
	return ds, nil
}

// FitScaler computes per-feature mean and standard deviation; a constant
// feature gets std 1 so it scales to 0 rather than to NaN.
func FitScaler(x nn.Matrix) *models.Scaler {
	sc := &models.Scaler{Mean: make([]float64, x.Cols), Std: make([]float64, x.Cols)}
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			sc.Mean[j] += v
		}
	}
	for j := range sc.Mean {
		sc.Mean[j] /= float64(max(x.Rows, 1))
	}
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			d := v - sc.Mean[j]
			sc.Std[j] += d * d
		}
	}
	for j := range sc.Std {
		sc.Std[j] = math.Sqrt(sc.Std[j] / float64(max(x.Rows, 1)))
		if sc.Std[j] < 1e-12 {
			sc.Std[j] = 1
		}
	}
	return sc
}

// ApplyScaler standardises one row in place (nil scaler: unchanged).
func ApplyScaler(sc *models.Scaler, row []float64) {
	if sc == nil {
		return
	}
	for j := range row {
		row[j] = (row[j] - sc.Mean[j]) / sc.Std[j]
	}
}

// NetworkConfig is the strategy's network for nf inputs.
func NetworkConfig(s *strategy.Strategy, nf int, seed uint64) nn.Config {
	return nn.Config{Inputs: nf, Hidden: s.Model.HiddenLayers, Outputs: labels.NumClasses,
		Activation: s.Model.Activation, Dropout: s.Model.Dropout, Seed: seed}
}

// TrainConfig is the strategy's optimiser settings.
func TrainConfig(s *strategy.Strategy) nn.TrainConfig {
	tc := nn.TrainConfig{LearningRate: s.Model.LearningRate, BatchSize: s.Model.BatchSize, Epochs: s.Model.Epochs, Optimizer: s.Model.Optimizer}
	if es := s.Model.EarlyStopping; es != nil {
		tc.EarlyStopping = &nn.EarlyStopping{Patience: es.Patience, MinDelta: es.MinDelta}
	}
	return tc
}

// Fit builds and trains the strategy's network on ds.
func Fit(ctx context.Context, s *strategy.Strategy, ds *Dataset, seed uint64, onEpoch func(nn.EpochStats) error) (*nn.MLP, nn.FitResult, error) {
	net, err := nn.New(NetworkConfig(s, len(ds.Names), seed))
	if err != nil {
		return nil, nn.FitResult{}, err
	}
	res, err := net.Fit(ctx, ds.Train.X, ds.Train.Y, ds.Val.X, ds.Val.Y, TrainConfig(s), onEpoch)
	return net, res, err
}

// Evaluate scores the network on the test split (and train/validation
// accuracy for comparison).
func Evaluate(net *nn.MLP, ds *Dataset, fit nn.FitResult) models.Metrics {
	ev := net.Evaluate(ds.Test.X, ds.Test.Y)
	m := models.Metrics{
		TestAccuracy: ev.Accuracy, TestLoss: ev.Loss, MajorityBaseline: ev.MajorityBaseline,
		MajorityClass: labels.Class(ev.MajorityClass).String(),
		Precision:     ev.Precision, Recall: ev.Recall, F1: ev.F1, Support: ev.Support, Confusion: ev.Confusion,
		Epochs: len(fit.History), BestEpoch: fit.BestEpoch, StoppedEarly: fit.StoppedEarly,
	}
	m.TrainAccuracy = net.Evaluate(ds.Train.X, ds.Train.Y).Accuracy
	if ds.Val.X.Rows > 0 {
		m.ValAccuracy = net.Evaluate(ds.Val.X, ds.Val.Y).Accuracy
	}
	return m
}
