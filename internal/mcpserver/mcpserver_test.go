package mcpserver_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/backtesting"
	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/dispatch"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/mcpserver"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// fixture is a real API (in-memory operations, embedded strategies, a
// model store in a temporary directory, the real market-data host) behind
// the MCP server, reached by the SDK's client over in-memory transports.
// Every span of the test process is recorded.
type fixture struct {
	rec    *tracetest.SpanRecorder
	store  operations.Store
	client *mcp.ClientSession
	traces map[string]jaegerapi.Trace // what the fake query API serves
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{rec: tracetest.NewSpanRecorder(), traces: map[string]jaegerapi.Trace{}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.rec))
	// The API's server spans and the clients' spans use the globals, as in
	// every ktrdr process (telemetry.Setup installs them).
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	host := httptest.NewServer(ibhost.New(httpx.Info{Service: ibhost.ServiceName}).Handler())
	t.Cleanup(host.Close)
	client := telemetry.NewHTTPClient(10 * time.Second)
	f.store = operations.NewMemoryStore()
	reg := registry.New(time.Minute)
	disp := dispatch.New(dispatch.Config{Store: f.store, Registry: reg, HTTP: client, Tracer: tp.Tracer("dispatch")})
	go disp.Run(ctx)
	loader := &dataload.Loader{Store: &dataload.Store{Dir: t.TempDir()}, Host: &ibhost.Client{BaseURL: host.URL, HTTP: client},
		Ops: f.store, Tracer: tp.Tracer("dataload"), Logger: slog.New(slog.DiscardHandler), Now: time.Now}
	modelStore, err := models.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	apiSrv := httptest.NewServer(api.New(api.Config{Info: httpx.Info{Service: api.ServiceName, Version: "test"}, Client: client,
		Store: f.store, Registry: reg, Dispatcher: disp, Loader: loader, Bars: loader.Store, Strategies: strategy.Catalog{},
		Models: modelStore, Host: loader.Host, Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(apiSrv.Close)
	t.Cleanup(loader.Shutdown)

	query := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr, ok := f.traces[strings.TrimPrefix(r.URL.Path, "/api/traces/")]
		if !ok {
			httpx.WriteJSON(w, http.StatusNotFound, jaegerapi.Response[any]{Errors: []jaegerapi.Error{{Code: 404, Msg: "trace not found"}}})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, jaegerapi.Response[[]jaegerapi.Trace]{Data: []jaegerapi.Trace{tr}})
	}))
	t.Cleanup(query.Close)

	srv := mcpserver.New(mcpserver.Config{API: apiclient.New(apiSrv.URL), Traces: jaegerapi.NewClient(query.URL), TracerProvider: tp})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	f.client, err = mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.client.Close() })
	return f
}

// call calls a tool; a protocol error fails the test.
func (f *fixture) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	res, err := f.client.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s %v: protocol error %v", name, args, err)
	}
	return res
}

// ok calls a tool that must succeed and decodes its structured output.
func (f *fixture) ok(t *testing.T, name string, args map[string]any, out any) string {
	t.Helper()
	res := f.call(t, name, args)
	if res.IsError {
		t.Fatalf("%s %v: tool error %s", name, args, textOf(res))
	}
	b, _ := json.Marshal(res.StructuredContent)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured content %s: %v", name, b, err)
		}
	}
	return textOf(res)
}

