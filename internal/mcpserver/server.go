// Package mcpserver is ktrdr's MCP server: the tools an AI agent uses to
// drive the platform (list strategies and data, load data, train, backtest,
// watch and cancel operations, read results and traces) over the Model
// Context Protocol, built on the official Go SDK.
//
// Every tool is a thin, bounded view of one or two API calls through
// apiclient. Each tool call is a root span "mcp.tool.{name}" (attributes
// mcp.tool, and operation.id when the call starts or names an operation) of
// service ktrdr-mcp-server; the API calls it makes are its children, so a
// start_training call is one trace from the agent's call through the API and
// the training worker to the market-data host.
//
// Bad input is a tool error (an IsError result whose text names the field),
// never a protocol error, so the agent can read it and correct itself.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/buildinfo"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// ServiceName is the MCP server's service.name.
const ServiceName = "ktrdr-mcp-server"

// SpanPrefix starts the name of every tool call's span: mcp.tool.{name}.
const SpanPrefix = "mcp.tool."

const tracerName = "github.com/ktrdr/ktrdr/internal/mcpserver"

// Config wires the server to the platform.
type Config struct {
	API *apiclient.Client // the ktrdr API (required)
	// Traces reads the trace backend's query API (Jaeger's HTTP API or the
	// embedded collector) for get_operation_trace; nil: that tool says so.
	Traces *jaegerapi.Client
	// TracerProvider makes the tool spans; nil: the global provider.
	TracerProvider trace.TracerProvider
	// Logger receives the SDK's log at debug level (it calls a session's
	// normal end an error); stderr only: stdout is the protocol. nil: discarded.
	Logger  *slog.Logger
	Version string // reported to clients; default: the build version
}

// server holds what the tool handlers need.
type server struct {
	api    *apiclient.Client
	traces *jaegerapi.Client
	tracer trace.Tracer
	tools  map[string]*mcp.Tool // by name, for error messages
}

// New returns the MCP server with every tool registered. Run it with
// Server.Run on a transport (mcp.StdioTransport for `ktrdr mcp`).
func New(cfg Config) *mcp.Server {
	if cfg.API == nil {
		panic("mcpserver: Config.API is nil")
	}
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	version := cfg.Version
	if version == "" {
		version = buildinfo.Version()
	}
	s := &server{
		api: cfg.API, traces: cfg.Traces,
		tracer: tp.Tracer(tracerName, trace.WithInstrumentationVersion(version)),
		tools:  map[string]*mcp.Tool{},
	}
	var logger *slog.Logger
	if cfg.Logger != nil {
		logger = slog.New(debugHandler{cfg.Logger.Handler()})
	}
	ms := mcp.NewServer(&mcp.Implementation{Name: "ktrdr", Title: "ktrdr trading research", Version: version},
		&mcp.ServerOptions{Instructions: instructions, Logger: logger})
	s.register(ms)
	ms.AddReceivingMiddleware(s.traceTools)
	return ms
}

const instructions = `ktrdr is a distributed research platform for algorithmic trading: it loads
market data, trains fuzzy-neural strategies on training workers and backtests
them on backtest workers. Typical session:
  1. health, list_strategies, list_symbols (what can be loaded / is loaded)
  2. start_training {strategy} → operation_id; get_operation until completed
  3. list_models; start_backtest {strategy} → operation_id; get_operation
  4. get_backtest_results {operation_id} for metrics, trades and equity
Rule-based strategies (kind "rule") need no training. Work runs in the
background as operations: start_* tools return at once with an operation_id
and a trace_id; get_operation_trace shows where the time went, across every
service. Dates are YYYY-MM-DD or RFC 3339, in UTC.`

