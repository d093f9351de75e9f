package jaegerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client reads Jaeger's HTTP query API: a real Jaeger's or the embedded
// collector's. It is deliberately untraced: reading traces must not make more.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:16686
	HTTP    *http.Client
}

// NewClient returns a client for the query API at baseURL.
func NewClient(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimSuffix(baseURL, "/"), HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// Query selects traces, as /api/traces does.
type Query struct {
	Service     string
	Operation   string
	Tags        map[string]string
	Lookback    time.Duration // start = now - Lookback when > 0
	MinDuration time.Duration
	Limit       int
}

// Services lists the services that have spans.
func (c *Client) Services(ctx context.Context) ([]string, error) {
	var r Response[[]string]
	return r.Data, c.get(ctx, "/api/services", nil, &r)
}

// Operations lists the span names of a service.
func (c *Client) Operations(ctx context.Context, service string) ([]string, error) {
	var r Response[[]string]
	return r.Data, c.get(ctx, "/api/services/"+url.PathEscape(service)+"/operations", nil, &r)
}

// FindTraces searches traces.
func (c *Client) FindTraces(ctx context.Context, q Query) ([]Trace, error) {
	v := url.Values{"service": {q.Service}}
	if q.Operation != "" {
		v.Set("operation", q.Operation)
	}
	if len(q.Tags) > 0 {
		b, _ := json.Marshal(q.Tags)
		v.Set("tags", string(b))
	}
	if q.Lookback > 0 {
		now := time.Now()
		v.Set("start", strconv.FormatInt(now.Add(-q.Lookback).UnixMicro(), 10))
		v.Set("end", strconv.FormatInt(now.UnixMicro(), 10))
	}
	if q.MinDuration > 0 {
		v.Set("minDuration", q.MinDuration.String())
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var r Response[[]Trace]
	return r.Data, c.get(ctx, "/api/traces", v, &r)
}

// Trace fetches one trace by id.
func (c *Client) Trace(ctx context.Context, traceID string) (Trace, error) {
	var r Response[[]Trace]
	if err := c.get(ctx, "/api/traces/"+url.PathEscape(traceID), nil, &r); err != nil {
		return Trace{}, err
	}
	if len(r.Data) == 0 {
		return Trace{}, fmt.Errorf("trace %s: empty answer", traceID)
	}
	return r.Data[0], nil
}

// StatusError is a non-200 answer of the query API.
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("query API answered %d: %s", e.Status, e.Msg)
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	u := c.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e Response[json.RawMessage]
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
			msg = e.Errors[0].Msg
		}
		return &StatusError{Status: resp.StatusCode, Msg: msg}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: decoding answer: %w", u, err)
	}
	return nil
}
