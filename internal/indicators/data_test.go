package indicators_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/ktrdr/ktrdr/internal/indicators"
)

const spxPath = "../../data/sample/SPX_1d.csv"

var (
	spxOnce sync.Once
	spxData indicators.Input
	spxErr  error
)

// loadSPX reads the real S&P 500 daily sample (columns found by header name).
func loadSPX(t testing.TB) indicators.Input {
	t.Helper()
	spxOnce.Do(func() { spxData, spxErr = readCSV(spxPath) })
	if spxErr != nil {
		t.Fatalf("read %s: %v", spxPath, spxErr)
	}
	return spxData
}

func readCSV(path string) (indicators.Input, error) {
	var in indicators.Input
	f, err := os.Open(path)
	if err != nil {
		return in, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return in, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	names := []string{"open", "high", "low", "close", "volume"}
	for _, name := range names {
		if _, ok := col[name]; !ok {
			return in, fmt.Errorf("%s: no %q column", path, name)
		}
	}
	dst := []*[]float64{&in.Open, &in.High, &in.Low, &in.Close, &in.Volume}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return in, err
		}
		for k, name := range names {
			v, err := strconv.ParseFloat(rec[col[name]], 64)
			if err != nil {
				return in, err
			}
			*dst[k] = append(*dst[k], v)
		}
	}
	return in, nil
}

// synth generates n valid bars (low <= open, close <= high, volume > 0) of a
// mean-reverting random walk around 100 on a 1/64 price grid, from a fixed seed.
// Bars 500..539 of every 2000 are flat (open = high = low = close = the previous close),
// which exercises the zero-range branches; the grid makes window sums of prices exact
// in float64, so TA-Lib's own arithmetic is exact on those flat windows too.
func synth(n int, seed uint64) indicators.Input {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tick := func(v float64) float64 { return math.Round(v*64) / 64 }
	in := indicators.Input{
		Open: make([]float64, n), High: make([]float64, n), Low: make([]float64, n),
		Close: make([]float64, n), Volume: make([]float64, n),
	}
	mu := math.Log(100)
	lp := mu
	prev := 100.0
	for i := range n {
		in.Volume[i] = math.Max(1, math.Round(1e6*math.Exp(0.4*r.NormFloat64())))
		if m := i % 2000; m >= 500 && m < 540 {
			in.Open[i], in.High[i], in.Low[i], in.Close[i] = prev, prev, prev, prev
			continue
		}
		lp += -0.002*(lp-mu) + 0.012*r.NormFloat64()
		c := tick(math.Exp(lp))
		o := tick(prev * math.Exp(0.003*r.NormFloat64()))
		h := max(tick(max(o, c)*(1+0.004*math.Abs(r.NormFloat64()))), o, c)
		l := min(tick(min(o, c)*(1-0.004*math.Abs(r.NormFloat64()))), o, c)
		in.Open[i], in.High[i], in.Low[i], in.Close[i] = o, h, l, c
		prev = c
	}
	return in
}

// coarse generates n valid bars on an integer grid with small moves, where ties are
// common: unchanged closes and typical prices, equal up and down directional moves, equal
// highs and lows inside a window.
func coarse(n int, seed uint64) indicators.Input {
	r := rand.New(rand.NewPCG(seed, seed+1))
	in := indicators.Input{
		Open: make([]float64, n), High: make([]float64, n), Low: make([]float64, n),
		Close: make([]float64, n), Volume: make([]float64, n),
	}
	prev := 50.0
	for i := range n {
		o := prev + float64(r.IntN(3)-1)
		c := o + float64(r.IntN(5)-2)
		if c < 10 {
			c = 10 + float64(r.IntN(3))
		}
		o = max(o, 10)
		in.Open[i], in.Close[i] = o, c
		in.High[i] = max(o, c) + float64(r.IntN(2))
		in.Low[i] = min(o, c) - float64(r.IntN(2))
		in.Volume[i] = float64(1 + r.IntN(1000))
		prev = c
	}
	return in
}

// dataset is one named series used by the comparisons.
type dataset struct {
	name string
	in   indicators.Input
}

func datasets(t testing.TB) []dataset {
	return []dataset{
		{"spx", loadSPX(t)},
		{"synthetic", synth(4000, 42)},
		{"coarse", coarse(3000, 8)},
	}
}

// closeEnough is the comparison tolerance: 1e-9 absolute or relative, whichever is larger.
func closeEnough(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func leadingNaNs(s []float64) int {
	for i, v := range s {
		if !math.IsNaN(v) {
			return i
		}
	}
	return len(s)
}

func allNaN(s []float64) bool { return leadingNaNs(s) == len(s) }

func TestSynthBarsAreValid(t *testing.T) {
	in := synth(10000, 7)
	flat := 0
	for i := range in.Close {
		o, h, l, c, v := in.Open[i], in.High[i], in.Low[i], in.Close[i], in.Volume[i]
		if !(l <= o && l <= c && o <= h && c <= h && v > 0) {
			t.Fatalf("bar %d invalid: o=%v h=%v l=%v c=%v v=%v", i, o, h, l, c, v)
		}
		if h == l {
			flat++
		}
	}
	if flat < 200 {
		t.Errorf("only %d flat bars; the zero-range branches would go untested", flat)
	}
	spx := loadSPX(t)
	if len(spx.Close) < 5000 {
		t.Fatalf("SPX sample has %d bars", len(spx.Close))
	}
}
