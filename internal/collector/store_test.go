package collector

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func seqTraceID(i int) pcommon.TraceID {
	var id pcommon.TraceID
	id[0] = 0xab // never all zero
	binary.BigEndian.PutUint64(id[8:], uint64(i))
	return id
}

func seqSpanID(i int) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], uint64(i)+1)
	return id
}

// genTrace builds trace i: spans spans of service svc, each with an
// attribute of padding bytes, starting i milliseconds after sampleBase.
func genTrace(i, spans, padding int, svc string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", svc)
	rs.Resource().Attributes().PutStr("host.name", "test-host")
	ss := rs.ScopeSpans().AppendEmpty()
	for j := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(seqTraceID(i))
		sp.SetSpanID(seqSpanID(j))
		if j > 0 {
			sp.SetParentSpanID(seqSpanID(0))
		}
		sp.SetName(fmt.Sprintf("op-%d", j))
		sp.SetStartTimestamp(at(time.Duration(i)*time.Millisecond + time.Duration(j)*time.Microsecond))
		sp.SetEndTimestamp(at(time.Duration(i)*time.Millisecond + time.Duration(j+1)*time.Microsecond))
		sp.Attributes().PutInt("seq", int64(i))
		sp.Attributes().PutStr("padding", strings.Repeat("x", padding))
	}
	return td
}

// checkInvariants recomputes what the store's counters claim.
func checkInvariants(t *testing.T, s *Store) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var bytes int64
	var spans int
	refs := make(map[*process]int)
	for id, tr := range s.traces {
		var tb int64 = traceOverhead
		for _, p := range tr.procs {
			tb += p.size
			refs[p]++
		}
		for _, sp := range tr.spans {
			tb += sp.size
			if sp.traceID != id || !slices.Contains(tr.procs, sp.proc) {
				t.Fatalf("span %x misfiled", sp.spanID)
			}
		}
		if tb != tr.bytes {
			t.Fatalf("trace %x: bytes %d, recomputed %d", id, tr.bytes, tb)
		}
		bytes += tb
		spans += len(tr.spans)
	}
	if bytes != s.bytes || spans != s.spans {
		t.Fatalf("store counts %d bytes %d spans, recomputed %d and %d", s.bytes, s.spans, bytes, spans)
	}
	if len(s.order)-s.head != len(s.traces) {
		t.Fatalf("FIFO holds %d ids for %d traces", len(s.order)-s.head, len(s.traces))
	}
	if len(refs) != len(s.procs) {
		t.Fatalf("%d interned processes, %d referenced", len(s.procs), len(refs))
	}
	for p, n := range refs {
		if s.procs[p.key] != p || p.refs != n {
			t.Fatalf("process %q: interned %v, refs %d, want %d", p.service, s.procs[p.key] == p, p.refs, n)
		}
	}
}

