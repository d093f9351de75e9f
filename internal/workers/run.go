package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// maxStartBody bounds a start request body.
const maxStartBody = 1 << 20

// run is the operation in progress.
type run struct {
	job             Job
	span            trace.Span // {type}.run
	ctx             context.Context
	cancel          context.CancelFunc
	rep             *reporter
	cancelRequested atomic.Bool
}

// Handler returns the runtime's routes alone (start, cancel, current);
// NewServer merges them with the service routes.
func (rt *Runtime) Handler() http.Handler {
	mux := http.NewServeMux()
	rt.Routes(mux)
	mux.HandleFunc("/", httpx.NotFound)
	return mux
}

// Routes registers the runtime's routes on mux: a traced POST start route
// per type in StartTypes, the traced cancel route, and the untraced
// current-operation poll.
func (rt *Runtime) Routes(mux *http.ServeMux) {
	for _, t := range rt.StartTypes() {
		telemetry.HandleFunc(mux, "POST "+workerapi.StartPath(t), rt.startHandler(t))
	}
	telemetry.HandleFunc(mux, "POST "+workerapi.PathCancel, rt.handleCancel)
	telemetry.HandleUntraced(mux, "GET "+workerapi.PathCurrent, http.HandlerFunc(rt.handleCurrent))
}

func badRequest(w http.ResponseWriter, field, format string, args ...any) {
	httpx.WriteError(w, http.StatusBadRequest, "invalid_argument", fmt.Sprintf(format, args...), field)
}

func (rt *Runtime) startHandler(pathType operations.Type) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req workerapi.StartRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxStartBody)).Decode(&req); err != nil {
			var tooBig *http.MaxBytesError
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.As(err, &tooBig):
				httpx.WriteError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("start body exceeds %d bytes", maxStartBody), "")
			case errors.As(err, &typeErr) && typeErr.Field != "":
				badRequest(w, typeErr.Field, "%s must be a JSON %s", typeErr.Field, typeErr.Type)
			default:
				badRequest(w, "", "malformed JSON body: %v", err)
			}
			return
		}
		serverSpan := trace.SpanFromContext(r.Context())
		serverSpan.SetAttributes(attribute.String("operation.id", req.OperationID))
		if req.OperationID == "" {
			badRequest(w, "operation_id", "operation_id is required")
			return
		}
		if req.OperationType == "" {
			req.OperationType = pathType // the path already says it
		}
		if req.OperationType != pathType {
			badRequest(w, "operation_type", "operation_type %q does not match %s, which starts %q", req.OperationType, workerapi.StartPath(pathType), pathType)
			return
		}
		exec := rt.cfg.Executors[req.OperationType]
		if exec == nil {
			badRequest(w, "operation_type", "operation_type %q is not runnable on this %s worker (runs %v)", req.OperationType, rt.cfg.WorkerType, rt.runnableTypes())
			return
		}
		if v, ok := exec.(ParamsValidator); ok {
			if err := v.ValidateParams(req.Params); err != nil {
				field := "params"
				if pe := (*ParamError)(nil); errors.As(err, &pe) && pe.Field != "" {
					field += "." + pe.Field
				}
				badRequest(w, field, "%v", err)
				return
			}
		}
		job := Job{OperationID: req.OperationID, Type: req.OperationType, Params: req.Params}
		status, code, msg := rt.start(r, job, exec)
		if status != http.StatusAccepted {
			httpx.WriteError(w, status, code, msg, "")
			return
		}
		httpx.WriteJSON(w, http.StatusAccepted, workerapi.StartResponse{OperationID: job.OperationID, WorkerID: rt.cfg.WorkerID})
	}
}

// start claims the worker for job and runs it in the background. A start
// of the operation already running answers 202 again, so a backend that
// lost the first answer can safely retry.
func (rt *Runtime) start(r *http.Request, job Job, exec Executor) (status int, code, msg string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	switch {
	case rt.closed:
		return http.StatusServiceUnavailable, "unavailable", fmt.Sprintf("worker %s is shutting down", rt.cfg.WorkerID)
	case rt.cur != nil && rt.cur.job.OperationID == job.OperationID:
		return http.StatusAccepted, "", ""
	case rt.cur != nil:
		return http.StatusServiceUnavailable, "busy", fmt.Sprintf("worker %s is busy with operation %s", rt.cfg.WorkerID, rt.cur.job.OperationID)
	}
	// The run span is a child of the start request's server span, but the
	// work's context derives from the runtime's life, not the request's:
	// the work outlives the request and is cancelled only by a cancel or
	// shutdown.
	_, span := rt.cfg.Tracer.Start(r.Context(), RunSpanName(job.Type), trace.WithAttributes(
		attribute.String("operation.id", job.OperationID),
		attribute.String("operation.type", string(job.Type)),
		attribute.String("worker.id", rt.cfg.WorkerID),
		attribute.String("worker.type", rt.cfg.WorkerType),
	))
	ctx, cancel := context.WithCancel(rt.life)
	ctx = baggage.ContextWithBaggage(ctx, baggage.FromContext(r.Context()))
	ctx = trace.ContextWithSpan(ctx, span)
	ru := &run{job: job, span: span, ctx: ctx, cancel: cancel, rep: newReporter(span)}
	rt.cur = ru
	rt.work.Add(1) // under mu with closed false: shutdown's Wait sees it
	go rt.execute(ru, exec)
	return http.StatusAccepted, "", ""
}