func textOf(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

var allTools = []string{"health", "list_symbols", "list_strategies", "get_strategy", "list_indicators", "list_models", "list_workers",
	"get_market_data", "start_data_load", "start_training", "start_backtest", "get_operation", "list_operations", "cancel_operation",
	"get_backtest_results", "get_operation_trace"}

// TestToolsListed: every tool is listed with a description, an object
// input schema whose every argument is described, and an output schema;
// bounds, enums and defaults are in the schema.
func TestToolsListed(t *testing.T) {
	f := newFixture(t)
	res, err := f.client.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	schemas := map[string]map[string]any{}
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if len(tool.Description) < 40 {
			t.Errorf("%s: description %q is too thin", tool.Name, tool.Description)
		}
		if tool.OutputSchema == nil {
			t.Errorf("%s: no output schema", tool.Name)
		}
		if tool.Annotations == nil {
			t.Errorf("%s: no annotations", tool.Name)
		}
		in, _ := tool.InputSchema.(map[string]any)
		if in["type"] != "object" {
			t.Errorf("%s: input schema %v", tool.Name, tool.InputSchema)
		}
		props, _ := in["properties"].(map[string]any)
		for name, p := range props {
			if d, _ := p.(map[string]any)["description"].(string); len(d) < 5 {
				t.Errorf("%s.%s: no description", tool.Name, name)
			}
		}
		schemas[tool.Name] = props
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(allTools))
	if !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}
	limit := schemas["get_market_data"]["limit"].(map[string]any)
	if limit["maximum"] != 1000.0 || limit["default"] != 100.0 || limit["minimum"] != 1.0 {
		t.Errorf("get_market_data.limit schema %v", limit)
	}
	if tf := schemas["get_market_data"]["timeframe"].(map[string]any); len(tf["enum"].([]any)) != 8 {
		t.Errorf("timeframe enum %v", tf)
	}
	if ol := schemas["list_operations"]["limit"].(map[string]any); ol["maximum"] != 100.0 {
		t.Errorf("list_operations.limit schema %v", ol)
	}
	if id := schemas["get_operation"]["operation_id"].(map[string]any); id["pattern"] == nil {
		t.Errorf("operation_id schema %v", id)
	}
}

// TestBadInputIsAToolError: bad arguments — refused by the schema, by the
// tool or by the API — are tool errors (IsError, no protocol error) whose
// message names the argument, and the call's span is an error.
func TestBadInputIsAToolError(t *testing.T) {
	f := newFixture(t)
	f.ok(t, "start_training", map[string]any{"strategy": "rsi_mean_reversion"}, nil)
	var ops mcpserver.OperationsOut
	f.ok(t, "list_operations", nil, &ops)
	for _, c := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"start_training", map[string]any{"strategy": "nope"}, []string{"invalid strategy", `"nope"`, "list_strategies"}},
		{"start_training", map[string]any{}, []string{"missing required argument strategy", "start_training takes strategy (required)"}},
		{"start_training", map[string]any{"strategy": "rsi_mean_reversion", "timeframes": []string{"2d"}}, []string{"invalid timeframes[]", `"2d"`, "1d"}},
		{"start_training", map[string]any{"strategy": "rsi_mean_reversion", "start": "yesterday"}, []string{"invalid start"}},
		{"get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d", "limit": 5000}, []string{"invalid limit: must be at most 1000, got 5000"}},
		{"get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d", "limit": 0}, []string{"invalid limit: must be at least 1, got 0"}},
		{"get_market_data", map[string]any{"timeframe": "1d"}, []string{"missing required argument symbol"}},
		{"get_market_data", map[string]any{"symbol": "SPX", "timeframe": "2d"}, []string{"invalid timeframe", `"2d"`}},
		{"get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d", "limit": "ten"}, []string{`invalid limit: must be integer, got string ten`}},
		{"start_backtest", map[string]any{"strategy": "sma_crossover", "commission": "high"}, []string{`invalid commission: must be number, got string high`}},
		{"get_market_data", map[string]any{"symbol": "a/b", "timeframe": "1d"}, []string{"invalid symbol", "not allowed"}},
		{"get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d"}, []string{"invalid symbol", "no SPX 1d data loaded", "start_data_load"}},
		{"get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d", "start": "soon"}, []string{"invalid start"}},
		{"start_data_load", map[string]any{"symbol": "SPX", "timeframe": "1d", "mode": "sideways"}, []string{"invalid mode", "tail"}},
		{"start_data_load", map[string]any{"symbol": "", "timeframe": "1d"}, []string{"invalid symbol", "must not be empty"}},
		{"list_operations", map[string]any{"limit": 500}, []string{"invalid limit: must be at most 100, got 500"}},
		{"list_operations", map[string]any{"status": "done"}, []string{"invalid status", "pending"}},
		{"get_operation", map[string]any{"operation_id": "nope"}, []string{"invalid operation_id", `"nope"`}},
		{"get_operation", map[string]any{"operation_id": "op_training_20260101_000000_00000000"}, []string{"not found"}},
		{"cancel_operation", map[string]any{}, []string{"missing required argument operation_id"}},
		{"start_backtest", map[string]any{"strategy": "rsi_mean_reversion", "fill": "later"}, []string{"invalid fill", "next_open"}},
		{"start_backtest", map[string]any{"strategy": "rsi_mean_reversion"}, []string{"invalid model_version", "train it first"}},
		{"start_backtest", map[string]any{"strategy": "sma_crossover", "initial_capital": -5}, []string{"invalid initial_capital"}},
		{"get_backtest_results", map[string]any{"operation_id": ops.Operations[0].OperationID}, []string{"not a backtest"}},
		{"get_backtest_results", map[string]any{"operation_id": ops.Operations[0].OperationID, "trades_limit": 1000}, []string{"invalid trades_limit"}},
		{"get_strategy", map[string]any{"name": "nope"}, []string{"invalid name", `"nope"`, "list_strategies"}},
		{"health", map[string]any{"bogus": 1}, []string{`unknown argument "bogus"`, "health takes no arguments"}},
		{"list_models", map[string]any{"strategy": "x", "verbose": true}, []string{`unknown argument "verbose"`, "list_models takes strategy, limit"}},
	} {
		res := f.call(t, c.tool, c.args)
		msg := textOf(res)
		t.Logf("%s %v → %s", c.tool, c.args, msg)
		if !res.IsError {
			t.Errorf("%s %v: no tool error: %s", c.tool, c.args, msg)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s %v: %q lacks %q", c.tool, c.args, msg, w)
			}
		}
		if strings.Contains(msg, "validating") || strings.Contains(msg, "/properties/") {
			t.Errorf("%s %v: raw schema error %q", c.tool, c.args, msg)
		}
	}
	// The failed calls' spans are errors, with the message.
	for _, s := range f.rec.Ended() {
		if s.Name() == "mcp.tool.get_market_data" && s.Status().Code == codes.Error && strings.Contains(s.Status().Description, "must be at most 1000") {
			return
		}
	}
	t.Error("no error span for get_market_data with limit 5000")
}

