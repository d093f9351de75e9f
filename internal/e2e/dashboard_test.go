package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

// TestUpServesTheDashboardAndOperationTraces checks the dashboard's wiring on
// `ktrdr up` without a browser: the page for browsers at /, its assets, the
// query URL passed from ktrdr up to the API, and an operation's trace read
// through the API. The page itself is tested in headless chromium by
// scripts/browser-tests.sh (web-tests/), which .ci/run runs after go test.
func TestUpServesTheDashboardAndOperationTraces(t *testing.T) {
	ports := map[string]int{}
	args := []string{"up"}
	for _, flag := range []string{"api-port", "ib-host-port", "training-port", "backtest-port", "collector-grpc-port", "collector-http-port", "query-port"} {
		ports[flag] = testkit.FreePort(t)
		args = append(args, "--"+flag, strconv.Itoa(ports[flag]))
	}
	up := testkit.Start(t, "ktrdr up", testkit.FastExport, args...)
	up.WaitOutput(t, "ktrdr is up", 60*time.Second)
	apiURL, queryURL := testkit.URL(ports["api-port"]), testkit.URL(ports["query-port"])
	if !strings.Contains(up.Out.String(), apiURL+"/") {
		t.Errorf("ktrdr up does not print the dashboard's URL:\n%s", up.Out.String())
	}

	fetch := func(path, accept string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, apiURL+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := fetch("/", "text/html,*/*;q=0.8"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "/ui/app.js") {
		t.Fatalf("GET / for a browser: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, body := fetch("/", "application/json"); resp.StatusCode != 200 || !strings.Contains(body, `"service": "ktrdr-api"`) {
		t.Fatalf("GET / for JSON clients: %d %s", resp.StatusCode, body)
	}
	if resp, _ := fetch("/ui/views/trace.js", "*/*"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("asset: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	c := testkit.Client{T: t, URL: apiURL}
	var cfg api.SystemConfig
	if code := c.Get("/api/v1/system/config", &cfg); code != 200 || cfg.QueryURL != queryURL || cfg.JaegerUIURL != "" {
		t.Fatalf("system config %d %+v, want query_url %s", code, cfg, queryURL)
	}

	var start api.StartResponse
	if code := c.Post("/api/v1/training/start", `{"strategy":"volatility_regime"}`, &start); code != 202 {
		t.Fatalf("training start: %d", code)
	}
	c.WaitOp(start.OperationID, "completed", 120*time.Second)
	// Spans arrive in batches: ask until the trace holds every service.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var tr api.TraceResponse
		code := c.Get("/api/v1/operations/"+start.OperationID+"/trace?wait=5", &tr)
		services := map[string]bool{}
		var root string
		for _, sp := range tr.Trace.Spans {
			name := tr.Trace.Processes[sp.ProcessID].ServiceName
			if strings.HasPrefix(name, "ktrdr-training-worker-") {
				name = "ktrdr-training-worker-"
			}
			services[name] = true
			if sp.ParentSpanID() == "" {
				root = sp.OperationName
			}
		}
		if code == 200 && tr.TraceID == start.TraceID && services["ktrdr-api"] && services["ktrdr-ib-host-service"] && services["ktrdr-training-worker-"] {
			if root != "POST /api/v1/training/start" {
				t.Errorf("root span %q, want the API's POST", root)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace through the API: %d, services %v", code, services)
		}
		time.Sleep(200 * time.Millisecond)
	}

	up.Signal(syscall.SIGINT)
	if code, ok := up.Wait(30 * time.Second); !ok || code != 0 {
		t.Fatalf("ktrdr up did not exit cleanly (code %d, exited %v)", code, ok)
	}
}
