package nn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// spiral returns k interleaved spiral arms of n points each in [0,1]².
func spiral(n, k int, noise float64, seed uint64) (Matrix, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := NewMatrix(n*k, 2)
	y := make([]int, n*k)
	for c := range k {
		for i := range n {
			r := float64(i) / float64(n)
			t := float64(c)*2*math.Pi/float64(k) + 1.75*math.Pi*r + rng.NormFloat64()*noise
			row := x.Row(c*n + i)
			row[0] = 0.5 + 0.5*r*math.Sin(t)
			row[1] = 0.5 + 0.5*r*math.Cos(t)
			y[c*n+i] = c
		}
	}
	return x, y
}

// blobs returns k well separated Gaussian blobs in f dimensions.
func blobs(n, k, f int, seed uint64) (Matrix, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := NewMatrix(n, f)
	y := make([]int, n)
	for i := range n {
		c := i % k
		y[i] = c
		for j, row := 0, x.Row(i); j < f; j++ {
			center := 0.0
			if j%k == c {
				center = 1
			}
			row[j] = center + 0.1*rng.NormFloat64()
		}
	}
	return x, y
}

func mustNew(t testing.TB, cfg Config) *MLP {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustFit(t testing.TB, m *MLP, x Matrix, y []int, vx Matrix, vy []int, tc TrainConfig) FitResult {
	t.Helper()
	res, err := m.Fit(context.Background(), x, y, vx, vy, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// batchLoss evaluates the weighted training loss of m on a batch, with a
// dropout mask drawn from a generator seeded identically on every call (so
// the mask is the same for every evaluation), and leaves the gradients of
// that loss in grads.
func batchLoss(m *MLP, x Matrix, y []int, cw []float64, grads []float64) float64 {
	act, _ := parseActivation(m.Config.Activation)
	ws := new(workspace)
	ws.reset(m, act, x.Rows, true)
	rng := rand.New(rand.NewPCG(7, 7))
	ws.forward(m, x.Data, x.Rows, rng)
	sumWL, sumW, _ := ws.lossGrad(y, cw)
	if grads != nil {
		clear(grads)
		ws.backward(m, x.Data, x.Rows, grads, ws.dropout > 0)
	}
	return sumWL / sumW
}

func TestGradientCheck(t *testing.T) {
	for _, act := range []string{"relu", "tanh", "sigmoid", "leaky_relu"} {
		for _, dropout := range []float64{0, 0.3} {
			t.Run(fmt.Sprintf("%s/dropout=%v", act, dropout), func(t *testing.T) {
				// Widths exercise both input-gradient kernels (a layer of 9
				// outputs and one of 3) and the blocking tails (odd batch).
				m := mustNew(t, Config{Inputs: 5, Hidden: []int{10, 9}, Outputs: 3, Activation: act, Dropout: dropout, Seed: 3})
				params := m.flatten()
				// Non-zero biases so relu kinks are not hit at exactly 0.
				rng := rand.New(rand.NewPCG(5, 5))
				for i := range params {
					params[i] += 0.1 * rng.NormFloat64()
				}
				x := NewMatrix(7, 5)
				for i := range x.Data {
					x.Data[i] = rng.Float64()
				}
				y := []int{0, 1, 2, 1, 0, 2, 2}
				cw := []float64{1, 2.5, 0.5}
				grads := make([]float64, len(params))
				batchLoss(m, x, y, cw, grads)
				const h = 1e-5
				worst := 0.0
				for i := range params {
					orig := params[i]
					params[i] = orig + h
					lp := batchLoss(m, x, y, cw, nil)
					params[i] = orig - h
					lm := batchLoss(m, x, y, cw, nil)
					params[i] = orig
					num := (lp - lm) / (2 * h)
					// Relative error, with the scale floored at 1e-4 so that near-zero
					// gradients are held to an absolute 1e-10 (finite-difference noise).
					rel := math.Abs(num-grads[i]) / math.Max(math.Abs(num)+math.Abs(grads[i]), 1e-4)
					worst = math.Max(worst, rel)
					if rel > 1e-6 {
						t.Errorf("param %d: analytic %.10g, numeric %.10g (rel %.2g)", i, grads[i], num, rel)
					}
				}
				t.Logf("worst relative error %.2g over %d parameters", worst, len(params))
			})
		}
	}
}

func TestLearnsSpiral(t *testing.T) {
	x, y := spiral(150, 3, 0.05, 1)
	m := mustNew(t, Config{Inputs: 2, Hidden: []int{32, 16}, Outputs: 3, Activation: "relu", Seed: 1})
	mustFit(t, m, x, y, Matrix{}, nil, TrainConfig{LearningRate: 0.01, BatchSize: 16, Epochs: 150, Optimizer: "adam"})
	ev := m.Evaluate(x, y)
	if ev.Accuracy < 0.95 {
		t.Fatalf("spiral accuracy %.3f, want >= 0.95", ev.Accuracy)
	}
	t.Logf("spiral accuracy %.3f loss %.3f", ev.Accuracy, ev.Loss)
}

func TestLearnsXORWithEveryActivation(t *testing.T) {
	// Four corners of the unit square in 2D; classes: 0 where x XOR y, 1 at
	// (0,0), 2 at (1,1). Not linearly separable.
	rng := rand.New(rand.NewPCG(9, 9))
	n := 400
	x := NewMatrix(n, 2)
	y := make([]int, n)
	for i := range n {
		a, b := i%2, (i/2)%2
		x.Data[2*i] = float64(a) + 0.1*rng.NormFloat64()
		x.Data[2*i+1] = float64(b) + 0.1*rng.NormFloat64()
		switch {
		case a != b:
			y[i] = 0
		case a == 0:
			y[i] = 1
		default:
			y[i] = 2
		}
	}
	for _, act := range []string{"relu", "tanh", "sigmoid", "leaky_relu"} {
		m := mustNew(t, Config{Inputs: 2, Hidden: []int{16}, Outputs: 3, Activation: act, Seed: 2})
		mustFit(t, m, x, y, Matrix{}, nil, TrainConfig{LearningRate: 0.02, BatchSize: 16, Epochs: 60, Optimizer: "adam"})
		if acc := m.Evaluate(x, y).Accuracy; acc < 0.97 {
			t.Errorf("%s: XOR accuracy %.3f, want >= 0.97", act, acc)
		}
	}
}

func TestLearnsLinearlySeparable(t *testing.T) {
	x, y := blobs(600, 3, 6, 4)
	for _, opt := range []string{"adam", "sgd"} {
		m := mustNew(t, Config{Inputs: 6, Outputs: 3, Activation: "relu", Seed: 4})
		mustFit(t, m, x, y, Matrix{}, nil, TrainConfig{LearningRate: 0.1, BatchSize: 32, Epochs: 30, Optimizer: opt})
		if acc := m.Evaluate(x, y).Accuracy; acc != 1 {
			t.Errorf("%s: accuracy %.4f on linearly separable data, want 1", opt, acc)
		}
	}
}

func stripDurations(h []EpochStats) []EpochStats {
	out := append([]EpochStats(nil), h...)
	for i := range out {
		out[i].Duration = 0
	}
	return out
}

func TestDeterminism(t *testing.T) {
	x, y := spiral(60, 3, 0.1, 2)
	vx, vy := spiral(20, 3, 0.1, 3)
	cfg := Config{Inputs: 2, Hidden: []int{8, 8}, Outputs: 3, Activation: "tanh", Dropout: 0.2, Seed: 11}
	tc := TrainConfig{LearningRate: 0.01, BatchSize: 7, Epochs: 5, Optimizer: "adam"}
	run := func(seed uint64) ([]byte, []EpochStats) {
		c := cfg
		c.Seed = seed
		m := mustNew(t, c)
		res := mustFit(t, m, x, y, vx, vy, tc)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b, stripDurations(res.History)
	}
	j1, h1 := run(11)
	j2, h2 := run(11)
	if !bytes.Equal(j1, j2) {
		t.Fatal("same seed gave different models")
	}
	for i := range h1 {
		if h1[i] != h2[i] {
			t.Fatalf("same seed gave different history at epoch %d: %+v vs %+v", i+1, h1[i], h2[i])
		}
	}
	j3, h3 := run(12)
	if bytes.Equal(j1, j3) || h1[len(h1)-1] == h3[len(h3)-1] {
		t.Fatal("different seeds gave the same model")
	}
}

func TestEarlyStoppingRestoresBest(t *testing.T) {
	// Few, noisy samples and a big network: it overfits, validation loss rises.
	rng := rand.New(rand.NewPCG(21, 21))
	mk := func(n int) (Matrix, []int) {
		x := NewMatrix(n, 5)
		y := make([]int, n)
		for i := range n {
			row := x.Row(i)
			for j := range row {
				row[j] = rng.Float64()
			}
			y[i] = 0
			if row[0]+0.3*rng.NormFloat64() > 0.5 {
				y[i] = 1
			}
			if row[1]+0.3*rng.NormFloat64() > 0.8 {
				y[i] = 2
			}
		}
		return x, y
	}
	x, y := mk(60)
	vx, vy := mk(200)
	m := mustNew(t, Config{Inputs: 5, Hidden: []int{64, 64}, Outputs: 3, Activation: "relu", Seed: 5})
	const patience = 4
	res := mustFit(t, m, x, y, vx, vy, TrainConfig{LearningRate: 0.01, BatchSize: 8, Epochs: 300, Optimizer: "adam",
		EarlyStopping: &EarlyStopping{Patience: patience}})
	if !res.StoppedEarly || len(res.History) >= 300 {
		t.Fatalf("did not stop early: %d epochs, StoppedEarly=%v", len(res.History), res.StoppedEarly)
	}
	if res.BestEpoch+patience != len(res.History) {
		t.Fatalf("best epoch %d, stopped after %d epochs, patience %d", res.BestEpoch, len(res.History), patience)
	}
	bestLoss := math.Inf(1)
	for _, st := range res.History {
		bestLoss = math.Min(bestLoss, st.ValLoss)
	}
	if got := res.History[res.BestEpoch-1].ValLoss; got != bestLoss {
		t.Fatalf("BestEpoch's val loss %v is not the minimum %v", got, bestLoss)
	}
	if got := m.Evaluate(vx, vy).Loss; got != bestLoss {
		t.Fatalf("returned model's val loss %v, want best epoch's %v (last epoch had %v)", got, bestLoss, res.History[len(res.History)-1].ValLoss)
	}
	t.Logf("stopped after %d epochs, best %d (val loss %.4f, last %.4f)", len(res.History), res.BestEpoch, bestLoss, res.History[len(res.History)-1].ValLoss)
}

func TestNoValidationMeansNaNAndNoEarlyStop(t *testing.T) {
	x, y := blobs(90, 3, 3, 1)
	m := mustNew(t, Config{Inputs: 3, Hidden: []int{4}, Outputs: 3, Activation: "relu", Seed: 1})
	res := mustFit(t, m, x, y, Matrix{}, nil, TrainConfig{LearningRate: 0.01, BatchSize: 10, Epochs: 3, Optimizer: "sgd",
		EarlyStopping: &EarlyStopping{Patience: 0}})
	if len(res.History) != 3 || res.StoppedEarly || res.BestEpoch != 0 || res.Samples != 270 {
		t.Fatalf("unexpected result %+v", res)
	}
	for _, st := range res.History {
		if !math.IsNaN(st.ValLoss) || !math.IsNaN(st.ValAccuracy) {
			t.Fatalf("ValLoss/ValAccuracy %v/%v, want NaN", st.ValLoss, st.ValAccuracy)
		}
	}
}

func TestCancellation(t *testing.T) {
	x, y := spiral(1000, 3, 0.1, 1)
	m := mustNew(t, Config{Inputs: 2, Hidden: []int{64, 64}, Outputs: 3, Activation: "relu", Seed: 1})
	tc := TrainConfig{LearningRate: 1e-3, BatchSize: 32, Epochs: 1000, Optimizer: "adam"}

	ctx, cancel := context.WithCancel(context.Background())
	type out struct {
		res FitResult
		err error
	}
	ch := make(chan out, 1)
	firstEpoch := make(chan struct{})
	go func() {
		res, err := m.Fit(ctx, x, y, Matrix{}, nil, tc, func(st EpochStats) error {
			if st.Epoch == 1 {
				close(firstEpoch)
			}
			return nil
		})
		ch <- out{res, err}
	}()
	<-firstEpoch
	time.Sleep(5 * time.Millisecond) // into the second epoch
	cancel()
	cancelled := time.Now()
	select {
	case o := <-ch:
		if !errors.Is(o.err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", o.err)
		}
		if o.res.Samples < x.Rows || o.res.Samples >= 1000*x.Rows || len(o.res.History) < 1 {
			t.Fatalf("Samples = %d, %d epochs", o.res.Samples, len(o.res.History))
		}
		t.Logf("returned %v after cancel, %d samples processed", time.Since(cancelled), o.res.Samples)
	case <-time.After(2 * time.Second):
		t.Fatal("Fit did not return within 2s of cancellation")
	}

	// Cancelled from the epoch callback: no further batch runs.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	res, err := m.Fit(ctx, x, y, Matrix{}, nil, tc, func(EpochStats) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) || len(res.History) != 1 || res.Samples != x.Rows {
		t.Fatalf("err %v, %d epochs, %d samples", err, len(res.History), res.Samples)
	}

	// An error from onEpoch stops training and is returned.
	stop := errors.New("enough")
	res, err = m.Fit(context.Background(), x, y, Matrix{}, nil, tc, func(st EpochStats) error {
		if st.Epoch == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || len(res.History) != 2 {
		t.Fatalf("err %v, %d epochs", err, len(res.History))
	}
}

// fixedPredictor predicts argmax of its input: no hidden layer, W = 10·I.
func fixedPredictor(t *testing.T, k int) *MLP {
	m := mustNew(t, Config{Inputs: k, Outputs: k, Activation: "relu"})
	clear(m.Layers[0].W.Data)
	clear(m.Layers[0].B)
	for i := range k {
		m.Layers[0].W.Data[i*k+i] = 10
	}
	return m
}

func oneHots(k int, idx []int) Matrix {
	x := NewMatrix(len(idx), k)
	for i, c := range idx {
		x.Data[i*k+c] = 1
	}
	return x
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestEvaluateHandComputed(t *testing.T) {
	// 4 classes; class 3 is neither true nor predicted (zero denominators).
	truth := []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 0}
	pred := []int{0, 0, 1, 1, 2, 2, 2, 1, 2, 0}
	m := fixedPredictor(t, 4)
	ev := m.Evaluate(oneHots(4, pred), truth)

	wantConf := [][]int{{3, 1, 0, 0}, {0, 1, 1, 0}, {0, 1, 3, 0}, {0, 0, 0, 0}}
	for i := range wantConf {
		for j := range wantConf[i] {
			if ev.Confusion[i][j] != wantConf[i][j] {
				t.Fatalf("confusion %v, want %v", ev.Confusion, wantConf)
			}
		}
	}
	wantP := []float64{1, 1.0 / 3, 0.75, 0}
	wantR := []float64{0.75, 0.5, 0.75, 0}
	wantF := []float64{6.0 / 7, 0.4, 0.75, 0}
	wantS := []int{4, 2, 4, 0}
	for c := range 4 {
		if !near(ev.Precision[c], wantP[c]) || !near(ev.Recall[c], wantR[c]) || !near(ev.F1[c], wantF[c]) || ev.Support[c] != wantS[c] {
			t.Errorf("class %d: P %v R %v F1 %v support %d; want %v %v %v %d",
				c, ev.Precision[c], ev.Recall[c], ev.F1[c], ev.Support[c], wantP[c], wantR[c], wantF[c], wantS[c])
		}
	}
	if ev.Samples != 10 || ev.Accuracy != 0.7 {
		t.Errorf("samples %d accuracy %v", ev.Samples, ev.Accuracy)
	}
	if ev.MajorityClass != 0 || ev.MajorityBaseline != 0.4 {
		t.Errorf("majority %d baseline %v, want 0 (lowest of the tied 0 and 2) and 0.4", ev.MajorityClass, ev.MajorityBaseline)
	}
	// Logits 10 for the predicted class, 0 for the 3 others.
	right := math.Log(1 + 3*math.Exp(-10))
	wrong := math.Log(math.Exp(10) + 3)
	if want := (7*right + 3*wrong) / 10; !near(ev.Loss, want) {
		t.Errorf("loss %v, want %v", ev.Loss, want)
	}

	// Majority baseline with a clear majority.
	ev = m.Evaluate(oneHots(4, []int{0, 0, 0, 0, 0}), []int{2, 2, 2, 1, 0})
	if ev.MajorityClass != 2 || ev.MajorityBaseline != 0.6 || ev.Accuracy != 0.2 {
		t.Errorf("majority %d baseline %v accuracy %v", ev.MajorityClass, ev.MajorityBaseline, ev.Accuracy)
	}

	// Invalid input: no panic, NaN metrics, NaN-free per-class slices.
	ev = m.Evaluate(oneHots(4, []int{0}), []int{7})
	if ev.Samples != 0 || !math.IsNaN(ev.Accuracy) || len(ev.Precision) != 4 {
		t.Errorf("invalid input: %+v", ev)
	}
}

func TestClassWeightsHandComputed(t *testing.T) {
	// Softmax regression on one-hot inputs: predicted class = argmax input.
	// Sample 1: true 0, predicted 0; sample 2: true 1, predicted 2.
	m := fixedPredictor(t, 3)
	x := oneHots(3, []int{0, 2})
	y := []int{0, 1}
	right := math.Log(1 + 2*math.Exp(-10)) // CE of a correct prediction
	wrong := math.Log(math.Exp(10) + 2)    // CE of a wrong one

	lossWith := func(cw []float64) (float64, *MLP) {
		mm := fixedPredictor(t, 3)
		res := mustFit(t, mm, x, y, Matrix{}, nil, TrainConfig{LearningRate: 1, BatchSize: 2, Epochs: 1, Optimizer: "sgd", ClassWeights: cw})
		return res.History[0].Loss, mm // one batch: loss is measured before the update
	}
	plain, _ := lossWith(nil)
	if want := (right + wrong) / 2; !near(plain, want) {
		t.Fatalf("unweighted loss %v, want %v", plain, want)
	}
	cw := []float64{1, 3, 0.5}
	weighted, trained := lossWith(cw)
	if want := (1*right + 3*wrong) / 4; !near(weighted, want) {
		t.Fatalf("weighted loss %v, want %v", weighted, want)
	}
	// Uniform weights change nothing.
	if same, _ := lossWith([]float64{2, 2, 2}); !near(same, plain) {
		t.Fatalf("uniform weights: %v vs %v", same, plain)
	}

	// One SGD step with lr 1: W -= Σ_i w_i (p_i - e_{y_i}) x_iᵀ / Σ_i w_i.
	e := math.Exp(10)
	pHigh, pLow := e/(e+2), 1/(e+2)
	w := m.Layers[0].W.Data
	want := append([]float64(nil), w...)
	b := make([]float64, 3)
	// sample 1 (x = e0, y = 0, weight 1): p = (pHigh, pLow, pLow)
	g1 := []float64{pHigh - 1, pLow, pLow}
	// sample 2 (x = e2, y = 1, weight 3): p = (pLow, pLow, pHigh)
	g2 := []float64{pLow, pLow - 1, pHigh}
	for j := range 3 {
		want[j*3+0] -= 1 * g1[j] / 4
		want[j*3+2] -= 3 * g2[j] / 4
		b[j] -= (1*g1[j] + 3*g2[j]) / 4
	}
	for k := range want {
		if !near(trained.Layers[0].W.Data[k], want[k]) {
			t.Fatalf("W after one weighted step: %v, want %v", trained.Layers[0].W.Data, want)
		}
	}
	for j := range b {
		if !near(trained.Layers[0].B[j], b[j]) {
			t.Fatalf("B after one weighted step: %v, want %v", trained.Layers[0].B, b)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	x, y := spiral(50, 3, 0.1, 5)
	m := mustNew(t, Config{Inputs: 2, Hidden: []int{8, 4}, Outputs: 3, Activation: "leaky_relu", Dropout: 0.1, Seed: 8})
	mustFit(t, m, x, y, Matrix{}, nil, TrainConfig{LearningRate: 0.01, BatchSize: 10, Epochs: 3, Optimizer: "adam"})
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back MLP
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	p1, p2 := m.PredictBatch(x), back.PredictBatch(x)
	for i := range p1.Data {
		if p1.Data[i] != p2.Data[i] {
			t.Fatalf("prediction %d differs after round trip: %v vs %v", i, p1.Data[i], p2.Data[i])
		}
	}
	out := make([]float64, 3)
	back.Predict(x.Row(17), out)
	for j := range out {
		if out[j] != p1.Data[17*3+j] {
			t.Fatalf("Predict %v vs PredictBatch %v", out, p1.Row(17))
		}
	}
	// The decoded model trains further like the original.
	tc := TrainConfig{LearningRate: 0.01, BatchSize: 10, Epochs: 2, Optimizer: "sgd"}
	mustFit(t, m, x, y, Matrix{}, nil, tc)
	mustFit(t, &back, x, y, Matrix{}, nil, tc)
	b1, _ := json.Marshal(m)
	b2, _ := json.Marshal(&back)
	if !bytes.Equal(b1, b2) {
		t.Fatal("original and decoded model diverged after further training")
	}

	// Malformed models are rejected on decode.
	bad := strings.Replace(string(b), `"Outputs":3`, `"Outputs":4`, 1)
	if err := json.Unmarshal([]byte(bad), &back); err == nil {
		t.Fatal("decoded a model whose layers do not match its Config")
	}
}

func TestPredict(t *testing.T) {
	m := mustNew(t, Config{Inputs: 3, Hidden: []int{5}, Outputs: 3, Activation: "sigmoid", Seed: 1})
	x := []float64{0.1, 0.5, 0.9}
	out := make([]float64, 3)
	m.Predict(x, out)
	sum := out[0] + out[1] + out[2]
	if math.Abs(sum-1) > 1e-12 {
		t.Fatalf("probabilities %v sum to %v", out, sum)
	}
	if !raceEnabled { // the race detector makes sync.Pool drop items on purpose
		if allocs := testing.AllocsPerRun(100, func() { m.Predict(x, out) }); allocs != 0 {
			t.Fatalf("Predict allocates %v times per call", allocs)
		}
	}
	// Wrong sizes: NaN, no panic.
	m.Predict(x[:2], out)
	if !math.IsNaN(out[0]) {
		t.Fatalf("short input gave %v", out)
	}
	m.Predict(x, out[:2]) // must not panic
	var zero MLP
	zero.Predict(x, out)
	if !math.IsNaN(out[2]) {
		t.Fatalf("zero MLP gave %v", out)
	}
	if p := zero.PredictBatch(NewMatrix(2, 3)); p.Rows != 0 {
		t.Fatalf("zero MLP PredictBatch: %+v", p)
	}
	if p := m.PredictBatch(NewMatrix(2, 4)); p.Rows != 0 {
		t.Fatalf("PredictBatch on wrong width: %+v", p)
	}
	if p := m.PredictBatch(Matrix{Rows: 1 << 50}); p.Rows != 0 {
		t.Fatalf("PredictBatch on inconsistent matrix: %+v", p.Rows)
	}
	if ev := zero.Evaluate(NewMatrix(2, 3), []int{0, 1}); ev.Samples != 0 || !math.IsNaN(ev.Loss) {
		t.Fatalf("zero MLP Evaluate: %+v", ev)
	}

	// Concurrent use is allowed.
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			o := make([]float64, 3)
			for range 200 {
				m.Predict(x, o)
				if o[0] != out[0] && !math.IsNaN(out[0]) {
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

func TestValidation(t *testing.T) {
	ok := Config{Inputs: 3, Hidden: []int{4}, Outputs: 3, Activation: "relu"}
	for _, tc := range []struct {
		mod   func(*Config)
		field string
	}{
		{func(c *Config) { c.Inputs = 0 }, "Config.Inputs"},
		{func(c *Config) { c.Hidden = []int{4, 0} }, "Config.Hidden[1]"},
		{func(c *Config) { c.Outputs = 1 }, "Config.Outputs"},
		{func(c *Config) { c.Activation = "gelu" }, "Config.Activation"},
		{func(c *Config) { c.Dropout = 1 }, "Config.Dropout"},
		{func(c *Config) { c.Dropout = math.NaN() }, "Config.Dropout"},
	} {
		c := ok
		tc.mod(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}

	m := mustNew(t, ok)
	good := TrainConfig{LearningRate: 0.01, BatchSize: 4, Epochs: 1, Optimizer: "adam"}
	x, y := blobs(12, 3, 3, 1)
	for _, tc := range []struct {
		mod   func(*TrainConfig)
		field string
	}{
		{func(c *TrainConfig) { c.LearningRate = 0 }, "TrainConfig.LearningRate"},
		{func(c *TrainConfig) { c.BatchSize = 0 }, "TrainConfig.BatchSize"},
		{func(c *TrainConfig) { c.Epochs = 0 }, "TrainConfig.Epochs"},
		{func(c *TrainConfig) { c.Optimizer = "rmsprop" }, "TrainConfig.Optimizer"},
		{func(c *TrainConfig) { c.EarlyStopping = &EarlyStopping{Patience: -1} }, "EarlyStopping.Patience"},
		{func(c *TrainConfig) { c.EarlyStopping = &EarlyStopping{MinDelta: -1} }, "EarlyStopping.MinDelta"},
		{func(c *TrainConfig) { c.ClassWeights = []float64{1, 1} }, "TrainConfig.ClassWeights"},
		{func(c *TrainConfig) { c.ClassWeights = []float64{1, 0, 1} }, "TrainConfig.ClassWeights[1]"},
	} {
		c := good
		tc.mod(&c)
		if _, err := m.Fit(context.Background(), x, y, Matrix{}, nil, c, nil); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}

	before, _ := json.Marshal(m)
	nanX := NewMatrix(12, 3)
	copy(nanX.Data, x.Data)
	nanX.Data[7] = math.NaN()
	badLabels := append([]int(nil), y...)
	badLabels[3] = 3
	for name, call := range map[string]func() error{
		"width": func() error {
			_, err := m.Fit(context.Background(), NewMatrix(12, 4), y, Matrix{}, nil, good, nil)
			return err
		},
		"rows": func() error { _, err := m.Fit(context.Background(), x, y[:5], Matrix{}, nil, good, nil); return err },
		"nan":  func() error { _, err := m.Fit(context.Background(), nanX, y, Matrix{}, nil, good, nil); return err },
		"label": func() error {
			_, err := m.Fit(context.Background(), x, badLabels, Matrix{}, nil, good, nil)
			return err
		},
		"neg label": func() error {
			_, err := m.Fit(context.Background(), x, y, x, []int{-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, good, nil)
			return err
		},
		"val width": func() error {
			_, err := m.Fit(context.Background(), x, y, NewMatrix(2, 2), []int{0, 0}, good, nil)
			return err
		},
		"short data": func() error {
			_, err := m.Fit(context.Background(), Matrix{Rows: 12, Cols: 3}, y, Matrix{}, nil, good, nil)
			return err
		},
		"empty": func() error {
			_, err := m.Fit(context.Background(), Matrix{}, nil, Matrix{}, nil, good, nil)
			return err
		},
		"checkdata": func() error { return m.CheckData(nanX, y) },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if after, _ := json.Marshal(m); !bytes.Equal(before, after) {
		t.Error("a rejected Fit changed the model")
	}
}

func TestDivergenceIsReported(t *testing.T) {
	x, y := blobs(60, 3, 3, 1)
	for i := range x.Data {
		x.Data[i] *= 1e150
	}
	m := mustNew(t, Config{Inputs: 3, Hidden: []int{4}, Outputs: 3, Activation: "relu", Seed: 1})
	_, err := m.Fit(context.Background(), x, y, Matrix{}, nil, TrainConfig{LearningRate: 1e10, BatchSize: 4, Epochs: 3, Optimizer: "sgd"}, nil)
	if err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkFit(b *testing.B) {
	// The bench/training shape: 24 inputs, [64, 32] relu, dropout 0.2, batch 32.
	rng := rand.New(rand.NewPCG(1, 1))
	n := 4096
	x := NewMatrix(n, 24)
	y := make([]int, n)
	for i := range x.Data {
		x.Data[i] = rng.Float64()
	}
	for i := range y {
		y[i] = rng.IntN(3)
	}
	m := mustNew(b, Config{Inputs: 24, Hidden: []int{64, 32}, Outputs: 3, Activation: "relu", Dropout: 0.2, Seed: 1})
	tc := TrainConfig{LearningRate: 1e-3, BatchSize: 32, Epochs: 1, Optimizer: "adam"}
	b.ResetTimer()
	for range b.N {
		if _, err := m.Fit(context.Background(), x, y, Matrix{}, nil, tc, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkPredict(b *testing.B) {
	m := mustNew(b, Config{Inputs: 24, Hidden: []int{64, 32}, Outputs: 3, Activation: "relu", Seed: 1})
	x := make([]float64, 24)
	out := make([]float64, 3)
	b.ReportAllocs()
	for range b.N {
		m.Predict(x, out)
	}
}

func TestKernelsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.NormFloat64()
		}
		return s
	}
	for m := 1; m <= 7; m++ {
		for n := 1; n <= 8; n++ {
			for kd := 1; kd <= 6; kd++ {
				a, b, c := fill(m*kd), fill(n*kd), fill(m*n)
				gemmABt(a, b, c, m, n, kd)
				for i := range m {
					for j := range n {
						want := 0.0
						for k := range kd {
							want += a[i*kd+k] * b[j*kd+k]
						}
						if math.Abs(c[i*n+j]-want) > 1e-12 {
							t.Fatalf("gemmABt %dx%dx%d: C[%d][%d] = %v, want %v", m, n, kd, i, j, c[i*n+j], want)
						}
					}
				}
				tr := fill(m * n)
				transpose(c, tr, m, n)
				for i := range m {
					for j := range n {
						if tr[j*m+i] != c[i*n+j] {
							t.Fatalf("transpose %dx%d wrong at %d,%d", m, n, i, j)
						}
					}
				}
			}
		}
	}
}

func TestDropoutMask(t *testing.T) {
	for _, p := range []float64{0.2, 0.5, 0.9} {
		ws := &workspace{dropout: p}
		n := 100001 // odd: covers the single-draw tail
		in, mask, h := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range in {
			in[i] = 2
		}
		ws.dropoutMask(in, mask, h, rand.New(rand.NewPCG(3, 3)))
		dropped := 0
		for i := range mask {
			switch mask[i] {
			case 0:
				dropped++
				if h[i] != 0 {
					t.Fatalf("dropped element %d has h %v", i, h[i])
				}
			case 1 / (1 - p):
				if h[i] != 2/(1-p) {
					t.Fatalf("kept element %d has h %v", i, h[i])
				}
			default:
				t.Fatalf("mask value %v", mask[i])
			}
		}
		if frac := float64(dropped) / float64(n); math.Abs(frac-p) > 0.01 {
			t.Errorf("p=%v: dropped fraction %.4f", p, frac)
		}
	}
}