// spanWait returns the ended span satisfying ok, waiting for it a little
// (a server span ends just after its answer is written).
func (f *fixture) spanWait(t *testing.T, what string, ok func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, s := range f.rec.Ended() {
			if ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range f.rec.Ended() {
				names = append(names, s.Name()+"@"+s.SpanContext().TraceID().String()[:8])
			}
			t.Fatalf("no span %s among %v", what, names)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// ancestors are the names of s's ancestors among the recorded spans, nearest first.
func (f *fixture) ancestors(s sdktrace.ReadOnlySpan) []string {
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, sp := range f.rec.Ended() {
		byID[sp.SpanContext().SpanID()] = sp
	}
	var out []string
	for p, ok := byID[s.Parent().SpanID()]; ok && len(out) < 20; p, ok = byID[p.Parent().SpanID()] {
		out = append(out, p.Name())
	}
	return out
}

// TestToolCallSpans: every tool call is a root span mcp.tool.{name} with
// mcp.tool and operation.id; the API request it makes carries its
// traceparent, so the API's server span is in the same trace, below it, and
// the operation's trace id is the call's.
func TestToolCallSpans(t *testing.T) {
	f := newFixture(t)
	var start mcpserver.StartOut
	f.ok(t, "start_training", map[string]any{"strategy": "rsi_mean_reversion"}, &start)
	if start.OperationID == "" || start.Status != "pending" || len(start.TraceID) != 32 {
		t.Fatalf("start_training answered %+v", start)
	}
	root := f.spanWait(t, "mcp.tool.start_training", func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "mcp.tool.start_training" })
	if root.Parent().IsValid() || root.SpanKind() != trace.SpanKindServer {
		t.Errorf("tool span has parent %v, kind %v", root.Parent(), root.SpanKind())
	}
	if attr(root, "mcp.tool") != "start_training" || attr(root, "operation.id") != start.OperationID {
		t.Errorf("tool span attributes %v", root.Attributes())
	}
	if got := root.SpanContext().TraceID().String(); got != start.TraceID {
		t.Errorf("operation trace %s, tool call trace %s", start.TraceID, got)
	}
	srv := f.spanWait(t, "POST /api/v1/training/start (server)", func(s sdktrace.ReadOnlySpan) bool {
		return s.Name() == "POST /api/v1/training/start" && s.SpanKind() == trace.SpanKindServer
	})
	if srv.SpanContext().TraceID() != root.SpanContext().TraceID() {
		t.Fatalf("API server span in trace %s, tool call in %s", srv.SpanContext().TraceID(), root.SpanContext().TraceID())
	}
	if anc := f.ancestors(srv); len(anc) == 0 || anc[len(anc)-1] != "mcp.tool.start_training" {
		t.Errorf("API server span's ancestors %v do not end at the tool call", anc)
	}

	// A call naming an operation: its own trace, with operation.id.
	f.ok(t, "get_operation", map[string]any{"operation_id": start.OperationID}, nil)
	get := f.spanWait(t, "mcp.tool.get_operation", func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "mcp.tool.get_operation" })
	if get.Parent().IsValid() || get.SpanContext().TraceID() == root.SpanContext().TraceID() || attr(get, "operation.id") != start.OperationID {
		t.Errorf("get_operation span: parent %v, trace %s, attributes %v", get.Parent(), get.SpanContext().TraceID(), get.Attributes())
	}
	f.spanWait(t, "GET /api/v1/operations/{id} in get_operation's trace", func(s sdktrace.ReadOnlySpan) bool {
		return s.Name() == "GET /api/v1/operations/{id}" && s.SpanKind() == trace.SpanKindServer && s.SpanContext().TraceID() == get.SpanContext().TraceID()
	})

	// A client's own trace context in _meta is a link; the call is still a root.
	const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	if _, err := f.client.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_workers", Arguments: map[string]any{},
		Meta: mcp.Meta{"traceparent": "00-" + clientTrace + "-00f067aa0ba902b7-01"}}); err != nil {
		t.Fatal(err)
	}
	linked := f.spanWait(t, "mcp.tool.list_workers", func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "mcp.tool.list_workers" })
	if linked.Parent().IsValid() || len(linked.Links()) != 1 || linked.Links()[0].SpanContext.TraceID().String() != clientTrace {
		t.Errorf("list_workers with _meta.traceparent: parent %v, links %v", linked.Parent(), linked.Links())
	}

	// An unknown tool is a protocol error, traced under one name.
	if _, err := f.client.CallTool(context.Background(), &mcp.CallToolParams{Name: "no_such_tool"}); err == nil {
		t.Error("unknown tool: no error")
	}
	unknown := f.spanWait(t, "mcp.tool.unknown", func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "mcp.tool.unknown" })
	if attr(unknown, "mcp.tool") != "no_such_tool" || unknown.Status().Code != codes.Error {
		t.Errorf("unknown tool span: %v %v", unknown.Attributes(), unknown.Status())
	}

	// Two calls are two traces; a call without an operation has no operation.id.
	f.ok(t, "list_strategies", nil, nil)
	f.ok(t, "list_strategies", nil, nil)
	var lists []sdktrace.ReadOnlySpan
	deadline := time.Now().Add(5 * time.Second)
	for len(lists) < 2 && time.Now().Before(deadline) {
		lists = nil
		for _, s := range f.rec.Ended() {
			if s.Name() == "mcp.tool.list_strategies" {
				lists = append(lists, s)
			}
		}
	}
	if len(lists) != 2 || lists[0].SpanContext().TraceID() == lists[1].SpanContext().TraceID() || attr(lists[0], "operation.id") != "" {
		t.Errorf("list_strategies spans %d, same trace or operation.id set", len(lists))
	}
}

