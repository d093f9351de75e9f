// Package nn is a small, dependency-free multilayer perceptron for
// classifying fuzzy feature vectors into a few classes (BUY/HOLD/SELL).
//
// A network is Inputs → Hidden[0] → … → Outputs, fully connected, with one
// activation for all hidden layers and a softmax output. It trains with
// mini-batch gradient descent (Adam or plain SGD) on (optionally
// class-weighted) softmax cross-entropy, with inverted dropout on the hidden
// activations, and early stopping on validation loss.
//
// Everything is single-threaded and seeded: the same Config.Seed, data and
// TrainConfig give bit-identical weights and metrics on one platform.
//
// An *MLP marshals to JSON (its Config and Layers) and unmarshals back,
// validated, ready to predict or to train further.
//
// Concurrency: Predict, PredictBatch and Evaluate only read the model and
// take their scratch space from a package-level sync.Pool, so any number of
// goroutines may call them at once on one *MLP. Fit changes the weights and
// must not run concurrently with any other method on the same *MLP.
package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Config describes a network's shape and its random seed.
type Config struct {
	Inputs  int   // features per sample, >= 1
	Hidden  []int // widths of the hidden layers, e.g. [32, 16]; empty means softmax regression
	Outputs int   // classes, >= 2 (3 for BUY/HOLD/SELL)
	// Activation of the hidden layers: relu | tanh | sigmoid | leaky_relu
	// (negative slope LeakySlope). The output is always softmax.
	Activation string
	// Dropout is the probability, in [0, 1), of zeroing a hidden activation
	// during training (inverted dropout: kept values are scaled by 1/(1-p),
	// so inference needs no rescaling). It never applies in Predict/Evaluate.
	Dropout float64
	// Seed drives weight initialisation (He-normal for relu/leaky_relu,
	// Glorot-uniform for tanh/sigmoid; biases start at 0), the per-epoch
	// shuffling and the dropout masks.
	Seed uint64
}

// Layer is one fully connected layer: out = W·in + B.
type Layer struct {
	W Matrix    // out × in
	B []float64 // out
}

// MLP is a multilayer perceptron. Its fields are exported so it marshals to
// JSON; build one with New (or json.Unmarshal), not as a literal.
type MLP struct {
	Config Config
	Layers []Layer
}

// Validate checks cfg and returns an error naming the offending field.
func (cfg Config) Validate() error {
	if cfg.Inputs < 1 {
		return fmt.Errorf("nn: Config.Inputs must be >= 1, got %d", cfg.Inputs)
	}
	for i, h := range cfg.Hidden {
		if h < 1 {
			return fmt.Errorf("nn: Config.Hidden[%d] must be >= 1, got %d", i, h)
		}
	}
	if cfg.Outputs < 2 {
		return fmt.Errorf("nn: Config.Outputs must be >= 2, got %d", cfg.Outputs)
	}
	if _, ok := parseActivation(cfg.Activation); !ok {
		return fmt.Errorf("nn: Config.Activation %q is not one of relu, tanh, sigmoid, leaky_relu", cfg.Activation)
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return fmt.Errorf("nn: Config.Dropout must be in [0, 1), got %v", cfg.Dropout)
	}
	return nil
}

// widths returns [Inputs, Hidden..., Outputs].
func (cfg Config) widths() []int {
	w := make([]int, 0, len(cfg.Hidden)+2)
	w = append(w, cfg.Inputs)
	w = append(w, cfg.Hidden...)
	return append(w, cfg.Outputs)
}

// Seed streams: one PCG stream per purpose, so initialisation and training
// draw independent sequences from the one Config.Seed.
const (
	streamInit  = 0x6e6e2d696e6974 // "nn-init"
	streamTrain = 0x6e6e2d747261696e
)

// New validates cfg and returns a freshly initialised network.
func New(cfg Config) (*MLP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Hidden = append([]int(nil), cfg.Hidden...) // the caller keeps its slice
	act, _ := parseActivation(cfg.Activation)
	widths := cfg.widths()
	m := &MLP{Config: cfg, Layers: make([]Layer, len(widths)-1)}
	params := make([]float64, paramCount(widths))
	m.bind(params)
	rng := rand.New(rand.NewPCG(cfg.Seed, streamInit))
	for l := range m.Layers {
		fanIn, fanOut := widths[l], widths[l+1]
		w := m.Layers[l].W.Data
		switch act {
		case actReLU, actLeakyReLU: // He / Kaiming normal
			std := math.Sqrt(2 / float64(fanIn))
			for k := range w {
				w[k] = rng.NormFloat64() * std
			}
		default: // Glorot / Xavier uniform
			lim := math.Sqrt(6 / float64(fanIn+fanOut))
			for k := range w {
				w[k] = (2*rng.Float64() - 1) * lim
			}
		}
	}
	return m, nil
}

func paramCount(widths []int) int {
	n := 0
	for l := 0; l+1 < len(widths); l++ {
		n += widths[l+1]*widths[l] + widths[l+1]
	}
	return n
}

// bind points every layer's W.Data and B into params (laid out layer by
// layer, W then B), so optimisers can treat all parameters as one slice.
func (m *MLP) bind(params []float64) {
	widths := m.Config.widths()
	off := 0
	for l := range m.Layers {
		in, out := widths[l], widths[l+1]
		m.Layers[l].W = Matrix{Rows: out, Cols: in, Data: params[off : off+out*in : off+out*in]}
		off += out * in
		m.Layers[l].B = params[off : off+out : off+out]
		off += out
	}
}

