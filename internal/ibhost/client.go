package ibhost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(telemetry.WithRoute(ctx, route), method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return fmt.Errorf("ib-host %s %s: %w", method, route, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var eb httpx.ErrorBody
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
			return &APIError{Status: resp.StatusCode, Code: "http_error", Message: strings.TrimSpace(string(raw))}
		}
		return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("ib-host %s %s: decode answer: %w", method, route, err)
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
