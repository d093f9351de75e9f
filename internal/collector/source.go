package collector

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/tracepage"
)

// storeSource feeds the trace page straight from the store, with the same
// answers (and errors) as the query API, without an HTTP round trip to itself.
type storeSource struct {
	store *Store
	now   func() time.Time
}

var _ tracepage.Source = storeSource{}

func (s storeSource) Services(context.Context) ([]string, error) {
	return s.store.services(), nil
}

// FindTraces mirrors jaegerapi.Client.FindTraces followed by /api/traces.
func (s storeSource) FindTraces(_ context.Context, q jaegerapi.Query) ([]jaegerapi.Trace, error) {
	if q.Service == "" {
		return nil, &jaegerapi.StatusError{Status: http.StatusBadRequest, Msg: errServiceRequired.Error()}
	}
	tq := traceQuery{
		service: q.Service, operation: q.Operation, tags: q.Tags,
		startMax: math.MaxUint64, durMin: q.MinDuration, limit: defaultSearchLimit,
	}
	if q.Lookback > 0 {
		now := s.now()
		tq.startMin = uint64(max(0, now.Add(-q.Lookback).UnixNano()))
		tq.startMax = uint64(max(0, now.UnixNano()))
	}
	if q.Limit > 0 {
		tq.limit = q.Limit
	}
	views := s.store.find(tq)
	out := make([]jaegerapi.Trace, len(views))
	for i, v := range views {
		out[i] = toJaegerTrace(v)
	}
	return out, nil
}

func (s storeSource) Trace(_ context.Context, id string) (jaegerapi.Trace, error) {
	tid, err := parseTraceID(id)
	if err != nil {
		return jaegerapi.Trace{}, &jaegerapi.StatusError{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	v, ok := s.store.get(tid)
	if !ok {
		return jaegerapi.Trace{}, &jaegerapi.StatusError{Status: http.StatusNotFound, Msg: "trace not found"}
	}
	return toJaegerTrace(v), nil
}

// pageFooter reports the store's fill, so a full store explains missing traces.
func pageFooter(s *Store) func() string {
	return func() string {
		st := s.Stats()
		return fmt.Sprintf("Stored: %d traces, %d spans, %d of %d bytes; %d traces evicted, %d spans rejected.",
			st.Traces, st.Spans, st.Bytes, st.MaxBytes, st.Evicted, st.Rejected)
	}
}
