// Package grademark runs grademark (the npm JavaScript backtester, MIT) on
// ktrdr's SMA-crossover baseline through compare.js in this directory, so
// ktrdr's engine can be checked against it trade by trade
// (grademark_test.go) and timed against it (bench/backtest).
//
// Node.js and npm must be installed; scripts/ensure-grademark.sh installs the
// pinned grademark (package.json, package-lock.json here) into the cache.
package grademark

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	sample "github.com/ktrdr/ktrdr/data/sample"
	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Exit reasons of grademark's trades.
const (
	ExitRule     = "exit-rule" // an exitPosition() from the exit rule, filled at the next open
	ExitFinalize = "finalize"  // still open after the last bar: closed at its close
)

// Trade is one of grademark's trades as compare.js prints it.
type Trade struct {
	EntryTime     time.Time
	EntryPrice    float64
	ExitTime      time.Time
	ExitPrice     float64
	ExitReason    string
	HoldingPeriod int
}

// Output is compare.js's result; BarsPerSec and Rounds are set in timing mode.
type Output struct {
	Bars       int
	Trades     []Trade
	BarsPerSec float64   // the best round
	Rounds     []float64 // bars/s of each backtest() call
}

// Root is the repository root, from this source file's location.
func Root() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("grademark: cannot locate the source directory")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Ensure checks that node is installed and runs scripts/ensure-grademark.sh
// (via bash) under root; it returns the directory it installed into.
func Ensure(root string) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("grademark: node (Node.js 20+) is not on PATH: the grademark comparison needs it; install Node.js and npm (apt-get install nodejs npm)")
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "ensure-grademark.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/ensure-grademark.sh: %v\n%s", err, stderr.Bytes())
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("scripts/ensure-grademark.sh printed no directory\n%s", stderr.Bytes())
	}
	return filepath.Abs(dir) // KTRDR_CACHE may be relative; node runs elsewhere
}

// WriteBars writes bars as compare.js reads them: a JSON array of
// {time (Unix milliseconds), open, high, low, close, volume}. Floats are
// written in their shortest exact form, so node reads the same doubles.
func WriteBars(w io.Writer, bars []marketdata.Bar) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 256)
	bw.WriteByte('[')
	for i, b := range bars {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"time":`...)
		buf = strconv.AppendInt(buf, b.Time.UnixMilli(), 10)
		for _, f := range [...]struct {
			k string
			v float64
		}{{`,"open":`, b.Open}, {`,"high":`, b.High}, {`,"low":`, b.Low}, {`,"close":`, b.Close}, {`,"volume":`, b.Volume}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				return fmt.Errorf("grademark: bar %d has a non-finite value", i)
			}
			buf = append(buf, f.k...)
			buf = strconv.AppendFloat(buf, f.v, 'g', -1, 64)
		}
		buf = append(buf, '}')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// WriteBarsFile writes bars to path (see WriteBars).
func WriteBarsFile(path string, bars []marketdata.Bar) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteBars(f, bars); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Run runs compare.js with node on the bars in barsPath, with the
// node_modules of dir (from Ensure). rounds > 0 selects timing mode with that
// many timed backtest() calls.
func Run(ctx context.Context, root, dir, barsPath string, rounds int) (*Output, error) {
	args := []string{filepath.Join(root, "bench", "grademark", "compare.js"), barsPath}
	if rounds > 0 {
		args = append(args, "--time", "--rounds", strconv.Itoa(rounds))
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	// Big inputs (1M bars) need more than node's default old-space limit.
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"), "NODE_OPTIONS=--max-old-space-size=8192")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("node compare.js: %v\n%s", err, stderr.Bytes())
	}
	var raw struct {
		Bars   int `json:"bars"`
		Trades []struct {
			EntryTime     int64   `json:"entry_time"`
			EntryPrice    float64 `json:"entry_price"`
			ExitTime      int64   `json:"exit_time"`
			ExitPrice     float64 `json:"exit_price"`
			ExitReason    string  `json:"exit_reason"`
			HoldingPeriod int     `json:"holding_period"`
		} `json:"trades"`
		BarsPerSec float64   `json:"bars_per_sec"`
		Rounds     []float64 `json:"rounds"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("node compare.js: unreadable output: %v", err)
	}
	o := &Output{Bars: raw.Bars, BarsPerSec: raw.BarsPerSec, Rounds: raw.Rounds, Trades: make([]Trade, len(raw.Trades))}
	for k, t := range raw.Trades {
		o.Trades[k] = Trade{EntryTime: time.UnixMilli(t.EntryTime).UTC(), EntryPrice: t.EntryPrice,
			ExitTime: time.UnixMilli(t.ExitTime).UTC(), ExitPrice: t.ExitPrice, ExitReason: t.ExitReason, HoldingPeriod: t.HoldingPeriod}
	}
	return o, nil
}

