package tracepage_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/ktrdr/ktrdr/internal/collector"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/tracepage"
)

var _ tracepage.Source = (*jaegerapi.Client)(nil)

const (
	trainID = "0af7651916cd43dd8448eb211c80319c" // crosses three services
	cliID   = "11000000000000000000000000000022" // one span, a second later
)

// treeOrder is trainID's spans in waterfall order: depth first, children by
// start time. They are sent shuffled.
var treeOrder = []string{
	"POST /api/v1/training/start", "workers.select", "operations.create",
	"training.run", "data.fetch", "training.save_model", "response.write",
}

// startCollector runs a real collector on loopback ports chosen by the
// system, loads it with the sample traces over OTLP/HTTP and returns its
// query URL.
func startCollector(t *testing.T) string {
	t.Helper()
	var lns [3]net.Listener
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- collector.Serve(ctx, collector.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, lns[0], lns[1], lns[2])
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("collector: %v", err)
		}
	})

	body, err := ptraceotlp.NewExportRequestFromTraces(sampleTraces()).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+lns[1].Addr().String()+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OTLP export: %s", resp.Status)
	}
	return "http://" + lns[2].Addr().String()
}

func sampleTraces() ptrace.Traces {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms float64) pcommon.Timestamp {
		return pcommon.NewTimestampFromTime(base.Add(time.Duration(ms * float64(time.Millisecond))))
	}
	var train, cli pcommon.TraceID
	mustHex(train[:], trainID)
	mustHex(cli[:], cliID)
	sid := func(i byte) pcommon.SpanID { return pcommon.SpanID{7: i} }

	td := ptrace.NewTraces()
	scope := func(service string, attrs map[string]string) ptrace.SpanSlice {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", service)
		for k, v := range attrs {
			rs.Resource().Attributes().PutStr(k, v)
		}
		return rs.ScopeSpans().AppendEmpty().Spans()
	}
	add := func(spans ptrace.SpanSlice, tid pcommon.TraceID, id, parent byte, name string, kind ptrace.SpanKind, start, end float64) ptrace.Span {
		sp := spans.AppendEmpty()
		sp.SetTraceID(tid)
		sp.SetSpanID(sid(id))
		if parent != 0 {
			sp.SetParentSpanID(sid(parent))
		}
		sp.SetName(name)
		sp.SetKind(kind)
		sp.SetStartTimestamp(at(start))
		sp.SetEndTimestamp(at(end))
		return sp
	}

	api := scope("ktrdr-api", map[string]string{"service.version": "1.2.3"})
	worker := scope("ktrdr-training-worker-1", map[string]string{"worker.type": "training"})
	host := scope("ktrdr-ib-host-service", nil)

	// Children before parents and out of start order: the page must sort.
	add(api, train, 7, 1, "response.write", ptrace.SpanKindInternal, 240, 249)
	run := add(worker, train, 3, 1, "training.run", ptrace.SpanKindConsumer, 10, 200)
	run.Status().SetCode(ptrace.StatusCodeError)
	run.Status().SetMessage("boom")
	ev := run.Events().AppendEmpty()
	ev.SetName("epoch")
	ev.SetTimestamp(at(50))
	ev.Attributes().PutInt("epoch", 1)
	ev.Attributes().PutDouble("loss", 0.5)
	ev = run.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(at(150))
	ev.Attributes().PutStr("exception.message", "boom")
	add(worker, train, 6, 3, "training.save_model", ptrace.SpanKindClient, 180, 195)
	add(host, train, 4, 3, "data.fetch", ptrace.SpanKindServer, 20, 40)
	root := add(api, train, 1, 0, "POST /api/v1/training/start", ptrace.SpanKindServer, 0, 250)
	a := root.Attributes()
	a.PutStr("http.route", "/api/v1/training/start")
	a.PutInt("http.response.status_code", 202)
	a.PutDouble("ratio", 0.25)
	a.PutStr("note", "<script>alert(1)</script>")
	add(api, train, 5, 1, "operations.create", ptrace.SpanKindInternal, 5, 6)
	add(api, train, 2, 1, "workers.select", ptrace.SpanKindInternal, 3, 4)

	add(scope("ktrdr-cli", nil), cli, 9, 0, "ktrdr train", ptrace.SpanKindClient, 1000, 2000)
	return td
}

func mustHex(dst []byte, s string) {
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		panic(err)
	}
}

func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: Content-Type %q", target, ct)
	}
	return rec.Code, rec.Body.String()
}

