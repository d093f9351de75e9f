package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

// TestBackendContract holds the embedded collector to a real Jaeger: the
// same spans, sent to both at once, must read back the same through Jaeger's
// HTTP query API — services, operations, search, and every field of the
// trace (span names, references, times, tags, process tags, logs, error
// status). Where they differ, the collector is wrong.
func TestBackendContract(t *testing.T) {
	t.Setenv("KTRDR_TEST_BACKENDS", "collector,jaeger")
	backends := testkit.Backends(t)
	ctx := testkit.Context(t)

	traceID, n := sendContractTrace(t, ctx, backends)
	answers := map[string]jaegerapi.Trace{}
	for _, b := range backends {
		answers[b.Name] = waitTrace(t, ctx, b, traceID, n)
	}
	want := normalize(answers["jaeger"])
	got := normalize(answers["collector"])
	if d := diffJSON(t, want, got); d != "" {
		t.Errorf("collector's trace differs from Jaeger's:\n%s", d)
	}

	for _, b := range backends {
		q := jaegerapi.NewClient(b.QueryURL)
		services, err := q.Services(ctx)
		if err != nil || !slices.Contains(services, "contract-api") || !slices.Contains(services, "contract-worker") {
			t.Errorf("%s: services %v (%v)", b.Name, services, err)
		}
		ops, err := q.Operations(ctx, "contract-api")
		sort.Strings(ops)
		if want := []string{"GET /work/{id}", "POST /jobs", "POST /run", "validate"}; err != nil || !slices.Equal(ops, want) {
			t.Errorf("%s: operations %v, want %v (%v)", b.Name, ops, want, err)
		}
		for _, c := range []struct {
			q    jaegerapi.Query
			want int
		}{
			{jaegerapi.Query{Service: "contract-api", Tags: map[string]string{"http.route": "/work/{id}"}, Lookback: time.Hour}, 1},
			{jaegerapi.Query{Service: "contract-api", Operation: "validate", Lookback: time.Hour}, 1},
			{jaegerapi.Query{Service: "contract-worker", Tags: map[string]string{"error": "false"}, Lookback: time.Hour}, 1},
			{jaegerapi.Query{Service: "contract-api", Tags: map[string]string{"error": "false"}, Lookback: time.Hour}, 0},
			{jaegerapi.Query{Service: "contract-api", Tags: map[string]string{"span.kind": "server"}, Lookback: time.Hour}, 0},
			{jaegerapi.Query{Service: "contract-api", Tags: map[string]string{"otel.scope.name": "ktrdr/contract"}, Lookback: time.Hour}, 0},
			{jaegerapi.Query{Service: "contract-api", Tags: map[string]string{"service.version": "1.2.3"}, Lookback: time.Hour}, 2},
			{jaegerapi.Query{Service: "contract-worker", Tags: map[string]string{"loss": "0.5"}, Lookback: time.Hour}, 1},
			{jaegerapi.Query{Service: "contract-worker", Tags: map[string]string{"event": "epoch"}, Lookback: time.Hour}, 0},
			{jaegerapi.Query{Service: "contract-worker", Tags: map[string]string{"job.attempt": "3"}, Lookback: time.Hour}, 1},
			{jaegerapi.Query{Service: "contract-api", Tags: map[string]string{"http.route": "/nope"}, Lookback: time.Hour}, 0},
			{jaegerapi.Query{Service: "contract-api", Operation: "validate", MinDuration: time.Hour, Lookback: time.Hour}, 0},
		} {
			traces, err := q.FindTraces(ctx, c.q)
			if err != nil || len(traces) != c.want {
				t.Errorf("%s: search %+v found %d traces, want %d (%v)", b.Name, c.q, len(traces), c.want, err)
			}
		}
		if _, err := q.Trace(ctx, strings.Repeat("ab", 16)); !isStatus(err, 404) {
			t.Errorf("%s: unknown trace: %v, want a 404", b.Name, err)
		}
	}
}

