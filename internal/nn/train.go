package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// TrainConfig sets how Fit trains.
type TrainConfig struct {
	LearningRate float64 // > 0
	BatchSize    int     // >= 1; the last batch of an epoch may be smaller
	Epochs       int     // >= 1
	// Optimizer is "adam" (β1 0.9, β2 0.999, ε 1e-8, bias-corrected exactly
	// as torch.optim.Adam, no weight decay) or "sgd" (plain, no momentum).
	Optimizer string
	// EarlyStopping, when set and the validation set is not empty, stops
	// training once the validation loss has not improved by more than
	// MinDelta for Patience epochs in a row, and in every case restores the
	// weights of the best epoch before Fit returns.
	EarlyStopping *EarlyStopping
	// ClassWeights, optional (len Outputs, each > 0), weight each sample's
	// cross-entropy by the weight of its true class. As in
	// torch.nn.CrossEntropyLoss(weight=...), a batch's loss is the weighted
	// mean Σ w[y]·CE / Σ w[y]. The reported Loss and ValLoss use the same
	// weighting.
	ClassWeights []float64
}

// EarlyStopping configures early stopping on validation loss.
type EarlyStopping struct {
	Patience int     // epochs without improvement tolerated before stopping (>= 0)
	MinDelta float64 // an improvement must lower the best validation loss by more than this (>= 0)
}

// EpochStats reports one epoch. Epoch counts from 1 to Epochs.
// Loss and Accuracy are the running values over the epoch's training batches
// (with dropout active, as the weights changed during the epoch); ValLoss and
// ValAccuracy are measured after the epoch without dropout, and are NaN when
// the validation set is empty.
type EpochStats struct {
	Epoch, Epochs                        int
	Loss, Accuracy, ValLoss, ValAccuracy float64
	Duration                             time.Duration
}

// FitResult summarises a Fit call.
type FitResult struct {
	History []EpochStats // one entry per completed epoch
	// BestEpoch is the epoch with the lowest validation loss (with
	// EarlyStopping, the lowest by its MinDelta rule: the epoch whose weights
	// the model holds on return); 0 without validation data.
	BestEpoch    int
	StoppedEarly bool
	Samples      int // training samples processed (forward and backward), partial epochs included
}

const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// Validate checks tc for a network with the given number of outputs and
// returns an error naming the offending field.
func (tc TrainConfig) Validate(outputs int) error {
	if !(tc.LearningRate > 0) || math.IsInf(tc.LearningRate, 0) {
		return fmt.Errorf("nn: TrainConfig.LearningRate must be a finite number > 0, got %v", tc.LearningRate)
	}
	if tc.BatchSize < 1 {
		return fmt.Errorf("nn: TrainConfig.BatchSize must be >= 1, got %d", tc.BatchSize)
	}
	if tc.Epochs < 1 {
		return fmt.Errorf("nn: TrainConfig.Epochs must be >= 1, got %d", tc.Epochs)
	}
	if tc.Optimizer != "adam" && tc.Optimizer != "sgd" {
		return fmt.Errorf("nn: TrainConfig.Optimizer %q is not one of adam, sgd", tc.Optimizer)
	}
	if es := tc.EarlyStopping; es != nil {
		if es.Patience < 0 {
			return fmt.Errorf("nn: TrainConfig.EarlyStopping.Patience must be >= 0, got %d", es.Patience)
		}
		if !(es.MinDelta >= 0) || math.IsInf(es.MinDelta, 0) {
			return fmt.Errorf("nn: TrainConfig.EarlyStopping.MinDelta must be a finite number >= 0, got %v", es.MinDelta)
		}
	}
	if tc.ClassWeights != nil {
		if len(tc.ClassWeights) != outputs {
			return fmt.Errorf("nn: TrainConfig.ClassWeights has %d values, the network has %d outputs", len(tc.ClassWeights), outputs)
		}
		for i, w := range tc.ClassWeights {
			if !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("nn: TrainConfig.ClassWeights[%d] must be a finite number > 0, got %v", i, w)
			}
		}
	}
	return nil
}

