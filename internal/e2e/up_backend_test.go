package e2e

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/testkit"
)

// upArgs returns `ktrdr up` arguments with every service port free.
func upArgs(t *testing.T, extra ...string) ([]string, map[string]int) {
	ports := map[string]int{}
	args := []string{"up"}
	for _, flag := range []string{"api-port", "ib-host-port", "training-port", "backtest-port"} {
		ports[flag] = testkit.FreePort(t)
		args = append(args, "--"+flag, strconv.Itoa(ports[flag]))
	}
	return append(args, extra...), ports
}

func runCheck(t *testing.T, apiPort int, queryURL string) {
	t.Helper()
	check := testkit.Start(t, "trace check", nil, "trace", "check", "--api-url", testkit.URL(apiPort), "--query", queryURL, "--wait", "30s")
	if code, _ := check.Wait(60 * time.Second); code != 0 {
		t.Fatalf("trace check exited %d:\n%s", code, check.Out.String())
	}
}

func stopUp(t *testing.T, up *testkit.Proc) {
	t.Helper()
	up.Signal(syscall.SIGTERM)
	if code, ok := up.Wait(30 * time.Second); !ok || code != 0 {
		t.Fatalf("ktrdr up did not stop cleanly (code %d, exited %v)", code, ok)
	}
}

// TestUpWithExternalEndpoint: --otlp-endpoint sends traces elsewhere and no
// collector is started. The endpoint is the backend's OTLP/HTTP port, so the
// HTTP/protobuf exporter path is exercised end to end too.
func TestUpWithExternalEndpoint(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			args, ports := upArgs(t, "--otlp-endpoint", testkit.URL(b.HTTPPort), "--query-url", b.QueryURL)
			up := testkit.Start(t, "ktrdr up", testkit.FastExport, args...)
			up.WaitOutput(t, "ktrdr is up", 60*time.Second)
			if out := up.Out.String(); strings.Contains(out, "started collector") || !strings.Contains(out, b.QueryURL) {
				t.Fatalf("want no collector and the external query URL printed:\n%s", out)
			}
			runCheck(t, ports["api-port"], b.QueryURL)
			stopUp(t, up)
		})
	}
}

// TestUpUsesRunningJaeger: when the OTLP and query ports already hold a
// Jaeger-compatible backend, up uses it instead of failing or starting
// another collector.
func TestUpUsesRunningJaeger(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			args, ports := upArgs(t, "--collector-grpc-port", strconv.Itoa(b.GRPCPort), "--query-port", strconv.Itoa(b.QueryPort))
			up := testkit.Start(t, "ktrdr up", testkit.FastExport, args...)
			up.WaitOutput(t, "ktrdr is up", 60*time.Second)
			if out := up.Out.String(); strings.Contains(out, "started collector") || !strings.Contains(out, "a Jaeger already listens") {
				t.Fatalf("want the running backend used:\n%s", out)
			}
			runCheck(t, ports["api-port"], b.QueryURL)
			stopUp(t, up)
		})
	}
}
