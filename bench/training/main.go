// Command training is the Go half of the MLP training benchmark against
// PyTorch (bench/training/run.sh drives both halves).
//
// -mode gen writes a synthetic data set as CSV: N samples of F fuzzy-like
// features in [0,1] (triangular low/mid/high memberships of F/3 latent
// indicator values, lightly jittered) and a BUY/HOLD/SELL label (0/1/2) from
// a nonlinear noisy score of the latents (about 30/40/30 percent): learnable,
// but not perfectly.
//
//	go run ./bench/training -mode gen -n 20000 -f 24 -seed 42 -out data.csv
//
// -mode train reads such a CSV, holds out the last 20% (the rows are in
// random order) as the test set, trains internal/nn's MLP on the rest
// (hidden [64,32], relu, dropout 0.2, Adam lr 1e-3, batch 32, 20 epochs, no
// early stopping) and prints one JSON line: training throughput (samples/s,
// timed around Fit only) and test accuracy.
//
//	GOMAXPROCS=1 go run ./bench/training -mode train -data data.csv
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/nn"
)

func main() {
	mode := flag.String("mode", "", "gen | train")
	n := flag.Int("n", 20000, "gen: samples")
	f := flag.Int("f", 24, "gen: features")
	seed := flag.Uint64("seed", 42, "gen: data seed; train: model seed")
	out := flag.String("out", "", "gen: output CSV (default stdout)")
	data := flag.String("data", "", "train: input CSV")
	epochs := flag.Int("epochs", 20, "train: epochs")
	batch := flag.Int("batch", 32, "train: batch size")
	lr := flag.Float64("lr", 1e-3, "train: Adam learning rate")
	hidden := flag.String("hidden", "64,32", "train: hidden layer widths")
	dropout := flag.Float64("dropout", 0.2, "train: dropout")
	testFrac := flag.Float64("test", 0.2, "train: held-out fraction (the last rows)")
	flag.Parse()

	var err error
	switch *mode {
	case "gen":
		err = gen(*n, *f, *seed, *out)
	case "train":
		err = train(*data, *seed, *epochs, *batch, *lr, *hidden, *dropout, *testFrac)
	default:
		err = fmt.Errorf("-mode must be gen or train, got %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "training:", err)
		os.Exit(1)
	}
}

// gen writes the synthetic data set.
func gen(n, f int, seed uint64, out string) error {
	if n < 10 || f < 3 {
		return fmt.Errorf("need -n >= 10 and -f >= 3, got %d and %d", n, f)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6461746173))
	latents := (f + 2) / 3
	// Fixed random coefficients of the score, from the same seed.
	coef := make([]float64, latents)
	for k := range coef {
		coef[k] = rng.NormFloat64() / math.Sqrt(float64(latents))
	}
	u := make([]float64, latents)
	feats := make([]float64, n*f)
	scores := make([]float64, n)
	for i := range n {
		for k := range u {
			u[k] = (rng.Float64() + rng.Float64()) / 2 // peaked at 0.5, in [0,1]
		}
		s := 0.0
		for k, c := range coef {
			s += c * (u[k] - 0.5)
		}
		// Nonlinear parts: an interaction, a bump and a threshold effect.
		s += 1.5 * (u[0] - 0.5) * (u[1%latents] - 0.5)
		s += 0.15 * math.Sin(2*math.Pi*u[2%latents])
		if u[3%latents] > 0.6 {
			s += 0.1
		}
		s += 0.06 * rng.NormFloat64() // label noise
		scores[i] = s
		row := feats[i*f : (i+1)*f]
		for j := range row {
			v := u[j/3]
			var mu float64
			switch j % 3 {
			case 0: // low
				mu = max(0, 1-v/0.5)
			case 1: // mid
				mu = max(0, 1-math.Abs(v-0.5)/0.5)
			default: // high
				mu = max(0, (v-0.5)/0.5)
			}
			row[j] = min(1, max(0, mu+0.02*rng.NormFloat64()))
		}
	}
	sorted := slices.Clone(scores)
	slices.Sort(sorted)
	lo, hi := sorted[n*3/10], sorted[n*7/10] // SELL below lo, BUY above hi

	w := os.Stdout
	if out != "" {
		file, err := os.Create(out)
		if err != nil {
			return err
		}
		defer file.Close() // after the explicit Close below: a no-op
		w = file
	}
	bw := bufio.NewWriter(w)
	for j := range f {
		fmt.Fprintf(bw, "f%d,", j)
	}
	fmt.Fprintln(bw, "label")
	buf := make([]byte, 0, 32*f)
	for i := range n {
		buf = buf[:0]
		for _, v := range feats[i*f : (i+1)*f] {
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			buf = append(buf, ',')
		}
		label := 1 // HOLD
		switch {
		case scores[i] > hi:
			label = 0 // BUY
		case scores[i] < lo:
			label = 2 // SELL
		}
		buf = strconv.AppendInt(buf, int64(label), 10)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if out != "" {
		return w.Close()
	}
	return nil
}

// readCSV reads a gen CSV: a header, then features..., label per row.
func readCSV(path string) (nn.Matrix, []int, error) {
	file, err := os.Open(path)
	if err != nil {
		return nn.Matrix{}, nil, err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return nn.Matrix{}, nil, errors.New("empty CSV")
	}
	cols := len(strings.Split(sc.Text(), ",")) - 1
	if cols < 1 {
		return nn.Matrix{}, nil, errors.New("CSV header has no feature column")
	}
	var data []float64
	var labels []int
	for line := 2; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != cols+1 {
			return nn.Matrix{}, nil, fmt.Errorf("line %d: %d fields, want %d", line, len(fields), cols+1)
		}
		for _, s := range fields[:cols] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nn.Matrix{}, nil, fmt.Errorf("line %d: %v", line, err)
			}
			data = append(data, v)
		}
		c, err := strconv.Atoi(fields[cols])
		if err != nil {
			return nn.Matrix{}, nil, fmt.Errorf("line %d: %v", line, err)
		}
		labels = append(labels, c)
	}
	if err := sc.Err(); err != nil {
		return nn.Matrix{}, nil, err
	}
	return nn.Matrix{Rows: len(labels), Cols: cols, Data: data}, labels, nil
}

