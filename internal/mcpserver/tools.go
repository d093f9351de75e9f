package mcpserver

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/tracetree"
)

// Bounds of the paged tools: an agent's context is small, so defaults are
// small and maxima keep one answer readable.
const (
	BarsDefault, BarsMax             = 100, 1000
	OperationsDefault, OperationsMax = 20, 100
	ModelsDefault, ModelsMax         = 20, 100
	TradesDefault, TradesMax         = 20, 200
	EquityDefault, EquityMax         = 100, 1000

	// resultItems is how many items of any list get_operation shows of a
	// result; resultBytes bounds the whole result.
	resultItems = 20
	resultBytes = 32 << 10
	// traceLines bounds the tree get_operation_trace returns.
	traceLines = 300
)

// operationIDPattern is the API's operation id form.
const operationIDPattern = `^op_[a-z_]{1,20}_\d{8}_\d{6}_[0-9a-f]{8}$`

// addTool registers a typed tool whose input schema is inferred from In and
// then refined (bounds, enums, defaults, patterns) by props.
func addTool[In, Out any](s *server, ms *mcp.Server, t *mcp.Tool, props map[string]prop, h mcp.ToolHandlerFor[In, Out]) {
	schema, err := jsonschema.For[In](nil)
	if err != nil {
		panic(fmt.Sprintf("mcpserver: tool %s: %v", t.Name, err))
	}
	for name, p := range props {
		ps := schema.Properties[name]
		if ps == nil {
			panic(fmt.Sprintf("mcpserver: tool %s has no argument %s", t.Name, name))
		}
		p(ps)
	}
	portable(schema, false)
	out, err := jsonschema.For[Out](nil)
	if err != nil {
		panic(fmt.Sprintf("mcpserver: tool %s output: %v", t.Name, err))
	}
	portable(out, true)
	t.InputSchema, t.OutputSchema = schema, out
	s.tools[t.Name] = t
	mcp.AddTool(ms, t, h)
}

// portable rewrites an inferred schema into the single-type dialect most
// clients and model providers accept (the MCP Inspector's --strict checks
// it): a slice is an "array" (never null: inputs omit it, outputs are never
// nil), an input pointer is its element's type (omit it rather than send
// null), an output pointer is anyOf null and its type, and a free-form value
// (metrics, params, results) is an "object".
func portable(s *jsonschema.Schema, output bool) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && s.Types[0] == "null" {
		typ := s.Types[1]
		s.Types = nil
		if output && typ != "array" {
			branch := *s
			branch.Type, branch.Description = typ, ""
			portable(&branch, output)
			*s = jsonschema.Schema{Description: s.Description, AnyOf: []*jsonschema.Schema{{Type: "null"}, &branch}}
			return
		}
		s.Type = typ
	}
	bare := *s
	bare.Description = ""
	if reflect.DeepEqual(bare, jsonschema.Schema{}) {
		s.Type = "object"
	}
	for _, p := range s.Properties {
		portable(p, output)
	}
	portable(s.Items, output)
	if ap := s.AdditionalProperties; ap != nil && !reflect.DeepEqual(*ap, jsonschema.Schema{}) {
		portable(ap, output)
	}
}

// prop refines one property's schema.
type prop func(*jsonschema.Schema)

func intRange(lo, hi, def int) prop {
	return func(s *jsonschema.Schema) {
		s.Minimum = jsonschema.Ptr(float64(lo))
		if hi > 0 {
			s.Maximum = jsonschema.Ptr(float64(hi))
		}
		if def > 0 {
			s.Default = json.RawMessage(strconv.Itoa(def))
		}
	}
}

func oneOf(values ...string) prop {
	return func(s *jsonschema.Schema) {
		for _, v := range values {
			s.Enum = append(s.Enum, v)
		}
	}
}

// itemsOneOf is oneOf for every item of an array.
func itemsOneOf(values ...string) prop {
	return func(s *jsonschema.Schema) { oneOf(values...)(s.Items) }
}

func matching(pattern string) prop {
	return func(s *jsonschema.Schema) { s.Pattern = pattern }
}

func nonEmpty(s *jsonschema.Schema) { s.MinLength = jsonschema.Ptr(1) }

func both(ps ...prop) prop {
	return func(s *jsonschema.Schema) {
		for _, p := range ps {
			p(s)
		}
	}
}

var (
	timeframes       = tfNames()
	operationID      = both(nonEmpty, matching(operationIDPattern))
	readOnly         = &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: jsonschema.Ptr(false)}
	startsWork       = &mcp.ToolAnnotations{DestructiveHint: jsonschema.Ptr(false), OpenWorldHint: jsonschema.Ptr(false)}
	operationStatus  = []string{"pending", "running", "completed", "failed", "cancelled"}
	operationTypes   = []string{"data_load", "training", "backtesting", "dummy"}
	cancelAnnotation = &mcp.ToolAnnotations{DestructiveHint: jsonschema.Ptr(true), IdempotentHint: true, OpenWorldHint: jsonschema.Ptr(false)}
)

