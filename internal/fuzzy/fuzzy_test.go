package fuzzy

import (
	"math"
	"strings"
	"testing"
)

func mustNew(t *testing.T, kind string, p ...float64) Func {
	t.Helper()
	f, err := New(kind, p)
	if err != nil {
		t.Fatalf("New(%s, %v): %v", kind, p, err)
	}
	return f
}

func TestMembershipValues(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name   string
		kind   string
		params []float64
		x      float64
		want   float64
	}{
		// triangular [0, 20, 35]
		{"tri below", "triangular", []float64{0, 20, 35}, -1, 0},
		{"tri left foot", "triangular", []float64{0, 20, 35}, 0, 0},
		{"tri rising", "triangular", []float64{0, 20, 35}, 5, 0.25},
		{"tri rising 2", "triangular", []float64{0, 20, 35}, 15, 0.75},
		{"tri peak", "triangular", []float64{0, 20, 35}, 20, 1},
		{"tri falling", "triangular", []float64{0, 20, 35}, 26, 0.6},
		{"tri right foot", "triangular", []float64{0, 20, 35}, 35, 0},
		{"tri above", "triangular", []float64{0, 20, 35}, 36, 0},
		{"tri +inf", "triangular", []float64{0, 20, 35}, inf, 0},
		{"tri -inf", "triangular", []float64{0, 20, 35}, -inf, 0},
		// left shoulder: vertical edge at a=b
		{"tri left shoulder at edge", "triangular", []float64{0, 0, 30}, 0, 1},
		{"tri left shoulder falling", "triangular", []float64{0, 0, 30}, 10, 2.0 / 3},
		{"tri left shoulder below", "triangular", []float64{0, 0, 30}, -0.001, 0},
		// right shoulder: vertical edge at b=c
		{"tri right shoulder rising", "triangular", []float64{70, 100, 100}, 85, 0.5},
		{"tri right shoulder at edge", "triangular", []float64{70, 100, 100}, 100, 1},
		{"tri right shoulder above", "triangular", []float64{70, 100, 100}, 100.5, 0},
		// degenerate singleton
		{"tri singleton hit", "triangular", []float64{5, 5, 5}, 5, 1},
		{"tri singleton miss", "triangular", []float64{5, 5, 5}, 5.0001, 0},
		// trapezoidal [-10, 0, 10, 30]
		{"trap below", "trapezoidal", []float64{-10, 0, 10, 30}, -11, 0},
		{"trap a", "trapezoidal", []float64{-10, 0, 10, 30}, -10, 0},
		{"trap rising", "trapezoidal", []float64{-10, 0, 10, 30}, -2.5, 0.75},
		{"trap b", "trapezoidal", []float64{-10, 0, 10, 30}, 0, 1},
		{"trap plateau", "trapezoidal", []float64{-10, 0, 10, 30}, 7, 1},
		{"trap c", "trapezoidal", []float64{-10, 0, 10, 30}, 10, 1},
		{"trap falling", "trapezoidal", []float64{-10, 0, 10, 30}, 25, 0.25},
		{"trap d", "trapezoidal", []float64{-10, 0, 10, 30}, 30, 0},
		{"trap above", "trapezoidal", []float64{-10, 0, 10, 30}, 31, 0},
		// shoulders as used for open-ended sets
		{"trap left shoulder edge", "trapezoidal", []float64{-1000, -1000, -5, 0}, -1000, 1},
		{"trap left shoulder plateau", "trapezoidal", []float64{-1000, -1000, -5, 0}, -50, 1},
		{"trap left shoulder falling", "trapezoidal", []float64{-1000, -1000, -5, 0}, -1, 0.2},
		{"trap left shoulder outside", "trapezoidal", []float64{-1000, -1000, -5, 0}, -1001, 0},
		{"trap right shoulder rising", "trapezoidal", []float64{0, 5, 1000, 1000}, 4, 0.8},
		{"trap right shoulder edge", "trapezoidal", []float64{0, 5, 1000, 1000}, 1000, 1},
		{"trap rectangle", "trapezoidal", []float64{1, 1, 2, 2}, 1.5, 1},
		{"trap rectangle edge", "trapezoidal", []float64{1, 1, 2, 2}, 2, 1},
		// gaussian
		{"gauss centre", "gaussian", []float64{50, 10}, 50, 1},
		{"gauss 1 sigma", "gaussian", []float64{50, 10}, 60, math.Exp(-0.5)},
		{"gauss -2 sigma", "gaussian", []float64{50, 10}, 30, math.Exp(-2)},
		{"gauss far", "gaussian", []float64{0, 1}, 1e300, 0},
		{"gauss +inf", "gaussian", []float64{0, 1}, inf, 0},
		{"gauss tiny sigma", "gaussian", []float64{0, 5e-324}, 1, 0},
		// extreme but finite parameters: no overflow to NaN
		{"tri huge span", "triangular", []float64{-math.MaxFloat64, 0, math.MaxFloat64}, -math.MaxFloat64 / 2, 0.5},
		{"trap huge span", "trapezoidal", []float64{-math.MaxFloat64, 0, 0, math.MaxFloat64}, math.MaxFloat64 / 2, 0.5},
	}
	for _, c := range cases {
		f := mustNew(t, c.kind, c.params...)
		got := f.Membership(c.x)
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %s%v at %v = %v, want %v", c.name, c.kind, c.params, c.x, got, c.want)
		}
	}
}

