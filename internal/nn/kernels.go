package nn

import "math"

// The kernels below (and gemmABt) work on flat row-major slices. They are
// written so the compiler can drop bounds checks in the inner loops (every
// slice is resliced to the inner length first). The summation order is
// fixed, so results are bit-for-bit reproducible.

// dot returns Σ a[k]·b[k] over len(a) elements (b at least as long).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// linearBackwardInput computes the gradient with respect to the layer input:
// din[i][k] = Σ_j d[i][j]·w[j][k] (din is overwritten).
func linearBackwardInput(d, w, din []float64, rows, nin, nout int) {
	for i := range rows {
		g := din[i*nin : i*nin+nin]
		clear(g)
		di := d[i*nout : i*nout+nout]
		j := 0
		for ; j+4 <= nout; j += 4 {
			g0, g1, g2, g3 := di[j], di[j+1], di[j+2], di[j+3]
			if g0 == 0 && g1 == 0 && g2 == 0 && g3 == 0 {
				continue
			}
			w0 := w[j*nin : j*nin+nin]
			w1 := w[(j+1)*nin : (j+1)*nin+nin]
			w2 := w[(j+2)*nin : (j+2)*nin+nin]
			w3 := w[(j+3)*nin : (j+3)*nin+nin]
			w0, w1, w2, w3 = w0[:len(g)], w1[:len(g)], w2[:len(g)], w3[:len(g)]
			for k := range g {
				g[k] += g0*w0[k] + g1*w1[k] + g2*w2[k] + g3*w3[k]
			}
		}
		for ; j < nout; j++ {
			if di[j] != 0 {
				axpy(di[j], w[j*nin:j*nin+nin], g)
			}
		}
	}
}

// axpy does y[k] += a·x[k] over len(x) elements.
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for k, v := range x {
		y[k] += a * v
	}
}

// activation identifies a hidden-layer nonlinearity.
type activation uint8

const (
	actReLU activation = iota
	actTanh
	actSigmoid
	actLeakyReLU
)

// LeakySlope is the negative-side slope of leaky_relu (as torch.nn.LeakyReLU's default).
const LeakySlope = 0.01

func parseActivation(s string) (activation, bool) {
	switch s {
	case "relu":
		return actReLU, true
	case "tanh":
		return actTanh, true
	case "sigmoid":
		return actSigmoid, true
	case "leaky_relu":
		return actLeakyReLU, true
	}
	return 0, false
}

// biasActivate adds the bias b to every row of out (rows × len(b)) and, when
// apply is set, applies f in place.
func (f activation) biasActivate(out, b []float64, rows int, apply bool) {
	n := len(b)
	for i := range rows {
		o := out[i*n : i*n+n]
		o = o[:len(b)]
		switch {
		case !apply:
			for j, v := range o {
				o[j] = v + b[j]
			}
		case f == actReLU:
			for j, v := range o {
				o[j] = max(v+b[j], 0)
			}
		case f == actLeakyReLU:
			for j, v := range o {
				v += b[j]
				if v < 0 {
					v *= LeakySlope
				}
				o[j] = v
			}
		case f == actTanh:
			for j, v := range o {
				o[j] = math.Tanh(v + b[j])
			}
		case f == actSigmoid:
			for j, v := range o {
				o[j] = sigmoid(v + b[j])
			}
		}
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// backprop multiplies the gradient g (with respect to the activation output)
// in place by f'(z), computed from the activation output a = f(z).
func (f activation) backprop(a, g []float64) {
	g = g[:len(a)]
	switch f {
	case actReLU:
		// a is +0 or positive: f'(z) is 1 exactly when a's bits are non-zero.
		// Branch-free, as the sign pattern is unpredictable.
		keep := [2]float64{0, 1}
		for k, x := range a {
			b := math.Float64bits(x)
			g[k] *= keep[(b|-b)>>63]
		}
	case actLeakyReLU:
		for k, x := range a {
			if x <= 0 {
				g[k] *= LeakySlope
			}
		}
	case actTanh:
		for k, x := range a {
			g[k] *= 1 - x*x
		}
	case actSigmoid:
		for k, x := range a {
			g[k] *= x * (1 - x)
		}
	}
}

// softmaxRow turns logits z into probabilities in place and returns the
// cross-entropy -log p[label] (computed from the logits, so it stays finite
// however confident the prediction) when label >= 0.
func softmaxRow(z []float64, label int) (ce float64) {
	m := z[0]
	for _, v := range z[1:] {
		if v > m {
			m = v
		}
	}
	zy := 0.0
	if label >= 0 {
		zy = z[label]
	}
	var s float64
	for k, v := range z {
		e := math.Exp(v - m)
		z[k] = e
		s += e
	}
	inv := 1 / s
	for k := range z {
		z[k] *= inv
	}
	if label < 0 {
		return 0
	}
	return math.Log(s) - (zy - m)
}

// argmax returns the index of the largest element (the first on ties).
func argmax(v []float64) int {
	best := 0
	for k := 1; k < len(v); k++ {
		if v[k] > v[best] {
			best = k
		}
	}
	return best
}
