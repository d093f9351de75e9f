package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// pendingReport is the outcome of a finished run not yet accepted by the
// backend: the last progress/metrics, then the completion. Only the Run
// loop's goroutine sends it and changes its fields.
type pendingReport struct {
	opID string
	// span is the (ended) run span: retries stay in the work's trace. The
	// span itself, not just its SpanContext, because otelhttp takes its
	// TracerProvider from the span in the context: a bare SpanContext would
	// make the report's client span a no-op.
	span       trace.Span
	progress   *workerapi.ProgressReport
	completion workerapi.Completion
	attempts   int
	next       time.Time
	backoff    backoff
}

// outcome of a request to the backend.
type outcome int

const (
	delivered outcome = iota
	retry             // transport error, 5xx, 404, 408, 429: the backend may accept it later
	rejected          // any other 4xx: it never will
)

func classify(status int, err error) outcome {
	switch {
	case err != nil:
		return retry
	case status >= 200 && status < 300:
		return delivered
	case status == http.StatusNotFound || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests:
		return retry
	case status >= 400 && status < 500:
		return rejected
	default:
		return retry
	}
}

// backendPath fills {id} in a workerapi path and prefixes the backend URL.
func (rt *Runtime) backendPath(path, id string) string {
	return strings.TrimRight(rt.cfg.BackendURL, "/") + strings.Replace(path, "{id}", url.PathEscape(id), 1)
}

// post sends body as JSON and returns the status and (a bounded prefix of)
// the answer.
func (rt *Runtime) post(ctx context.Context, client *http.Client, target string, body any) (int, []byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if rt.cfg.Token != "" {
		req.Header.Set(workerapi.TokenHeader, rt.cfg.Token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, answer, nil
}

// sendProgress posts one progress report with the traced client.
func (rt *Runtime) sendProgress(ctx context.Context, opID string, rep *workerapi.ProgressReport) outcome {
	status, body, err := rt.post(telemetry.WithRoute(ctx, workerapi.PathProgress), rt.cfg.HTTPClient, rt.backendPath(workerapi.PathProgress, opID), rep)
	o := classify(status, err)
	if o == rejected {
		rt.log.WarnContext(ctx, "progress report rejected; dropping it", "operation_id", opID,
			"status", status, "answer", truncate(body), "metrics_dropped", len(rep.Metrics))
	}
	return o
}

// deliver tries a pending report once: the leftover progress first, so
// the backend never sees progress after the outcome, then the completion.
// It returns false when it must be retried.
func (rt *Runtime) deliver(ctx context.Context, p *pendingReport) bool {
	ctx = trace.ContextWithSpan(ctx, p.span)
	p.attempts++
	if p.progress != nil {
		if rt.sendProgress(ctx, p.opID, p.progress) == retry {
			return false
		}
		p.progress = nil
	}
	status, body, err := rt.post(telemetry.WithRoute(ctx, workerapi.PathComplete), rt.cfg.HTTPClient, rt.backendPath(workerapi.PathComplete, p.opID), p.completion)
	switch classify(status, err) {
	case delivered:
		rt.log.InfoContext(ctx, "completion reported", "operation_id", p.opID, "status", p.completion.Status, "attempts", p.attempts)
		return true
	case rejected:
		rt.log.ErrorContext(ctx, "completion rejected by the backend; giving up", "operation_id", p.opID,
			"status", p.completion.Status, "http_status", status, "answer", truncate(body))
		return true
	}
	level := rt.log.DebugContext
	if p.attempts == 1 {
		level = rt.log.WarnContext // once per report, not per retry
	}
	level(ctx, "completion not reported yet; retrying", "operation_id", p.opID, "attempts", p.attempts,
		"http_status", status, "error", errString(err))
	return false
}

// sendDueReports tries every pending report whose retry time has come.
func (rt *Runtime) sendDueReports(ctx context.Context, now time.Time) {
	rt.mu.Lock()
	var due []*pendingReport
	for _, p := range rt.pending {
		if !now.Before(p.next) {
			due = append(due, p)
		}
	}
	rt.mu.Unlock()
	for _, p := range due {
		if ctx.Err() != nil {
			return
		}
		done := rt.deliver(ctx, p)
		rt.mu.Lock()
		if !done {
			p.next = time.Now().Add(p.backoff.next())
			rt.mu.Unlock()
			continue
		}
		for i, q := range rt.pending {
			if q == p {
				rt.pending = append(rt.pending[:i], rt.pending[i+1:]...)
				break
			}
		}
		rt.mu.Unlock()
	}
}

// nextReportDue is the earliest retry time of the pending reports (zero
// when there are none).
func (rt *Runtime) nextReportDue() time.Time {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var t time.Time
	for _, p := range rt.pending {
		if t.IsZero() || p.next.Before(t) {
			t = p.next
		}
	}
	return t
}

// retryReportsNow makes every pending report due at once and resets its
// backoff: the backend answers again, so waiting out a long backoff would
// only delay the outcome (and let a registration saying idle overtake it).
func (rt *Runtime) retryReportsNow() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	now := time.Now()
	for _, p := range rt.pending {
		p.next = now
		p.backoff.reset()
	}
}

// enqueue adds a finished run's report; callers hold mu. The queue is
// bounded so a backend that never comes back cannot grow it forever.
func (rt *Runtime) enqueue(p *pendingReport) {
	if len(rt.pending) >= maxPendingReports {
		lost := rt.pending[0]
		rt.log.Error("too many unreported completions; dropping the oldest", "operation_id", lost.opID, "status", lost.completion.Status)
		rt.pending = rt.pending[1:]
	}
	rt.pending = append(rt.pending, p)
}

// backoff is exponential with jitter, from 100 ms up to 5 s.
type backoff struct{ n int }

const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

func (b *backoff) next() time.Duration {
	d := backoffMax
	if b.n < 6 { // 100ms << 6 > 5s
		d = min(backoffMin<<b.n, backoffMax)
	}
	b.n++
	// ±20 % so workers restarted together do not hit the backend in step.
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (b *backoff) reset() { b.n = 0 }

func truncate(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// progressInterval spaces progress reports: every base at first, then
// sparser as the run gets longer (elapsed/60, at most 30 s), so an hour of
// work makes a few hundred traced reports, not thousands. Heartbeats carry
// the latest progress every heartbeat interval regardless.
func progressInterval(base, elapsed time.Duration) time.Duration {
	return max(base, min(elapsed/60, 30*time.Second))
}

// completionFor maps an executor's return to the reported outcome.
func completionFor(workerID string, result json.RawMessage, err error, cancelRequested, shuttingDown bool) workerapi.Completion {
	c := workerapi.Completion{WorkerID: workerID}
	switch {
	case err == nil && len(result) > 0 && !json.Valid(result):
		c.Status, c.Error = operations.StatusFailed, "executor returned a result that is not valid JSON"
	case err == nil:
		c.Status, c.Result = operations.StatusCompleted, result
	case cancelRequested:
		c.Status, c.Error = operations.StatusCancelled, "cancelled on request"
	case shuttingDown:
		c.Status, c.Error = operations.StatusFailed, fmt.Sprintf("interrupted: worker %s shut down", workerID)
	default:
		c.Status, c.Error = operations.StatusFailed, err.Error()
	}
	return c
}
