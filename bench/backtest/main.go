// Command backtest measures ktrdr's backtesting throughput (bars/s) against
// two baselines, each run in the same invocation on the same bars, and
// prints the ratio (ktrdr / baseline; above 1 is faster):
//
//  1. SMA-crossover baseline: backtest.MACrossover(close, 10, 30) +
//     backtest.Run (next-open fills, no costs, long only) against grademark
//     0.3.0, the npm JavaScript backtester, running the same strategy
//     (bench/grademark/compare.js --time). The trades are compared one by one
//     (see bench/grademark for the one convention that differs).
//  2. Model-driven backtest: strategies/volatility_regime.yaml's features
//     (features.Build), its MLP trained on the SPX sample, and ktrdr's
//     per-bar loop (backtesting.NewModelDecider + backtesting.Simulate, i.e.
//     backtest.NewEngine/Step/Finish) against a per-bar PyTorch loop
//     (torch_loop.py, the system python) loading the same weights and the
//     same feature matrix.
//
// The bars are the S&P 500 daily sample (5105 bars) repeated to -bars bars:
// copy k is shifted in time to start one day after copy k-1 ends and its
// prices are scaled by (last close / first close)^k, so the series stays
// continuous (copy k's first close is copy k-1's last close) and valid.
//
// Everything runs on one thread: GOMAXPROCS is set to 1 here, torch runs
// with set_num_threads(1), grademark is single-threaded JavaScript.
//
// bench/backtest/run.sh installs what is needed and runs this; directly:
//
//	go run ./bench/backtest [-bars 1000000] -grademark DIR [-python /usr/bin/python3]
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/bench/grademark"
	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/backtesting"
	"github.com/ktrdr/ktrdr/internal/features"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/nn"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/training"
)

func main() {
	n := flag.Int("bars", 1_000_000, "bars per run (the SPX sample repeated)")
	rounds := flag.Int("rounds", 5, "timed rounds of each ktrdr run and of grademark's backtest() (the best is reported)")
	gmDir := flag.String("grademark", "", "grademark install directory (scripts/ensure-grademark.sh prints it); empty: run the script")
	python := flag.String("python", "/usr/bin/python3", "python with torch and numpy for torch_loop.py")
	dtypes := flag.String("torch-dtypes", "float32,float64", "torch dtypes to run torch_loop.py with (float32 is torch's default and the ratio's baseline)")
	seed := flag.Uint64("seed", 42, "training seed of the model")
	skipGrademark := flag.Bool("skip-grademark", false, "skip part 1's grademark side")
	skipTorch := flag.Bool("skip-torch", false, "skip part 2's torch side")
	flag.Parse()
	if *n < 1000 || *rounds < 1 {
		fail(fmt.Errorf("need -bars >= 1000 and -rounds >= 1"))
	}
	runtime.GOMAXPROCS(1)

	root, err := grademark.Root()
	check(err)
	work, err := os.MkdirTemp("", "ktrdr-bench-backtest-")
	check(err)
	cleanup = func() { os.RemoveAll(work) }
	defer cleanup()

	spx, err := grademark.SPX()
	check(err)
	bars := repeat(spx, *n)
	fmt.Printf("bars: %d (SPX 1d sample, %d bars, repeated %.1f times; %s .. %s), GOMAXPROCS=%d, %s %s/%s\n\n",
		len(bars), len(spx), float64(len(bars))/float64(len(spx)), bars[0].Time.Format(time.DateOnly),
		bars[len(bars)-1].Time.Format(time.DateOnly), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)

	smaBaseline(root, work, *gmDir, bars, *rounds, *skipGrademark)
	fmt.Println()
	modelBaseline(root, work, *python, strings.Split(*dtypes, ","), bars, spx, *rounds, *seed, *skipTorch)
}