// execute runs the executor, then records the outcome on the span, frees
// the worker and queues the report for the Run loop.
func (rt *Runtime) execute(ru *run, exec Executor) {
	defer rt.work.Done()
	rt.log.InfoContext(ru.ctx, "operation started", "operation_id", ru.job.OperationID, "operation_type", ru.job.Type)
	stopPump, pumpDone := make(chan struct{}), make(chan struct{})
	go rt.pumpProgress(ru, stopPump, pumpDone)

	start := time.Now()
	result, err := rt.safeRun(ru, exec)
	close(stopPump)
	<-pumpDone // no progress report may follow the completion

	c := completionFor(rt.cfg.WorkerID, result, err, ru.cancelRequested.Load(), rt.life.Err() != nil)
	rt.endSpan(ru, c, err)
	rt.log.InfoContext(ru.ctx, "operation ended", "operation_id", ru.job.OperationID, "status", c.Status,
		"error", c.Error, "duration", time.Since(start).Round(time.Millisecond))
	ru.cancel()

	report := &pendingReport{
		opID:       ru.job.OperationID,
		span:       ru.span,
		progress:   ru.rep.take(rt.cfg.WorkerID),
		completion: c,
	}
	// Idle and report-pending in one step: a heartbeat sees either the
	// running operation or its queued outcome, never neither.
	rt.mu.Lock()
	rt.cur = nil
	rt.enqueue(report)
	rt.mu.Unlock()
	rt.wake()
}

// safeRun turns an executor panic into a failure: one bad operation must
// not take the worker down with it.
func (rt *Runtime) safeRun(ru *run, exec Executor) (result json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			rt.log.ErrorContext(ru.ctx, "executor panicked", "operation_id", ru.job.OperationID, "panic", p, "stack", string(debug.Stack()))
			result, err = nil, fmt.Errorf("executor panicked: %v", p)
		}
	}()
	return exec.Run(ru.ctx, ru.job, ru.rep)
}

// endSpan sets the run span's status from the outcome and ends it.
// Completed is Ok; failed is Error with the exception recorded; cancelled
// on request is left Unset (a user's choice, not a fault, so it does not
// show as an error in trace views) with a "cancelled" event; every outcome
// is in operation.status.
func (rt *Runtime) endSpan(ru *run, c workerapi.Completion, err error) {
	ru.rep.finish()
	span := ru.span
	span.SetAttributes(attribute.String("operation.status", string(c.Status)))
	switch c.Status {
	case operations.StatusCompleted:
		span.SetStatus(codes.Ok, "")
	case operations.StatusCancelled:
		span.AddEvent("cancelled")
	default:
		if err == nil {
			err = errors.New(c.Error)
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, c.Error)
	}
	span.End()
}

// pumpProgress sends the run's progress and metrics, coalesced, at most
// every progressInterval, until stop is closed. What it could not send is
// left in the reporter for the final report.
func (rt *Runtime) pumpProgress(ru *run, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ctx := trace.ContextWithSpan(rt.life, ru.span) // the span, for otelhttp's TracerProvider
	begin := time.Now()
	t := time.NewTimer(rt.cfg.ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-rt.life.Done():
			return
		case <-t.C:
		}
		if rep := ru.rep.take(rt.cfg.WorkerID); rep != nil {
			if rt.sendProgress(ctx, ru.job.OperationID, rep) == retry {
				ru.rep.restore(rep)
			}
		}
		t.Reset(progressInterval(rt.cfg.ProgressInterval, time.Since(begin)))
	}
}

// handleCancel cancels the running operation if it is the one named.
func (rt *Runtime) handleCancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("operation.id", id))
	rt.mu.Lock()
	ru := rt.cur
	if ru == nil || ru.job.OperationID != id {
		rt.mu.Unlock()
		httpx.WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("operation %s is not running on worker %s", id, rt.cfg.WorkerID), "")
		return
	}
	// The cancel arrives in the trace of the user's cancel request; the link
	// leads from the work's trace to it. Both go on the span before the
	// cancel, which may end the span at once.
	ru.span.AddLink(trace.Link{SpanContext: trace.SpanContextFromContext(r.Context())})
	ru.span.AddEvent("cancel requested")
	ru.cancelRequested.Store(true)
	ru.cancel()
	rt.mu.Unlock()
	rt.log.InfoContext(ru.ctx, "cancel requested", "operation_id", id)
	httpx.WriteJSON(w, http.StatusAccepted, CancelResponse{OperationID: id, WorkerID: rt.cfg.WorkerID, Status: "cancelling"})
}

// CancelResponse is the 202 answer of a cancel (workerapi defines none).
type CancelResponse struct {
	OperationID string `json:"operation_id"`
	WorkerID    string `json:"worker_id"`
	Status      string `json:"status"`
}

// handleCurrent answers the worker's state; untraced, it is a status poll.
func (rt *Runtime) handleCurrent(w http.ResponseWriter, _ *http.Request) {
	state, opID, p := rt.state()
	httpx.WriteJSON(w, http.StatusOK, workerapi.Current{WorkerID: rt.cfg.WorkerID, State: state, CurrentOperationID: opID, Progress: p})
}

// RunSpanName names the span of an operation's work on a worker:
// training.run, backtest.run (for backtesting operations), dummy.run.
func RunSpanName(t operations.Type) string {
	if t == operations.TypeBacktesting {
		return "backtest.run"
	}
	return string(t) + ".run"
}