func tfNames() []string {
	out := make([]string, len(marketdata.Timeframes))
	for i, tf := range marketdata.Timeframes {
		out[i] = string(tf)
	}
	return out
}

// text is a result whose text content is a short summary; the structured
// content is the tool's output.
func text(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}

func (s *server) register(ms *mcp.Server) {
	addTool(s, ms, &mcp.Tool{Name: "health", Title: "API health", Annotations: readOnly,
		Description: "Check that the ktrdr API is up and which workers are registered. Call it first: training needs a training worker, backtests a backtest worker."},
		nil, s.health)
	addTool(s, ms, &mcp.Tool{Name: "list_symbols", Title: "List symbols", Annotations: readOnly,
		Description: "List the symbols the market-data host can serve (start_data_load fetches them) and the series already loaded into the backend (get_market_data reads those)."},
		nil, s.listSymbols)
	addTool(s, ms, &mcp.Tool{Name: "list_strategies", Title: "List strategies", Annotations: readOnly,
		Description: "List the trading strategies: name, description, kind (model: train before backtesting; rule: backtest directly), symbols and timeframes."},
		nil, s.listStrategies)
	addTool(s, ms, &mcp.Tool{Name: "get_strategy", Title: "Get a strategy", Annotations: readOnly,
		Description: "Show one strategy: its indicators, model input features, hash and YAML."},
		map[string]prop{"name": nonEmpty}, s.getStrategy)
	addTool(s, ms, &mcp.Tool{Name: "list_indicators", Title: "List indicators", Annotations: readOnly,
		Description: "List the technical indicators a strategy can use, with their parameters and outputs."},
		nil, s.listIndicators)
	addTool(s, ms, &mcp.Tool{Name: "list_models", Title: "List trained models", Annotations: readOnly,
		Description: "List trained model versions, newest first, with their test accuracy against the majority-class baseline. start_backtest uses the latest version of a strategy's model unless told otherwise."},
		map[string]prop{"limit": intRange(1, ModelsMax, ModelsDefault)}, s.listModels)
	addTool(s, ms, &mcp.Tool{Name: "list_workers", Title: "List workers", Annotations: readOnly,
		Description: "List the registered training and backtest workers: state (idle, busy, lost) and the operation each runs."},
		nil, s.listWorkers)
	addTool(s, ms, &mcp.Tool{Name: "get_market_data", Title: "Get market data", Annotations: readOnly,
		Description: fmt.Sprintf("Read a page of OHLCV bars the backend has loaded (oldest first): at most %d bars per call (default %d); page with offset. Load data first with start_data_load.", BarsMax, BarsDefault)},
		map[string]prop{"symbol": nonEmpty, "timeframe": oneOf(timeframes...), "limit": intRange(1, BarsMax, BarsDefault), "offset": intRange(0, 0, 0)}, s.getMarketData)
	addTool(s, ms, &mcp.Tool{Name: "start_data_load", Title: "Start a data load", Annotations: startsWork,
		Description: "Start loading bars of a symbol from the market-data host into the backend. Returns at once with operation_id and trace_id; follow it with get_operation."},
		map[string]prop{"symbol": nonEmpty, "timeframe": oneOf(timeframes...), "mode": oneOf("local", "tail", "backfill", "full")}, s.startDataLoad)
	addTool(s, ms, &mcp.Tool{Name: "start_training", Title: "Start a training", Annotations: startsWork,
		Description: "Train a strategy's model on a training worker (a few seconds to minutes). Returns at once with operation_id and trace_id; follow it with get_operation until completed, then list_models or start_backtest."},
		map[string]prop{"strategy": nonEmpty, "timeframes": itemsOneOf(timeframes...)}, s.startTraining)
	addTool(s, ms, &mcp.Tool{Name: "start_backtest", Title: "Start a backtest", Annotations: startsWork,
		Description: "Backtest a strategy on a backtest worker: a model strategy with its trained model (list_models), a rule strategy directly. Returns at once with operation_id and trace_id; follow it with get_operation, then get_backtest_results."},
		map[string]prop{"strategy": nonEmpty, "timeframe": oneOf(timeframes...), "fill": oneOf("next_open", "close")}, s.startBacktest)
	addTool(s, ms, &mcp.Tool{Name: "get_operation", Title: "Get an operation", Annotations: readOnly,
		Description: "Show an operation's status, progress, error and (once completed) result. Poll it every few seconds while it is pending or running."},
		map[string]prop{"operation_id": operationID}, s.getOperation)
	addTool(s, ms, &mcp.Tool{Name: "list_operations", Title: "List operations", Annotations: readOnly,
		Description: fmt.Sprintf("List operations newest first, optionally by status and type: at most %d per call (default %d); page with offset.", OperationsMax, OperationsDefault)},
		map[string]prop{"status": oneOf(operationStatus...), "type": oneOf(operationTypes...), "limit": intRange(1, OperationsMax, OperationsDefault), "offset": intRange(0, 0, 0)}, s.listOperations)
	addTool(s, ms, &mcp.Tool{Name: "cancel_operation", Title: "Cancel an operation", Annotations: cancelAnnotation,
		Description: "Cancel a pending or running operation. A pending one is cancelled at once; a running one when its worker confirms (get_operation shows it). Nothing of a cancelled training is stored."},
		map[string]prop{"operation_id": operationID}, s.cancelOperation)
	addTool(s, ms, &mcp.Tool{Name: "get_backtest_results", Title: "Get backtest results", Annotations: readOnly,
		Description: fmt.Sprintf("Show a backtest's metrics (returns, Sharpe, drawdown, win rate, ...) with one page of its trades (default %d, at most %d) and of its equity curve (default %d, at most %d).", TradesDefault, TradesMax, EquityDefault, EquityMax)},
		map[string]prop{"operation_id": operationID, "trades_offset": intRange(0, 0, 0), "trades_limit": intRange(1, TradesMax, TradesDefault),
			"equity_offset": intRange(0, 0, 0), "equity_limit": intRange(1, EquityMax, EquityDefault)}, s.getBacktestResults)
	addTool(s, ms, &mcp.Tool{Name: "get_operation_trace", Title: "Get an operation's trace", Annotations: readOnly,
		Description: "Show the distributed trace of an operation as a tree: every span across the MCP server, the API, the workers and the market-data host, with durations, key attributes and errors. Use it to see where time went or why something failed."},
		map[string]prop{"operation_id": operationID}, s.getOperationTrace)
}

