package collector

import (
	"net/http"
	"strings"
	"testing"
)

func TestPageIndex(t *testing.T) {
	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	h := QueryHandler(s)

	rec := serveQuery(h, "/")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if missing := containsAll(body,
		`href="/?service=ktrdr-api"`, `href="/?service=ktrdr-training-worker-1"`, `href="/?service=ktrdr-cli"`,
		`href="/trace/`+sampleTraceID+`"`, `href="/trace/11000000000000000000000000000022"`,
		"POST /api/v1/training/start", "ktrdr train", `class="err"`,
	); missing != nil {
		t.Errorf("index lacks %q:\n%s", missing, body)
	}
	// Newest first: the CLI trace starts a second after the sample.
	if strings.Index(body, "/trace/1100") > strings.Index(body, "/trace/"+sampleTraceID) {
		t.Error("traces are not listed newest first")
	}

	rec = serveQuery(h, "/?service=ktrdr-cli")
	if body := rec.Body.String(); !strings.Contains(body, "/trace/1100") || strings.Contains(body, "/trace/"+sampleTraceID) {
		t.Errorf("index for ktrdr-cli:\n%s", body)
	}
}

func TestPageTrace(t *testing.T) {
	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	h := QueryHandler(s)

	rec := serveQuery(h, "/trace/"+sampleTraceID)
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	spans := []string{"POST /api/v1/training/start", "operations.create", "training.run", "data.fetch"}
	if missing := containsAll(body, append(spans,
		"ktrdr-training-worker-1", "OTLPResourceNoServiceName", // services
		"http.status_code", "202", "epoch", "loss", "0.5", "exception.message", // attributes and events
		"error: boom", `class="error"`, // error status highlighted
		"&lt;script&gt;alert(1)&lt;/script&gt;", // escaped attribute value
		"250.00", "190.000", "10.000",           // durations and offsets in ms
	)...); missing != nil {
		t.Errorf("trace page lacks %q:\n%s", missing, body)
	}
	if strings.Contains(body, "<script>") {
		t.Error("trace page contains an unescaped <script>")
	}
	// Tree order: the worker's child follows the worker, which follows the
	// API's own child (earlier start) under the root.
	last := -1
	for _, name := range spans {
		i := strings.Index(body, "<strong>"+name+"</strong>")
		if i < last {
			t.Errorf("%s out of tree order", name)
		}
		last = i
	}

	for path, code := range map[string]int{"/trace/00000000000000000000000000000001": 404, "/trace/nothex": 400} {
		rec := serveQuery(h, path)
		if rec.Code != code || !strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

// Parent cycles and self-parents must not hang or drop spans.
func TestWaterfallCycle(t *testing.T) {
	td := genTrace(1, 3, 0, "svc")
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	spans.At(0).SetParentSpanID(seqSpanID(2)) // 0 → 2 → 0, and 1 → 0
	spans.At(2).SetParentSpanID(seqSpanID(0))
	self := spans.AppendEmpty()
	spans.At(0).CopyTo(self)
	self.SetSpanID(seqSpanID(9))
	self.SetParentSpanID(seqSpanID(9))
	s := NewStore(0, 0)
	s.Ingest(td)
	v, _ := s.get(traceID(seqTraceID(1)))
	if rows := waterfall(v); len(rows) != 4 {
		t.Errorf("%d rows for 4 spans", len(rows))
	}
	rec := serveQuery(QueryHandler(s), "/trace/"+hexTraceID(v.id))
	if rec.Code != http.StatusOK {
		t.Errorf("status %d", rec.Code)
	}
}