// Fit trains the network with mini-batch gradient descent on softmax
// cross-entropy; y values are in [0, Outputs). The training set is shuffled
// every epoch with a generator seeded from Config.Seed, so equal inputs give
// bit-identical results.
//
// vx, vy is the validation set; it may be empty (Matrix{} and nil), in which
// case ValLoss/ValAccuracy are NaN and there is no early stopping.
//
// ctx is checked between batches: on cancellation Fit returns the partial
// result (completed epochs, samples processed) and ctx.Err(). onEpoch, when
// not nil, is called after every epoch; a non-nil error from it stops
// training and is returned with the result so far. On every return after
// training started, a configured EarlyStopping restores the best epoch's
// weights.
//
// Fit moves all weights into one contiguous buffer (the optimiser works on
// it as a whole), so slices of Layers taken before Fit no longer alias the
// model afterwards.
//
// Invalid configuration or data (shape mismatch, NaN/Inf features, labels
// out of range) is reported as an error before anything changes; a training
// loss that becomes NaN or infinite stops Fit with an error.
func (m *MLP) Fit(ctx context.Context, x Matrix, y []int, vx Matrix, vy []int, tc TrainConfig, onEpoch func(EpochStats) error) (FitResult, error) {
	var res FitResult
	act, err := m.check()
	if err != nil {
		return res, err
	}
	outs := m.Config.Outputs
	if err := tc.Validate(outs); err != nil {
		return res, err
	}
	if err := checkData("x", "y", x, y, m.Config.Inputs, outs); err != nil {
		return res, err
	}
	if x.Rows == 0 {
		return res, fmt.Errorf("nn: the training set is empty")
	}
	if err := checkData("vx", "vy", vx, vy, m.Config.Inputs, outs); err != nil {
		return res, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	done := ctx.Done()

	n := x.Rows
	bs := min(tc.BatchSize, n)
	params := m.flatten()
	grads := make([]float64, len(params))
	var adamM, adamV []float64
	if tc.Optimizer == "adam" {
		adamM, adamV = make([]float64, len(params)), make([]float64, len(params))
	}
	ws := new(workspace)
	ws.reset(m, act, bs, true)
	dropped := ws.dropout > 0
	batchX := make([]float64, bs*x.Cols)
	batchY := make([]int, bs)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	rng := rand.New(rand.NewPCG(m.Config.Seed, streamTrain))
	cw := tc.ClassWeights

	hasVal := vx.Rows > 0
	var vws *workspace
	if hasVal {
		vws = getInferWorkspace(m, act)
		defer inferPool.Put(vws)
	}
	es := tc.EarlyStopping
	if !hasVal {
		es = nil
	}
	var bestParams []float64
	if es != nil {
		bestParams = make([]float64, len(params))
	}
	best, wait := math.Inf(1), 0
	// On any return once training started, put the best weights back.
	restore := func() {
		if es != nil && res.BestEpoch > 0 {
			copy(params, bestParams)
		}
	}
	res.History = make([]EpochStats, 0, tc.Epochs)
	step := 0

	for epoch := 1; epoch <= tc.Epochs; epoch++ {
		start := time.Now()
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var sumWL, sumW float64
		correct := 0
		for b := 0; b < n; b += bs {
			select {
			case <-done:
				restore()
				return res, ctx.Err()
			default:
			}
			rows := min(bs, n-b)
			for i, p := range perm[b : b+rows] {
				copy(batchX[i*x.Cols:(i+1)*x.Cols], x.Data[p*x.Cols:(p+1)*x.Cols])
				batchY[i] = y[p]
			}
			in := batchX[:rows*x.Cols]
			ws.forward(m, in, rows, rng)

			bWL, bW, bc := ws.lossGrad(batchY[:rows], cw)
			correct += bc
			sumWL += bWL
			sumW += bW

			ws.backward(m, in, rows, grads, dropped)
			step++
			if adamM != nil {
				adamStep(params, grads, adamM, adamV, tc.LearningRate, step)
			} else {
				axpy(-tc.LearningRate, grads, params)
			}
			res.Samples += rows
		}

		st := EpochStats{Epoch: epoch, Epochs: tc.Epochs, Loss: sumWL / sumW,
			Accuracy: float64(correct) / float64(n), ValLoss: math.NaN(), ValAccuracy: math.NaN()}
		if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
			restore()
			return res, fmt.Errorf("nn: training diverged in epoch %d (loss %v); try a lower TrainConfig.LearningRate", epoch, st.Loss)
		}
		improved := false
		if hasVal {
			st.ValLoss, st.ValAccuracy = m.weightedLoss(vws, vx, vy, cw)
			if es != nil {
				if st.ValLoss < best-es.MinDelta {
					best, wait, improved = st.ValLoss, 0, true
					copy(bestParams, params)
				} else {
					wait++
				}
			} else if st.ValLoss < best {
				best, improved = st.ValLoss, true
			}
			if improved {
				res.BestEpoch = epoch
			}
		}
		st.Duration = time.Since(start)
		res.History = append(res.History, st)
		if onEpoch != nil {
			if err := onEpoch(st); err != nil {
				restore()
				return res, err
			}
		}
		if es != nil && !improved && wait >= es.Patience && epoch < tc.Epochs {
			res.StoppedEarly = true
			break
		}
	}
	restore()
	return res, nil
}

