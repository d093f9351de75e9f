package backtest

import "testing"

// actions renders signals as "-B-S-" and checks rule confidences.
func actions(t *testing.T, s []Signal) string {
	t.Helper()
	out := make([]byte, len(s))
	for i, g := range s {
		switch g.Action {
		case Buy:
			out[i] = 'B'
		case Sell:
			out[i] = 'S'
		default:
			out[i] = '-'
		}
		if g.Action != Hold && g.Confidence != 1 {
			t.Errorf("signal %d confidence %v, want 1", i, g.Confidence)
		}
	}
	return string(out)
}

func TestMACrossover(t *testing.T) {
	for _, tc := range []struct {
		name       string
		close      []float64
		fast, slow int
		ema        bool
		want       string
	}{
		// SMA2 / SMA3:
		//  i   close  SMA2  SMA3
		//  0   5      -     -
		//  1   4      4.5   -
		//  2   3      3.5   4        (first bar with both; i=2 has no defined previous bar: Hold)
		//  3   2      2.5   3        below, was below
		//  4   3      2.5   2.667    below
		//  5   4      3.5   3        above, was below (2.5 <= 2.667): Buy
		//  6   5      4.5   4        above
		//  7   6      5.5   5        above
		//  8   5      5.5   5.333    above
		//  9   4      4.5   5        below, was above: Sell
		// 10   3      3.5   4        below
		// 11   2      2.5   3        below
		{"sma", []float64{5, 4, 3, 2, 3, 4, 5, 6, 5, 4, 3, 2}, 2, 3, false, "-----B---S--"},
		// Touching counts as "at or below": SMA2 1,1,1,1.5 vs SMA3 -,1,1,1.333;
		// bar 3 equal (Hold), bar 4 above after equal: Buy.
		{"touch", []float64{1, 1, 1, 1, 2}, 2, 3, false, "----B"},
		// fast 1 is the close itself. SMA3: -,-,8,8,9.333,9.333,10.
		//   bar 4: 12 > 9.333 after 8 <= 8: Buy; bar 5: 8 < 9.333 after 12: Sell;
		//   bar 6: 10 == 10: Hold.
		{"fast1_sma", []float64{8, 8, 8, 8, 12, 8, 10}, 1, 3, false, "----BS-"},
		// EMA3 (alpha 0.5, seeded with mean(8,8,8) = 8): 8, 8, (12-8)/2+8 = 10, (8-10)/2+10 = 9, (10-9)/2+9 = 9.5
		//   bar 4: 12 > 10: Buy; bar 5: 8 < 9: Sell; bar 6: 10 > 9.5 after 8 <= 9: Buy.
		{"fast1_ema", []float64{8, 8, 8, 8, 12, 8, 10}, 1, 3, true, "----BSB"},
		{"invalid_fast", []float64{8, 8, 8, 8, 12}, 0, 3, false, "-----"},
		{"slow_too_long", []float64{8, 8, 8, 8, 12}, 2, 6, false, "-----"},
		{"empty", nil, 2, 3, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MACrossover(tc.close, tc.fast, tc.slow, tc.ema)
			if len(got) != len(tc.close) {
				t.Fatalf("%d signals for %d closes", len(got), len(tc.close))
			}
			if s := actions(t, got); s != tc.want {
				t.Errorf("got %s, want %s", s, tc.want)
			}
		})
	}
}

func TestRSIThreshold(t *testing.T) {
	// RSI(2) of 10, 11, 12, 11, 10, 11, 12, 13 (changes +1 +1 -1 -1 +1 +1 +1):
	//   bar 2: gain (1+1)/2 = 1, loss 0                            -> 100
	//   bar 3: gain (1*1+0)/2 = 0.5, loss (0+1)/2 = 0.5            -> 50
	//   bar 4: gain 0.25, loss (0.5+1)/2 = 0.75                    -> 25   below 30 after 50: Buy
	//   bar 5: gain (0.25+1)/2 = 0.625, loss 0.375                 -> 62.5
	//   bar 6: gain 0.8125, loss 0.1875                            -> 81.25 above 70 after 62.5: Sell
	//   bar 7: gain 0.90625, loss 0.09375                          -> 90.625 (was above already)
	// bar 2's 100 has no defined previous value: Hold.
	close := []float64{10, 11, 12, 11, 10, 11, 12, 13}
	if s := actions(t, RSIThreshold(close, 2, 30, 70)); s != "----B-S-" {
		t.Errorf("got %s, want ----B-S-", s)
	}
	// Thresholds 25/81.25 test the strict comparisons: bar 4's 25 is not below 25, bar 6's 81.25 is
	// not above 81.25, and bar 7's 90.625 is above it after 81.25 <= 81.25: Sell at bar 7.
	if s := actions(t, RSIThreshold(close, 2, 25, 81.25)); s != "-------S" {
		t.Errorf("got %s, want -------S", s)
	}
	if s := actions(t, RSIThreshold(close, 8, 30, 70)); s != "--------" { // period >= len: all NaN
		t.Errorf("got %s", s)
	}
}