// SPX is the embedded S&P 500 daily sample (data/sample/SPX_1d.csv).
func SPX() ([]marketdata.Bar, error) {
	f, err := sample.FS.Open("SPX_1d.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, _, err := marketdata.ReadSeries(f, "SPX", marketdata.TF1d, marketdata.Rules{IgnoreGaps: true})
	if err != nil {
		return nil, err
	}
	return s.Bars, nil
}

// Closes returns the bars' closes.
func Closes(bars []marketdata.Bar) []float64 {
	c := make([]float64, len(bars))
	for i, b := range bars {
		c[i] = b.Close
	}
	return c
}

// Baseline is the configuration both sides agree on: long only, all-in
// (one unit on grademark's side; sizing does not change prices or times),
// next-open fills, no costs.
func Baseline() backtest.Config {
	return backtest.Config{
		InitialCapital: 100_000,
		Sizing:         backtest.Sizing{Mode: backtest.SizingFraction, Fraction: 1},
		Fill:           backtest.FillNextOpen,
		AllowShort:     false,
		BarsPerYear:    252,
	}
}

// RunKtrdr runs ktrdr's SMA(fast)/SMA(slow) crossover baseline on bars with
// the Baseline config.
func RunKtrdr(bars []marketdata.Bar, fast, slow int) (backtest.Result, error) {
	return backtest.Run(Baseline(), bars, backtest.MACrossover(Closes(bars), fast, slow, false))
}

// View is the decision stream grademark acts on, given ktrdr's signals for
// the same strategy: grademark runs no rule on a bar where it fills an order
// (the entry fill bar of its state machine's Enter state, the exit fill bar
// of its Exit state) nor before its lookback is full (bar 0 for a 2-bar
// lookback), so a crossover on such a bar is never seen there, whereas
// ktrdr's engine fills at the open and then still acts on the decision taken
// at that bar's close. View replays grademark's state machine (long only:
// entry on Buy when flat, exit on Sell when long) and returns the signals
// with those bars set to Hold, and the indices of the Buy/Sell signals it
// dropped. ktrdr's engine fed View(signals) must make exactly grademark's
// trades.
func View(signals []backtest.Signal, lookback int) (view []backtest.Signal, dropped []int) {
	const (
		none = iota
		enter
		position
		exit
	)
	view = make([]backtest.Signal, len(signals))
	state := none
	for i, s := range signals {
		if i < lookback-1 {
			if s.Action == backtest.Buy || s.Action == backtest.Sell {
				dropped = append(dropped, i)
			}
			continue
		}
		switch state {
		case none: // entry rule runs
			view[i] = s
			if s.Action == backtest.Buy {
				state = enter
			}
			continue
		case position: // exit rule runs
			view[i] = s
			if s.Action == backtest.Sell {
				state = exit
			}
			continue
		case enter: // entry fill at the open, no rule
			state = position
		case exit: // exit fill at the open, no rule
			state = none
		}
		if s.Action == backtest.Buy || s.Action == backtest.Sell {
			dropped = append(dropped, i)
		}
	}
	return view, dropped
}

// Compare checks ktrdr's trades against grademark's, trade by trade: the same
// number of trades, and for each the same entry and exit times and the same
// entry and exit prices (within tol, relative). Exit reasons map as
// signal <-> exit-rule and end_of_data <-> finalize: both engines close a
// position still open after the last bar at the last bar's close, at its
// time, so that last trade is compared like the others. It returns one error
// listing up to 10 differences.
func Compare(kt []backtest.Trade, gm []Trade, tol float64) error {
	var diffs []string
	add := func(format string, a ...any) {
		if len(diffs) < 10 {
			diffs = append(diffs, fmt.Sprintf(format, a...))
		}
	}
	if len(kt) != len(gm) {
		add("trade count: ktrdr %d, grademark %d", len(kt), len(gm))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) }
	for k := range min(len(kt), len(gm)) {
		a, b := kt[k], gm[k]
		want := ExitRule
		if a.ExitReason == backtest.ExitEndOfData {
			want = ExitFinalize
		}
		if !a.EntryTime.Equal(b.EntryTime) || !a.ExitTime.Equal(b.ExitTime) || !near(a.EntryPrice, b.EntryPrice) ||
			!near(a.ExitPrice, b.ExitPrice) || a.Side != backtest.SideLong || b.ExitReason != want {
			add("trade %d: ktrdr %s %s@%v -> %s@%v (%s), grademark %s@%v -> %s@%v (%s)", k, a.Side,
				a.EntryTime.Format(time.DateOnly), a.EntryPrice, a.ExitTime.Format(time.DateOnly), a.ExitPrice, a.ExitReason,
				b.EntryTime.Format(time.DateOnly), b.EntryPrice, b.ExitTime.Format(time.DateOnly), b.ExitPrice, b.ExitReason)
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return errors.New(strings.Join(diffs, "\n"))
}