func lacks(body string, subs ...string) (missing []string) {
	for _, s := range subs {
		if !strings.Contains(body, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

func TestIndexThroughQueryAPI(t *testing.T) {
	queryURL := startCollector(t)
	h := tracepage.Handler(jaegerapi.NewClient(queryURL), tracepage.Options{
		Title:  "Traces here",
		Footer: func() string { return "reading from " + queryURL },
	})

	code, body := get(t, h, "/")
	if code != http.StatusOK {
		t.Fatalf("status %d:\n%s", code, body)
	}
	if missing := lacks(body,
		`href="/?service=ktrdr-api"`, `href="/?service=ktrdr-training-worker-1"`,
		`href="/?service=ktrdr-ib-host-service"`, `href="/?service=ktrdr-cli"`,
		`href="/trace/`+trainID+`"`, `href="/trace/`+cliID+`"`,
		"<td>POST /api/v1/training/start</td><td>ktrdr-api</td>", "<td>ktrdr train</td><td>ktrdr-cli</td>",
		`<td class="num">250.000</td><td class="num">7</td>`, // duration, span count
		`<span class="err">error</span>`,
		"<title>Recent traces · Traces here</title>", "reading from "+queryURL,
	); missing != nil {
		t.Errorf("index lacks %q:\n%s", missing, body)
	}
	// Found through three services, listed once; newest first.
	if n := strings.Count(body, `href="/trace/`+trainID+`"`); n != 1 {
		t.Errorf("training trace listed %d times", n)
	}
	if strings.Index(body, "/trace/"+cliID) > strings.Index(body, "/trace/"+trainID) {
		t.Error("traces are not listed newest first")
	}

	// One service: only its traces, still described by their root span.
	_, body = get(t, h, "/?service=ktrdr-ib-host-service")
	if strings.Contains(body, "/trace/"+cliID) || lacks(body, "/trace/"+trainID, "<td>POST /api/v1/training/start</td>", `class="sel">ktrdr-ib-host-service`) != nil {
		t.Errorf("index of ktrdr-ib-host-service:\n%s", body)
	}
}

func TestTracePageThroughQueryAPI(t *testing.T) {
	queryURL := startCollector(t)
	h := tracepage.Handler(jaegerapi.NewClient(queryURL), tracepage.Options{})

	code, body := get(t, h, "/trace/"+trainID)
	if code != http.StatusOK {
		t.Fatalf("status %d:\n%s", code, body)
	}
	last := -1
	for _, name := range treeOrder {
		i := strings.Index(body, "<strong>"+name+"</strong>")
		if i < 0 || i < last {
			t.Errorf("%q missing or out of tree order", name)
		}
		last = i
	}
	if missing := lacks(body,
		"ktrdr-training-worker-1", "ktrdr-ib-host-service", // services
		`style="padding-left:28px"><strong>data.fetch`, // depth 2
		"<strong>training.run</strong> <span class=\"muted\">consumer</span>",
		"<dt>http.response.status_code</dt><dd>202</dd>", "<dt>ratio</dt><dd>0.25</dd>", // tags
		"<strong>epoch</strong>", "<dt>loss</dt><dd>0.5</dd>", "<dt>exception.message</dt><dd>boom</dd>", // events
		"50.000 ms",                         // the epoch event's offset from the trace start
		`<tr class="error">`, "error: boom", // the error highlighted
		"<td>ktrdr-api</td><td class=\"num\">0.000</td><td class=\"num\">250.000</td>", // service, offset, duration
		"<td>ktrdr-training-worker-1</td><td class=\"num\">10.000</td><td class=\"num\">190.000</td>",
		"<dt>service.version</dt><dd>1.2.3</dd>", "<dt>worker.type</dt><dd>training</dd>", // process tags
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	); missing != nil {
		t.Errorf("trace page lacks %q:\n%s", missing, body)
	}
	if strings.Contains(body, "<script>") {
		t.Error("trace page contains an unescaped <script>")
	}
	if strings.Contains(body, "/api/traces/") {
		t.Error("JSON link shown without JSONLink")
	}

	h = tracepage.Handler(jaegerapi.NewClient(queryURL), tracepage.Options{JSONLink: true})
	if _, body := get(t, h, "/trace/"+trainID); !strings.Contains(body, `href="/api/traces/`+trainID+`"`) {
		t.Error("no JSON link with JSONLink")
	}
}

func TestMissingTraceAndBadPaths(t *testing.T) {
	h := tracepage.Handler(jaegerapi.NewClient(startCollector(t)), tracepage.Options{})
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/trace/00000000000000000000000000000001", 404, "Trace not found"},
		{"/trace/nothex", 400, "Bad trace ID"},
		{"/trace/" + strings.Repeat("a", 33), 400, "Bad trace ID"},
		{"/favicon.ico", 404, "Not found"},
	} {
		code, body := get(t, h, c.path)
		if code != c.code || lacks(body, "<html", c.want) != nil {
			t.Errorf("%s: %d\n%s", c.path, code, body)
		}
	}
}

func TestUnreachableSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	queryURL := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	h := tracepage.Handler(jaegerapi.NewClient(queryURL), tracepage.Options{Source: queryURL})
	for _, path := range []string{"/", "/?service=x", "/trace/" + trainID} {
		code, body := get(t, h, path)
		if code != http.StatusBadGateway || lacks(body, "Cannot read traces", "query API at "+queryURL) != nil {
			t.Errorf("%s: %d\n%s", path, code, body)
		}
	}
}
