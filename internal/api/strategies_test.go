package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/strategy"
)

func send(t *testing.T, method, url, contentType, body string, header http.Header, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func newModelAPI(t *testing.T, token string) (*httptest.Server, *models.Store) {
	store, err := models.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Info: httpx.Info{Service: ServiceName}, Models: store, WorkerToken: token}).Handler())
	t.Cleanup(srv.Close)
	return srv, store
}

func TestStrategiesEndpoints(t *testing.T) {
	srv, _ := newModelAPI(t, "")
	var list struct {
		Strategies []strategy.Summary `json:"strategies"`
	}
	if code := get(t, srv.URL+"/api/v1/strategies", &list); code != 200 || len(list.Strategies) < 4 {
		t.Fatalf("list: %d %+v", code, list)
	}
	var view StrategyView
	if code := get(t, srv.URL+"/api/v1/strategies/rsi_mean_reversion", &view); code != 200 || view.Name != "rsi_mean_reversion" ||
		len(view.Features) == 0 || !strings.HasPrefix(view.Features[0], "1d_rsi_14_") || !strings.HasPrefix(view.Hash, "sha256:") {
		t.Errorf("get: %d %+v", code, view)
	}
	var e httpx.ErrorBody
	if code := get(t, srv.URL+"/api/v1/strategies/nope", &e); code != 404 || e.Error.Code != "not_found" {
		t.Errorf("unknown: %d %+v", code, e)
	}

	raw, err := os.ReadFile(filepath.Join("..", "..", "strategies", "macd_trend.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ok struct {
		Valid    bool         `json:"valid"`
		Strategy StrategyView `json:"strategy"`
	}
	if code := send(t, "POST", srv.URL+"/api/v1/strategies/validate", "application/yaml", string(raw), nil, &ok); code != 200 || !ok.Valid || ok.Strategy.Name != "macd_trend" {
		t.Errorf("validate YAML body: %d %+v", code, ok)
	}
	js, _ := json.Marshal(map[string]string{"yaml": string(raw)})
	if code := send(t, "POST", srv.URL+"/api/v1/strategies/validate", "application/json", string(js), nil, &ok); code != 200 || !ok.Valid {
		t.Errorf("validate JSON body: %d", code)
	}
	bad := strings.Replace(string(raw), "unknown_key_never", "", 1) + "\nextra_top_level: 1\n"
	bad = strings.Replace(bad, "fast_period: 12", "fast_period: [12]", 1)
	var invalid struct {
		Error    httpx.ErrorDetail  `json:"error"`
		Problems []strategy.Problem `json:"problems"`
		Warnings []strategy.Warning `json:"warnings"`
	}
	if code := send(t, "POST", srv.URL+"/api/v1/strategies/validate", "application/yaml", bad, nil, &invalid); code != 422 ||
		invalid.Error.Code != "invalid_strategy" || !strings.HasSuffix(invalid.Error.Field, "fast_period") || len(invalid.Problems) == 0 {
		t.Errorf("invalid: %d %+v", code, invalid)
	}
	if code := send(t, "POST", srv.URL+"/api/v1/strategies/validate", "application/json", `{"yml":"x"}`, nil, &e); code != 400 || e.Error.Field != "yaml" {
		t.Errorf("bad JSON envelope: %d %+v", code, e)
	}
}

func artifactJSON(strategy, tf string, mutate func(map[string]any)) string {
	a := map[string]any{
		"strategy": strategy, "timeframe": tf, "strategy_yaml": "name: x",
		"features": []string{"f1", "f2"}, "architecture": map[string]any{"inputs": 2, "hidden_layers": []int{3}, "outputs": 3},
		"network": map[string]any{"layers": []any{}},
	}
	if mutate != nil {
		mutate(a)
	}
	b, _ := json.Marshal(a)
	return string(b)
}

func TestModelEndpoints(t *testing.T) {
	srv, store := newModelAPI(t, "s3cret")
	tok := http.Header{"X-Ktrdr-Worker-Token": {"s3cret"}}
	put := srv.URL + "/api/v1/models/rsi/1d"
	var e httpx.ErrorBody
	if code := send(t, "PUT", put, "application/json", artifactJSON("rsi", "1d", nil), nil, &e); code != 401 {
		t.Errorf("upload without token: %d", code)
	}
	for name, c := range map[string]struct {
		body, field string
	}{
		"path mismatch":  {artifactJSON("other", "1d", nil), "strategy"},
		"tf mismatch":    {artifactJSON("rsi", "1h", nil), "timeframe"},
		"no features":    {artifactJSON("rsi", "1d", func(m map[string]any) { delete(m, "features") }), "features"},
		"inputs":         {artifactJSON("rsi", "1d", func(m map[string]any) { m["architecture"] = map[string]any{"inputs": 5, "outputs": 3} }), "architecture.inputs"},
		"unknown field":  {artifactJSON("rsi", "1d", func(m map[string]any) { m["weights"] = 1 }), "weights"},
		"wrong type":     {artifactJSON("rsi", "1d", func(m map[string]any) { m["features"] = "f1" }), "features"},
		"network absent": {artifactJSON("rsi", "1d", func(m map[string]any) { delete(m, "network") }), "network"},
	} {
		e = httpx.ErrorBody{}
		if code := send(t, "PUT", put, "application/json", c.body, tok, &e); code != 400 || e.Error.Field != c.field {
			t.Errorf("%s: %d %+v, want 400 field %s", name, code, e, c.field)
		}
	}
	if l, _ := store.List(""); len(l) != 0 {
		t.Fatalf("bad uploads stored %d models", len(l))
	}
	var info models.Info
	for v := 1; v <= 2; v++ {
		if code := send(t, "PUT", put, "application/json", artifactJSON("rsi", "1d", nil), tok, &info); code != 201 || info.Version != v || info.Name != "rsi/1d_v"+string(rune('0'+v)) {
			t.Fatalf("upload %d: %d %+v", v, code, info)
		}
	}
	var list struct {
		Models []models.Info `json:"models"`
	}
	if code := get(t, srv.URL+"/api/v1/models", &list); code != 200 || len(list.Models) != 2 {
		t.Errorf("list: %d %+v", code, list)
	}
	var a models.Artifact
	for _, v := range []string{"latest", "2", "v2"} {
		if code := get(t, srv.URL+"/api/v1/models/rsi/1d/"+v, &a); code != 200 || a.Version != 2 || len(a.Features) != 2 {
			t.Errorf("get %s: %d %+v", v, code, a)
		}
	}
	for path, want := range map[string]int{"/rsi/1d/3": 404, "/rsi/1h/latest": 404, "/nope/1d/latest": 404, "/rsi/2d/latest": 400, "/rsi/1d/v0": 400} {
		e = httpx.ErrorBody{}
		if code := get(t, srv.URL+"/api/v1/models"+path, &e); code != want || e.Error.Message == "" {
			t.Errorf("GET %s: %d %+v, want %d", path, code, e, want)
		}
	}
}

func TestIndicatorsAndSymbols(t *testing.T) {
	host := httptest.NewServer(ibhost.New(httpx.Info{Service: ibhost.ServiceName}).Handler())
	defer host.Close()
	srv := httptest.NewServer(New(Config{Info: httpx.Info{Service: ServiceName}, Host: &ibhost.Client{BaseURL: host.URL}}).Handler())
	defer srv.Close()
	var ind struct {
		Indicators []IndicatorInfo `json:"indicators"`
	}
	if code := get(t, srv.URL+"/api/v1/indicators", &ind); code != 200 || len(ind.Indicators) < 17 {
		t.Fatalf("indicators: %d %d", code, len(ind.Indicators))
	}
	var rsi *IndicatorInfo
	for i := range ind.Indicators {
		if ind.Indicators[i].Name == "rsi" {
			rsi = &ind.Indicators[i]
		}
	}
	if rsi == nil || len(rsi.Params) != 1 || rsi.Params[0].Name != "period" || rsi.Params[0].Default != 14 || !rsi.UsesSource {
		t.Errorf("rsi: %+v", rsi)
	}
	var syms struct {
		Symbols []ibhost.SymbolInfo `json:"symbols"`
	}
	if code := get(t, srv.URL+"/api/v1/symbols", &syms); code != 200 || len(syms.Symbols) == 0 {
		t.Errorf("symbols: %d %+v", code, syms)
	}
}