// ---- handlers ----

func (s *server) health(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, HealthOut, error) {
	h, err := s.api.Health(ctx)
	if err != nil {
		return nil, HealthOut{}, apiError(err)
	}
	workers, err := s.api.Workers(ctx)
	if err != nil {
		return nil, HealthOut{}, apiError(err)
	}
	out := HealthOut{Status: h.Status, APIURL: s.api.BaseURL, Service: h.Service, Version: h.Version, InstanceID: h.InstanceID, Workers: []WorkerCount{}}
	idx := map[[2]string]int{}
	for _, w := range workers {
		k := [2]string{w.Type, w.State}
		if i, ok := idx[k]; ok {
			out.Workers[i].Count++
			continue
		}
		idx[k] = len(out.Workers)
		out.Workers = append(out.Workers, WorkerCount{Type: w.Type, State: w.State, Count: 1})
	}
	sort.Slice(out.Workers, func(i, j int) bool {
		a, b := out.Workers[i], out.Workers[j]
		return a.Type < b.Type || a.Type == b.Type && a.State < b.State
	})
	parts := make([]string, len(out.Workers))
	for i, w := range out.Workers {
		parts[i] = fmt.Sprintf("%d %s %s", w.Count, w.Type, w.State)
	}
	workersText := "no workers registered"
	if len(parts) > 0 {
		workersText = "workers: " + strings.Join(parts, ", ")
	}
	return text("ktrdr API %s at %s (%s %s); %s", h.Status, s.api.BaseURL, h.Service, h.Version, workersText), out, nil
}

func (s *server) listSymbols(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, SymbolsOut, error) {
	syms, err := s.api.Symbols(ctx)
	if err != nil {
		return nil, SymbolsOut{}, apiError(err)
	}
	data, err := s.api.Data(ctx)
	if err != nil {
		return nil, SymbolsOut{}, apiError(err)
	}
	out := SymbolsOut{Symbols: []SymbolOut{}, Loaded: []LoadedOut{}}
	var served, loaded []string
	for _, si := range syms {
		tfs := make([]string, len(si.Timeframes))
		for i, tf := range si.Timeframes {
			tfs[i] = string(tf)
		}
		out.Symbols = append(out.Symbols, SymbolOut{Symbol: si.Symbol, AnySymbol: si.Any, Timeframes: tfs, Provider: si.Provider})
		served = append(served, fmt.Sprintf("%s (%s; %s)", si.Symbol, strings.Join(tfs, " "), si.Provider))
	}
	for _, d := range data {
		out.Loaded = append(out.Loaded, LoadedOut{Symbol: d.Symbol, Timeframe: string(d.Timeframe), First: rfc3339(d.First), Last: rfc3339(d.Last), Rows: d.Rows})
		loaded = append(loaded, fmt.Sprintf("%s %s: %d bars %s..%s", d.Symbol, d.Timeframe, d.Rows, day(d.First), day(d.Last)))
	}
	msg := "served: " + orNone(strings.Join(served, ", ")) + "\nloaded: " + orNone(strings.Join(loaded, ", "))
	return text("%s", msg), out, nil
}

