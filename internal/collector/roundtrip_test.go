package collector

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

var (
	// The sample trace: an API server span with a worker child, which has
	// a grandchild from a resource without attributes. A second API span
	// comes in its own ResourceSpans with an equal resource.
	sampleTrace   = pcommon.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}
	rootSpanID    = pcommon.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	createSpanID  = pcommon.SpanID{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07}
	workerSpanID  = pcommon.SpanID{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}
	orphanSpanID  = pcommon.SpanID{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88}
	linkedTrace   = pcommon.TraceID{15: 0x01}
	linkedSpan    = pcommon.SpanID{7: 0x02}
	otherTrace    = pcommon.TraceID{0x11, 15: 0x22}
	otherSpanID   = pcommon.SpanID{0x33, 7: 0x44}
	sampleBase    = time.Unix(1767225600, 123456789) // 2026-01-01, with sub-µs digits
	sampleTraceID = "0af7651916cd43dd8448eb211c80319c"
)

func at(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(sampleBase.Add(d)) }

func apiResource(rs ptrace.ResourceSpans) ptrace.ScopeSpans {
	ra := rs.Resource().Attributes()
	ra.PutStr("service.name", "ktrdr-api")
	ra.PutStr("service.version", "1.2.3")
	ra.PutInt("process.pid", 42)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("ktrdr/api")
	ss.Scope().SetVersion("0.1.0")
	return ss
}

func sampleTraces() ptrace.Traces {
	td := ptrace.NewTraces()

	root := apiResource(td.ResourceSpans().AppendEmpty()).Spans().AppendEmpty()
	root.SetTraceID(sampleTrace)
	root.SetSpanID(rootSpanID)
	root.SetName("POST /api/v1/training/start")
	root.SetKind(ptrace.SpanKindServer)
	root.SetFlags(0x301) // sampled, plus the has/is-remote bits the Go SDK sets
	root.SetStartTimestamp(at(0))
	root.SetEndTimestamp(at(250*time.Millisecond + 1500))
	root.TraceState().FromRaw("ktrdr=1,vendor=x")
	root.Status().SetCode(ptrace.StatusCodeOk)
	a := root.Attributes()
	a.PutStr("http.route", "/api/v1/training/start")
	a.PutBool("cached", false)
	a.PutInt("http.status_code", 202)
	a.PutDouble("ratio", 0.25)
	a.PutEmptyBytes("blob").FromRaw([]byte{1, 2, 3})
	s := a.PutEmptySlice("symbols")
	s.AppendEmpty().SetStr("EURUSD")
	s.AppendEmpty().SetInt(5)
	a.PutEmptyMap("params").PutStr("timeframe", "1h")
	a.PutInt("big", 1<<60)
	a.PutStr("note", "<script>alert(1)</script>")

	create := apiResource(td.ResourceSpans().AppendEmpty()).Spans().AppendEmpty()
	create.SetTraceID(sampleTrace)
	create.SetSpanID(createSpanID)
	create.SetParentSpanID(rootSpanID)
	create.SetName("operations.create")
	create.SetKind(ptrace.SpanKindInternal)
	create.SetStartTimestamp(at(5 * time.Millisecond))
	create.SetEndTimestamp(at(6 * time.Millisecond))
	create.Attributes().PutStr("operation.id", "op_training_1")

	wrs := td.ResourceSpans().AppendEmpty()
	wrs.Resource().Attributes().PutStr("service.name", "ktrdr-training-worker-1")
	wrs.Resource().Attributes().PutStr("worker.type", "training")
	wss := wrs.ScopeSpans().AppendEmpty()
	wss.Scope().SetName("ktrdr/worker")
	worker := wss.Spans().AppendEmpty()
	worker.SetTraceID(sampleTrace)
	worker.SetSpanID(workerSpanID)
	worker.SetParentSpanID(rootSpanID)
	worker.SetName("training.run")
	worker.SetKind(ptrace.SpanKindConsumer)
	worker.SetStartTimestamp(at(10 * time.Millisecond))
	worker.SetEndTimestamp(at(200 * time.Millisecond))
	worker.Status().SetCode(ptrace.StatusCodeError)
	worker.Status().SetMessage("boom")
	worker.Attributes().PutStr("operation.id", "op_training_1")
	ev := worker.Events().AppendEmpty()
	ev.SetName("epoch")
	ev.SetTimestamp(at(50 * time.Millisecond))
	ev.Attributes().PutInt("epoch", 1)
	ev.Attributes().PutDouble("loss", 0.5)
	ev2 := worker.Events().AppendEmpty()
	ev2.SetName("exception")
	ev2.SetTimestamp(at(150 * time.Millisecond))
	ev2.Attributes().PutStr("event", "custom")
	ev2.Attributes().PutStr("exception.message", "boom")
	l := worker.Links().AppendEmpty()
	l.SetTraceID(linkedTrace)
	l.SetSpanID(linkedSpan)
	l2 := worker.Links().AppendEmpty()
	l2.SetTraceID(otherTrace)
	l2.SetSpanID(otherSpanID)
	l2.Attributes().PutStr("opentracing.ref_type", "child_of")

	orphan := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	orphan.SetTraceID(sampleTrace)
	orphan.SetSpanID(orphanSpanID)
	orphan.SetParentSpanID(workerSpanID)
	orphan.SetName("data.fetch")
	orphan.SetStartTimestamp(at(20 * time.Millisecond))
	orphan.SetEndTimestamp(at(15 * time.Millisecond)) // ends before it starts: duration 0

	// A second trace, from another service only.
	other := td.ResourceSpans().AppendEmpty()
	other.Resource().Attributes().PutStr("service.name", "ktrdr-cli")
	os := other.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	os.SetTraceID(otherTrace)
	os.SetSpanID(otherSpanID)
	os.SetName("ktrdr train")
	os.SetKind(ptrace.SpanKindClient)
	os.SetStartTimestamp(at(time.Second))
	os.SetEndTimestamp(at(2 * time.Second))
	return td
}