// adamStep applies one torch.optim.Adam update (step counts from 1).
func adamStep(params, grads, m, v []float64, lr float64, step int) {
	bc1 := 1 - math.Pow(adamBeta1, float64(step))
	bc2 := 1 - math.Pow(adamBeta2, float64(step))
	stepSize := lr / bc1
	invSqrtBC2 := 1 / math.Sqrt(bc2)
	grads, m, v = grads[:len(params)], m[:len(params)], v[:len(params)]
	for k, g := range grads {
		mk := adamBeta1*m[k] + (1-adamBeta1)*g
		vk := adamBeta2*v[k] + (1-adamBeta2)*g*g
		m[k], v[k] = mk, vk
		params[k] -= stepSize * mk / (math.Sqrt(vk)*invSqrtBC2 + adamEps)
	}
}

// weightedLoss returns the (class-weighted when cw != nil) mean cross-entropy
// and the accuracy of m on x, y without dropout.
func (m *MLP) weightedLoss(ws *workspace, x Matrix, y []int, cw []float64) (loss, acc float64) {
	outs := m.Config.Outputs
	var sumWL, sumW float64
	correct := 0
	ws.forEachChunk(m, x, func(start, rows int, logits []float64) {
		for i, c := range y[start : start+rows] {
			row := logits[i*outs : (i+1)*outs]
			ce := softmaxRow(row, c)
			w := 1.0
			if cw != nil {
				w = cw[c]
			}
			sumWL += w * ce
			sumW += w
			if argmax(row) == c {
				correct++
			}
		}
	})
	return sumWL / sumW, float64(correct) / float64(len(y))
}

// lossGrad turns the logits left by forward into probabilities, and returns
// the batch's weighted cross-entropy sum Σ w[y]·CE and weight sum Σ w[y]
// (w = 1 without class weights) and the number of correct predictions. It
// writes the gradient of the batch loss Σ w·CE / Σ w with respect to the
// logits into ws.d[L-1], ready for backward.
func (ws *workspace) lossGrad(labels []int, cw []float64) (sumWL, sumW float64, correct int) {
	L := len(ws.widths) - 1
	outs := ws.widths[L]
	rows := len(labels)
	probs := ws.a[L][:rows*outs]
	d := ws.d[L-1][:rows*outs]
	for i, c := range labels {
		row := probs[i*outs : (i+1)*outs]
		ce := softmaxRow(row, c)
		w := 1.0
		if cw != nil {
			w = cw[c]
		}
		sumWL += w * ce
		sumW += w
		if argmax(row) == c {
			correct++
		}
	}
	scale := 1 / sumW
	for i, c := range labels {
		w := scale
		if cw != nil {
			w = cw[c] * scale
		}
		row, di := probs[i*outs:(i+1)*outs], d[i*outs:(i+1)*outs]
		for j, p := range row {
			di[j] = p * w
		}
		di[c] -= w
	}
	return sumWL, sumW, correct
}