// TestWorkflow: load data, read it back in pages, list what is there, and
// start and cancel a training that waits for a worker.
func TestWorkflow(t *testing.T) {
	f := newFixture(t)
	var h mcpserver.HealthOut
	if txt := f.ok(t, "health", nil, &h); h.Status != "ok" || h.Service != api.ServiceName || !strings.Contains(txt, "no workers registered") {
		t.Errorf("health: %+v %q", h, txt)
	}

	var load mcpserver.StartOut
	f.ok(t, "start_data_load", map[string]any{"symbol": "spx", "timeframe": "1d", "mode": "full"}, &load)
	op := waitOperation(t, f, load.OperationID, "completed")
	if !strings.Contains(op.text, "bars added") || op.out.Result == nil {
		t.Errorf("data load: %q %+v", op.text, op.out)
	}

	var page mcpserver.MarketDataOut
	txt := f.ok(t, "get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d", "limit": 5}, &page)
	if len(page.Bars) != 5 || page.Total < 5000 || page.NextOffset != 5 || page.Bars[0].Close <= 0 || !strings.Contains(txt, "bars 1-5 of") {
		t.Errorf("first page: %d bars, total %d, next %d: %q", len(page.Bars), page.Total, page.NextOffset, txt)
	}
	f.ok(t, "get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d"}, &page)
	if len(page.Bars) != mcpserver.BarsDefault {
		t.Errorf("default page: %d bars", len(page.Bars))
	}
	page = mcpserver.MarketDataOut{}
	f.ok(t, "get_market_data", map[string]any{"symbol": "SPX", "timeframe": "1d", "start": "2020-01-01", "end": "2020-01-31", "limit": 1000}, &page)
	if len(page.Bars) < 15 || len(page.Bars) > 23 || page.NextOffset != 0 {
		t.Errorf("January 2020: %d bars, next %d", len(page.Bars), page.NextOffset)
	}

	var syms mcpserver.SymbolsOut
	f.ok(t, "list_symbols", nil, &syms)
	if !slices.ContainsFunc(syms.Symbols, func(s mcpserver.SymbolOut) bool { return s.Symbol == "SPX" }) ||
		len(syms.Loaded) != 1 || syms.Loaded[0].Symbol != "SPX" || syms.Loaded[0].Rows < 5000 {
		t.Errorf("symbols %+v", syms)
	}

	var strategies mcpserver.StrategiesOut
	f.ok(t, "list_strategies", nil, &strategies)
	var kinds []string
	for _, s := range strategies.Strategies {
		kinds = append(kinds, s.Name+":"+s.Kind)
	}
	if !slices.Contains(kinds, "rsi_mean_reversion:model") || !slices.Contains(kinds, "sma_crossover:rule") {
		t.Errorf("strategies %v", kinds)
	}
	var st mcpserver.StrategyDetailOut
	f.ok(t, "get_strategy", map[string]any{"name": "rsi_mean_reversion"}, &st)
	if len(st.Features) == 0 || !strings.Contains(st.YAML, "rsi_mean_reversion") || len(st.Indicators) == 0 {
		t.Errorf("strategy %+v", st)
	}
	var inds mcpserver.IndicatorsOut
	f.ok(t, "list_indicators", nil, &inds)
	if len(inds.Indicators) < 10 {
		t.Errorf("%d indicators", len(inds.Indicators))
	}
	var ms mcpserver.ModelsOut
	if txt := f.ok(t, "list_models", nil, &ms); ms.Total != 0 || !strings.Contains(txt, "start_training") {
		t.Errorf("models %+v %q", ms, txt)
	}
	var ws mcpserver.WorkersOut
	f.ok(t, "list_workers", nil, &ws)
	if len(ws.Workers) != 0 {
		t.Errorf("workers %+v", ws)
	}

	var train mcpserver.StartOut
	if txt := f.ok(t, "start_training", map[string]any{"strategy": "rsi_mean_reversion", "seed": 7}, &train); !strings.Contains(txt, "queued") {
		t.Errorf("start_training text %q", txt)
	}
	var cancel mcpserver.CancelOut
	f.ok(t, "cancel_operation", map[string]any{"operation_id": train.OperationID}, &cancel)
	if cancel.Status != "cancelled" || cancel.CancelRequested {
		t.Errorf("cancel %+v", cancel)
	}
	var ops mcpserver.OperationsOut
	f.ok(t, "list_operations", map[string]any{"type": "training", "status": "cancelled"}, &ops)
	if ops.Total != 1 || len(ops.Operations) != 1 || ops.Operations[0].OperationID != train.OperationID {
		t.Errorf("cancelled trainings %+v", ops)
	}
	f.ok(t, "list_operations", map[string]any{"limit": 1}, &ops)
	if ops.Total != 2 || len(ops.Operations) != 1 {
		t.Errorf("limit 1: %+v", ops)
	}
	var got mcpserver.OperationOut
	f.ok(t, "get_operation", map[string]any{"operation_id": train.OperationID}, &got)
	p, _ := got.Params.(map[string]any)
	if p["strategy"] != "rsi_mean_reversion" || p["strategy_yaml"] != nil || p["seed"] != 7.0 {
		t.Errorf("params %v", got.Params)
	}
}

