package models

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
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// Paths of the model store's API at the backend.
const (
	RoutePut = "PUT /api/v1/models/{strategy}/{timeframe}"
	RouteGet = "GET /api/v1/models/{strategy}/{timeframe}/{version}"
)

// Client uploads and downloads artifacts at the backend. HTTP should be a
// traced client so the PUT or GET shows inside the worker's phase span.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	Token   string // worker token, sent on uploads when set
}

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return telemetry.NewHTTPClient(60 * time.Second)
}

func (c *Client) url(parts ...string) string {
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.TrimRight(c.BaseURL, "/") + "/api/v1/models/" + strings.Join(parts, "/")
}

// Upload stores a as a new version and returns its summary.
func (c *Client) Upload(ctx context.Context, a *Artifact) (Info, error) {
	var h http.Header
	if c.Token != "" {
		h = http.Header{workerapi.TokenHeader: {c.Token}}
	}
	var out Info
	err := httpx.CallJSON(telemetry.WithRoute(ctx, telemetry.Route(RoutePut)), c.client(), http.MethodPut, c.url(a.Strategy, string(a.Timeframe)), h, a, &out)
	if err != nil {
		return Info{}, fmt.Errorf("upload model %s/%s: %w", a.Strategy, a.Timeframe, err)
	}
	return out, nil
}

// Download fetches one version ("latest", "3" or "v3"). A missing model
// unwraps to ErrNotFound.
func (c *Client) Download(ctx context.Context, strategy string, tf marketdata.Timeframe, version string) (*Artifact, error) {
	if version == "" {
		version = "latest"
	}
	var a Artifact
	err := httpx.CallJSON(telemetry.WithRoute(ctx, telemetry.Route(RouteGet)), c.client(), http.MethodGet, c.url(strategy, string(tf), version), nil, nil, &a)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, se.Message)
	}
	if err != nil {
		return nil, fmt.Errorf("download model %s/%s %s: %w", strategy, tf, version, err)
	}
	return &a, nil
}