// flatten copies all parameters into one new slice and binds the layers to it.
func (m *MLP) flatten() []float64 {
	params := make([]float64, paramCount(m.Config.widths()))
	off := 0
	for _, ly := range m.Layers {
		off += copy(params[off:], ly.W.Data)
		off += copy(params[off:], ly.B)
	}
	m.bind(params)
	return params
}

// check verifies that the layers match the config (the weights of a
// hand-built or decoded model may not) and returns the hidden activation.
func (m *MLP) check() (activation, error) {
	if m == nil {
		return 0, errors.New("nn: nil *MLP")
	}
	if err := m.Config.Validate(); err != nil {
		return 0, err
	}
	act, _ := parseActivation(m.Config.Activation)
	if len(m.Layers) != len(m.Config.Hidden)+1 {
		return 0, fmt.Errorf("nn: model has %d layers, Config implies %d", len(m.Layers), len(m.Config.Hidden)+1)
	}
	in := m.Config.Inputs
	for l, ly := range m.Layers {
		out := m.Config.Outputs
		if l < len(m.Config.Hidden) {
			out = m.Config.Hidden[l]
		}
		if ly.W.Rows != out || ly.W.Cols != in || len(ly.W.Data) != out*in {
			return 0, fmt.Errorf("nn: Layers[%d].W is %dx%d with %d values, want %dx%d", l, ly.W.Rows, ly.W.Cols, len(ly.W.Data), out, in)
		}
		if len(ly.B) != out {
			return 0, fmt.Errorf("nn: Layers[%d].B has %d values, want %d", l, len(ly.B), out)
		}
		in = out
	}
	return act, nil
}

// Check reports whether the model is well formed: a valid Config, layers of
// the shapes it implies, and finite weights.
func (m *MLP) Check() error {
	if _, err := m.check(); err != nil {
		return err
	}
	for l, ly := range m.Layers {
		for k, v := range ly.W.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("nn: Layers[%d].W.Data[%d] is %v", l, k, v)
			}
		}
		for k, v := range ly.B {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("nn: Layers[%d].B[%d] is %v", l, k, v)
			}
		}
	}
	return nil
}

// CheckData reports whether x and y are acceptable to Fit and Evaluate for
// this model: len(y) = x.Rows, x.Cols = Inputs, finite features, labels in
// [0, Outputs).
func (m *MLP) CheckData(x Matrix, y []int) error {
	if _, err := m.check(); err != nil {
		return err
	}
	return checkData("x", "y", x, y, m.Config.Inputs, m.Config.Outputs)
}

// UnmarshalJSON decodes a model and rejects one that is malformed (see Check).
func (m *MLP) UnmarshalJSON(b []byte) error {
	type plain MLP // no methods: avoids recursing into UnmarshalJSON
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	dec := MLP(p)
	if err := dec.Check(); err != nil {
		return err
	}
	*m = dec
	return nil
}

// maxWidth returns the widest layer (inputs included).
func (m *MLP) maxWidth() int {
	w := max(m.Config.Inputs, m.Config.Outputs)
	for _, h := range m.Config.Hidden {
		w = max(w, h)
	}
	return w
}

type predictScratch struct{ a, b []float64 }

var predictPool = sync.Pool{New: func() any { return new(predictScratch) }}

// Predict writes the class probabilities of one sample x (len Inputs) into
// out (len Outputs). Dropout never applies. It does not allocate in the
// steady state: scratch buffers come from a package-level sync.Pool, which
// also makes it safe for concurrent use.
//
// Predict cannot return an error: when the model is malformed or len(x) or
// len(out) is wrong it fills out with NaN instead (use Check/CheckData to find
// out why).
func (m *MLP) Predict(x []float64, out []float64) {
	act, err := m.check()
	if err != nil || len(x) != m.Config.Inputs || len(out) != m.Config.Outputs {
		for k := range out {
			out[k] = math.NaN()
		}
		return
	}
	s := predictPool.Get().(*predictScratch)
	n := m.maxWidth()
	if cap(s.a) < n {
		s.a, s.b = make([]float64, n), make([]float64, n)
	}
	cur := x
	last := len(m.Layers) - 1
	for l, ly := range m.Layers {
		dst := s.a[:ly.W.Rows]
		if l == last {
			dst = out
		}
		gemmABt(cur, ly.W.Data, dst, 1, ly.W.Rows, ly.W.Cols)
		act.biasActivate(dst, ly.B, 1, l < last)
		cur = dst
		s.a, s.b = s.b, s.a
	}
	softmaxRow(out, -1)
	predictPool.Put(s)
}

// PredictBatch returns the class probabilities of every row of x
// (x.Rows × Outputs). Dropout never applies. On a malformed model or input
// (see Check and CheckData) it returns an empty Matrix (Rows 0).
func (m *MLP) PredictBatch(x Matrix) Matrix {
	act, err := m.check()
	if err != nil || x.check("x") != nil || (x.Rows > 0 && x.Cols != m.Config.Inputs) {
		return Matrix{}
	}
	outs := m.Config.Outputs
	res := NewMatrix(x.Rows, outs)
	ws := getInferWorkspace(m, act)
	defer inferPool.Put(ws)
	ws.forEachChunk(m, x, func(start, rows int, logits []float64) {
		for i := range rows {
			softmaxRow(logits[i*outs:(i+1)*outs], -1)
		}
		copy(res.Data[start*outs:], logits)
	})
	return res
}
