// Package apiclient is a typed client of the ktrdr API, for the command line
// and the MCP tools. Actions (starting work, reading results, cancelling)
// go through a traced HTTP client: each is a client span named by its route
// template and carries traceparent, so the operation's trace starts at the
// caller. Status polls go through a plain client and send
// telemetry.PollHeader, so watching an operation makes no span anywhere.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// DefaultURL is where the API listens unless told otherwise (ktrdr up).
const DefaultURL = "http://127.0.0.1:8000"

// Client calls the ktrdr API. Actions go through HTTP (traced); status polls
// through Poll (plain http.Client, sends telemetry.PollHeader, no
// traceparent), so watching makes no spans anywhere.
type Client struct {
	BaseURL    string
	HTTP, Poll *http.Client
}

// New returns a client of the API at baseURL. Build it after the process's
// telemetry is set up: the traced client takes the tracer provider in place
// when it is made.
func New(baseURL string) *Client {
	return &Client{
		BaseURL: strings.TrimRight(baseURL, "/"),
		HTTP:    telemetry.NewHTTPClient(60 * time.Second),
		Poll:    &http.Client{Timeout: 10 * time.Second},
	}
}

// Validation is the answer of POST /api/v1/strategies/validate: a valid
// strategy with what it makes, or every problem by path.
type Validation struct {
	Valid    bool               `json:"valid"`
	Strategy *api.StrategyView  `json:"strategy,omitempty"`
	Problems []strategy.Problem `json:"problems,omitempty"`
	Warnings []strategy.Warning `json:"warnings,omitempty"`
}

// DataInfo is one stored series, an entry of GET /api/v1/data.
type DataInfo struct {
	Symbol    string               `json:"symbol"`
	Timeframe marketdata.Timeframe `json:"timeframe"`
	First     time.Time            `json:"first"`
	Last      time.Time            `json:"last"`
	Rows      int                  `json:"rows"`
}

// BarsQuery selects a page of stored bars. Empty or zero fields take the
// API's defaults (the whole range, limit 10000, offset 0).
type BarsQuery struct {
	Symbol, Timeframe, Start, End string
	Limit, Offset                 int
}

// BarsPage is GET /api/v1/data/{symbol}/{timeframe}: a page of bars.
type BarsPage struct {
	Symbol    string               `json:"symbol"`
	Timeframe marketdata.Timeframe `json:"timeframe"`
	Total     int                  `json:"total"`
	Offset    int                  `json:"offset"`
	Bars      []marketdata.Bar     `json:"bars"`
}

// LoadRequest is the body of POST /api/v1/data/load.
type LoadRequest struct {
	Symbol    string `json:"symbol"`
	Timeframe string `json:"timeframe"`
	Start     string `json:"start,omitempty"`
	End       string `json:"end,omitempty"`
	Mode      string `json:"mode,omitempty"`
}

// TrainingRequest is the body of POST /api/v1/training/start.
type TrainingRequest struct {
	Strategy   string   `json:"strategy"`
	Symbols    []string `json:"symbols,omitempty"`
	Timeframes []string `json:"timeframes,omitempty"`
	Start      string   `json:"start,omitempty"`
	End        string   `json:"end,omitempty"`
	Seed       uint64   `json:"seed,omitempty"`
}

// BacktestRequest is the body of POST /api/v1/backtests/start. Nil pointers
// take the API's defaults; a pointer to zero is an explicit zero.
type BacktestRequest struct {
	Strategy           string   `json:"strategy"`
	Symbol             string   `json:"symbol,omitempty"`
	Timeframe          string   `json:"timeframe,omitempty"`
	Start              string   `json:"start,omitempty"`
	End                string   `json:"end,omitempty"`
	ModelVersion       string   `json:"model_version,omitempty"`
	InitialCapital     *float64 `json:"initial_capital,omitempty"`
	Commission         *float64 `json:"commission,omitempty"`
	Slippage           *float64 `json:"slippage,omitempty"`
	CommissionPerTrade float64  `json:"commission_per_trade,omitempty"`
	Fill               string   `json:"fill,omitempty"`
	PositionSize       float64  `json:"position_size,omitempty"`
}