func (s *server) listStrategies(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, StrategiesOut, error) {
	list, err := s.api.Strategies(ctx)
	if err != nil {
		return nil, StrategiesOut{}, apiError(err)
	}
	out := StrategiesOut{Strategies: make([]StrategyOut, 0, len(list))}
	lines := make([]string, 0, len(list))
	for _, st := range list {
		kind := "model"
		if st.Rule != "" {
			kind = "rule"
		}
		out.Strategies = append(out.Strategies, StrategyOut{Name: st.Name, Description: st.Description, Kind: kind, Rule: st.Rule,
			Symbols: nonNil(st.Symbols), Timeframes: nonNil(st.Timeframes), Indicators: st.Indicators, Features: st.Features, Valid: st.Valid, Error: st.Error})
		line := fmt.Sprintf("%s (%s; %s %s)", st.Name, kind, strings.Join(st.Symbols, ","), strings.Join(st.Timeframes, ","))
		if !st.Valid {
			line += " INVALID: " + st.Error
		} else if st.Description != "" {
			line += ": " + firstLine(st.Description)
		}
		lines = append(lines, line)
	}
	return text("%d strategies:\n%s", len(list), strings.Join(lines, "\n")), out, nil
}

func (s *server) getStrategy(ctx context.Context, _ *mcp.CallToolRequest, in StrategyIn) (*mcp.CallToolResult, StrategyDetailOut, error) {
	v, err := s.api.Strategy(ctx, in.Name)
	if err != nil {
		if se := (*httpx.StatusError)(nil); errors.As(err, &se) && se.Status == http.StatusNotFound {
			return nil, StrategyDetailOut{}, fieldError("name", "no strategy named %q (list_strategies lists them)", in.Name)
		}
		return nil, StrategyDetailOut{}, apiError(err)
	}
	out := StrategyDetailOut{Name: v.Name, Description: v.Description, Version: v.Version, Hypothesis: v.Hypothesis,
		Symbols: nonNil(v.Symbols), Timeframes: nonNil(v.Timeframes), BaseTimeframe: v.Base, Features: nonNil(v.Features),
		Hash: v.Hash, Warnings: []StrategyIssue{}, YAML: v.YAML, Indicators: []IndicatorUse{}}
	for _, ind := range v.Indicators {
		out.Indicators = append(out.Indicators, IndicatorUse{Name: ind.Name, FeatureID: ind.FeatureID, Source: ind.Source, Params: ind.Params})
	}
	for _, w := range v.Warnings {
		out.Warnings = append(out.Warnings, StrategyIssue{Path: w.Path, Message: w.Message})
	}
	inds := make([]string, len(out.Indicators))
	for i, ind := range out.Indicators {
		inds[i] = ind.FeatureID
	}
	return text("%s: %s\nsymbols %s, timeframes %s (base %s); indicators %s; %d features",
		v.Name, firstLine(v.Description), strings.Join(v.Symbols, ","), strings.Join(v.Timeframes, ","), v.Base,
		orNone(strings.Join(inds, ", ")), len(v.Features)), out, nil
}

func (s *server) listIndicators(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, IndicatorsOut, error) {
	list, err := s.api.Indicators(ctx)
	if err != nil {
		return nil, IndicatorsOut{}, apiError(err)
	}
	out := IndicatorsOut{Indicators: make([]IndicatorOut, 0, len(list))}
	names := make([]string, 0, len(list))
	for _, ind := range list {
		item := IndicatorOut{Name: ind.Name, Aliases: ind.Aliases, Description: ind.Description, UsesSource: ind.UsesSource, Outputs: nonNil(ind.Outputs), Params: []IndicatorArg{}}
		for _, p := range ind.Params {
			item.Params = append(item.Params, IndicatorArg{Name: p.Name, Default: p.Default, Min: p.Min, Max: p.Max, Integer: p.Integer, Doc: p.Doc})
		}
		out.Indicators = append(out.Indicators, item)
		names = append(names, ind.Name)
	}
	return text("%d indicators: %s", len(list), strings.Join(names, ", ")), out, nil
}

