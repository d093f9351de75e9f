package dataload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/operations"
)

// Modes of a data load.
const (
	ModeLocal    = "local"    // what is stored; fetch nothing
	ModeTail     = "tail"     // extend the stored series forward to end (default now)
	ModeBackfill = "backfill" // extend it backward to start
	ModeFull     = "full"     // fetch the whole requested range again
)

// WorkerType marks operations the backend runs itself.
const WorkerType = "backend"

// Request is a data load, validated.
type Request struct {
	Symbol    string               `json:"symbol"`
	Timeframe marketdata.Timeframe `json:"timeframe"`
	Start     *time.Time           `json:"start,omitempty"`
	End       *time.Time           `json:"end,omitempty"`
	Mode      string               `json:"mode"`
}

// Result is the result of a finished data load.
type Result struct {
	RowsAdded int                       `json:"rows_added"`
	RowsTotal int                       `json:"rows_total"`
	First     *time.Time                `json:"first"`
	Last      *time.Time                `json:"last"`
	Fetched   []Window                  `json:"fetched"`
	Quality   *marketdata.QualityReport `json:"quality,omitempty"`
}

// Window is a time range asked of the host service.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Loader runs data_load operations.
type Loader struct {
	Store  *Store
	Host   *ibhost.Client
	Ops    operations.Store
	Tracer trace.Tracer
	Logger *slog.Logger
	Now    func() time.Time

	mu       sync.Mutex
	cancels  map[string]context.CancelFunc
	stopping bool
	wg       sync.WaitGroup
}

// Start records a data_load operation in the current trace and runs it in
// the background; the operation's span continues the trace after the
// request returns.
func (l *Loader) Start(ctx context.Context, req Request) (*operations.Operation, error) {
	params, _ := json.Marshal(req)
	now := l.Now().UTC()
	op := &operations.Operation{ID: operations.NewID(operations.TypeDataLoad, now), Type: operations.TypeDataLoad,
		Status: operations.StatusRunning, WorkerType: WorkerType, CreatedAt: now, StartedAt: &now, Params: params, Attempts: 1}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("operation.id", op.ID))
	rctx, span := l.Tracer.Start(context.WithoutCancel(ctx), "data.load", trace.WithAttributes(
		attribute.String("operation.id", op.ID), attribute.String("data.symbol", req.Symbol),
		attribute.String("data.timeframe", string(req.Timeframe)), attribute.String("data.mode", req.Mode)))
	if sc := span.SpanContext(); sc.HasTraceID() {
		op.TraceID = sc.TraceID().String()
	}
	if err := l.Ops.Create(ctx, op); err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.End()
		return nil, err
	}
	rctx, cancel := context.WithCancel(rctx)
	l.mu.Lock()
	if l.cancels == nil {
		l.cancels = map[string]context.CancelFunc{}
	}
	l.cancels[op.ID] = cancel
	l.mu.Unlock()
	l.wg.Go(func() {
		defer span.End()
		defer func() {
			l.mu.Lock()
			delete(l.cancels, op.ID)
			l.mu.Unlock()
			cancel()
		}()
		res, err := l.run(rctx, op.ID, req)
		l.finish(op.ID, res, err, span)
	})
	return op, nil
}

// Cancel stops a running data load; it reports whether one was running.
func (l *Loader) Cancel(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.cancels[id]; ok {
		c()
		return true
	}
	return false
}

