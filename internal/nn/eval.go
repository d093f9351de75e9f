package nn

import "math"

// Evaluation holds classification metrics of a model on a labelled set.
type Evaluation struct {
	Samples  int
	Loss     float64 // mean (unweighted) cross-entropy; NaN when Samples is 0
	Accuracy float64 // NaN when Samples is 0
	// Per class. Precision = TP/predicted, Recall = TP/support,
	// F1 = 2PR/(P+R); each is 0 when its denominator is 0 (never NaN).
	Precision, Recall, F1 []float64
	Support               []int   // true samples per class
	Confusion             [][]int // [true][predicted]
	// MajorityClass is the most frequent class of y (the lowest on ties) and
	// MajorityBaseline the accuracy of always predicting it.
	MajorityClass    int
	MajorityBaseline float64
}

// Evaluate measures m on x, y without dropout. Evaluate cannot return an
// error: on invalid data (see CheckData) it returns an Evaluation with
// Samples 0, NaN Loss, Accuracy and MajorityBaseline and all-zero per-class
// slices; on a malformed model (see Check), the same with nil slices.
func (m *MLP) Evaluate(x Matrix, y []int) Evaluation {
	ev := Evaluation{Loss: math.NaN(), Accuracy: math.NaN(), MajorityBaseline: math.NaN()}
	act, err := m.check()
	if err != nil {
		return ev
	}
	outs := m.Config.Outputs
	ev.Precision, ev.Recall, ev.F1 = make([]float64, outs), make([]float64, outs), make([]float64, outs)
	ev.Support, ev.Confusion = make([]int, outs), make([][]int, outs)
	for c := range ev.Confusion {
		ev.Confusion[c] = make([]int, outs)
	}
	if checkData("x", "y", x, y, m.Config.Inputs, outs) != nil || x.Rows == 0 {
		return ev
	}
	ws := getInferWorkspace(m, act)
	defer inferPool.Put(ws)
	var sumCE float64
	ws.forEachChunk(m, x, func(start, rows int, logits []float64) {
		for i, c := range y[start : start+rows] {
			row := logits[i*outs : (i+1)*outs]
			sumCE += softmaxRow(row, c)
			ev.Confusion[c][argmax(row)]++
		}
	})
	n := len(y)
	ev.Samples = n
	ev.Loss = sumCE / float64(n)
	correct := 0
	for c := range outs {
		predicted := 0
		for t := range outs {
			ev.Support[c] += ev.Confusion[c][t]
			predicted += ev.Confusion[t][c]
		}
		tp := ev.Confusion[c][c]
		correct += tp
		ev.Precision[c] = ratio(tp, predicted)
		ev.Recall[c] = ratio(tp, ev.Support[c])
		if p, r := ev.Precision[c], ev.Recall[c]; p+r > 0 {
			ev.F1[c] = 2 * p * r / (p + r)
		}
		if ev.Support[c] > ev.Support[ev.MajorityClass] {
			ev.MajorityClass = c
		}
	}
	ev.Accuracy = float64(correct) / float64(n)
	ev.MajorityBaseline = float64(ev.Support[ev.MajorityClass]) / float64(n)
	return ev
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