func (s *server) listModels(ctx context.Context, _ *mcp.CallToolRequest, in ModelsIn) (*mcp.CallToolResult, ModelsOut, error) {
	list, err := s.api.Models(ctx, in.Strategy)
	if err != nil {
		return nil, ModelsOut{}, apiError(err)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt.After(list[j].CreatedAt) })
	out := ModelsOut{Models: []ModelOut{}, Total: len(list)}
	limit := cmp.Or(in.Limit, ModelsDefault)
	var lines []string
	for _, m := range list[:min(limit, len(list))] {
		out.Models = append(out.Models, ModelOut{Name: m.Name, Strategy: m.Strategy, Timeframe: string(m.Timeframe), Version: m.Version,
			CreatedAt: rfc3339(m.CreatedAt), Features: m.Features, TestAccuracy: m.Metrics.TestAccuracy, MajorityBaseline: m.Metrics.MajorityBaseline,
			Epochs: m.Metrics.Epochs, Symbols: nonNil(m.Data.Symbols), DataStart: rfc3339(m.Data.Start), DataEnd: rfc3339(m.Data.End),
			OperationID: m.OperationID, TraceID: m.TraceID})
		lines = append(lines, fmt.Sprintf("%s: test accuracy %.3f (majority baseline %.3f), %d epochs, %s", m.Name, m.Metrics.TestAccuracy, m.Metrics.MajorityBaseline, m.Metrics.Epochs, day(m.CreatedAt)))
	}
	if len(list) == 0 {
		return text("no trained models%s (start_training trains one)", forStrategy(in.Strategy)), out, nil
	}
	return text("%d of %d models%s:\n%s", len(out.Models), len(list), forStrategy(in.Strategy), strings.Join(lines, "\n")), out, nil
}

func (s *server) listWorkers(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, WorkersOut, error) {
	list, err := s.api.Workers(ctx)
	if err != nil {
		return nil, WorkersOut{}, apiError(err)
	}
	out := WorkersOut{Workers: []WorkerOut{}}
	var lines []string
	for _, w := range list {
		wo := WorkerOut{ID: w.ID, Type: w.Type, State: w.State, URL: w.URL, CurrentOperationID: w.CurrentOperationID, LastHeartbeat: rfc3339(w.LastHeartbeat)}
		line := fmt.Sprintf("%s %s %s", w.Type, w.ID, w.State)
		if w.Progress != nil {
			wo.Progress = w.Progress.Percentage
		}
		if w.CurrentOperationID != "" {
			line += fmt.Sprintf(" running %s (%.0f%%)", w.CurrentOperationID, wo.Progress)
		}
		out.Workers = append(out.Workers, wo)
		lines = append(lines, line)
	}
	if len(list) == 0 {
		return text("no workers registered"), out, nil
	}
	return text("%d workers:\n%s", len(list), strings.Join(lines, "\n")), out, nil
}

