package ibhost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// Client calls the host service. HTTP should be a traced client
// (telemetry.NewHTTPClient) so the caller's trace continues in the service;
// nil means telemetry.NewHTTPClient(60s).
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// APIError is an error answer of the service. It unwraps to ErrUnknownSymbol
// or ErrNoData for the matching 404s.
type APIError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("ib-host: %d %s: %s", e.Status, e.Code, e.Message)
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// Unwrap maps the service's codes back to the provider errors.
func (e *APIError) Unwrap() error {
	switch e.Code {
	case "unknown_symbol":
		return ErrUnknownSymbol
	case "no_data":
		return ErrNoData
	}
	return nil
}

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return telemetry.NewHTTPClient(60 * time.Second)
}

// do sends a request; route names the client span.
func (c *Client) do(ctx context.Context, method, route, path string, body, out any) error {
	err := httpx.CallJSON(telemetry.WithRoute(ctx, route), c.client(), method, strings.TrimRight(c.BaseURL, "/")+path, nil, body, out)
	var se *httpx.StatusError
	if errors.As(err, &se) {
		return &APIError{Status: se.Status, Code: se.Code, Message: se.Message, Field: se.Field}
	}
	if err != nil {
		return fmt.Errorf("ib-host %s %s: %w", method, route, err)
	}
	return nil
}

// Historical fetches bars (POST /data/historical).
func (c *Client) Historical(ctx context.Context, req HistoricalRequest) (marketdata.Series, marketdata.QualityReport, error) {
	var out HistoricalResponse
	if err := c.do(ctx, http.MethodPost, "/data/historical", "/data/historical", req, &out); err != nil {
		return marketdata.Series{}, marketdata.QualityReport{}, err
	}
	return marketdata.Series{Symbol: out.Symbol, Timeframe: out.Timeframe, Bars: out.Bars}, out.Quality, nil
}

// Symbols lists what the service can serve (GET /data/symbols).
func (c *Client) Symbols(ctx context.Context) ([]SymbolInfo, error) {
	var out SymbolsResponse
	if err := c.do(ctx, http.MethodGet, "/data/symbols", "/data/symbols", nil, &out); err != nil {
		return nil, err
	}
	return out.Symbols, nil
}

// Range returns the first and last bar times and the bar count of a symbol
// at a timeframe (GET /data/range).
func (c *Client) Range(ctx context.Context, symbol string, tf marketdata.Timeframe) (RangeResponse, error) {
	var out RangeResponse
	q := url.Values{"symbol": {symbol}, "timeframe": {string(tf)}}
	if err := c.do(ctx, http.MethodGet, "/data/range", "/data/range?"+q.Encode(), nil, &out); err != nil {
		return RangeResponse{}, err
	}
	return out, nil
}
