package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// MaxTraceWait bounds ?wait= on GET /api/v1/operations/{id}/trace.
const MaxTraceWait = 10 * time.Second

// traceRetry is how often a waiting trace request asks the query API again.
const traceRetry = 250 * time.Millisecond

// TraceResponse is GET /api/v1/operations/{id}/trace: the operation's trace
// as the configured Jaeger-compatible query API returns it.
type TraceResponse struct {
	OperationID string          `json:"operation_id"`
	TraceID     string          `json:"trace_id"`
	Trace       jaegerapi.Trace `json:"trace"`
}

// getTrace looks up the operation's trace id and fetches the trace from the
// query API at --query-url (the embedded collector or a Jaeger) with the
// untraced jaegerapi client: reading a trace makes no spans. Spans are
// exported in batches, so a trace may not be there yet: ?wait=N (seconds,
// at most MaxTraceWait) keeps asking until it is, then answers 404.
func (s *Server) getTrace(w http.ResponseWriter, r *http.Request) {
	id, ok := s.opID(w, r)
	if !ok {
		return
	}
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || time.Duration(n)*time.Second > MaxTraceWait {
			httpx.WriteRequestError(w, httpx.BadField("wait", "wait must be whole seconds from 0 to %d, got %q", int(MaxTraceWait/time.Second), v))
			return
		}
		wait = time.Duration(n) * time.Second
	}
	if s.cfg.QueryURL == "" {
		httpx.WriteError(w, http.StatusServiceUnavailable, "unavailable",
			"no trace query API is configured: start the API with --query-url URL (the collector's or Jaeger's query API, e.g. http://127.0.0.1:16686; ktrdr up passes its own)", "")
		return
	}
	op, err := s.cfg.Store.Get(r.Context(), id)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	if op.TraceID == "" {
		httpx.WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("operation %s has no trace id (it was created with tracing off)", id), "")
		return
	}
	client := jaegerapi.NewClient(s.cfg.QueryURL)
	deadline := time.Now().Add(wait)
	for {
		tr, err := client.Trace(r.Context(), op.TraceID)
		if err == nil {
			httpx.WriteJSON(w, http.StatusOK, TraceResponse{OperationID: id, TraceID: op.TraceID, Trace: tr})
			return
		}
		var se *jaegerapi.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusNotFound {
			httpx.WriteError(w, http.StatusBadGateway, "upstream", fmt.Sprintf("trace query API at %s: %v", s.cfg.QueryURL, err), "")
			return
		}
		if !time.Now().Add(traceRetry).Before(deadline) {
			httpx.WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf(
				"trace %s of operation %s is not in the trace backend at %s yet: spans are exported in batches, try again in a few seconds",
				op.TraceID, id, s.cfg.QueryURL), "")
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(traceRetry):
		}
	}
}