func (s *server) getMarketData(ctx context.Context, _ *mcp.CallToolRequest, in MarketDataIn) (*mcp.CallToolResult, MarketDataOut, error) {
	sym, err := marketdata.ValidateSymbol(in.Symbol)
	if err != nil {
		return nil, MarketDataOut{}, fieldError("symbol", "%v", err)
	}
	if in.Limit < 1 || in.Limit > BarsMax {
		return nil, MarketDataOut{}, fieldError("limit", "must be 1-%d, got %d", BarsMax, in.Limit)
	}
	page, err := s.api.Bars(ctx, apiclient.BarsQuery{Symbol: sym, Timeframe: in.Timeframe, Start: in.Start, End: in.End, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return nil, MarketDataOut{}, apiError(err)
	}
	out := MarketDataOut{Symbol: page.Symbol, Timeframe: string(page.Timeframe), Total: page.Total, Offset: page.Offset, Bars: make([]BarOut, len(page.Bars))}
	for i, b := range page.Bars {
		out.Bars[i] = BarOut{Time: rfc3339(b.Time), Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume}
	}
	if next := page.Offset + len(page.Bars); next < page.Total && len(page.Bars) > 0 {
		out.NextOffset = next
	}
	if len(page.Bars) == 0 {
		return text("%s %s: no bars in this window (%d in all, offset %d)", out.Symbol, out.Timeframe, page.Total, page.Offset), out, nil
	}
	first, last := page.Bars[0], page.Bars[len(page.Bars)-1]
	msg := fmt.Sprintf("%s %s: bars %d-%d of %d, %s (close %g) to %s (close %g)", out.Symbol, out.Timeframe,
		page.Offset+1, page.Offset+len(page.Bars), page.Total, rfc3339(first.Time), first.Close, rfc3339(last.Time), last.Close)
	if out.NextOffset > 0 {
		msg += fmt.Sprintf("; next page: offset %d", out.NextOffset)
	}
	return text("%s", msg), out, nil
}

func (s *server) startDataLoad(ctx context.Context, _ *mcp.CallToolRequest, in DataLoadIn) (*mcp.CallToolResult, StartOut, error) {
	sym, err := marketdata.ValidateSymbol(in.Symbol)
	if err != nil {
		return nil, StartOut{}, fieldError("symbol", "%v", err)
	}
	r, err := s.api.LoadData(ctx, apiclient.LoadRequest{Symbol: sym, Timeframe: in.Timeframe, Start: in.Start, End: in.End, Mode: in.Mode})
	return started(ctx, "data load of "+sym+" "+in.Timeframe, r.OperationID, string(r.Status), r.TraceID, err)
}

func (s *server) startTraining(ctx context.Context, _ *mcp.CallToolRequest, in TrainingIn) (*mcp.CallToolResult, StartOut, error) {
	r, err := s.api.StartTraining(ctx, apiclient.TrainingRequest{Strategy: in.Strategy, Symbols: in.Symbols, Timeframes: in.Timeframes, Start: in.Start, End: in.End, Seed: in.Seed})
	return started(ctx, "training of "+in.Strategy, r.OperationID, string(r.Status), r.TraceID, err)
}

func (s *server) startBacktest(ctx context.Context, _ *mcp.CallToolRequest, in BacktestIn) (*mcp.CallToolResult, StartOut, error) {
	r, err := s.api.StartBacktest(ctx, apiclient.BacktestRequest{Strategy: in.Strategy, Symbol: in.Symbol, Timeframe: in.Timeframe, Start: in.Start, End: in.End,
		ModelVersion: in.ModelVersion, InitialCapital: in.InitialCapital, Commission: in.Commission, Slippage: in.Slippage,
		CommissionPerTrade: in.CommissionPerTrade, Fill: in.Fill, PositionSize: in.PositionSize})
	return started(ctx, "backtest of "+in.Strategy, r.OperationID, string(r.Status), r.TraceID, err)
}

// started is the answer of every start tool.
func started(ctx context.Context, what, id, status, traceID string, err error) (*mcp.CallToolResult, StartOut, error) {
	if err != nil {
		return nil, StartOut{}, apiError(err)
	}
	markOperation(ctx, id)
	out := StartOut{OperationID: id, Status: status, TraceID: traceID}
	waiting := ""
	if status == string(operations.StatusPending) {
		waiting = " (queued: no free worker yet)"
	}
	return text("started %s: operation %s is %s%s; trace %s. Follow it with get_operation.", what, id, status, waiting, traceID), out, nil
}

func (s *server) getOperation(ctx context.Context, _ *mcp.CallToolRequest, in OperationIn) (*mcp.CallToolResult, OperationOut, error) {
	op, err := s.api.Operation(ctx, in.OperationID)
	if err != nil {
		return nil, OperationOut{}, apiError(err)
	}
	out := OperationOut{OperationID: op.ID, Type: string(op.Type), Status: string(op.Status), Percentage: op.Progress.Percentage,
		CurrentStep: op.Progress.CurrentStep, WorkerID: op.WorkerID, CreatedAt: rfc3339(op.CreatedAt), StartedAt: rfc3339p(op.StartedAt),
		CompletedAt: rfc3339p(op.CompletedAt), CancelRequested: op.CancelRequested, TraceID: op.TraceID, Params: params(op.Params)}
	if op.Error != nil {
		out.Error = *op.Error
	}
	out.Result, out.ResultOmitted = boundResult(op.Result, op.Type)
	return text("%s", operationLine(op, out.Result)), out, nil
}

// operationLine is one line about an operation, with the headline of its
// result when it has one.
func operationLine(op *operations.Operation, result any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s", op.ID, op.Type, op.Status)
	if !op.Status.Terminal() || op.Status == operations.StatusCompleted {
		fmt.Fprintf(&b, " %.0f%%", op.Progress.Percentage)
	}
	if op.Progress.CurrentStep != "" && !op.Status.Terminal() {
		fmt.Fprintf(&b, " (%s)", op.Progress.CurrentStep)
	}
	if op.WorkerID != "" {
		fmt.Fprintf(&b, " on worker %s", op.WorkerID)
	}
	if op.CancelRequested && !op.Status.Terminal() {
		b.WriteString("; cancel requested")
	}
	if op.Error != nil {
		fmt.Fprintf(&b, "; error: %s", *op.Error)
	}
	if h := headline(op.Type, result); h != "" {
		b.WriteString("; " + h)
	}
	if op.TraceID != "" {
		fmt.Fprintf(&b, "; trace %s", op.TraceID)
	}
	return b.String()
}

// headline picks the few numbers of a result an agent looks at first.
func headline(t operations.Type, result any) string {
	m, ok := result.(map[string]any)
	if !ok {
		return ""
	}
	switch t {
	case operations.TypeTraining:
		tm, _ := m["test_metrics"].(map[string]any)
		return fmt.Sprintf("model %v, test accuracy %v (majority baseline %v)", m["model"], num(tm["test_accuracy"]), num(tm["majority_baseline"]))
	case operations.TypeBacktesting:
		mm, _ := m["metrics"].(map[string]any)
		return fmt.Sprintf("total return %v, sharpe %v, max drawdown %v, %v trades (get_backtest_results for details)",
			num(mm["total_return"]), num(mm["sharpe"]), num(mm["max_drawdown"]), mm["num_trades"])
	case operations.TypeDataLoad:
		return fmt.Sprintf("%v bars added, %v stored", m["rows_added"], m["rows_total"])
	}
	return ""
}

func num(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', 4, 64)
	}
	return fmt.Sprint(v)
}