// traceTools makes every tools/call a root span mcp.tool.{name} whose
// context reaches the handler (and, through it, every API call), and turns
// the SDK's schema validation errors into messages naming the field.
func (s *server) traceTools(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		call, ok := req.(*mcp.CallToolRequest)
		if method != "tools/call" || !ok || call.Params == nil {
			return next(ctx, method, req)
		}
		name := call.Params.Name
		tool := s.tools[name]
		spanName := SpanPrefix + name
		if tool == nil {
			spanName = SpanPrefix + "unknown" // no span name per made-up tool
		}
		attrs := []attribute.KeyValue{
			attribute.String("mcp.tool", name),
			attribute.String("mcp.method.name", method),
			attribute.String("gen_ai.tool.name", name),
			attribute.String("gen_ai.operation.name", "execute_tool"),
		}
		if call.Session != nil && call.Session.ID() != "" {
			attrs = append(attrs, attribute.String("mcp.session.id", call.Session.ID()))
		}
		if id := operationIDArgument(call.Params.Arguments); id != "" {
			attrs = append(attrs, attribute.String("operation.id", id))
		}
		opts := []trace.SpanStartOption{trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...)}
		// A client that propagates its own context in _meta (SEP-414) gets a
		// link to it; the tool call still starts its own trace.
		if link, ok := metaLink(ctx, call.Params.Meta); ok {
			opts = append(opts, trace.WithLinks(link))
		}
		ctx, span := s.tracer.Start(ctx, spanName, opts...)
		defer span.End()

		res, err := next(ctx, method, req)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
			return res, err
		}
		if r, ok := res.(*mcp.CallToolResult); ok && r.IsError {
			msg := resultText(r)
			if clear, ok := clarifySchemaError(msg, tool); ok {
				msg = clear
				r.Content = []mcp.Content{&mcp.TextContent{Text: msg}}
			}
			span.RecordError(errors.New(msg))
			span.SetStatus(codes.Error, msg)
		}
		return res, err
	}
}

// operationIDArgument is the operation_id argument of a call, if any.
func operationIDArgument(raw any) string {
	b, ok := raw.(json.RawMessage)
	if !ok || len(b) == 0 {
		return ""
	}
	var args struct {
		OperationID any `json:"operation_id"`
	}
	if json.Unmarshal(b, &args) != nil {
		return ""
	}
	id, _ := args.OperationID.(string)
	if len(id) > 128 {
		return ""
	}
	return id
}

// metaLink reads a W3C traceparent a client put in the request's _meta.
func metaLink(ctx context.Context, meta mcp.Meta) (trace.Link, bool) {
	if len(meta) == 0 {
		return trace.Link{}, false
	}
	carrier := propagation.MapCarrier{}
	for _, k := range []string{"traceparent", "tracestate"} {
		if v, ok := meta[k].(string); ok {
			carrier[k] = v
		}
	}
	if carrier["traceparent"] == "" {
		return trace.Link{}, false
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, carrier))
	if !sc.IsValid() {
		return trace.Link{}, false
	}
	return trace.Link{SpanContext: sc}, true
}

func resultText(r *mcp.CallToolResult) string {
	var parts []string
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// markOperation records the operation a tool call started or acted on.
func markOperation(ctx context.Context, id string) {
	if id != "" {
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("operation.id", id))
	}
}

// fieldError is a tool error naming the argument at fault: "invalid
// {field}: {problem}". A message that already starts with the field's name
// is not made to repeat it.
func fieldError(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if strings.HasPrefix(msg, "invalid "+field+" ") || strings.HasPrefix(msg, "invalid "+field+":") {
		return errors.New(msg)
	}
	if rest, ok := strings.CutPrefix(msg, field+": "); ok {
		msg = rest
	} else if rest, ok := strings.CutPrefix(msg, field+" "); ok {
		msg = rest
	}
	return fmt.Errorf("invalid %s: %s", field, msg)
}

// debugHandler logs every record at debug level.
type debugHandler struct{ slog.Handler }

func (h debugHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return h.Handler.Enabled(ctx, slog.LevelDebug)
}

func (h debugHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return h.Handler.Handle(ctx, r)
}

func (h debugHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return debugHandler{h.Handler.WithAttrs(attrs)}
}

func (h debugHandler) WithGroup(name string) slog.Handler {
	return debugHandler{h.Handler.WithGroup(name)}
}