// BacktestPage selects the page of trades and of the equity curve of
// GET /api/v1/backtests/{id}; 0 takes the server's default.
type BacktestPage struct {
	TradesOffset, TradesLimit, EquityOffset, EquityLimit int
}

// OperationFilter selects operations; zero values select everything.
type OperationFilter struct {
	Status, Type  string
	Limit, Offset int
}

// Error is a call of the client that got no answer from the API (or one it
// could not read): it names the API's address and the route.
type Error struct {
	BaseURL string
	Route   string // e.g. "GET /api/v1/operations/{id}"
	Err     error
}

func (e *Error) Error() string { return e.Route + " at " + e.BaseURL + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// path joins escaped path segments onto the base URL.
func (c *Client) url(q url.Values, segments ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(c.BaseURL, "/"))
	for _, s := range segments {
		if strings.HasPrefix(s, "/") { // a literal part of the route
			b.WriteString(s)
		} else {
			b.WriteString("/" + url.PathEscape(s))
		}
	}
	if len(q) > 0 {
		b.WriteString("?" + q.Encode())
	}
	return b.String()
}

// call makes a traced request whose client span is named by route
// ("GET /api/v1/operations/{id}").
func (c *Client) call(ctx context.Context, route, u string, body, out any) error {
	method, tmpl, _ := strings.Cut(route, " ")
	err := httpx.CallJSON(telemetry.WithRoute(ctx, tmpl), c.httpClient(), method, u, nil, body, out)
	return c.wrap(route, err)
}

// poll makes an untraced status request marked with telemetry.PollHeader.
func (c *Client) poll(ctx context.Context, route, u string, out any) error {
	method, _, _ := strings.Cut(route, " ")
	poll := c.Poll
	if poll == nil {
		poll = &http.Client{Timeout: 10 * time.Second}
	}
	err := httpx.CallJSON(ctx, poll, method, u, http.Header{telemetry.PollHeader: {"1"}}, nil, out)
	return c.wrap(route, err)
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return telemetry.NewHTTPClient(60 * time.Second)
}

// wrap keeps the API's own answers (*httpx.StatusError) as they are and
// names the API and route on everything else.
func (c *Client) wrap(route string, err error) error {
	if err == nil {
		return nil
	}
	var se *httpx.StatusError
	if errors.As(err, &se) {
		return se
	}
	return &Error{BaseURL: strings.TrimRight(c.BaseURL, "/"), Route: route, Err: err}
}

// Health is GET /api/v1/health (untraced on the server, so untraced here).
func (c *Client) Health(ctx context.Context) (httpx.Health, error) {
	var h httpx.Health
	err := c.poll(ctx, "GET /api/v1/health", c.url(nil, "/api/v1/health"), &h)
	return h, err
}

// Symbols is GET /api/v1/symbols: what the market-data host can serve.
func (c *Client) Symbols(ctx context.Context) ([]ibhost.SymbolInfo, error) {
	var out struct {
		Symbols []ibhost.SymbolInfo `json:"symbols"`
	}
	err := c.call(ctx, "GET /api/v1/symbols", c.url(nil, "/api/v1/symbols"), nil, &out)
	return out.Symbols, err
}

// Indicators is GET /api/v1/indicators: the indicator catalog.
func (c *Client) Indicators(ctx context.Context) ([]api.IndicatorInfo, error) {
	var out struct {
		Indicators []api.IndicatorInfo `json:"indicators"`
	}
	err := c.call(ctx, "GET /api/v1/indicators", c.url(nil, "/api/v1/indicators"), nil, &out)
	return out.Indicators, err
}

// Strategies is GET /api/v1/strategies.
func (c *Client) Strategies(ctx context.Context) ([]strategy.Summary, error) {
	var out struct {
		Strategies []strategy.Summary `json:"strategies"`
	}
	err := c.call(ctx, "GET /api/v1/strategies", c.url(nil, "/api/v1/strategies"), nil, &out)
	return out.Strategies, err
}

