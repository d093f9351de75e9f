package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/ktrdr/ktrdr/internal/collector"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

func TestTraceUIServesThePage(t *testing.T) {
	store := collector.NewStore(0, 0)
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "ktrdr-ui-test")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{15: 0x42})
	sp.SetSpanID(pcommon.SpanID{7: 1})
	sp.SetName("ui.test.span")
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(time.Millisecond)))
	store.Ingest(td)
	backend := httptest.NewServer(collector.QueryHandler(store))
	defer backend.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testkit.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"trace", "ui", "--query", backend.URL, "--port", "0"}, &out, io.Discard)
	}()

	// The command prints the address it listens on: --port 0 picks one.
	started := regexp.MustCompile(`trace page on (http://\S+), reading ` + regexp.QuoteMeta(backend.URL))
	var pageURL string
	for deadline := time.Now().Add(10 * time.Second); pageURL == ""; time.Sleep(10 * time.Millisecond) {
		if m := started.FindStringSubmatch(out.String()); m != nil {
			pageURL = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no start line; output %q", out.String())
		}
	}

	for path, want := range map[string][]string{
		"/": {`href="/?service=ktrdr-ui-test"`, "ui.test.span", "Reading traces from " + backend.URL},
		"/trace/00000000000000000000000000000042": {"<strong>ui.test.span</strong>", "ktrdr-ui-test"},
	} {
		resp, err := http.Get(pageURL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if resp.StatusCode != 200 || !strings.Contains(string(body), w) {
				t.Errorf("GET %s: %d, lacks %q:\n%s", path, resp.StatusCode, w, body)
			}
		}
		// The page has no /api of its own to link to.
		if strings.Contains(string(body), "/api/traces/") {
			t.Errorf("GET %s links to a JSON API this server does not have", path)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after cancel; output %q", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("trace ui did not stop")
	}
}