// params is an operation's params without the strategy YAML it carries.
func params(raw json.RawMessage) any {
	v := asObject(rawJSON(raw))
	if m, ok := v.(map[string]any); ok {
		delete(m, "strategy_yaml")
	}
	return v
}

// asObject keeps free-form values objects, as their schema says: anything
// else is wrapped as {"value": v}.
func asObject(v any) any {
	if _, ok := v.(map[string]any); ok || v == nil {
		return v
	}
	return map[string]any{"value": v}
}

// boundResult keeps a result short: every list longer than resultItems is
// cut to its first items, and a result still larger than resultBytes is
// left out; the second value says what was cut.
func boundResult(raw json.RawMessage, t operations.Type) (any, string) {
	v := asObject(rawJSON(raw))
	if v == nil {
		return nil, ""
	}
	var cut []string
	v = cutLists(v, "", &cut)
	var note string
	if len(cut) > 0 {
		note = "lists cut to their first " + strconv.Itoa(resultItems) + " items: " + strings.Join(cut, ", ")
		if t == operations.TypeBacktesting {
			note += " (get_backtest_results pages trades and equity)"
		}
	}
	if b, _ := json.Marshal(v); len(b) > resultBytes {
		return nil, fmt.Sprintf("result of %d bytes left out", len(raw))
	}
	return v, note
}

func cutLists(v any, path string, cut *[]string) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			x[k] = cutLists(x[k], prefixField(path, k), cut)
		}
	case []any:
		if len(x) > resultItems {
			*cut = append(*cut, fmt.Sprintf("%s (%d items)", path, len(x)))
			x = x[:resultItems]
		}
		for i := range x {
			x[i] = cutLists(x[i], path+"[]", cut)
		}
		return x
	}
	return v
}

