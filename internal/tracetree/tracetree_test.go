package tracetree

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func kv(k string, v any) jaegerapi.KeyValue { return jaegerapi.KeyValue{Key: k, Value: v} }

func span(id, parent, name, proc string, start, dur uint64, tags ...jaegerapi.KeyValue) jaegerapi.Span {
	s := jaegerapi.Span{TraceID: "t1", SpanID: id, OperationName: name, ProcessID: proc, StartTime: start, Duration: dur, Tags: tags}
	if parent != "" {
		s.References = []jaegerapi.Reference{{RefType: jaegerapi.ChildOf, TraceID: "t1", SpanID: parent}}
	}
	return s
}

// fixture is a training started from the CLI: cli → api → worker → host,
// with per-epoch events, a failed span and a span whose parent is missing.
// Spans are listed out of order on purpose.
func fixture() jaegerapi.Trace {
	const t0 = 1_700_000_000_000_000
	fit := span("fit", "run", "training.fit", "p3", t0+400_000, 900_000, kv("training.epochs_run", float64(3)))
	for range 3 {
		fit.Logs = append(fit.Logs, jaegerapi.Log{Fields: []jaegerapi.KeyValue{kv("event", "epoch"), kv("loss", 0.9)}})
	}
	bad := span("bad", "run", "training.save_model", "p3", t0+1_310_000, 40_000,
		kv("error", true), kv("otel.status_code", "ERROR"), kv("otel.status_description", "upload model: 503 unavailable"))
	bad.Logs = []jaegerapi.Log{{Fields: []jaegerapi.KeyValue{kv("event", "exception"), kv("exception.message", "upload model: 503 unavailable")}}}
	return jaegerapi.Trace{
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Processes: map[string]jaegerapi.Process{
			"p1": {ServiceName: "ktrdr-cli"}, "p2": {ServiceName: "ktrdr-api"},
			"p3": {ServiceName: "ktrdr-training-worker-t0"}, "p4": {ServiceName: "ktrdr-ib-host-service"},
		},
		Spans: []jaegerapi.Span{
			fit, bad,
			span("host", "fetchc", "POST /data/historical", "p4", t0+205_000, 90_000, kv("http.response.status_code", float64(200))),
			span("fetch", "host", "data.fetch", "p4", t0+210_000, 80_000, kv("data.symbol", "SPX"), kv("data.timeframe", "1d"), kv("data.bars", float64(5105))),
			span("root", "", "ktrdr train", "p1", t0, 1_500_000, kv("cli.command", "train"), kv("operation.id", "op_training_20261125_120000_1a2b3c4d")),
			span("apis", "root", "POST /api/v1/training/start", "p2", t0+10_000, 30_000, kv("http.response.status_code", float64(202))),
			span("sel", "apis", "workers.select", "p2", t0+15_000, 500, kv("worker.type", "training"), kv("worker.id", "t0")),
			span("disp", "apis", "POST /training/start", "p2", t0+16_000, 20_000),
			span("ws", "disp", "POST /training/start", "p3", t0+18_000, 5_000, kv("http.response.status_code", float64(202))),
			span("run", "ws", "training.run", "p3", t0+20_000, 1_400_000, kv("operation.id", "op_training_20261125_120000_1a2b3c4d"), kv("strategy.name", "rsi_mean_reversion")),
			span("load", "run", "training.load_data", "p3", t0+200_000, 100_000),
			span("fetchc", "load", "POST /data/historical", "p3", t0+201_000, 98_000),
			span("lost", "gone", "operations.complete", "p2", t0+1_450_000, 2_000),
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, fixture(), Options{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "training.golden", b.Bytes())

	b.Reset()
	if err := Render(&b, fixture(), Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, red+"ERROR upload model: 503 unavailable"+reset) || !strings.Contains(out, cyan+"ktrdr-ib-host-service"+reset) {
		t.Errorf("colours missing:\n%q", out)
	}
}

func TestRenderEmptyAndDurations(t *testing.T) {
	var b bytes.Buffer
	_ = Render(&b, jaegerapi.Trace{TraceID: "x"}, Options{})
	if b.String() != "trace x: no spans\n" {
		t.Errorf("empty trace: %q", b.String())
	}
	for us, want := range map[uint64]string{300: "0.30ms", 42_000: "42ms", 1_820_000: "1.82s", 123_000_000: "2m03s"} {
		if got := duration(us); got != want {
			t.Errorf("duration(%d) = %q, want %q", us, got, want)
		}
	}
}