// smaBaseline is part 1: ktrdr's SMA(10)/SMA(30) crossover against grademark.
func smaBaseline(root, work, gmDir string, bars []marketdata.Bar, rounds int, skip bool) {
	fmt.Println("1. SMA(10)/SMA(30) crossover baseline, next-open fills, no costs, long only")
	closes := grademark.Closes(bars)
	var res backtest.Result
	// Timed: MACrossover (both SMAs and the crossovers) and backtest.Run.
	// grademark's timing below excludes its SMAs (computed before backtest()).
	best, median := timeRounds(rounds, func() {
		sig := backtest.MACrossover(closes, 10, 30, false)
		var err error
		res, err = backtest.Run(grademark.Baseline(), bars, sig)
		check(err)
	})
	kt := float64(len(bars)) / best
	fmt.Printf("   ktrdr      MACrossover+Run  %12.0f bars/s  (best of %d; median %.0f)  trades %d\n",
		kt, rounds, float64(len(bars))/median, len(res.Trades))
	if skip {
		fmt.Println("   grademark  skipped (-skip-grademark)")
		return
	}
	if gmDir == "" {
		var err error
		gmDir, err = grademark.Ensure(root)
		check(err)
	}
	path := filepath.Join(work, "bars.json")
	check(grademark.WriteBarsFile(path, bars))
	gm, err := grademark.Run(context.Background(), root, gmDir, path, rounds)
	check(err)
	fmt.Printf("   grademark  backtest()       %12.0f bars/s  (best of %d; median %.0f)  trades %d\n",
		gm.BarsPerSec, len(gm.Rounds), medianOf(gm.Rounds), len(gm.Trades))
	fmt.Printf("   ratio ktrdr/grademark: %.1fx\n", kt/gm.BarsPerSec)

	// The trades: grademark sees no crossover on a bar where it fills an
	// order, ktrdr does (bench/grademark.View); on the decisions grademark
	// sees, ktrdr must make exactly grademark's trades.
	view, dropped := grademark.View(backtest.MACrossover(closes, 10, 30, false), 2)
	vres, err := backtest.Run(grademark.Baseline(), bars, view)
	check(err)
	if err := grademark.Compare(vres.Trades, gm.Trades, 0); err != nil {
		fail(fmt.Errorf("TRADES DIFFER: ktrdr on grademark's decisions %d trades, grademark %d:\n%v", len(vres.Trades), len(gm.Trades), err))
	}
	fmt.Printf("   trades: ktrdr on the decisions grademark sees %d = grademark %d, identical one by one (times, prices;\n"+
		"           last one end_of_data = finalize); the raw stream has %d crossovers on grademark's fill bars,\n"+
		"           which grademark never evaluates, hence ktrdr's %d trades on the raw signals\n",
		len(vres.Trades), len(gm.Trades), len(dropped), len(res.Trades))
}

