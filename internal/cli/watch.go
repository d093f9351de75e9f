package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/backtesting"
	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/training"
)

// Watching settings; tests shorten them.
var (
	pollInterval    = 500 * time.Millisecond
	cancelWait      = 10 * time.Second // how long Ctrl-C waits for the cancel to be confirmed
	maxPollFailures = 20               // consecutive failed polls (~10 s) before giving up
)

// watchOptions says how an operation is watched.
type watchOptions struct {
	metrics           bool // follow the metric records too (training epochs)
	cancelOnInterrupt bool // Ctrl-C cancels the operation (else only stops watching)
}

// follow takes a started operation to its end: with detach it prints the
// operation and trace ids and returns; otherwise it watches the operation
// and prints its summary.
func (e *env) follow(start api.StartResponse, detach bool, o watchOptions) error {
	e.a.SetOperation(start.OperationID)
	if detach {
		if e.json {
			return printJSON(e.out, start)
		}
		fmt.Fprintf(e.out, "operation %s %s\n", start.OperationID, start.Status)
		if start.TraceID != "" {
			fmt.Fprintf(e.out, "trace %s\n", start.TraceID)
		}
		fmt.Fprintf(e.out, "follow it: ktrdr ops watch %s\n", start.OperationID)
		return nil
	}
	line := fmt.Sprintf("operation %s %s", start.OperationID, start.Status)
	if start.TraceID != "" {
		line += " (trace " + start.TraceID + ")"
	}
	fmt.Fprintln(e.errOut, line)
	op, err := e.watch(start.OperationID, o)
	if err != nil {
		return err
	}
	return e.finish(op)
}

// watch polls the operation (untraced) until it ends, showing its progress
// on errOut. Ctrl-C (the action's context) cancels it, or stops watching.
func (e *env) watch(id string, o watchOptions) (*operations.Operation, error) {
	ctx := e.a.Ctx
	view := &progressView{w: e.errOut, tty: isTerminal(e.errOut)}
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	cursor, failures := 0, 0
	for {
		op, err := e.c.PollOperation(ctx, id)
		if ctx.Err() != nil {
			view.clear()
			return nil, e.interrupted(id, o)
		}
		if err != nil {
			failures++
			var se *httpx.StatusError
			permanent := errors.As(err, &se) && se.Status < http.StatusInternalServerError
			if permanent || failures >= maxPollFailures {
				view.clear()
				return nil, err
			}
		} else {
			failures = 0
			if o.metrics {
				if m, err := e.c.PollMetrics(ctx, id, cursor); err == nil {
					cursor = m.NewCursor
					if n := len(m.Metrics); n > 0 {
						var rec training.EpochRecord
						if json.Unmarshal(m.Metrics[n-1], &rec) == nil && rec.Epochs > 0 {
							view.epoch = &rec
						}
					}
				}
			}
			view.update(op, time.Now())
			if op.Status.Terminal() {
				return op, nil
			}
		}
		select {
		case <-ctx.Done():
			view.clear()
			return nil, e.interrupted(id, o)
		case <-ticker.C:
		}
	}
}

// interrupted handles Ctrl-C while watching: cancel the operation (in the
// command's trace, without the cancelled context), wait a little for the
// cancel to be confirmed, and exit 130.
func (e *env) interrupted(id string, o watchOptions) error {
	if !o.cancelOnInterrupt {
		return quit(e.errOut, 130, fmt.Sprintf("stopped watching operation %s; it goes on (ktrdr ops watch %s, ktrdr ops cancel %s)", id, id, id))
	}
	fmt.Fprintf(e.errOut, "interrupted: cancelling operation %s\n", id)
	ctx, cancel := context.WithTimeout(e.a.Detached(), cancelWait)
	defer cancel()
	op, err := e.c.Cancel(ctx, id)
	if err != nil {
		return quit(e.errOut, 130, fmt.Sprintf("could not cancel operation %s: %s", id, apiclient.ErrorLine(err)))
	}
wait:
	for !op.Status.Terminal() {
		select {
		case <-ctx.Done():
			break wait
		case <-time.After(pollInterval):
		}
		if next, err := e.c.PollOperation(ctx, id); err == nil {
			op = next
		}
	}
	e.a.SetAttributes(attribute.String("operation.status", string(op.Status)))
	switch {
	case op.Status == operations.StatusCancelled:
		return quit(e.errOut, 130, "cancelled operation "+id)
	case op.Status.Terminal():
		return quit(e.errOut, 130, fmt.Sprintf("operation %s %s before it could be cancelled", id, op.Status))
	}
	return quit(e.errOut, 130, fmt.Sprintf("cancel of operation %s requested; it is still %s (ktrdr ops watch %s)", id, op.Status, id))
}

// finish reports an operation that ended: its summary when it completed,
// its error as one line (exit 1) when it failed or was cancelled.
func (e *env) finish(op *operations.Operation) error {
	e.a.SetAttributes(attribute.String("operation.status", string(op.Status)))
	if e.json {
		if err := printJSON(e.out, op); err != nil {
			return err
		}
	}
	switch op.Status {
	case operations.StatusFailed:
		msg := "no reason given"
		if op.Error != nil {
			msg = *op.Error
		}
		return fmt.Errorf("operation %s failed: %s", op.ID, msg)
	case operations.StatusCancelled:
		return fmt.Errorf("operation %s was cancelled", op.ID)
	}
	if e.json {
		return nil
	}
	renderSummary(e.out, op)
	return nil
}

