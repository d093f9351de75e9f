package nn

import (
	"math"
	"math/rand/v2"
	"sync"
)

// workspace holds the per-batch buffers of a forward (and backward) pass,
// allocated once for a maximum batch size and reused for every batch.
type workspace struct {
	act     activation
	widths  []int // [Inputs, Hidden..., Outputs]
	rows    int   // capacity in samples
	dropout float64

	// a[l+1] is the output of layer l: activations for hidden layers, logits
	// then probabilities for the last. a[0] is unused: the batch input is
	// passed to forward and backward.
	a [][]float64
	// Training only. For hidden layer outputs feeding layer l >= 1:
	// mask[l] holds the inverted-dropout scale (0 or 1/(1-p)) and h[l] the
	// masked activations actually fed forward; d[l] is the gradient with
	// respect to layer l's pre-activation (rows × widths[l+1]).
	mask, h, d [][]float64
	// Training only: transposes for the backward pass (the layer input, the
	// gradient d and the weights), sized for the widest layer.
	xT, dT, wT []float64
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// reset sizes the buffers for m's shape and up to rows samples per batch.
func (ws *workspace) reset(m *MLP, act activation, rows int, train bool) {
	ws.act = act
	ws.widths = append(ws.widths[:0], m.Config.Inputs)
	ws.widths = append(ws.widths, m.Config.Hidden...)
	ws.widths = append(ws.widths, m.Config.Outputs)
	ws.rows = rows
	ws.dropout = 0
	if train {
		ws.dropout = m.Config.Dropout
	}
	L := len(ws.widths) - 1
	for len(ws.a) < L+1 {
		ws.a = append(ws.a, nil)
	}
	ws.a = ws.a[:L+1]
	for l := 1; l <= L; l++ {
		ws.a[l] = grow(ws.a[l], rows*ws.widths[l])
	}
	if !train {
		return
	}
	maxW, maxWW := 0, 0
	for l := range L {
		maxW = max(maxW, ws.widths[l], ws.widths[l+1])
		maxWW = max(maxWW, ws.widths[l]*ws.widths[l+1])
	}
	ws.xT = make([]float64, rows*maxW)
	ws.dT = make([]float64, rows*maxW)
	ws.wT = make([]float64, maxWW)
	ws.mask = make([][]float64, L)
	ws.h = make([][]float64, L)
	ws.d = make([][]float64, L)
	for l := range L {
		ws.d[l] = make([]float64, rows*ws.widths[l+1])
		if l > 0 && ws.dropout > 0 {
			ws.mask[l] = make([]float64, rows*ws.widths[l])
			ws.h[l] = make([]float64, rows*ws.widths[l])
		}
	}
}

// forward runs rows samples from in (rows × Inputs) through m, leaving the
// logits in ws.a[L]. With rng non-nil and dropout configured, hidden
// activations are dropped (training mode).
func (ws *workspace) forward(m *MLP, in []float64, rows int, rng *rand.Rand) {
	L := len(m.Layers)
	for l := range m.Layers {
		nin, nout := ws.widths[l], ws.widths[l+1]
		if l > 0 {
			in = ws.a[l][:rows*nin]
			if rng != nil && ws.dropout > 0 {
				ws.dropoutMask(in, ws.mask[l][:len(in)], ws.h[l][:len(in)], rng)
				in = ws.h[l][:len(in)]
			}
		}
		out := ws.a[l+1][:rows*nout]
		gemmABt(in, m.Layers[l].W.Data, out, rows, nout, nin)
		ws.act.biasActivate(out, m.Layers[l].B, rows, l < L-1)
	}
}

// dropoutMask draws an inverted-dropout mask (each element kept with
// probability 1-p and then scaled by 1/(1-p)) into mask and writes the
// masked activations in·mask into h. Each 64-bit draw gives two 32-bit
// uniform numbers, so p is honoured to within 2⁻³²; the selection is
// branch-free.
func (ws *workspace) dropoutMask(in, mask, h []float64, rng *rand.Rand) {
	keep := 1 - ws.dropout
	vals := [2]float64{0, 1 / keep}
	threshold := uint64(math.Ldexp(keep, 32)) // keep u32 < threshold
	mask, h = mask[:len(in)], h[:len(in)]
	k := 0
	for ; k+2 <= len(in); k += 2 {
		u := rng.Uint64()
		m0 := vals[((u&0xffffffff)-threshold)>>63]
		m1 := vals[((u>>32)-threshold)>>63]
		mask[k], mask[k+1] = m0, m1
		h[k], h[k+1] = in[k]*m0, in[k+1]*m1
	}
	if k < len(in) {
		m0 := vals[((rng.Uint64()&0xffffffff)-threshold)>>63]
		mask[k] = m0
		h[k] = in[k] * m0
	}
}

// backward writes the parameter gradients into grads (laid out like the
// model's flat parameters, overwriting them) from ws.d[L-1], the gradient
// with respect to the logits. in is the batch input given to forward.
func (ws *workspace) backward(m *MLP, in []float64, rows int, grads []float64, dropped bool) {
	L := len(m.Layers)
	off := paramCount(ws.widths) // offset of each layer's W, B in grads, walking back
	for l := L - 1; l >= 0; l-- {
		nin, nout := ws.widths[l], ws.widths[l+1]
		off -= nout*nin + nout
		gw := grads[off : off+nout*nin]
		gb := grads[off+nout*nin : off+nout*nin+nout]
		x := in
		if l > 0 {
			x = ws.a[l][:rows*nin]
			if dropped {
				x = ws.h[l][:rows*nin]
			}
		}
		d := ws.d[l][:rows*nout]
		// gW = dᵀ·x and gB = column sums of d, both from the transposes so
		// the kernels run over contiguous rows.
		dT, xT := ws.dT[:rows*nout], ws.xT[:rows*nin]
		transpose(d, dT, rows, nout)
		transpose(x, xT, rows, nin)
		gemmABt(dT, xT, gw, nout, nin, rows)
		for j := range gb {
			s := 0.0
			for _, v := range dT[j*rows : (j+1)*rows] {
				s += v
			}
			gb[j] = s
		}
		if l == 0 {
			break
		}
		// Gradient w.r.t. the layer input: g = d·W.
		g := ws.d[l-1][:rows*nin]
		w := m.Layers[l].W.Data
		if nout >= 8 {
			wT := ws.wT[:nout*nin]
			transpose(w, wT, nout, nin)
			gemmABt(d, wT, g, rows, nin, nout)
		} else {
			linearBackwardInput(d, w, g, rows, nin, nout)
		}
		if dropped {
			mask := ws.mask[l][:len(g)]
			for k := range g {
				g[k] *= mask[k]
			}
		}
		ws.act.backprop(ws.a[l][:rows*nin], g)
	}
}

// inferChunk is the batch size of inference passes (PredictBatch, Evaluate,
// validation loss).
const inferChunk = 256

var inferPool = sync.Pool{New: func() any { return new(workspace) }}

func getInferWorkspace(m *MLP, act activation) *workspace {
	ws := inferPool.Get().(*workspace)
	ws.reset(m, act, inferChunk, false)
	return ws
}

// forEachChunk runs x through m (no dropout) in chunks, reading the input in
// place, and calls fn with the chunk's first row and row count and its
// logits (rows × Outputs, which fn may overwrite).
func (ws *workspace) forEachChunk(m *MLP, x Matrix, fn func(start, rows int, logits []float64)) {
	L := len(m.Layers)
	for start := 0; start < x.Rows; start += ws.rows {
		rows := min(ws.rows, x.Rows-start)
		ws.forward(m, x.Data[start*x.Cols:(start+rows)*x.Cols], rows, nil)
		fn(start, rows, ws.a[L][:rows*m.Config.Outputs])
	}
}
