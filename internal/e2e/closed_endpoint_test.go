package e2e

import (
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/testkit"
)

// TestClosedOTLPEndpoint: with the trace backend a closed port, every
// service still answers promptly and stops within its flush deadline. The
// bounds are generous correctness bounds (a blocked exporter takes 10 s or
// more), not speed measurements.
func TestClosedOTLPEndpoint(t *testing.T) {
	const flush = 2 * time.Second
	closed := testkit.URL(testkit.FreePort(t))
	roles := map[string][]string{
		"api":      {"serve", "api"},
		"ib-host":  {"serve", "ib-host"},
		"training": {"serve", "worker", "--type", "training", "--backend-url", closed},
		"backtest": {"serve", "worker", "--type", "backtest", "--backend-url", closed},
	}
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		for name, args := range roles {
			t.Run(protocol+"/"+name, func(t *testing.T) {
				port := testkit.FreePort(t)
				env := []string{"OTLP_ENDPOINT=" + closed, "OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol,
					"KTRDR_SHUTDOWN_TIMEOUT=" + flush.String(), "OTEL_BSP_SCHEDULE_DELAY=50"}
				p := testkit.Start(t, name, env, append(args, "--port", strconv.Itoa(port))...)
				base := testkit.URL(port)
				testkit.WaitHealthy(t, base+"/health", 20*time.Second)
				path := "/ping"
				if name == "api" {
					path = "/" // the API's ping would fan out to peers that are not running
				}
				client := &http.Client{Timeout: 2 * time.Second}
				for i := range 30 {
					resp, err := client.Get(base + path)
					if err != nil {
						t.Fatalf("request %d: %v (a blocked exporter must never stall requests)", i, err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("request %d: %s", i, resp.Status)
					}
				}
				start := time.Now()
				p.Signal(syscall.SIGTERM)
				code, ok := p.Wait(flush + 3*time.Second)
				if !ok {
					t.Fatalf("did not stop within flush deadline %s + 3s", flush)
				}
				if code != 0 {
					t.Errorf("exit code %d", code)
				}
				t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
			})
		}
	}
}