func micros(d time.Duration) uint64 { return uint64(sampleBase.Add(d).UnixNano() / 1000) }

func kv(key, typ string, v any) jaegerapi.KeyValue {
	return jaegerapi.KeyValue{Key: key, Type: typ, Value: v}
}

// wantSampleTrace is the sample trace as Jaeger v2 serves it.
// inJaegerOrder orders a trace as Jaeger's query service answers it (its
// SortCollections adjuster): span and process tags by key, log fields by key
// after the "event" field. (Logs are ordered by their OTLP event name, which
// the literal below already follows.)
func inJaegerOrder(tr jaegerapi.Trace) jaegerapi.Trace {
	byKey := func(a, b jaegerapi.KeyValue) int { return strings.Compare(a.Key, b.Key) }
	for id, p := range tr.Processes {
		slices.SortStableFunc(p.Tags, byKey)
		tr.Processes[id] = p
	}
	eventName := func(l jaegerapi.Log) string {
		if len(l.Fields) > 0 && l.Fields[0].Key == "event" {
			return fmt.Sprint(l.Fields[0].Value)
		}
		return ""
	}
	for i := range tr.Spans {
		sp := &tr.Spans[i]
		slices.SortStableFunc(sp.Tags, byKey)
		for _, l := range sp.Logs {
			rest := l.Fields
			if eventName(l) != "" {
				rest = rest[1:]
			}
			slices.SortStableFunc(rest, byKey)
		}
	}
	return tr
}

