package collector

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// The page itself is tested in internal/tracepage; these tests check that
// the collector serves it from its store.

func TestPageServedFromStore(t *testing.T) {
	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	h := QueryHandler(s)

	rec := serveQuery(h, "/")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if missing := containsAll(body,
		`href="/?service=ktrdr-api"`, `href="/?service=ktrdr-cli"`,
		`href="/trace/`+sampleTraceID+`"`, `href="/trace/11000000000000000000000000000022"`,
		"Stored: 2 traces, 5 spans", // the store's stats in the footer
	); missing != nil {
		t.Errorf("index lacks %q:\n%s", missing, body)
	}
	rec = serveQuery(h, "/?service=ktrdr-cli")
	if body := rec.Body.String(); !strings.Contains(body, "/trace/1100") || strings.Contains(body, "/trace/"+sampleTraceID) {
		t.Errorf("index for ktrdr-cli:\n%s", body)
	}

	rec = serveQuery(h, "/trace/"+sampleTraceID)
	body = rec.Body.String()
	if missing := containsAll(body, "training.run", "data.fetch", "error: boom",
		`href="/api/traces/`+sampleTraceID+`"`, // the JSON link, served right here
	); rec.Code != 200 || missing != nil {
		t.Errorf("trace page: %d, lacks %q:\n%s", rec.Code, missing, body)
	}

	for path, code := range map[string]int{"/trace/00000000000000000000000000000001": 404, "/trace/nothex": 400} {
		if rec := serveQuery(h, path); rec.Code != code || !strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	// Only / and /trace/ belong to the page: other paths keep the mux's 404.
	if rec := serveQuery(h, "/nothing"); rec.Code != 404 || strings.Contains(rec.Body.String(), "<html") {
		t.Errorf("/nothing: %d %s", rec.Code, rec.Body)
	}
}

// The adapter answers like the query API does over HTTP.
func TestStoreSourceMatchesQueryAPI(t *testing.T) {
	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	srv := httptest.NewServer(QueryHandler(s))
	defer srv.Close()
	client := jaegerapi.NewClient(srv.URL)
	src := storeSource{store: s, now: time.Now}
	ctx := context.Background()

	want, err := client.FindTraces(ctx, jaegerapi.Query{Service: "ktrdr-api", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.FindTraces(ctx, jaegerapi.Query{Service: "ktrdr-api", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	assertEqualJSON(t, "FindTraces", got, want)

	for _, id := range []string{"00000000000000000000000000000001", "xyz"} {
		_, errAPI := client.Trace(ctx, id)
		_, errSrc := src.Trace(ctx, id)
		if errAPI == nil || errSrc == nil || errAPI.Error() != errSrc.Error() {
			t.Errorf("Trace(%s): API %v, store %v", id, errAPI, errSrc)
		}
	}
	if _, err := src.FindTraces(ctx, jaegerapi.Query{}); err == nil {
		t.Error("FindTraces without a service succeeded; the query API refuses it")
	}

	// Lookback is a window ending now, as the client sends it.
	for now, want := range map[time.Time]int{sampleBase.Add(30 * time.Minute): 1, sampleBase.Add(2 * time.Hour): 0, sampleBase.Add(-time.Minute): 0} {
		src.now = func() time.Time { return now }
		if got, _ := src.FindTraces(ctx, jaegerapi.Query{Service: "ktrdr-api", Lookback: time.Hour}); len(got) != want {
			t.Errorf("lookback 1h at %s: %d traces, want %d", now.Sub(sampleBase), len(got), want)
		}
	}
}

// Parent cycles and self-parents must not hang or drop spans.
func TestPageCycle(t *testing.T) {
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
	rec := serveQuery(QueryHandler(s), "/trace/"+hexTraceID(traceID(seqTraceID(1))))
	if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `<div class="lane">`) != 4 {
		t.Errorf("status %d, want 4 rows:\n%s", rec.Code, rec.Body)
	}
}