// modelBaseline is part 2: ktrdr's model-driven per-bar loop against torch.
func modelBaseline(root, work, python string, dtypes []string, bars, spx []marketdata.Bar, rounds int, seed uint64, skip bool) {
	fmt.Println("2. model-driven backtest: strategies/volatility_regime.yaml, next-open fills, no costs, long only")
	yaml, err := os.ReadFile(filepath.Join(root, "strategies", "volatility_regime.yaml"))
	check(err)
	s, _, err := strategy.Parse(yaml)
	check(err)

	// The model: the strategy's network, trained on the SPX sample as the
	// training pipeline does (features, zigzag labels, chronological split,
	// scaler fitted on the training split, Adam, early stopping).
	start := time.Now()
	spxTable, err := features.Build(s, map[marketdata.Timeframe]marketdata.Series{s.BaseTimeframe: {Symbol: "SPX", Timeframe: s.BaseTimeframe, Bars: spx}})
	check(err)
	ds, err := training.MakeDataset(s, []*features.Table{spxTable})
	check(err)
	net, fit, err := training.Fit(context.Background(), s, ds, seed, nil)
	check(err)
	ev := net.Evaluate(ds.Test.X, ds.Test.Y)
	fmt.Printf("   model: MLP %d -> %v -> 3 (%s), trained on the SPX sample (seed %d, %d epochs, best %d, %.1fs), test accuracy %.3f (majority %.3f)\n",
		net.Config.Inputs, net.Config.Hidden, net.Config.Activation, seed, len(fit.History), fit.BestEpoch, time.Since(start).Seconds(), ev.Accuracy, ev.MajorityBaseline)

	table, err := features.Build(s, map[marketdata.Timeframe]marketdata.Series{s.BaseTimeframe: {Symbol: "SPX", Timeframe: s.BaseTimeframe, Bars: bars}})
	check(err)
	volume := make([]float64, len(bars))
	for i, b := range bars {
		volume[i] = b.Volume
	}
	cfg := backtest.Config{InitialCapital: 100_000, Fill: backtest.FillNextOpen, AllowShort: s.Decisions.AllowShort, BarsPerYear: 252}

	// Timed: the decider (scaling, MLP, filters) and the engine, over every
	// bar, and Finish (end-of-data close, metrics).
	var res backtest.Result
	var signals map[string]int
	best, median := timeRounds(rounds, func() {
		dec := backtesting.NewModelDecider(net, ds.Scaler, table, s.Decisions, volume)
		var err error
		res, signals, err = backtesting.Simulate(context.Background(), cfg, bars, 0, dec, nil)
		check(err)
	})
	kt := float64(len(bars)) / best
	fmt.Printf("   ktrdr          Decide+Step     %10.0f bars/s  (best of %d; median %.0f)  BUY %d SELL %d trades %d final equity %.6g\n",
		kt, rounds, float64(len(bars))/median, signals["BUY"], signals["SELL"], len(res.Trades), res.Metrics.FinalEquity)
	if skip {
		fmt.Println("   torch          skipped (-skip-torch)")
		return
	}

	// Untimed: ktrdr's decision on every bar, to compare with torch's.
	rec := &recorder{d: backtesting.NewModelDecider(net, ds.Scaler, table, s.Decisions, volume), actions: make([]int8, len(bars))}
	if _, _, err := backtesting.Simulate(context.Background(), cfg, bars, 0, rec, nil); err != nil {
		check(err)
	}

	featPath, pricePath, modelPath := filepath.Join(work, "features.npy"), filepath.Join(work, "prices.npy"), filepath.Join(work, "model.json")
	check(writeFeatures(featPath, table))
	check(writePrices(pricePath, bars))
	check(writeModel(modelPath, net, ds.Scaler, s.Decisions, cfg.InitialCapital))
	for _, dt := range dtypes {
		actPath := filepath.Join(work, "actions-"+dt+".bin")
		out, err := exec.Command(python, filepath.Join(root, "bench", "backtest", "torch_loop.py"), "--features", featPath,
			"--prices", pricePath, "--model", modelPath, "--dtype", dt, "--actions-out", actPath).Output()
		if ee, ok := err.(*exec.ExitError); ok {
			fail(fmt.Errorf("torch_loop.py (%s): %v\n%s", dt, err, ee.Stderr))
		}
		check(err)
		var py struct {
			BarsPerSec  float64 `json:"bars_per_sec"`
			Buy         int     `json:"buy"`
			Sell        int     `json:"sell"`
			Trades      int     `json:"trades"`
			FinalEquity float64 `json:"final_equity"`
			Torch       string  `json:"torch"`
			Threads     int     `json:"threads"`
			Blas        string  `json:"blas"`
		}
		check(json.Unmarshal(out, &py))
		fmt.Printf("   torch %-8s per-bar forward %10.0f bars/s  (1 round)           BUY %d SELL %d trades %d final equity %.6g  [torch %s, %d thread, %s]\n",
			dt, py.BarsPerSec, py.Buy, py.Sell, py.Trades, py.FinalEquity, py.Torch, py.Threads, py.Blas)
		fmt.Printf("   ratio ktrdr/torch(%s): %.1fx\n", dt, kt/py.BarsPerSec)
		pyActs, err := os.ReadFile(actPath)
		check(err)
		reportAgreement(dt, rec, pyActs, res.Metrics.FinalEquity, py.FinalEquity, net, ds.Scaler, table)
	}
}

// reportAgreement compares torch's per-bar decisions with ktrdr's.
func reportAgreement(dt string, rec *recorder, py []byte, ktEquity, pyEquity float64, net *nn.MLP, sc *models.Scaler, table *features.Table) {
	if len(py) != len(rec.actions) {
		fmt.Printf("   decisions (%s): torch wrote %d, want %d\n", dt, len(py), len(rec.actions))
		return
	}
	var diff []int
	for i, a := range rec.actions {
		if int8(py[i]) != a {
			diff = append(diff, i)
		}
	}
	rel := math.Abs(ktEquity-pyEquity) / math.Abs(ktEquity)
	if len(diff) == 0 {
		fmt.Printf("   decisions (%s): identical on all %d bars; final equity relative difference %.1e\n", dt, len(rec.actions), rel)
		return
	}
	// The first disagreement, with ktrdr's (float64) probabilities: a tie at
	// the confidence threshold or between two classes, within float32's
	// precision, is the usual cause.
	i := diff[0]
	row, probs := make([]float64, len(table.Names)), make([]float64, 3)
	table.Row(i, row)
	training.ApplyScaler(sc, row)
	net.Predict(row, probs)
	fmt.Printf("   decisions (%s): %d of %d bars differ (first at bar %d: ktrdr %s, torch %s; ktrdr's probabilities BUY %.9f HOLD %.9f SELL %.9f);\n"+
		"                    once one decision differs, positions and the separation filter diverge; final equity relative difference %.1e\n",
		dt, len(diff), len(rec.actions), i, backtest.Action(rec.actions[i]), backtest.Action(int8(py[i])), probs[0], probs[1], probs[2], rel)
}

