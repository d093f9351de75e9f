package e2e

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
	"github.com/ktrdr/ktrdr/internal/tracecheck"
)

// TestUpTraceCheckAndCleanStop is the acceptance test: `ktrdr up`
// brings every service up healthy, `ktrdr trace check` passes, the collector
// holds spans of every service with the required attributes, and Ctrl-C
// leaves no process behind.
func TestUpTraceCheckAndCleanStop(t *testing.T) {
	ports := map[string]int{}
	args := []string{"up", "--training-workers", "2", "--backtest-workers", "1"}
	for _, flag := range []string{"api-port", "ib-host-port", "training-port", "backtest-port", "collector-grpc-port", "collector-http-port", "query-port"} {
		ports[flag] = testkit.FreePort(t)
		args = append(args, "--"+flag, strconv.Itoa(ports[flag]))
	}
	up := testkit.Start(t, "ktrdr up", testkit.FastExport, args...)
	up.WaitOutput(t, "ktrdr is up", 60*time.Second)

	pids := map[string]int{}
	for _, m := range regexp.MustCompile(`started (\S+) \(pid (\d+)\)`).FindAllStringSubmatch(up.Out.String(), -1) {
		pid, _ := strconv.Atoi(m[2])
		pids[m[1]] = pid
	}
	for _, name := range []string{"collector", "api", "ib-host", "training-1", "training-2", "backtest-1"} {
		if pids[name] == 0 || !testkit.Alive(pids[name]) {
			t.Fatalf("child %s not running (pids %v)", name, pids)
		}
	}
	// Child logs are prefixed with their names.
	if !regexp.MustCompile(`(?m)^api\s*\| `).MatchString(up.Out.String()) {
		t.Errorf("no api-prefixed log line in:\n%s", up.Out.String())
	}

	apiURL, queryURL := testkit.URL(ports["api-port"]), testkit.URL(ports["query-port"])
	check := testkit.Start(t, "trace check", nil, "trace", "check", "--api-url", apiURL, "--query", queryURL, "--wait", "30s")
	code, ok := check.Wait(60 * time.Second)
	if !ok || code != 0 || !strings.Contains(check.Out.String(), "PASS") {
		t.Fatalf("trace check exited %d (finished %v):\n%s", code, ok, check.Out.String())
	}

	// Independently of the check: the collector holds spans of every service,
	// each with HTTP and resource attributes.
	q := jaegerapi.NewClient(queryURL)
	ctx := context.Background()
	services, err := q.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var workers int
	for _, s := range services {
		if strings.HasPrefix(s, "ktrdr-training-worker-") || strings.HasPrefix(s, "ktrdr-backtest-worker-") {
			workers++
		}
	}
	if workers != 3 {
		t.Errorf("want 3 distinct worker services, got %v", services)
	}
	for _, svc := range services {
		// span.kind is derived by the conversion, so (as in Jaeger) it is
		// not searchable: search by route, which every server span carries.
		route := "/ping"
		if svc == "ktrdr-api" {
			route = "/api/v1/system/ping"
		}
		traces, err := q.FindTraces(ctx, jaegerapi.Query{Service: svc, Tags: map[string]string{"http.route": route}, Limit: 5})
		if err != nil || len(traces) == 0 {
			t.Errorf("%s: no traces with http.route=%s (%v)", svc, route, err)
			continue
		}
		tr := traces[0]
		var found bool
		for _, s := range tr.Spans {
			p := tr.Processes[s.ProcessID]
			if p.ServiceName != svc {
				continue
			}
			if kind, _ := jaegerapi.Tag(s.Tags, "span.kind"); kind != "server" {
				continue
			}
			found = true
			for _, k := range tracecheck.HTTPAttributes {
				if _, ok := jaegerapi.Tag(s.Tags, k); !ok {
					t.Errorf("%s span %q lacks %s", svc, s.OperationName, k)
				}
			}
			for _, k := range tracecheck.ResourceAttributes {
				if _, ok := jaegerapi.Tag(p.Tags, k); !ok {
					t.Errorf("%s process lacks %s", svc, k)
				}
			}
			if route, _ := jaegerapi.Tag(s.Tags, "http.route"); route == "/health" {
				t.Errorf("%s: health check was traced", svc)
			}
		}
		if !found {
			t.Errorf("%s: no server span in its trace", svc)
		}
	}

	// The headline flows on `ktrdr up`: train an example strategy on SPX 1d
	// and on a synthetic symbol at 1h, then backtest the SPX model.
	api := testkit.Client{T: t, URL: apiURL}
	var spx, syn, bt struct {
		ID string `json:"operation_id"`
	}
	if code := api.Post("/api/v1/training/start", `{"strategy":"rsi_mean_reversion"}`, &spx); code != 202 {
		t.Fatalf("training start: %d", code)
	}
	if code := api.Post("/api/v1/training/start", `{"strategy":"multi_symbol_rsi","start":"2025-06-02","end":"2025-12-31"}`, &syn); code != 202 {
		t.Fatalf("synthetic training start: %d", code)
	}
	api.WaitOp(spx.ID, "completed", 120*time.Second)
	api.WaitOp(syn.ID, "completed", 120*time.Second)
	if code := api.Post("/api/v1/backtests/start", `{"strategy":"rsi_mean_reversion","start":"2018-01-02"}`, &bt); code != 202 {
		t.Fatalf("backtest start: %d", code)
	}
	api.WaitOp(bt.ID, "completed", 60*time.Second)
	var models struct {
		Models []struct{ Name string } `json:"models"`
	}
	api.Get("/api/v1/models", &models)
	if len(models.Models) != 2 || models.Models[0].Name != "multi_symbol_rsi/1h_v1" || models.Models[1].Name != "rsi_mean_reversion/1d_v1" {
		t.Errorf("models after training on ktrdr up: %+v", models.Models)
	}

	// And from the command line, as a user would: `ktrdr train`, then
	// `ktrdr trace` of its operation, which starts at the user.
	cliEnv := append([]string{"OTLP_ENDPOINT=" + testkit.URL(ports["collector-http-port"]), "KTRDR_API_URL=" + apiURL, "KTRDR_QUERY_URL=" + queryURL}, testkit.FastExport...)
	train := testkit.Start(t, "ktrdr train", cliEnv, "train", "volatility_regime")
	if code, ok := train.Wait(120 * time.Second); !ok || code != 0 {
		t.Fatalf("ktrdr train exited %d (finished %v):\n%s", code, ok, train.Out.String())
	}
	opID := opIDRe.FindString(train.Out.String())
	show := testkit.Start(t, "ktrdr trace", cliEnv, "trace", opID, "--color", "never", "--wait", "30s")
	if code, ok := show.Wait(60 * time.Second); !ok || code != 0 {
		t.Fatalf("ktrdr trace exited %d:\n%s", code, show.Out.String())
	}
	for _, want := range []string{"ktrdr-cli  ktrdr train", "ktrdr-api  POST /api/v1/training/start", "training.run", "ktrdr-ib-host-service  POST /data/historical"} {
		if !strings.Contains(show.Out.String(), want) {
			t.Errorf("ktrdr trace %s lacks %q:\n%s", opID, want, show.Out.String())
		}
	}

	up.Signal(syscall.SIGINT)
	if code, ok := up.Wait(30 * time.Second); !ok || code != 0 {
		t.Fatalf("ktrdr up did not exit cleanly on SIGINT (code %d, exited %v)", code, ok)
	}
	for name, pid := range pids {
		if testkit.Alive(pid) {
			t.Errorf("%s (pid %d) still running after ktrdr up exited", name, pid)
		}
	}
}

// TestUpPortTaken: a port in use is a clear error naming the port and flag,
// and nothing is left running.
func TestUpPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	args := []string{"up", "--api-port", strconv.Itoa(taken)}
	for _, flag := range []string{"ib-host-port", "training-port", "backtest-port", "collector-grpc-port", "collector-http-port", "query-port"} {
		args = append(args, "--"+flag, strconv.Itoa(testkit.FreePort(t)))
	}
	up := testkit.Start(t, "ktrdr up", nil, args...)
	code, ok := up.Wait(30 * time.Second)
	out := up.Out.String()
	if !ok || code == 0 {
		t.Fatalf("want a failing exit, got %d (exited %v):\n%s", code, ok, out)
	}
	for _, want := range []string{"port " + strconv.Itoa(taken), "--api-port"} {
		if !strings.Contains(out, want) {
			t.Errorf("error does not name %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "started ") {
		t.Errorf("children were started before the port check:\n%s", out)
	}
}
