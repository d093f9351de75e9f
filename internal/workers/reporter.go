package workers

import (
	"encoding/json"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// Bounds that keep a long operation from flooding its trace or memory.
const (
	maxProgressEvents  = 21    // one per 5 % of progress (0..100 %)
	maxMetricsEvents   = 100   // one per Metrics call, e.g. per epoch
	maxBufferedMetrics = 10000 // unsent metric records kept while the backend is away
	maxEventRecordLen  = 1024  // bytes of a metrics record copied into its span event
	maxPendingReports  = 64    // unreported completions kept for retry
)

// reporter is the Reporter of one run: it keeps the latest progress for
// heartbeats, buffers metrics for the progress pump, and records a bounded
// number of span events on the run span.
type reporter struct {
	span trace.Span

	mu             sync.Mutex
	progress       *operations.Progress
	dirty          bool // progress changed since the last report taken
	metrics        []json.RawMessage
	droppedMetrics int
	progressEvents int
	lastBucket     int
	metricsEvents  int
	droppedEvents  int
	encodeErrors   int
}

func newReporter(span trace.Span) *reporter { return &reporter{span: span, lastBucket: -1} }

func (r *reporter) Progress(p operations.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress, r.dirty = &p, true
	// One event per 5 % bucket crossed: at most 21 per operation, however
	// often the executor reports.
	pct := p.Percentage
	if pct == 0 && p.StepsTotal > 0 {
		pct = float64(p.StepsCompleted) * 100 / float64(p.StepsTotal)
	}
	bucket := min(max(int(pct/5), 0), 20)
	if bucket <= r.lastBucket {
		return
	}
	r.lastBucket = bucket
	if r.progressEvents >= maxProgressEvents {
		r.droppedEvents++
		return
	}
	r.progressEvents++
	r.span.AddEvent("progress", trace.WithAttributes(
		attribute.Float64("progress.percentage", p.Percentage),
		attribute.String("progress.current_step", p.CurrentStep),
		attribute.Int("progress.steps_completed", p.StepsCompleted),
		attribute.Int("progress.steps_total", p.StepsTotal),
	))
}

func (r *reporter) Metrics(records ...any) {
	encoded := make([]json.RawMessage, 0, len(records))
	bad := 0
	for _, rec := range records {
		b, err := json.Marshal(rec)
		if err != nil {
			bad++
			continue
		}
		encoded = append(encoded, b)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.encodeErrors += bad
	r.appendMetrics(encoded)
	if len(encoded) == 0 {
		return
	}
	if r.metricsEvents >= maxMetricsEvents {
		r.droppedEvents++
		return
	}
	r.metricsEvents++
	first := string(encoded[0])
	if len(first) > maxEventRecordLen {
		// Cut on a rune boundary: OTLP/protobuf rejects invalid UTF-8, and
		// with it the whole export batch.
		first = strings.ToValidUTF8(first[:maxEventRecordLen], "")
	}
	r.span.AddEvent("metrics", trace.WithAttributes(
		attribute.Int("metrics.count", len(encoded)),
		attribute.String("metrics.record", first),
	))
}

// appendMetrics adds records, dropping the oldest beyond the buffer bound.
// Callers hold mu.
func (r *reporter) appendMetrics(recs []json.RawMessage) {
	r.metrics = append(r.metrics, recs...)
	if over := len(r.metrics) - maxBufferedMetrics; over > 0 {
		r.droppedMetrics += over
		r.metrics = append([]json.RawMessage(nil), r.metrics[over:]...)
	}
}

// latest returns a copy of the latest progress (nil before the first).
func (r *reporter) latest() *operations.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.progress == nil {
		return nil
	}
	p := *r.progress
	return &p
}

// take returns what has not been reported yet (nil if nothing), and
// forgets it; a failed send gives it back with restore.
func (r *reporter) take(workerID string) *workerapi.ProgressReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dirty && len(r.metrics) == 0 {
		return nil
	}
	rep := &workerapi.ProgressReport{WorkerID: workerID, Metrics: r.metrics}
	if r.progress != nil {
		p := *r.progress
		rep.Progress = &p
	}
	r.metrics, r.dirty = nil, false
	return rep
}

// restore puts back the metrics of an unsent report, ahead of newer ones.
func (r *reporter) restore(rep *workerapi.ProgressReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	newer := r.metrics
	r.metrics = nil
	r.appendMetrics(append(rep.Metrics, newer...))
	r.dirty = true
}

// finish records on the span what the bounds left out.
func (r *reporter) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.droppedEvents > 0 {
		r.span.SetAttributes(attribute.Int("events.dropped", r.droppedEvents))
	}
	if r.droppedMetrics > 0 {
		r.span.SetAttributes(attribute.Int("metrics.dropped", r.droppedMetrics))
	}
	if r.encodeErrors > 0 {
		r.span.SetAttributes(attribute.Int("metrics.encode_errors", r.encodeErrors))
	}
}

var _ Reporter = (*reporter)(nil)