// recorder wraps a decider and keeps every decision.
type recorder struct {
	d       *backtesting.ModelDecider
	actions []int8
}

func (r *recorder) Decide(i int, position float64) backtest.Signal {
	s := r.d.Decide(i, position)
	r.actions[i] = int8(s.Action)
	return s
}

// repeat concatenates copies of src up to n bars: copy k starts one day
// after copy k-1 ends, with prices scaled by (last close/first close)^k.
func repeat(src []marketdata.Bar, n int) []marketdata.Bar {
	out := make([]marketdata.Bar, 0, n)
	span := src[len(src)-1].Time.Sub(src[0].Time) + 24*time.Hour
	growth := src[len(src)-1].Close / src[0].Close
	start, scale := src[0].Time, 1.0
	for len(out) < n {
		for _, b := range src[:min(len(src), n-len(out))] {
			out = append(out, marketdata.Bar{Time: start.Add(b.Time.Sub(src[0].Time)),
				Open: b.Open * scale, High: b.High * scale, Low: b.Low * scale, Close: b.Close * scale, Volume: b.Volume})
		}
		start, scale = start.Add(span), scale*growth
	}
	return out
}

// timeRounds runs f rounds times (after a collection) and returns the best
// and the median duration in seconds.
func timeRounds(rounds int, f func()) (best, median float64) {
	secs := make([]float64, rounds)
	for r := range secs {
		runtime.GC()
		t := time.Now()
		f()
		secs[r] = time.Since(t).Seconds()
	}
	return slices.Min(secs), medianOf(secs)
}

func medianOf(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// writeNpy writes a C-order float64 .npy file of the given shape; row(i, dst)
// fills row i.
func writeNpy(path string, rows, cols int, row func(i int, dst []float64)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	pad := 64 - (10+len(header)+1)%64 // magic(6)+version(2)+len(2), then the header ending in '\n'
	header += strings.Repeat(" ", pad%64) + "\n"
	var pre [10]byte
	copy(pre[:], "\x93NUMPY\x01\x00")
	binary.LittleEndian.PutUint16(pre[8:], uint16(len(header)))
	w := io.Writer(f)
	if _, err := w.Write(append(pre[:], header...)); err != nil {
		f.Close()
		return err
	}
	vals := make([]float64, cols)
	buf := make([]byte, 0, 1<<20)
	for i := range rows {
		row(i, vals)
		for _, v := range vals {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		if len(buf) >= 1<<20-8*cols || i == rows-1 {
			if _, err := w.Write(buf); err != nil {
				f.Close()
				return err
			}
			buf = buf[:0]
		}
	}
	return f.Close()
}

// writeFeatures writes the feature table (rows = bars, NaN while warming up).
func writeFeatures(path string, t *features.Table) error {
	return writeNpy(path, t.Rows(), len(t.Names), t.Row)
}

// writePrices writes each bar's open and close.
func writePrices(path string, bars []marketdata.Bar) error {
	return writeNpy(path, len(bars), 2, func(i int, dst []float64) { dst[0], dst[1] = bars[i].Open, bars[i].Close })
}

// writeModel writes the network (nn.MLP's JSON, weights included), the
// scaler and the decision settings for torch_loop.py.
func writeModel(path string, net *nn.MLP, sc *models.Scaler, d strategy.Decisions, capital float64) error {
	b, err := json.Marshal(map[string]any{
		"network": net,
		"scaler":  sc,
		"decisions": map[string]any{
			"confidence_threshold":  d.ConfidenceThreshold,
			"position_awareness":    d.PositionAwareness,
			"min_signal_separation": d.MinSignalSeparation,
			"volume_filter":         d.VolumeFilter,
			"allow_short":           d.AllowShort,
		},
		"initial_capital": capital,
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

// cleanup removes the work directory; fail runs it before exiting.
var cleanup = func() {}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/backtest:", err)
	cleanup()
	os.Exit(1)
}