func TestNaNInNaNOut(t *testing.T) {
	for _, f := range []Func{
		mustNew(t, "triangular", 0, 1, 2),
		mustNew(t, "trapezoidal", 0, 1, 2, 3),
		mustNew(t, "gaussian", 0, 1),
	} {
		if v := f.Membership(math.NaN()); !math.IsNaN(v) {
			t.Errorf("%T: NaN -> %v", f, v)
		}
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		kind   string
		params []float64
		want   string
	}{
		{"triangular", []float64{0, 20}, "need 3 numbers, got 2"},
		{"triangular", nil, "need 3 numbers, got 0"},
		{"trapezoidal", []float64{1, 2, 3}, "need 4 numbers, got 3"},
		{"gaussian", []float64{1, 2, 3}, "need 2 numbers, got 3"},
		{"triangular", []float64{0, 40, 35}, "parameters must be non-decreasing"},
		{"trapezoidal", []float64{0, 1, 0.5, 2}, "parameters must be non-decreasing"},
		{"gaussian", []float64{0, 0}, "sigma must be > 0"},
		{"gaussian", []float64{0, -1}, "sigma must be > 0"},
		{"triangular", []float64{0, math.NaN(), 1}, "number 2 is not finite (NaN)"},
		{"trapezoidal", []float64{math.Inf(-1), 0, 1, 2}, "number 1 is not finite (-Inf)"},
		{"gaussian", []float64{0, math.Inf(1)}, "number 2 is not finite (+Inf)"},
		{"sigmoid", []float64{0, 1}, `unknown membership function type "sigmoid"`},
		{"", nil, `unknown membership function type ""`},
	}
	for _, c := range cases {
		f, err := New(c.kind, c.params)
		if err == nil {
			t.Errorf("New(%q, %v) = %v, want error %q", c.kind, c.params, f, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%q, %v) error %q, want it to contain %q", c.kind, c.params, err, c.want)
		}
	}
}

func TestNumParams(t *testing.T) {
	for _, k := range Kinds {
		if NumParams(k) == 0 {
			t.Errorf("NumParams(%q) = 0", k)
		}
	}
	if NumParams("bell") != 0 {
		t.Error("unknown kind has parameters")
	}
}

type halfFunc struct{}

func (halfFunc) Membership(x float64) float64 { return 0.5 }

func TestApply(t *testing.T) {
	x := []float64{-5, 0, 5, 20, 30, math.NaN()}
	for _, f := range []Func{
		mustNew(t, "triangular", 0, 20, 35),
		mustNew(t, "trapezoidal", 0, 5, 10, 30),
		mustNew(t, "gaussian", 10, 5),
		halfFunc{},
	} {
		out := make([]float64, len(x)+2)
		out[len(x)] = 42
		Apply(f, x, out)
		for i, v := range x {
			want := f.Membership(v)
			if out[i] != want && !(math.IsNaN(out[i]) && math.IsNaN(want)) {
				t.Errorf("%T: out[%d] = %v, want %v", f, i, out[i], want)
			}
		}
		if out[len(x)] != 42 {
			t.Errorf("%T: wrote past len(x)", f)
		}
		// In place.
		y := append([]float64(nil), x...)
		Apply(f, y, y)
		for i := range x {
			if y[i] != out[i] && !(math.IsNaN(y[i]) && math.IsNaN(out[i])) {
				t.Errorf("%T: in-place differs at %d", f, i)
			}
		}
	}
	f := mustNew(t, "triangular", 0, 20, 35)
	buf := make([]float64, len(x))
	if n := testing.AllocsPerRun(100, func() { Apply(f, x, buf) }); n != 0 {
		t.Errorf("Apply allocates %v times", n)
	}
	defer func() {
		if recover() == nil {
			t.Error("Apply with short out did not panic")
		}
	}()
	Apply(f, x, make([]float64, 2))
}

func FuzzNew(f *testing.F) {
	f.Add("triangular", 0.0, 20.0, 35.0, 0.0, 10.0)
	f.Add("triangular", 0.0, 0.0, 30.0, 0.0, 0.0)
	f.Add("trapezoidal", -1000.0, -1000.0, -5.0, 0.0, -3.0)
	f.Add("trapezoidal", -math.MaxFloat64, 0.0, 0.0, math.MaxFloat64, 1e308)
	f.Add("gaussian", 50.0, 10.0, 0.0, 0.0, 60.0)
	f.Add("gaussian", 0.0, 5e-324, 0.0, 0.0, 1e-300)
	f.Add("bogus", 1.0, 2.0, 3.0, 4.0, 5.0)
	f.Fuzz(func(t *testing.T, kind string, a, b, c, d, x float64) {
		all := []float64{a, b, c, d}
		for n := 0; n <= len(all); n++ {
			fn, err := New(kind, all[:n])
			if err != nil {
				if fn != nil {
					t.Fatalf("New returned both a Func and an error")
				}
				continue
			}
			// The peak (triangular b, trapezoidal b..c, gaussian mu) is 1.
			peak := b
			if kind == KindGaussian {
				peak = a
			}
			if m := fn.Membership(peak); m != 1 {
				t.Fatalf("%s%v: Membership(%v) = %v at the peak, want 1", kind, all[:n], peak, m)
			}
			for _, v := range []float64{x, a, b, c, d, -x, x / 2} {
				m := fn.Membership(v)
				if math.IsNaN(v) {
					if !math.IsNaN(m) {
						t.Fatalf("%s%v: NaN -> %v", kind, all[:n], m)
					}
					continue
				}
				if !(m >= 0 && m <= 1) {
					t.Fatalf("%s%v: Membership(%v) = %v, outside [0,1]", kind, all[:n], v, m)
				}
			}
		}
	})
}