func (s *server) listOperations(ctx context.Context, _ *mcp.CallToolRequest, in OperationsIn) (*mcp.CallToolResult, OperationsOut, error) {
	limit := cmp.Or(in.Limit, OperationsDefault)
	if limit > OperationsMax {
		return nil, OperationsOut{}, fieldError("limit", "must be 1-%d, got %d", OperationsMax, in.Limit)
	}
	list, err := s.api.Operations(ctx, apiclient.OperationFilter{Status: in.Status, Type: in.Type, Limit: limit, Offset: in.Offset})
	if err != nil {
		return nil, OperationsOut{}, apiError(err)
	}
	out := OperationsOut{Operations: []OperationSummary{}, Total: list.Total, Offset: list.Offset}
	var lines []string
	for _, op := range list.Operations {
		o := OperationSummary{OperationID: op.ID, Type: string(op.Type), Status: string(op.Status), Percentage: op.Progress.Percentage,
			CreatedAt: rfc3339(op.CreatedAt), TraceID: op.TraceID}
		if op.Error != nil {
			o.Error = *op.Error
		}
		out.Operations = append(out.Operations, o)
		line := fmt.Sprintf("%s %s %s %.0f%%", op.ID, op.Type, op.Status, op.Progress.Percentage)
		if o.Error != "" {
			line += ": " + firstLine(o.Error)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return text("no operations match (%d in all)", list.Total), out, nil
	}
	return text("%d of %d operations (offset %d):\n%s", len(lines), list.Total, list.Offset, strings.Join(lines, "\n")), out, nil
}

func (s *server) cancelOperation(ctx context.Context, _ *mcp.CallToolRequest, in OperationIn) (*mcp.CallToolResult, CancelOut, error) {
	op, err := s.api.Cancel(ctx, in.OperationID)
	if err != nil {
		return nil, CancelOut{}, apiError(err)
	}
	out := CancelOut{OperationID: op.ID, Status: string(op.Status), CancelRequested: op.CancelRequested && !op.Status.Terminal()}
	if out.CancelRequested {
		return text("cancel requested for %s: it is %s until its worker confirms (get_operation shows it)", op.ID, op.Status), out, nil
	}
	return text("%s is %s", op.ID, op.Status), out, nil
}

func (s *server) getBacktestResults(ctx context.Context, _ *mcp.CallToolRequest, in BacktestResultsIn) (*mcp.CallToolResult, BacktestResultsOut, error) {
	for _, c := range []struct {
		field    string
		v, limit int
	}{{"trades_limit", in.TradesLimit, TradesMax}, {"equity_limit", in.EquityLimit, EquityMax}} {
		if c.v < 1 || c.v > c.limit {
			return nil, BacktestResultsOut{}, fieldError(c.field, "must be 1-%d, got %d", c.limit, c.v)
		}
	}
	r, err := s.api.Backtest(ctx, in.OperationID, apiclient.BacktestPage{TradesOffset: in.TradesOffset, TradesLimit: in.TradesLimit, EquityOffset: in.EquityOffset, EquityLimit: in.EquityLimit})
	if err != nil {
		return nil, BacktestResultsOut{}, apiError(err)
	}
	out := BacktestResultsOut{OperationID: r.OperationID, Status: string(r.Status), Percentage: r.Progress.Percentage, TraceID: r.TraceID}
	if r.Error != nil {
		out.Error = *r.Error
	}
	if r.Result == nil {
		msg := fmt.Sprintf("backtest %s is %s (%.0f%%): no results yet", r.OperationID, r.Status, r.Progress.Percentage)
		if out.Error != "" {
			msg = fmt.Sprintf("backtest %s %s: %s", r.OperationID, r.Status, out.Error)
		}
		return text("%s", msg), out, nil
	}
	res := r.Result
	sum := &BacktestSummary{Strategy: res.Strategy, Symbol: res.Symbol, Timeframe: res.Timeframe, Model: res.Model,
		Start: rfc3339(res.Start), End: rfc3339(res.End), Bars: res.Bars, Metrics: viaJSON(res.Metrics), Signals: viaJSON(res.Signals),
		Trades: viaJSONList(res.Trades), TradesTotal: res.TradesTotal, TradesOffset: res.TradesOffset,
		Equity: viaJSONList(res.Equity), EquityTotal: res.EquityTotal, EquityOffset: res.EquityOffset, EquityDownsampled: res.EquityDownsampled}
	out.Result = sum
	m := res.Metrics
	pf := "n/a (no losing trade)"
	if m.ProfitFactor != nil {
		pf = strconv.FormatFloat(*m.ProfitFactor, 'f', 2, 64)
	}
	return text("backtest %s of %s on %s %s (%s, %s..%s, %d bars): total return %.2f%%, annualized %.2f%%, sharpe %.2f, max drawdown %.2f%%, %d trades, win rate %.1f%%, profit factor %s, final equity %.2f. Trades %d-%d of %d, equity points %d-%d of %d.",
		r.OperationID, res.Strategy, res.Symbol, res.Timeframe, res.Model, day(res.Start), day(res.End), res.Bars,
		100*m.TotalReturn, 100*m.AnnualizedReturn, m.Sharpe, 100*m.MaxDrawdown, m.NumTrades, 100*m.WinRate, pf, m.FinalEquity,
		min(res.TradesOffset+1, res.TradesTotal), res.TradesOffset+len(res.Trades), res.TradesTotal,
		min(res.EquityOffset+1, res.EquityTotal), res.EquityOffset+len(res.Equity), res.EquityTotal), out, nil
}

func (s *server) getOperationTrace(ctx context.Context, _ *mcp.CallToolRequest, in TraceIn) (*mcp.CallToolResult, TraceOut, error) {
	if s.traces == nil {
		return nil, TraceOut{}, fmt.Errorf("no trace backend configured (ktrdr mcp --query URL)")
	}
	op, err := s.api.Operation(ctx, in.OperationID)
	if err != nil {
		return nil, TraceOut{}, apiError(err)
	}
	if op.TraceID == "" {
		return nil, TraceOut{}, fmt.Errorf("operation %s has no trace id (tracing was off when it was created)", op.ID)
	}
	tr, err := s.traces.Trace(ctx, op.TraceID)
	if err != nil {
		return nil, TraceOut{}, fmt.Errorf("trace %s of %s is not readable at %s: %v (spans reach the backend a few seconds after they end; try again)", op.TraceID, op.ID, s.traces.BaseURL, err)
	}
	out := TraceOut{OperationID: op.ID, TraceID: op.TraceID, Spans: len(tr.Spans), Services: []string{}}
	seen := map[string]bool{}
	for _, sp := range tr.Spans {
		if svc := tr.Processes[sp.ProcessID].ServiceName; !seen[svc] {
			seen[svc] = true
			out.Services = append(out.Services, svc)
		}
		if failed(sp.Tags) {
			out.Errors++
		}
	}
	slices.Sort(out.Services)
	var b bytes.Buffer
	if err := tracetree.Render(&b, tr, tracetree.Options{}); err != nil {
		return nil, TraceOut{}, err
	}
	out.Tree, out.Truncated = firstLines(b.String(), traceLines)
	return text("%s", out.Tree), out, nil
}

// ---- small helpers ----

func failed(tags []jaegerapi.KeyValue) bool {
	for _, t := range tags {
		if (t.Key == "error" && (t.Value == true || t.Value == "true")) || (t.Key == "otel.status_code" && t.Value == "ERROR") {
			return true
		}
	}
	return false
}

func firstLines(s string, n int) (string, bool) {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n+1 {
		return s, false
	}
	return strings.Join(lines[:n], "") + fmt.Sprintf("... %d more lines\n", len(lines)-n-1), true
}

func viaJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return rawJSON(b)
}

func viaJSONList[T any](items []T) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = viaJSON(it)
	}
	return out
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func rfc3339p(t *time.Time) string {
	if t == nil {
		return ""
	}
	return rfc3339(*t)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02")
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func forStrategy(name string) string {
	if name == "" {
		return ""
	}
	return " of " + name
}
