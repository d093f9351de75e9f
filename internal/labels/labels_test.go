package labels

import (
	"math"
	"testing"
)

func TestZigzagHandComputed(t *testing.T) {
	closes := []float64{100, 101, 104, 103, 99, 95, 96, 100, 100, 100}
	// lookahead 3, threshold 3%, minSwing 1.
	// i=0: window 101,104,103 → up 4%, down 0 → BUY
	// i=1: window 104,103,99 → up 2.97%, down 1.98% → HOLD (neither ≥ 3%)
	// i=2: window 103,99,95 → up 0, down 8.65% → SELL
	// i=3: window 99,95,96 → down 7.77% → SELL
	// i=4: window 95,96,100 → up 1.01% down 4.04% → SELL
	// i=5: window 96,100,100 → up 5.26% → BUY
	// i=6: window 100,100,100 → up 4.17% → BUY
	// i≥7: Unknown
	want := []Class{Buy, Hold, Sell, Sell, Sell, Buy, Buy, Unknown, Unknown, Unknown}
	got, err := Zigzag(closes, 0.03, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("label[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if d := Distribution(got); d != [3]int{3, 1, 3} {
		t.Errorf("distribution = %v", d)
	}
}

func TestZigzagMinSwingIgnoresQuickMoves(t *testing.T) {
	closes := []float64{100, 110, 100, 100, 100}
	got, _ := Zigzag(closes, 0.05, 2, 1)
	if got[0] != Buy {
		t.Errorf("minSwing 1: %v, want BUY", got[0])
	}
	got, _ = Zigzag(closes, 0.05, 2, 2)
	if got[0] != Hold {
		t.Errorf("minSwing 2: %v, want HOLD (the rise completes after 1 bar)", got[0])
	}
}

func TestZigzagTieGoesToFirstMove(t *testing.T) {
	got, _ := Zigzag([]float64{100, 90, 110, 100}, 0.05, 2, 1)
	if got[0] != Sell {
		t.Errorf("tie: %v, want SELL (the fall came first)", got[0])
	}
	got, _ = Zigzag([]float64{100, 110, 90, 100}, 0.05, 2, 1)
	if got[0] != Buy {
		t.Errorf("tie: %v, want BUY (the rise came first)", got[0])
	}
}

func TestZigzagBadInput(t *testing.T) {
	for _, c := range []struct {
		thr       float64
		look, min int
	}{{0, 5, 1}, {1, 5, 1}, {math.NaN(), 5, 1}, {0.1, 0, 1}, {0.1, 5, 0}, {0.1, 5, 6}} {
		if _, err := Zigzag([]float64{1, 2, 3}, c.thr, c.look, c.min); err == nil {
			t.Errorf("Zigzag(%v, %d, %d) accepted", c.thr, c.look, c.min)
		}
	}
	got, err := Zigzag([]float64{0, math.NaN(), 1, 1}, 0.1, 1, 1)
	if err != nil || got[0] != Unknown || got[1] != Unknown {
		t.Errorf("non-positive/NaN price: %v %v", got, err)
	}
}