func TestStoreMemoryBound(t *testing.T) {
	const (
		maxTraces       = 100
		maxBytes  int64 = 1 << 20
		n               = 5000
	)
	s := NewStore(maxTraces, maxBytes)
	for i := range n {
		// Small traces first, so the trace count binds; then large ones, so
		// the byte bound does.
		padding := 100
		if i >= n/2 {
			padding = 10_000
		}
		if acc, rej := s.Ingest(genTrace(i, 3, padding, "svc")); acc != 3 || rej != 0 {
			t.Fatalf("trace %d: accepted %d, rejected %d", i, acc, rej)
		}
		st := s.Stats()
		if st.Traces > maxTraces || st.Bytes > maxBytes || st.Bytes <= 0 {
			t.Fatalf("after trace %d: %+v", i, st)
		}
		if st.Spans != 3*st.Traces {
			t.Fatalf("after trace %d: %d spans in %d traces", i, st.Spans, st.Traces)
		}
		if i == n/2-1 && st.Traces != maxTraces {
			t.Fatalf("small traces: %d stored, want the trace bound %d", st.Traces, maxTraces)
		}
		if i%250 == 0 {
			checkInvariants(t, s)
		}
	}
	checkInvariants(t, s)
	st := s.Stats()
	t.Logf("final %+v", st)
	if st.Traces >= maxTraces || st.Traces < 10 {
		t.Errorf("large traces: %d stored; want the byte bound to bind below %d", st.Traces, maxTraces)
	}
	if st.Evicted != int64(n-st.Traces) || st.Rejected != 0 {
		t.Errorf("evicted %d, rejected %d; want %d, 0", st.Evicted, st.Rejected, n-st.Traces)
	}
	if len(s.procs) != 1 {
		t.Errorf("%d interned processes for one resource", len(s.procs))
	}

	h := QueryHandler(s)
	get := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	hexID := func(i int) string { id := seqTraceID(i); return hexTraceID(traceID(id)) }
	for i := n - st.Traces; i < n; i++ {
		if code := get("/api/traces/" + hexID(i)); code != http.StatusOK {
			t.Fatalf("newest trace %d: status %d", i, code)
		}
	}
	for _, i := range []int{0, 1, n / 2, n - st.Traces - 1} {
		if code := get("/api/traces/" + hexID(i)); code != http.StatusNotFound {
			t.Errorf("evicted trace %d: status %d", i, code)
		}
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/traces?"+q("service", "svc", "limit", "5"), nil))
	r := viaJSONBytes[tracesResponse](t, rec.Body.Bytes())
	want := []string{hexID(n - 1), hexID(n - 2), hexID(n - 3), hexID(n - 4), hexID(n - 5)}
	if got := traceIDsOf(r); !slices.Equal(got, want) {
		t.Errorf("search newest 5: got %v, want %v", got, want)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/traces?"+q("service", "svc", "tag", "seq:0"), nil))
	if r := viaJSONBytes[tracesResponse](t, rec.Body.Bytes()); len(r.Data) != 0 {
		t.Errorf("search finds evicted trace 0: %v", traceIDsOf(r))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/traces?"+q("service", "svc", "tag", fmt.Sprintf("seq:%d", n-1)), nil))
	if r := viaJSONBytes[tracesResponse](t, rec.Body.Bytes()); !slices.Equal(traceIDsOf(r), []string{hexID(n - 1)}) {
		t.Errorf("search for the newest trace: %v", traceIDsOf(r))
	}
}

func TestStoreRejectsOversizedTrace(t *testing.T) {
	const maxBytes = 20_000
	s := NewStore(10, maxBytes)
	s.Ingest(genTrace(1, 1, 10, "small")) // another trace, to be evicted to make room

	acc, rej := s.Ingest(genTrace(2, 100, 500, "big"))
	if acc == 0 || rej == 0 || acc+rej != 100 {
		t.Fatalf("accepted %d, rejected %d of 100 spans", acc, rej)
	}
	st := s.Stats()
	if st.Bytes > maxBytes || st.Rejected != int64(rej) || st.Spans != acc || st.Traces != 1 || st.Evicted != 1 {
		t.Errorf("stats %+v after accepting %d", st, acc)
	}
	if _, ok := s.get(traceID(seqTraceID(2))); !ok {
		t.Error("the oversized trace's first spans are gone")
	}
	checkInvariants(t, s)

	// One span larger than the bound is refused without creating a trace.
	acc, rej = s.Ingest(genTrace(3, 1, maxBytes, "huge"))
	if acc != 0 || rej != 1 {
		t.Errorf("huge span: accepted %d, rejected %d", acc, rej)
	}
	if _, ok := s.get(traceID(seqTraceID(3))); ok {
		t.Error("a trace was created for a refused span")
	}
	checkInvariants(t, s)
}

func TestStoreRejectsInvalidIDs(t *testing.T) {
	s := NewStore(0, 0)
	td := genTrace(1, 2, 0, "svc")
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	spans.At(0).SetTraceID(pcommon.TraceID{})
	spans.At(1).SetSpanID(pcommon.SpanID{})
	if acc, rej := s.Ingest(td); acc != 0 || rej != 2 {
		t.Errorf("accepted %d, rejected %d", acc, rej)
	}
	if st := s.Stats(); st.Traces != 0 || st.Rejected != 2 || st.MaxTraces != DefaultMaxTraces || st.MaxBytes != DefaultMaxBytes {
		t.Errorf("stats %+v", st)
	}
}

// Late spans join their trace, which keeps its place by first arrival.
func TestStoreLateSpansAndEvictionOrder(t *testing.T) {
	s := NewStore(2, 0)
	first := genTrace(1, 2, 0, "svc")
	late := ptrace.NewTraces()
	first.ResourceSpans().At(0).CopyTo(late.ResourceSpans().AppendEmpty())
	late.ResourceSpans().At(0).ScopeSpans().At(0).Spans().RemoveIf(func(sp ptrace.Span) bool { return sp.SpanID() == seqSpanID(0) })
	first.ResourceSpans().At(0).ScopeSpans().At(0).Spans().RemoveIf(func(sp ptrace.Span) bool { return sp.SpanID() == seqSpanID(1) })

	s.Ingest(first)
	s.Ingest(genTrace(2, 1, 0, "svc"))
	s.Ingest(late)
	v, ok := s.get(traceID(seqTraceID(1)))
	if !ok || len(v.spans) != 2 {
		t.Fatalf("trace 1 after its late span: %v %d spans", ok, len(v.spans))
	}
	s.Ingest(genTrace(3, 1, 0, "svc"))
	if _, ok := s.get(traceID(seqTraceID(1))); ok {
		t.Error("trace 1 arrived first but was not evicted first")
	}
	if _, ok := s.get(traceID(seqTraceID(2))); !ok {
		t.Error("trace 2 evicted")
	}
	checkInvariants(t, s)
}

func TestStoreConcurrentUse(t *testing.T) {
	s := NewStore(50, 200_000)
	h := QueryHandler(s)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 300 {
				s.Ingest(genTrace(w*1000+i%60, 3, 200, fmt.Sprintf("svc-%d", w)))
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 100 {
				for _, path := range []string{"/api/services", "/api/traces?service=svc-1&limit=5", "/api/operations?service=svc-2", "/", "/health"} {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
					if rec.Code != http.StatusOK {
						t.Errorf("%s: %d", path, rec.Code)
						return
					}
				}
				for _, v := range s.find(traceQuery{startMax: math.MaxUint64}) {
					toJaegerTrace(v)
					toJaegerTrace(v)
				}
			}
		})
	}
	wg.Wait()
	checkInvariants(t, s)
}
