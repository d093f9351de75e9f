package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	jaegerOnce sync.Once
	jaegerBin  string
	jaegerErr  error
)

// JaegerBinary returns the real Jaeger binary: $KTRDR_JAEGER_BIN, else the
// one scripts/ensure-jaeger.sh builds (once) into ~/.cache/ktrdr.
func JaegerBinary(t testing.TB) string {
	t.Helper()
	jaegerOnce.Do(func() {
		if p := os.Getenv("KTRDR_JAEGER_BIN"); p != "" {
			jaegerBin = p
			return
		}
		cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "ensure-jaeger.sh"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			jaegerErr = fmt.Errorf("scripts/ensure-jaeger.sh: %w", err)
			return
		}
		jaegerBin = strings.TrimSpace(string(out))
	})
	if jaegerErr != nil {
		t.Fatal(jaegerErr)
	}
	return jaegerBin
}

// jaegerConfig is a minimal all-in-one configuration: OTLP in, memory
// storage, the query API, all on loopback ports chosen by the test, and no
// self-telemetry port that parallel runs would fight over.
const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
      http:
        endpoint: 127.0.0.1:%d
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// StartJaeger runs the real Jaeger on free ports.
func StartJaeger(t testing.TB) Backend {
	t.Helper()
	bin := JaegerBinary(t)
	// A port can still be taken between FreePort and Jaeger's bind: retry
	// with fresh ports rather than fail the test.
	for try := 1; ; try++ {
		b := Backend{Name: "jaeger", GRPCPort: FreePort(t), HTTPPort: FreePort(t), QueryPort: FreePort(t)}
		cfg := filepath.Join(t.TempDir(), "jaeger.yaml")
		if err := os.WriteFile(cfg, fmt.Appendf(nil, jaegerConfig, b.QueryPort, FreePort(t), b.GRPCPort, b.HTTPPort), 0o600); err != nil {
			t.Fatal(err)
		}
		p := startProcess(t, "jaeger", bin, nil, "--config", cfg)
		b.OTLPEndpoint, b.QueryURL = URL(b.GRPCPort), URL(b.QueryPort)
		if p.healthyOrExited(b.QueryURL+"/api/services", 60*time.Second) {
			return b
		}
		if try == 3 {
			t.Fatalf("jaeger did not start:\n%s", p.Out.String())
		}
	}
}