// Strategy is GET /api/v1/strategies/{name}.
func (c *Client) Strategy(ctx context.Context, name string) (api.StrategyView, error) {
	var v api.StrategyView
	err := c.call(ctx, "GET /api/v1/strategies/{name}", c.url(nil, "/api/v1/strategies", name), nil, &v)
	return v, err
}

// ValidateStrategy is POST /api/v1/strategies/validate with the YAML as the
// body. An invalid strategy (422) is a Validation with Valid false and its
// problems, not an error.
func (c *Client) ValidateStrategy(ctx context.Context, yaml []byte) (Validation, error) {
	const route = "POST /api/v1/strategies/validate"
	ctx = telemetry.WithRoute(ctx, "/api/v1/strategies/validate")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(nil, "/api/v1/strategies/validate"), bytes.NewReader(yaml))
	if err != nil {
		return Validation{}, c.wrap(route, err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return Validation{}, c.wrap(route, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return Validation{}, c.wrap(route, err)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnprocessableEntity:
		var v Validation
		if err := json.Unmarshal(raw, &v); err != nil {
			return Validation{}, c.wrap(route, fmt.Errorf("decode answer: %w", err))
		}
		v.Valid = resp.StatusCode == http.StatusOK && v.Valid
		return v, nil
	}
	var eb httpx.ErrorBody
	if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
		return Validation{}, &httpx.StatusError{Status: resp.StatusCode, Code: "http_error", Message: strings.TrimSpace(string(raw))}
	}
	return Validation{}, &httpx.StatusError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
}

// Models is GET /api/v1/models[?strategy=]; strategy "" lists every model.
func (c *Client) Models(ctx context.Context, strategy string) ([]models.Info, error) {
	q := url.Values{}
	if strategy != "" {
		q.Set("strategy", strategy)
	}
	var out struct {
		Models []models.Info `json:"models"`
	}
	err := c.call(ctx, "GET /api/v1/models", c.url(q, "/api/v1/models"), nil, &out)
	return out.Models, err
}