// sendContractTrace exports one trace with every feature the contract
// covers to all backends at once and returns its id and span count.
func sendContractTrace(t *testing.T, ctx context.Context, backends []testkit.Backend) (string, int) {
	t.Helper()
	providers := map[string]*sdktrace.TracerProvider{}
	for _, svc := range []string{"contract-api", "contract-worker"} {
		res := resource.NewSchemaless(
			attribute.String("service.name", svc), attribute.String("service.version", "1.2.3"),
			attribute.String("service.instance.id", svc+"-1"), attribute.String("deployment.environment.name", "test"),
			attribute.Int("host.cpus", 2))
		opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
		for _, b := range backends {
			exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(strings.TrimPrefix(b.OTLPEndpoint, "http://")), otlptracegrpc.WithInsecure())
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, sdktrace.WithSyncer(exp))
		}
		providers[svc] = sdktrace.NewTracerProvider(opts...)
	}
	api := providers["contract-api"].Tracer("ktrdr/contract", trace.WithInstrumentationVersion("0.1"))
	worker := providers["contract-worker"].Tracer("ktrdr/contract")

	start := time.Now().Add(-time.Second)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	ctx1, root := api.Start(ctx, "POST /jobs", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at(0)),
		trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/jobs"),
			attribute.Int("http.response.status_code", 202), attribute.Bool("cache.hit", false), attribute.Float64("load", 0.25),
			attribute.StringSlice("tags", []string{"a", "b"}), attribute.Int64Slice("ids", []int64{1, 2})))
	_, other := api.Start(ctx, "GET /work/{id}", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at(1)),
		trace.WithAttributes(attribute.String("http.route", "/work/{id}")))
	ctx2, client := api.Start(ctx1, "POST /run", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(at(5)),
		trace.WithLinks(trace.Link{SpanContext: other.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("link.kind", "retry-of")}}))
	_, work := worker.Start(ctx2, "job.run", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at(10)),
		trace.WithAttributes(attribute.Int("job.attempt", 3)))
	work.AddEvent("epoch", trace.WithTimestamp(at(20)), trace.WithAttributes(attribute.Int("epoch", 1), attribute.Float64("loss", 0.5)))
	work.AddEvent("epoch", trace.WithTimestamp(at(30)), trace.WithAttributes(attribute.Int("epoch", 2), attribute.Float64("loss", 0.25)))
	work.SetStatus(codes.Ok, "")
	work.End(trace.WithTimestamp(at(40)))
	client.End(trace.WithTimestamp(at(45)))
	_, validate := api.Start(ctx1, "validate", trace.WithTimestamp(at(46)))
	validate.RecordError(errors.New("bad <timeframe>"), trace.WithTimestamp(at(47)))
	validate.SetStatus(codes.Error, "timeframe is invalid")
	validate.End(trace.WithTimestamp(at(48)))
	root.End(trace.WithTimestamp(at(50)))
	other.End(trace.WithTimestamp(at(2)))
	for _, tp := range providers {
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return root.SpanContext().TraceID().String(), 4
}

func waitTrace(t *testing.T, ctx context.Context, b testkit.Backend, id string, spans int) jaegerapi.Trace {
	t.Helper()
	q := jaegerapi.NewClient(b.QueryURL)
	deadline := time.Now().Add(30 * time.Second)
	for {
		tr, err := q.Trace(ctx, id)
		if err == nil && len(tr.Spans) == spans {
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: trace %s has %d of %d spans (%v)", b.Name, id, len(tr.Spans), spans, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// normalized is a trace with process ids resolved, so two backends that
// number processes differently compare equal.
type normalized struct {
	TraceID string
	Spans   []normSpan
}

type normSpan struct {
	jaegerapi.Span
	Process jaegerapi.Process
}

func normalize(tr jaegerapi.Trace) normalized {
	out := normalized{TraceID: tr.TraceID}
	for _, s := range tr.Spans {
		p := tr.Processes[s.ProcessID]
		s.ProcessID = ""
		out.Spans = append(out.Spans, normSpan{Span: s, Process: p})
	}
	sort.Slice(out.Spans, func(i, j int) bool { return out.Spans[i].SpanID < out.Spans[j].SpanID })
	return out
}

// diffJSON compares two values as indented JSON and returns a unified diff
// (from diff(1)), or "" when they are equal.
func diffJSON(t *testing.T, want, got any) string {
	t.Helper()
	a, _ := json.MarshalIndent(want, "", "  ")
	b, _ := json.MarshalIndent(got, "", "  ")
	if bytes.Equal(a, b) {
		return ""
	}
	dir := t.TempDir()
	wf, gf := filepath.Join(dir, "jaeger.json"), filepath.Join(dir, "collector.json")
	if err := os.WriteFile(wf, a, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("diff", "-u", wf, gf).CombinedOutput()
	return string(out)
}

func isStatus(err error, code int) bool {
	var se *jaegerapi.StatusError
	return errors.As(err, &se) && se.Status == code
}