func train(path string, seed uint64, epochs, batch int, lr float64, hidden string, dropout, testFrac float64) error {
	if path == "" {
		return errors.New("-data is required")
	}
	x, y, err := readCSV(path)
	if err != nil {
		return err
	}
	var widths []int
	for _, s := range strings.Split(hidden, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-hidden: %v", err)
		}
		widths = append(widths, w)
	}
	if !(testFrac > 0 && testFrac < 1) {
		return fmt.Errorf("-test must be in (0,1), got %v", testFrac)
	}
	nTrain := x.Rows - int(math.Round(float64(x.Rows)*testFrac))
	trainX := nn.Matrix{Rows: nTrain, Cols: x.Cols, Data: x.Data[:nTrain*x.Cols]}
	testX := nn.Matrix{Rows: x.Rows - nTrain, Cols: x.Cols, Data: x.Data[nTrain*x.Cols:]}

	m, err := nn.New(nn.Config{Inputs: x.Cols, Hidden: widths, Outputs: 3, Activation: "relu", Dropout: dropout, Seed: seed})
	if err != nil {
		return err
	}
	tc := nn.TrainConfig{LearningRate: lr, BatchSize: batch, Epochs: epochs, Optimizer: "adam"}
	start := time.Now()
	res, err := m.Fit(context.Background(), trainX, y[:nTrain], nn.Matrix{}, nil, tc, nil)
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	ev := m.Evaluate(testX, y[nTrain:])
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"impl":              "go",
		"gomaxprocs":        runtime.GOMAXPROCS(0),
		"train_samples":     nTrain,
		"test_samples":      testX.Rows,
		"epochs":            len(res.History),
		"seconds":           elapsed.Seconds(),
		"samples_per_sec":   float64(res.Samples) / elapsed.Seconds(),
		"final_train_loss":  res.History[len(res.History)-1].Loss,
		"test_loss":         ev.Loss,
		"test_accuracy":     ev.Accuracy,
		"majority_baseline": ev.MajorityBaseline,
	})
}