// Model is GET /api/v1/models/{strategy}/{timeframe}/{version}; version ""
// is the latest.
func (c *Client) Model(ctx context.Context, strategy, timeframe, version string) (*models.Artifact, error) {
	if version == "" {
		version = "latest"
	}
	var a models.Artifact
	if err := c.call(ctx, models.RouteGet, c.url(nil, "/api/v1/models", strategy, timeframe, version), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Workers is GET /api/v1/workers.
func (c *Client) Workers(ctx context.Context) ([]registry.Worker, error) {
	var out struct {
		Workers []registry.Worker `json:"workers"`
	}
	err := c.call(ctx, "GET /api/v1/workers", c.url(nil, "/api/v1/workers"), nil, &out)
	return out.Workers, err
}

// Data is GET /api/v1/data: every stored series.
func (c *Client) Data(ctx context.Context) ([]DataInfo, error) {
	var out struct {
		Data []DataInfo `json:"data"`
	}
	err := c.call(ctx, "GET /api/v1/data", c.url(nil, "/api/v1/data"), nil, &out)
	return out.Data, err
}

// Bars is GET /api/v1/data/{symbol}/{timeframe}?start=&end=&limit=&offset=.
func (c *Client) Bars(ctx context.Context, q BarsQuery) (BarsPage, error) {
	v := url.Values{}
	setStr(v, "start", q.Start)
	setStr(v, "end", q.End)
	setInt(v, "limit", q.Limit)
	setInt(v, "offset", q.Offset)
	var p BarsPage
	err := c.call(ctx, "GET /api/v1/data/{symbol}/{timeframe}", c.url(v, "/api/v1/data", q.Symbol, q.Timeframe), nil, &p)
	return p, err
}

// LoadData is POST /api/v1/data/load.
func (c *Client) LoadData(ctx context.Context, r LoadRequest) (api.StartResponse, error) {
	var out api.StartResponse
	err := c.call(ctx, "POST /api/v1/data/load", c.url(nil, "/api/v1/data/load"), r, &out)
	return out, err
}

// StartTraining is POST /api/v1/training/start.
func (c *Client) StartTraining(ctx context.Context, r TrainingRequest) (api.StartResponse, error) {
	var out api.StartResponse
	err := c.call(ctx, "POST /api/v1/training/start", c.url(nil, "/api/v1/training/start"), r, &out)
	return out, err
}

// StartBacktest is POST /api/v1/backtests/start.
func (c *Client) StartBacktest(ctx context.Context, r BacktestRequest) (api.StartResponse, error) {
	var out api.StartResponse
	err := c.call(ctx, "POST /api/v1/backtests/start", c.url(nil, "/api/v1/backtests/start"), r, &out)
	return out, err
}

// Backtest is GET /api/v1/backtests/{id}: the backtest's state and, once
// completed, its metrics with one page of trades and of the equity curve.
func (c *Client) Backtest(ctx context.Context, id string, p BacktestPage) (api.BacktestResponse, error) {
	q := url.Values{}
	setInt(q, "trades_offset", p.TradesOffset)
	setInt(q, "trades_limit", p.TradesLimit)
	setInt(q, "equity_offset", p.EquityOffset)
	setInt(q, "equity_limit", p.EquityLimit)
	var out api.BacktestResponse
	err := c.call(ctx, "GET /api/v1/backtests/{id}", c.url(q, "/api/v1/backtests", id), nil, &out)
	return out, err
}

// Operation is GET /api/v1/operations/{id}, traced: for a single look.
// Watching uses PollOperation.
func (c *Client) Operation(ctx context.Context, id string) (*operations.Operation, error) {
	var op operations.Operation
	if err := c.call(ctx, "GET /api/v1/operations/{id}", c.url(nil, "/api/v1/operations", id), nil, &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// Operations is GET /api/v1/operations?status=&type=&limit=&offset=,
// newest first.
func (c *Client) Operations(ctx context.Context, f OperationFilter) (api.ListResponse, error) {
	q := url.Values{}
	setStr(q, "status", f.Status)
	setStr(q, "type", f.Type)
	setInt(q, "limit", f.Limit)
	setInt(q, "offset", f.Offset)
	var out api.ListResponse
	err := c.call(ctx, "GET /api/v1/operations", c.url(q, "/api/v1/operations"), nil, &out)
	return out, err
}

// Cancel is DELETE /api/v1/operations/{id}: a pending operation is cancelled
// at once, a running one when its worker confirms.
func (c *Client) Cancel(ctx context.Context, id string) (*operations.Operation, error) {
	var op operations.Operation
	if err := c.call(ctx, "DELETE /api/v1/operations/{id}", c.url(nil, "/api/v1/operations", id), nil, &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// PollOperation is GET /api/v1/operations/{id} as an untraced status poll.
func (c *Client) PollOperation(ctx context.Context, id string) (*operations.Operation, error) {
	var op operations.Operation
	if err := c.poll(ctx, "GET /api/v1/operations/{id}", c.url(nil, "/api/v1/operations", id), &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// PollMetrics is GET /api/v1/operations/{id}/metrics?cursor=N as an
// untraced status poll: the metric records (training epochs) from cursor on.
func (c *Client) PollMetrics(ctx context.Context, id string, cursor int) (api.MetricsResponse, error) {
	q := url.Values{"cursor": {strconv.Itoa(cursor)}}
	var out api.MetricsResponse
	err := c.poll(ctx, "GET /api/v1/operations/{id}/metrics", c.url(q, "/api/v1/operations", id, "/metrics"), &out)
	return out, err
}

func setStr(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func setInt(q url.Values, k string, v int) {
	if v != 0 {
		q.Set(k, strconv.Itoa(v))
	}
}
