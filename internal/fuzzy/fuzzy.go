// Package fuzzy holds the fuzzy membership functions a strategy uses to turn
// indicator values into degrees of membership in [0, 1].
//
// Three shapes are supported, named as in strategy files:
//
//	triangular   [a, b, c]     a <= b <= c; 0 outside [a, c], 1 at b, linear in between
//	trapezoidal  [a, b, c, d]  a <= b <= c <= d; 0 outside [a, d], 1 on [b, c], linear in between
//	gaussian     [mu, sigma]   sigma > 0; exp(-(x-mu)²/(2σ²))
//
// Equal neighbouring parameters are valid and make a vertical edge (a
// "shoulder"): triangular [0, 0, 30] is 1 at 0 and falls to 0 at 30. The
// support stays closed: values below a or above the last parameter have
// membership 0, so an open-ended set is written with a generous outer bound,
// e.g. trapezoidal [-1e9, -1e9, -5, 0].
//
// A NaN input gives NaN (a missing indicator value stays missing); ±Inf
// lies outside every triangle and trapezoid and gives 0. Every function is
// built by New, which refuses non-finite or mis-ordered parameters, so a
// Func from New never returns a value outside [0, 1] for a non-NaN input.
package fuzzy

import (
	"fmt"
	"math"
	"strings"
)

// Func is a membership function.
type Func interface {
	// Membership returns the degree of membership of x in [0, 1], or NaN
	// when x is NaN.
	Membership(x float64) float64
}

// The membership function kinds, as written in strategy files.
const (
	KindTriangular  = "triangular"
	KindTrapezoidal = "trapezoidal"
	KindGaussian    = "gaussian"
)

// Kinds lists the supported kinds in documentation order.
var Kinds = []string{KindTriangular, KindTrapezoidal, KindGaussian}

// NumParams returns how many parameters kind takes, or 0 for an unknown kind.
func NumParams(kind string) int {
	switch kind {
	case KindTriangular:
		return 3
	case KindTrapezoidal:
		return 4
	case KindGaussian:
		return 2
	}
	return 0
}

// New builds the membership function kind from params. The error says what
// is wrong without naming where the parameters came from, so callers can
// prefix their own location: "need 3 numbers, got 2", "parameters must be
// non-decreasing", "sigma must be > 0", "number 2 is not finite (+Inf)".
func New(kind string, params []float64) (Func, error) {
	n := NumParams(kind)
	if n == 0 {
		return nil, fmt.Errorf("unknown membership function type %q (want %s)", kind, strings.Join(Kinds, ", "))
	}
	if len(params) != n {
		return nil, fmt.Errorf("need %d numbers, got %d", n, len(params))
	}
	for i, p := range params {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return nil, fmt.Errorf("number %d is not finite (%v)", i+1, p)
		}
	}
	switch kind {
	case KindTriangular:
		if !nonDecreasing(params) {
			return nil, fmt.Errorf("parameters must be non-decreasing (a <= b <= c), got %v", params)
		}
		return Triangular{A: params[0], B: params[1], C: params[2]}, nil
	case KindTrapezoidal:
		if !nonDecreasing(params) {
			return nil, fmt.Errorf("parameters must be non-decreasing (a <= b <= c <= d), got %v", params)
		}
		return Trapezoidal{A: params[0], B: params[1], C: params[2], D: params[3]}, nil
	default: // gaussian
		if !(params[1] > 0) {
			return nil, fmt.Errorf("sigma must be > 0, got %v", params[1])
		}
		return Gaussian{Mu: params[0], Sigma: params[1]}, nil
	}
}

func nonDecreasing(p []float64) bool {
	for i := 1; i < len(p); i++ {
		if p[i] < p[i-1] {
			return false
		}
	}
	return true
}

// Triangular is 0 outside [A, C], 1 at B and linear in between. Build it
// with New to have its parameters checked.
type Triangular struct{ A, B, C float64 }

// Membership implements Func.
func (t Triangular) Membership(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x < t.A || x > t.C:
		return 0
	case x == t.B:
		return 1
	case x < t.B:
		return ramp(x, t.A, t.B)
	default:
		return fall(x, t.B, t.C)
	}
}

// Trapezoidal is 0 outside [A, D], 1 on [B, C] and linear in between. Build
// it with New to have its parameters checked.
type Trapezoidal struct{ A, B, C, D float64 }

// Membership implements Func.
func (t Trapezoidal) Membership(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x < t.A || x > t.D:
		return 0
	case x >= t.B && x <= t.C:
		return 1
	case x < t.B:
		return ramp(x, t.A, t.B)
	default:
		return fall(x, t.C, t.D)
	}
}

// Gaussian is exp(-(x-Mu)²/(2·Sigma²)). Build it with New to have Sigma
// checked (> 0).
type Gaussian struct{ Mu, Sigma float64 }

// Membership implements Func.
func (g Gaussian) Membership(x float64) float64 {
	if math.IsNaN(x) {
		return math.NaN()
	}
	// Divide before squaring so that huge distances underflow to 0 rather
	// than overflow to Inf/Inf.
	z := (x - g.Mu) / g.Sigma
	if math.IsNaN(z) { // only for non-finite Mu or Sigma, which New refuses
		return 0
	}
	return math.Exp(-0.5 * z * z)
}

// ramp returns how far x lies from lo towards hi, as a fraction in [0, 1],
// for lo <= x <= hi. It avoids overflow when hi-lo exceeds MaxFloat64.
func ramp(x, lo, hi float64) float64 {
	num, den := x-lo, hi-lo
	if math.IsInf(den, 0) || math.IsInf(num, 0) {
		num, den = x/2-lo/2, hi/2-lo/2
	}
	if !(den > 0) {
		return 1
	}
	return clamp01(num / den)
}

// fall returns 1 at lo falling linearly to 0 at hi, for lo <= x <= hi.
func fall(x, lo, hi float64) float64 {
	num, den := hi-x, hi-lo
	if math.IsInf(den, 0) || math.IsInf(num, 0) {
		num, den = hi/2-x/2, hi/2-lo/2
	}
	if !(den > 0) {
		return 1
	}
	return clamp01(num / den)
}

func clamp01(v float64) float64 {
	switch {
	case v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}

// Apply writes f.Membership(x[i]) to out[i] for every i < len(x). It does
// not allocate; out must be at least as long as x (it panics otherwise).
// out may be x itself.
func Apply(f Func, x []float64, out []float64) {
	out = out[:len(x)]
	switch g := f.(type) {
	case Triangular:
		for i, v := range x {
			out[i] = g.Membership(v)
		}
	case Trapezoidal:
		for i, v := range x {
			out[i] = g.Membership(v)
		}
	case Gaussian:
		for i, v := range x {
			out[i] = g.Membership(v)
		}
	default:
		for i, v := range x {
			out[i] = f.Membership(v)
		}
	}
}