// Shutdown stops every running load — recorded as failed, "interrupted":
// the user did not cancel them — and waits for them to be recorded.
func (l *Loader) Shutdown() {
	l.mu.Lock()
	l.stopping = true
	for _, c := range l.cancels {
		c()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *Loader) run(ctx context.Context, id string, req Request) (Result, error) {
	stored, err := l.Store.Load(req.Symbol, req.Timeframe)
	if err != nil {
		return Result{}, err
	}
	windows := l.missing(stored, req)
	trace.SpanFromContext(ctx).SetAttributes(attribute.Int("data.windows", len(windows)), attribute.Int("bars.stored", len(stored.Bars)))
	before := len(stored.Bars)
	var quality *marketdata.QualityReport
	for i, w := range windows {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		hreq := ibhost.HistoricalRequest{Symbol: req.Symbol, Timeframe: string(req.Timeframe), OperationID: id}
		if !w.Start.IsZero() {
			hreq.Start = w.Start.Format(time.RFC3339)
		}
		if !w.End.IsZero() {
			hreq.End = w.End.Format(time.RFC3339)
		}
		got, rep, err := l.Host.Historical(ctx, hreq)
		if err != nil {
			return Result{}, fmt.Errorf("fetching %s %s: %w", req.Symbol, req.Timeframe, err)
		}
		if req.Mode == ModeFull {
			stored.Bars = nil
		}
		stored.Merge(got.Bars)
		quality = &rep
		l.progress(ctx, id, i+1, len(windows))
	}
	if len(windows) > 0 {
		if err := l.Store.Save(stored); err != nil {
			return Result{}, err
		}
	}
	res := Result{RowsAdded: len(stored.Bars) - before, RowsTotal: len(stored.Bars), Fetched: windows, Quality: quality}
	if req.Mode == ModeFull {
		res.RowsAdded = len(stored.Bars)
	}
	if len(stored.Bars) > 0 {
		first, last := stored.Range()
		res.First, res.Last = &first, &last
	}
	if res.Fetched == nil {
		res.Fetched = []Window{}
	}
	return res, nil
}

// missing is the gap analysis: the windows to ask the host for.
func (l *Loader) missing(stored marketdata.Series, req Request) []Window {
	var start, end time.Time
	if req.Start != nil {
		start = *req.Start
	}
	if req.End != nil {
		end = *req.End
	}
	if req.Mode == ModeLocal {
		return nil
	}
	if len(stored.Bars) == 0 || req.Mode == ModeFull {
		return []Window{{Start: start, End: end}}
	}
	first, last := stored.Range()
	step := req.Timeframe.Duration()
	switch req.Mode {
	case ModeTail:
		if end.IsZero() {
			end = l.Now().UTC()
		}
		if end.After(last) {
			return []Window{{Start: last.Add(step), End: end}}
		}
	case ModeBackfill:
		if !start.IsZero() && start.Before(first) {
			return []Window{{Start: start, End: first.Add(-step)}}
		}
		if start.IsZero() {
			return []Window{{End: first.Add(-step)}}
		}
	}
	return nil
}

func (l *Loader) progress(ctx context.Context, id string, done, total int) {
	trace.SpanFromContext(ctx).AddEvent("progress", trace.WithAttributes(attribute.Int("windows.done", done), attribute.Int("windows.total", total)))
	_, _ = l.Ops.Update(ctx, id, func(o *operations.Operation) error {
		o.Progress = operations.Progress{Percentage: float64(done) * 100 / float64(total), CurrentStep: fmt.Sprintf("window %d/%d", done, total), StepsCompleted: done, StepsTotal: total}
		return nil
	})
}

func (l *Loader) finish(id string, res Result, err error, span trace.Span) {
	now := l.Now().UTC()
	status := operations.StatusCompleted
	var msg *string
	l.mu.Lock()
	stopping := l.stopping
	l.mu.Unlock()
	switch {
	case errors.Is(err, context.Canceled) && stopping:
		err = errors.New("interrupted: the backend shut down")
		fallthrough
	case err != nil && !errors.Is(err, context.Canceled):
		status = operations.StatusFailed
		m := err.Error()
		msg = &m
		span.RecordError(err)
		span.SetStatus(codes.Error, m)
	case errors.Is(err, context.Canceled):
		status = operations.StatusCancelled
	}
	var result json.RawMessage
	if status == operations.StatusCompleted {
		result, _ = json.Marshal(res)
		span.SetAttributes(attribute.Int("rows.added", res.RowsAdded), attribute.Int("rows.total", res.RowsTotal))
	}
	_, uerr := l.Ops.Update(context.Background(), id, func(o *operations.Operation) error {
		o.Status, o.CompletedAt, o.Error, o.Result = status, &now, msg, result
		if status == operations.StatusCompleted {
			o.Progress.Percentage = 100
		}
		return nil
	})
	if uerr != nil && l.Logger != nil {
		l.Logger.Error("recording a data load's outcome", "operation_id", id, "error", uerr.Error())
	}
}
