package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/testkit"
)

// TestTraceCheckIsStrict: with no workers running the check fails and names
// both missing worker kinds; with no backend it fails naming the query API.
func TestTraceCheckIsStrict(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			env := append(b.Env(), testkit.FastExport...)
			hostPort, apiPort := testkit.FreePort(t), testkit.FreePort(t)
			testkit.Start(t, "ib-host", env, "serve", "ib-host", "--port", strconv.Itoa(hostPort))
			testkit.Start(t, "api", env, "serve", "api", "--port", strconv.Itoa(apiPort), "--ib-host-url", testkit.URL(hostPort))
			testkit.WaitHealthy(t, testkit.URL(apiPort)+"/health", 20*time.Second)
			testkit.WaitHealthy(t, testkit.URL(hostPort)+"/health", 20*time.Second)

			check := testkit.Start(t, "trace check", nil, "trace", "check", "--api-url", testkit.URL(apiPort), "--query", b.QueryURL, "--wait", "10s")
			code, _ := check.Wait(60 * time.Second)
			out := check.Out.String()
			if code != 1 {
				t.Fatalf("want exit 1 without workers, got %d:\n%s", code, out)
			}
			for _, want := range []string{"✗ training worker service in backend", "✗ backtest worker service in backend", "✓ API service in backend", "✓ IB host service in backend", "FAIL:"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
	t.Run("no backend", func(t *testing.T) {
		check := testkit.Start(t, "trace check", nil, "trace", "check", "--query", testkit.URL(testkit.FreePort(t)), "--api-url", testkit.URL(testkit.FreePort(t)))
		code, _ := check.Wait(30 * time.Second)
		if out := check.Out.String(); code != 1 || !strings.Contains(out, "✗ trace query API reachable") {
			t.Fatalf("want exit 1 naming the query API, got %d:\n%s", code, out)
		}
	})
}