// renderSummary is the end of a completed operation, by its type.
func renderSummary(w io.Writer, op *operations.Operation) {
	switch op.Type {
	case operations.TypeTraining:
		var r training.Result
		if json.Unmarshal(op.Result, &r) == nil && r.Model != "" {
			renderTrainingSummary(w, r)
			return
		}
	case operations.TypeBacktesting:
		var r backtesting.Result
		if json.Unmarshal(op.Result, &r) == nil && r.Strategy != "" {
			renderBacktestSummary(w, r)
			return
		}
	case operations.TypeDataLoad:
		var r dataload.Result
		var req dataload.Request
		if json.Unmarshal(op.Result, &r) == nil && json.Unmarshal(op.Params, &req) == nil {
			renderDataLoadSummary(w, req.Symbol, string(req.Timeframe), r)
			return
		}
	}
	if len(op.Result) > 0 && string(op.Result) != "null" {
		fmt.Fprintln(w, "result: "+truncate(compactJSON(op.Result), 2000))
	}
}

// progressView shows a watched operation's progress: on a terminal one
// line redrawn in place, elsewhere one line per new step.
type progressView struct {
	w     io.Writer
	tty   bool
	epoch *training.EpochRecord // latest epoch record, if any

	last     string // what the last line showed (status and step)
	drawn    bool   // a TTY line is on screen
	t0       time.Time
	pct0     float64
	measured bool
}

// barWidth is the number of cells of the progress bar.
const barWidth = 20

func (v *progressView) update(op *operations.Operation, now time.Time) {
	if op.Status.Terminal() {
		v.clear()
		fmt.Fprintln(v.w, endLine(op))
		return
	}
	if op.Status == operations.StatusRunning && !v.measured {
		v.t0, v.pct0, v.measured = now, op.Progress.Percentage, true
	}
	if v.tty {
		fmt.Fprintf(v.w, "\r%s\x1b[K", v.ttyLine(op, now))
		v.drawn = true
		return
	}
	key := string(op.Status) + "|" + op.Progress.CurrentStep + "|" + fmt.Sprint(op.CancelRequested)
	if key == v.last {
		return
	}
	v.last = key
	fmt.Fprintln(v.w, plainLine(op))
}

// clear removes the TTY line, if one is drawn.
func (v *progressView) clear() {
	if v.tty && v.drawn {
		fmt.Fprint(v.w, "\r\x1b[K")
		v.drawn = false
	}
}

func pendingLine(op *operations.Operation) string {
	if op.WorkerType == "training" || op.WorkerType == "backtest" {
		return "pending: waiting for a free " + op.WorkerType + " worker"
	}
	return "pending"
}

// plainLine is one step: " 47% epoch 19/40".
func plainLine(op *operations.Operation) string {
	if op.Status == operations.StatusPending {
		return pendingLine(op)
	}
	s := fmt.Sprintf("%3s%%", fmtFloat(op.Progress.Percentage, 0))
	if op.Progress.CurrentStep != "" {
		s += " " + op.Progress.CurrentStep
	}
	if op.CancelRequested {
		s += " (cancelling)"
	}
	return s
}

// ttyLine is "[#########...........]  47% epoch 19/40  loss 0.912 val_acc 53.1%  ETA 12s".
func (v *progressView) ttyLine(op *operations.Operation, now time.Time) string {
	if op.Status == operations.StatusPending {
		return pendingLine(op)
	}
	pct := min(max(op.Progress.Percentage, 0), 100)
	n := int(pct / 100 * barWidth)
	s := "[" + strings.Repeat("#", n) + strings.Repeat(".", barWidth-n) + "] " + plainLine(op)
	if e := v.epoch; e != nil {
		s += fmt.Sprintf("  loss %s val_acc %s", fmtFloat(e.Loss, 3), fmtPct1(e.ValAccuracy))
	}
	if eta, ok := v.eta(pct, now); ok {
		s += "  ETA " + fmtDuration(eta)
	}
	return s
}

// eta extrapolates the rate of progress seen since watching began.
func (v *progressView) eta(pct float64, now time.Time) (time.Duration, bool) {
	elapsed := now.Sub(v.t0)
	if !v.measured || pct <= v.pct0 || pct >= 100 || elapsed < time.Second {
		return 0, false
	}
	rate := (pct - v.pct0) / elapsed.Seconds() // percent per second
	return time.Duration((100 - pct) / rate * float64(time.Second)).Round(time.Second), true
}

// endLine is the last progress line: "completed in 1m23s".
func endLine(op *operations.Operation) string {
	s := string(op.Status)
	if op.StartedAt != nil && op.CompletedAt != nil {
		verb := " after "
		if op.Status == operations.StatusCompleted {
			verb = " in "
		}
		s += verb + fmtDuration(op.CompletedAt.Sub(*op.StartedAt))
	}
	return s
}
