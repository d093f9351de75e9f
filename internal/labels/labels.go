// Package labels turns a price series into the supervised targets ktrdr's
// models learn: BUY, HOLD or SELL at each bar, from the move that follows it.
package labels

import (
	"fmt"
	"math"
)

// Class is a training target. The numbering is ktrdr's: the model's output
// i is the probability of Class(i).
type Class int

const (
	Buy  Class = 0
	Hold Class = 1
	Sell Class = 2
	// Unknown marks bars whose future is not fully known (the last
	// lookahead bars): they are never trained on.
	Unknown Class = -1
)

// NumClasses is the number of model outputs.
const NumClasses = 3

// Names are the class names by index, as reported in metrics.
var Names = [NumClasses]string{"BUY", "HOLD", "SELL"}

func (c Class) String() string {
	if c >= 0 && int(c) < NumClasses {
		return Names[c]
	}
	return "UNKNOWN"
}

// Zigzag labels each bar i from the closes that follow it, as ktrdr's zigzag
// labeler does: over closes[i+minSwing .. i+lookahead] it takes the largest
// rise and the largest fall relative to closes[i]. If the larger of the two
// reaches threshold (a fraction, 0.03 = 3%), the bar is BUY (rise) or SELL
// (fall); otherwise HOLD. When both moves are equal and reach the threshold,
// the one reached first wins. minSwing (≥ 1) ignores moves that complete
// sooner than that many bars after i. The last lookahead bars are Unknown:
// labelling them from a truncated window would bias the end of every series
// towards HOLD.
func Zigzag(closes []float64, threshold float64, lookahead, minSwing int) ([]Class, error) {
	switch {
	case !(threshold > 0 && threshold < 1):
		return nil, fmt.Errorf("zigzag threshold must be in (0, 1), got %v", threshold)
	case lookahead < 1:
		return nil, fmt.Errorf("label lookahead must be >= 1, got %d", lookahead)
	case minSwing < 1 || minSwing > lookahead:
		return nil, fmt.Errorf("min swing length must be in [1, lookahead=%d], got %d", lookahead, minSwing)
	}
	out := make([]Class, len(closes))
	for i := range closes {
		if i+lookahead >= len(closes) {
			out[i] = Unknown
			continue
		}
		p := closes[i]
		if !(p > 0) || math.IsInf(p, 0) {
			out[i] = Unknown
			continue
		}
		up, down := 0.0, 0.0
		upAt, downAt := -1, -1
		for j := i + minSwing; j <= i+lookahead; j++ {
			c := closes[j]
			if math.IsNaN(c) {
				continue
			}
			if r := (c - p) / p; r > up {
				up, upAt = r, j
			}
			if f := (p - c) / p; f > down {
				down, downAt = f, j
			}
		}
		switch {
		case up >= threshold && (up > down || (up == down && upAt < downAt)):
			out[i] = Buy
		case down >= threshold && down >= up:
			out[i] = Sell
		default:
			out[i] = Hold
		}
	}
	return out, nil
}

// Distribution counts the known labels per class.
func Distribution(ls []Class) [NumClasses]int {
	var d [NumClasses]int
	for _, l := range ls {
		if l >= 0 && int(l) < NumClasses {
			d[l]++
		}
	}
	return d
}