type opState struct {
	out  mcpserver.OperationOut
	text string
}

func waitOperation(t *testing.T, f *fixture, id, status string) opState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st opState
		st.text = f.ok(t, "get_operation", map[string]any{"operation_id": id}, &st.out)
		if st.out.Status == status {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s: %q, want %s", id, st.text, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBacktestResults: a completed backtest's results come in small pages;
// get_operation cuts its long lists and says so.
func TestBacktestResults(t *testing.T) {
	f := newFixture(t)
	day := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)
	res := backtesting.Result{Strategy: "sma_crossover", Symbol: "SPX", Timeframe: "1d", Model: "rule:sma_crossover", Start: day, End: day.AddDate(0, 0, 2999), Bars: 3000,
		Metrics: backtest.Metrics{TotalReturn: 0.25, Sharpe: 1.1, NumTrades: 150, FinalEquity: 125000}, Signals: map[string]int{"BUY": 150, "SELL": 150}}
	for i := range 150 {
		res.Trades = append(res.Trades, backtest.Trade{Side: "long", EntryTime: day.AddDate(0, 0, i*20), ExitTime: day.AddDate(0, 0, i*20+5), EntryBar: i * 20, ExitBar: i*20 + 5, PnL: float64(i)})
	}
	for i := range 3000 {
		res.Equity = append(res.Equity, backtest.EquityPoint{Time: day.AddDate(0, 0, i), Equity: 100000 + float64(i)})
	}
	raw, _ := json.Marshal(res)
	now := time.Now().UTC()
	id := operations.NewID(operations.TypeBacktesting, now)
	if err := f.store.Create(context.Background(), &operations.Operation{ID: id, Type: operations.TypeBacktesting, Status: operations.StatusCompleted,
		WorkerType: "backtest", CreatedAt: now, CompletedAt: &now, Progress: operations.Progress{Percentage: 100}, Params: json.RawMessage(`{"strategy":"sma_crossover","strategy_yaml":"..."}`),
		Result: raw, TraceID: "0123456789abcdef0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}

	var out mcpserver.BacktestResultsOut
	txt := f.ok(t, "get_backtest_results", map[string]any{"operation_id": id}, &out)
	r := out.Result
	if r == nil || len(r.Trades) != mcpserver.TradesDefault || r.TradesTotal != 150 || len(r.Equity) != mcpserver.EquityDefault || r.EquityTotal != 3000 {
		t.Fatalf("default page: %+v", out)
	}
	if m, _ := r.Metrics.(map[string]any); m["sharpe"] != 1.1 || !strings.Contains(txt, "total return 25.00%") || !strings.Contains(txt, "Trades 1-20 of 150") {
		t.Errorf("metrics %v, text %q", r.Metrics, txt)
	}
	f.ok(t, "get_backtest_results", map[string]any{"operation_id": id, "trades_offset": 140, "equity_offset": 2990, "equity_limit": 1000}, &out)
	if r := out.Result; len(r.Trades) != 10 || r.TradesOffset != 140 || len(r.Equity) != 10 {
		t.Errorf("last page: %d trades from %d, %d equity points", len(r.Trades), r.TradesOffset, len(r.Equity))
	}

	var op mcpserver.OperationOut
	txt = f.ok(t, "get_operation", map[string]any{"operation_id": id}, &op)
	m, _ := op.Result.(map[string]any)
	trades, _ := m["trades"].([]any)
	if len(trades) != 20 || !strings.Contains(op.ResultOmitted, "trades (150 items)") || !strings.Contains(op.ResultOmitted, "equity_curve (3000 items)") ||
		!strings.Contains(op.ResultOmitted, "get_backtest_results") || !strings.Contains(txt, "sharpe 1.1000") {
		t.Errorf("bounded result: %d trades, omitted %q, text %q", len(trades), op.ResultOmitted, txt)
	}
	if p, _ := op.Params.(map[string]any); p["strategy_yaml"] != nil {
		t.Errorf("params keep the YAML: %v", op.Params)
	}
}

// TestOperationTrace: get_operation_trace reads the operation's trace from
// the query API and draws it as a tree; a trace not there yet is a tool
// error that says to try again.
func TestOperationTrace(t *testing.T) {
	f := newFixture(t)
	var start mcpserver.StartOut
	f.ok(t, "start_training", map[string]any{"strategy": "rsi_mean_reversion"}, &start)
	res := f.call(t, "get_operation_trace", map[string]any{"operation_id": start.OperationID})
	if !res.IsError || !strings.Contains(textOf(res), "try again") {
		t.Errorf("missing trace: %q", textOf(res))
	}

	ref := func(id string) []jaegerapi.Reference {
		return []jaegerapi.Reference{{RefType: jaegerapi.ChildOf, TraceID: start.TraceID, SpanID: id}}
	}
	f.traces[start.TraceID] = jaegerapi.Trace{TraceID: start.TraceID,
		Processes: map[string]jaegerapi.Process{"p1": {ServiceName: "ktrdr-mcp-server"}, "p2": {ServiceName: "ktrdr-api"}, "p3": {ServiceName: "ktrdr-training-worker-t0"}},
		Spans: []jaegerapi.Span{
			{TraceID: start.TraceID, SpanID: "a1", OperationName: "mcp.tool.start_training", ProcessID: "p1", StartTime: 1000, Duration: 5000,
				Tags: []jaegerapi.KeyValue{{Key: "mcp.tool", Type: "string", Value: "start_training"}}},
			{TraceID: start.TraceID, SpanID: "b2", OperationName: "POST /api/v1/training/start", ProcessID: "p2", StartTime: 1100, Duration: 4000, References: ref("a1")},
			{TraceID: start.TraceID, SpanID: "c3", OperationName: "training.run", ProcessID: "p3", StartTime: 1200, Duration: 3000, References: ref("b2"),
				Tags: []jaegerapi.KeyValue{{Key: "otel.status_code", Type: "string", Value: "ERROR"}}},
		}}
	var out mcpserver.TraceOut
	txt := f.ok(t, "get_operation_trace", map[string]any{"operation_id": start.OperationID}, &out)
	if out.Spans != 3 || out.Errors != 1 || !slices.Equal(out.Services, []string{"ktrdr-api", "ktrdr-mcp-server", "ktrdr-training-worker-t0"}) || out.TraceID != start.TraceID {
		t.Errorf("trace summary %+v", out)
	}
	for _, w := range []string{"ktrdr-mcp-server", "mcp.tool.start_training", "ktrdr-api", "POST /api/v1/training/start", "ktrdr-training-worker-t0", "training.run"} {
		if !strings.Contains(txt, w) {
			t.Errorf("tree lacks %q:\n%s", w, txt)
		}
	}
	if strings.Index(txt, "mcp.tool.start_training") > strings.Index(txt, "training.run") || strings.Contains(txt, "\x1b[") {
		t.Errorf("tree order or colour:\n%s", txt)
	}
	span := f.spanWait(t, "mcp.tool.get_operation_trace", func(s sdktrace.ReadOnlySpan) bool {
		return s.Name() == "mcp.tool.get_operation_trace" && s.Status().Code != codes.Error
	})
	if attr(span, "operation.id") != start.OperationID {
		t.Errorf("get_operation_trace span attributes %v", span.Attributes())
	}
}