func wantSampleTrace() jaegerapi.Trace {
	apiTags := []jaegerapi.KeyValue{kv("service.version", "string", "1.2.3"), kv("process.pid", "int64", 42)}
	return jaegerapi.Trace{
		TraceID: sampleTraceID,
		Processes: map[string]jaegerapi.Process{
			"p1": {ServiceName: "ktrdr-api", Tags: apiTags},
			"p2": {ServiceName: "ktrdr-training-worker-1", Tags: []jaegerapi.KeyValue{kv("worker.type", "string", "training")}},
			"p3": {ServiceName: "OTLPResourceNoServiceName", Tags: []jaegerapi.KeyValue{}},
		},
		Spans: []jaegerapi.Span{
			{
				TraceID: sampleTraceID, SpanID: "b7ad6b7169203331",
				OperationName: "POST /api/v1/training/start",
				References:    []jaegerapi.Reference{},
				StartTime:     micros(0), Duration: 250001,
				Tags: []jaegerapi.KeyValue{
					kv("otel.scope.name", "string", "ktrdr/api"),
					kv("otel.scope.version", "string", "0.1.0"),
					kv("http.route", "string", "/api/v1/training/start"),
					kv("cached", "bool", false),
					kv("http.status_code", "int64", 202),
					kv("ratio", "float64", 0.25),
					kv("blob", "binary", "AQID"),
					kv("symbols", "string", `["EURUSD",5]`),
					kv("params", "string", `{"timeframe":"1h"}`),
					kv("big", "int64", "1152921504606846976"),
					kv("note", "string", "<script>alert(1)</script>"),
					kv("span.kind", "string", "server"),
					kv("otel.status_code", "string", "OK"),
					kv("w3c.tracestate", "string", "ktrdr=1,vendor=x"),
				},
				Logs:      []jaegerapi.Log{},
				ProcessID: "p1",
			},
			{
				TraceID: sampleTraceID, SpanID: "0000000000000007",
				OperationName: "operations.create",
				References:    []jaegerapi.Reference{{RefType: "CHILD_OF", TraceID: sampleTraceID, SpanID: "b7ad6b7169203331"}},
				StartTime:     micros(5 * time.Millisecond), Duration: 1000,
				Tags: []jaegerapi.KeyValue{
					kv("otel.scope.name", "string", "ktrdr/api"),
					kv("otel.scope.version", "string", "0.1.0"),
					kv("operation.id", "string", "op_training_1"),
					kv("span.kind", "string", "internal"),
				},
				Logs:      []jaegerapi.Log{},
				ProcessID: "p1",
			},
			{
				TraceID: sampleTraceID, SpanID: "0102030405060708",
				OperationName: "training.run",
				References: []jaegerapi.Reference{
					{RefType: "CHILD_OF", TraceID: sampleTraceID, SpanID: "b7ad6b7169203331"},
					{RefType: "FOLLOWS_FROM", TraceID: "00000000000000000000000000000001", SpanID: "0000000000000002"},
					{RefType: "CHILD_OF", TraceID: "11000000000000000000000000000022", SpanID: "3300000000000044"},
				},
				StartTime: micros(10 * time.Millisecond), Duration: 190000,
				Tags: []jaegerapi.KeyValue{
					kv("otel.scope.name", "string", "ktrdr/worker"),
					kv("operation.id", "string", "op_training_1"),
					kv("span.kind", "string", "consumer"),
					kv("otel.status_code", "string", "ERROR"),
					kv("error", "bool", true),
					kv("otel.status_description", "string", "boom"),
				},
				Logs: []jaegerapi.Log{
					{Timestamp: micros(50 * time.Millisecond), Fields: []jaegerapi.KeyValue{
						kv("event", "string", "epoch"), kv("epoch", "int64", 1), kv("loss", "float64", 0.5),
					}},
					{Timestamp: micros(150 * time.Millisecond), Fields: []jaegerapi.KeyValue{
						kv("event", "string", "custom"), kv("exception.message", "string", "boom"),
					}},
				},
				ProcessID: "p2",
			},
			{
				TraceID: sampleTraceID, SpanID: "ffeeddccbbaa9988",
				OperationName: "data.fetch",
				References:    []jaegerapi.Reference{{RefType: "CHILD_OF", TraceID: sampleTraceID, SpanID: "0102030405060708"}},
				StartTime:     micros(20 * time.Millisecond), Duration: 0,
				Tags:      []jaegerapi.KeyValue{},
				Logs:      []jaegerapi.Log{},
				ProcessID: "p3",
			},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	send := map[string]func(t *testing.T, c testCollector){
		"grpc": func(t *testing.T, c testCollector) {
			cc, err := grpc.NewClient(c.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := ptraceotlp.NewGRPCClient(cc).Export(ctx, ptraceotlp.NewExportRequestFromTraces(sampleTraces()))
			if err != nil {
				t.Fatal(err)
			}
			if n := resp.PartialSuccess().RejectedSpans(); n != 0 {
				t.Fatalf("rejected %d spans", n)
			}
		},
	}
	for _, enc := range []struct {
		name       string
		json, gzip bool
	}{{"http-protobuf", false, false}, {"http-json", true, false}, {"http-protobuf-gzip", false, true}, {"http-json-gzip", true, true}} {
		send[enc.name] = func(t *testing.T, c testCollector) {
			resp := postOTLP(t, c.httpURL, sampleTraces(), enc.json, enc.gzip)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			want := contentTypeProtobuf
			if enc.json {
				want = contentTypeJSON
			}
			if ct := resp.Header.Get("Content-Type"); ct != want {
				t.Fatalf("response Content-Type %q, want %q", ct, want)
			}
		}
	}

	for name, send := range send {
		t.Run(name, func(t *testing.T) {
			c := startCollector(t, Options{})
			send(t, c)
			checkSampleQueries(t, c.queryURL)
		})
	}
}

func checkSampleQueries(t *testing.T, base string) {
	t.Helper()
	services, code := getJSON[jaegerapi.Response[[]string]](t, base, "/api/services")
	wantServices := []string{"OTLPResourceNoServiceName", "ktrdr-api", "ktrdr-cli", "ktrdr-training-worker-1"}
	if code != 200 || !slices.Equal(services.Data, wantServices) || services.Total != 4 || services.Errors != nil {
		t.Errorf("services: %d %+v", code, services)
	}

	ops, code := getJSON[jaegerapi.Response[[]string]](t, base, "/api/services/ktrdr-api/operations")
	if want := []string{"POST /api/v1/training/start", "operations.create"}; code != 200 || !slices.Equal(ops.Data, want) || ops.Total != 2 {
		t.Errorf("operations of ktrdr-api: %d %+v", code, ops)
	}
	kinds, code := getJSON[jaegerapi.Response[[]jaegerapi.Operation]](t, base, "/api/operations?"+q("service", "ktrdr-api", "spanKind", "server"))
	if want := []jaegerapi.Operation{{Name: "POST /api/v1/training/start", SpanKind: "server"}}; code != 200 || !slices.Equal(kinds.Data, want) {
		t.Errorf("server operations of ktrdr-api: %d %+v", code, kinds)
	}

	want := inJaegerOrder(wantSampleTrace())
	byID, code := getJSON[tracesResponse](t, base, "/api/traces/"+sampleTraceID)
	if code != 200 || len(byID.Data) != 1 {
		t.Fatalf("trace by id: %d %+v", code, byID)
	}
	assertEqualJSON(t, "trace by id", byID.Data[0], want)

	found, code := getJSON[tracesResponse](t, base, "/api/traces?"+q("service", "ktrdr-training-worker-1", "tags", `{"operation.id":"op_training_1","error":"true"}`))
	if code != 200 || len(found.Data) != 1 {
		t.Fatalf("search: %d %+v", code, found)
	}
	assertEqualJSON(t, "searched trace", found.Data[0], want)
}

func TestSearchConditions(t *testing.T) {
	c := startCollector(t, Options{})
	if resp := postOTLP(t, c.httpURL, sampleTraces(), false, false); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	sample, other := []string{sampleTraceID}, []string{"11000000000000000000000000000022"}
	for _, tc := range []struct {
		name  string
		query string
		want  []string
	}{
		{"service", q("service", "ktrdr-api"), sample},
		{"other service", q("service", "ktrdr-cli"), other},
		{"unknown service", q("service", "nope"), nil},
		{"operation", q("service", "ktrdr-api", "operation", "operations.create"), sample},
		{"operation of another service", q("service", "ktrdr-api", "operation", "training.run"), nil},
		{"span tag", q("service", "ktrdr-api", "tags", `{"http.status_code":"202"}`), sample},
		{"tag=key:value", q("service", "ktrdr-api", "tag", "http.route:/api/v1/training/start"), sample},
		{"float and bool tags", q("service", "ktrdr-api", "tags", `{"ratio":"0.25","cached":"false"}`), sample},
		{"process tag", q("service", "ktrdr-api", "tags", `{"service.version":"1.2.3"}`), sample},
		{"log field", q("service", "ktrdr-training-worker-1", "tags", `{"loss":"0.5"}`), sample},
		// Like Jaeger: event names and tags the conversion derives do not match.
		{"event name", q("service", "ktrdr-training-worker-1", "tag", "event:epoch"), nil},
		{"derived tag", q("service", "ktrdr-api", "tags", `{"span.kind":"server"}`), nil},
		{"scope name", q("service", "ktrdr-api", "tags", `{"otel.scope.name":"ktrdr/api"}`), nil},
		// error is a status condition: true = status Error, false = status Ok.
		{"error=true", q("service", "ktrdr-training-worker-1", "tags", `{"error":"true"}`), sample},
		{"error=false", q("service", "ktrdr-api", "tags", `{"error":"false"}`), sample},
		{"error=false, no OK span", q("service", "ktrdr-training-worker-1", "tags", `{"error":"false"}`), nil},
		{"tags must match one span", q("service", "ktrdr-api", "tags", `{"http.status_code":"202","operation.id":"op_training_1"}`), nil},
		{"tag on another service's span", q("service", "ktrdr-api", "tags", `{"error":"true"}`), nil},
		{"wrong tag value", q("service", "ktrdr-api", "tags", `{"http.status_code":"500"}`), nil},
		{"minDuration", q("service", "ktrdr-api", "minDuration", "200ms"), sample},
		{"minDuration too long", q("service", "ktrdr-api", "minDuration", "251ms"), nil},
		{"maxDuration", q("service", "ktrdr-api", "operation", "operations.create", "maxDuration", "1ms"), sample},
		{"maxDuration too short", q("service", "ktrdr-api", "operation", "POST /api/v1/training/start", "maxDuration", "2ms"), nil},
		{"start/end around", q("service", "ktrdr-api", "start", itoa(micros(0)), "end", itoa(micros(time.Second))), sample},
		{"start after", q("service", "ktrdr-api", "operation", "POST /api/v1/training/start", "start", itoa(micros(time.Millisecond))), nil},
		{"end before", q("service", "ktrdr-api", "end", itoa(micros(-time.Millisecond))), nil},
		{"lookback from now excludes 2026-01-01", q("service", "ktrdr-api", "lookback", "1h"), lookbackWant(sample)},
		{"lookback custom", q("service", "ktrdr-api", "lookback", "custom"), sample},
		{"limit", q("service", "ktrdr-api", "limit", "1"), sample},
		{"traceID params", q("traceID", sampleTraceID, "traceID", "11000000000000000000000000000022"), append(slices.Clone(sample), other...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, code := getJSON[tracesResponse](t, c.queryURL, "/api/traces?"+tc.query)
			if code != 200 || r.Errors != nil || r.Data == nil {
				t.Fatalf("status %d, %+v", code, r)
			}
			if got := traceIDsOf(r); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	// Unknown ids among traceID params are reported next to the found ones.
	r, code := getJSON[tracesResponse](t, c.queryURL, "/api/traces?"+q("traceID", "af7651916cd43dd8448eb211c80319c", "traceID", "1"))
	if code != 200 || !slices.Equal(traceIDsOf(r), sample) || len(r.Errors) != 1 ||
		r.Errors[0] != (jaegerapi.Error{Msg: "trace not found", TraceID: "00000000000000000000000000000001"}) {
		t.Errorf("traceID params with an unknown id: %d %+v", code, r)
	}
}

// lookbackWant is want when the sample (2026-01-01) lies within the last
// hour, which it does not unless the clock says so.
func lookbackWant(sample []string) []string {
	if time.Since(sampleBase) < time.Hour {
		return sample
	}
	return nil
}
