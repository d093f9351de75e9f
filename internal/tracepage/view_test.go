package tracepage

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

const tid = "00000000000000000000000000000abc"

func span(id, parent string, start, dur uint64) jaegerapi.Span {
	sp := jaegerapi.Span{TraceID: tid, SpanID: id, OperationName: "op-" + id, StartTime: start, Duration: dur, ProcessID: "p1"}
	if parent != "" {
		sp.References = []jaegerapi.Reference{{RefType: jaegerapi.ChildOf, TraceID: tid, SpanID: parent}}
	}
	return sp
}

func names(rows []spanRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Name
	}
	return out
}

func TestWaterfallOrder(t *testing.T) {
	spans := []jaegerapi.Span{
		span("c2", "r", 30, 5), span("g", "c1", 12, 1), span("r", "", 0, 100),
		span("c1", "r", 10, 5), span("orphan", "gone", 50, 5), // parent not in the trace: a root
	}
	// A link to another trace is no parent, even as CHILD_OF.
	spans[3].References = append([]jaegerapi.Reference{{RefType: jaegerapi.ChildOf, TraceID: "ff", SpanID: "c2"}}, spans[3].References...)
	// FOLLOWS_FROM within the trace counts when there is no CHILD_OF, as in Jaeger.
	ff := span("f", "", 40, 1)
	ff.References = []jaegerapi.Reference{{RefType: jaegerapi.FollowsFrom, TraceID: "abc", SpanID: "c2"}} // leading zeros dropped
	spans = append(spans, ff)

	tr := newTree(jaegerapi.Trace{TraceID: tid, Spans: spans, Processes: map[string]jaegerapi.Process{"p1": {ServiceName: "svc"}}})
	rows := waterfall(tr)
	want := []string{"op-r", "op-c1", "op-g", "op-c2", "op-f", "op-orphan"}
	if got := names(rows); !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if rows[2].Indent != "padding-left:28px" || rows[5].Indent != "padding-left:4px" {
		t.Errorf("indents %q %q", rows[2].Indent, rows[5].Indent)
	}
	if s := summarize(tr); s.Root != "op-r" || s.Service != "svc" || s.Duration != "0.100" || s.Spans != 6 {
		t.Errorf("summary %+v", s)
	}
}

// Parent cycles, self-parents and deep chains must neither hang, drop
// spans nor exhaust the stack.
func TestWaterfallBadTrees(t *testing.T) {
	cycle := []jaegerapi.Span{span("a", "b", 0, 1), span("b", "a", 1, 1), span("s", "s", 2, 1), span("x", "a", 3, 1)}
	tr := newTree(jaegerapi.Trace{TraceID: tid, Spans: cycle})
	if rows := waterfall(tr); len(rows) != len(cycle) {
		t.Errorf("%d rows for %d spans", len(rows), len(cycle))
	}
	if s := summarize(tr); s.Root != "op-s" { // the only span without another parent
		t.Errorf("root %q", s.Root)
	}

	const depth = 20_000
	deep := make([]jaegerapi.Span, depth)
	for i := range deep {
		parent := ""
		if i > 0 {
			parent = fmt.Sprint(i - 1)
		}
		deep[i] = span(fmt.Sprint(i), parent, uint64(i), 1)
	}
	rows := waterfall(newTree(jaegerapi.Trace{TraceID: tid, Spans: deep}))
	if len(rows) != depth || rows[depth-1].Name != fmt.Sprint("op-", depth-1) || rows[depth-1].Indent != "padding-left:484px" {
		t.Errorf("deep chain: %d rows, last %+v", len(rows), rows[len(rows)-1])
	}
}

func TestDisplayValue(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {"<b>", "<b>"}, {true, "true"},
		{float64(202), "202"}, {0.25, "0.25"}, {1e21, "1e+21"}, {math.NaN(), "NaN"},
		{int64(1 << 60), "1152921504606846976"}, {[]byte{1, 2, 3}, "AQID"},
	} {
		if got := displayValue(c.v); got != c.want {
			t.Errorf("displayValue(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// fakeSource has n traces per service, one a second apart, and can fail.
type fakeSource struct {
	services []string
	n        int
	err      error // from Services and Trace
	findErr  error // from FindTraces of service "b"
}

func (f fakeSource) Services(context.Context) ([]string, error) { return f.services, f.err }

func (f fakeSource) FindTraces(_ context.Context, q jaegerapi.Query) ([]jaegerapi.Trace, error) {
	if q.Service == "b" && f.findErr != nil {
		return nil, f.findErr
	}
	si := slices.Index(f.services, q.Service)
	var out []jaegerapi.Trace
	for i := range min(f.n, q.Limit) {
		id := fmt.Sprintf("%x%04x", si+1, i)
		start := uint64(i*len(f.services)+si) * 1e6 // services interleave in time
		out = append(out, jaegerapi.Trace{TraceID: id, Spans: []jaegerapi.Span{{TraceID: id, SpanID: "1", OperationName: q.Service, StartTime: start}}})
	}
	slices.Reverse(out) // newest first, as Jaeger answers
	return out, nil
}

func (f fakeSource) Trace(context.Context, string) (jaegerapi.Trace, error) {
	return jaegerapi.Trace{}, f.err
}

func TestIndexMergesServicesNewestFirst(t *testing.T) {
	src := fakeSource{services: []string{"a", "b", "c"}, n: 40}
	rec := httptest.NewRecorder()
	Handler(src, Options{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	if n := strings.Count(body, `<a href="/trace/`); n != recentTraces {
		t.Fatalf("%d traces listed, want %d", n, recentTraces)
	}
	// Of 120 traces (starts 0..119s), the newest is c's 39th (0x27); the
	// 50th newest starts at 70s: b's 23rd (0x17). a's 23rd, at 69s, is out.
	first, last := strings.Index(body, "/trace/30027"), strings.Index(body, "/trace/20017")
	if first < 0 || last < 0 || first > last || strings.Contains(body, "/trace/10017") {
		t.Errorf("not the newest 50, newest first:\n%s", body)
	}
}

func TestSourceErrors(t *testing.T) {
	notFound := &jaegerapi.StatusError{Status: 404, Msg: "trace not found"}
	down := &jaegerapi.StatusError{Status: 500, Msg: "storage down"}
	for _, c := range []struct {
		src  fakeSource
		path string
		code int
		want string
	}{
		{fakeSource{err: notFound}, "/trace/abc", 404, "has no trace abc"},
		{fakeSource{err: down}, "/trace/abc", 502, "storage down"},
		{fakeSource{err: down}, "/", 502, "storage down"},
		{fakeSource{services: []string{"a", "b", "c"}, findErr: down}, "/", 502, "searching traces of b: query API answered 500: storage down"},
	} {
		rec := httptest.NewRecorder()
		Handler(c.src, Options{Source: "http://jaeger:16686"}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%+v on %s: %d\n%s", c.src, c.path, rec.Code, rec.Body)
		}
	}
}
