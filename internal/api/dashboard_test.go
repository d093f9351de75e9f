package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ktrdr/ktrdr/internal/httpx"
)

func request(t *testing.T, method, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestRootServesThePageToBrowsersAndJSONToOthers: GET / keeps its JSON for
// curl, benchmarks and the CLI, and is the dashboard for a browser.
func TestRootServesThePageToBrowsersAndJSONToOthers(t *testing.T) {
	srv := httptest.NewServer(New(Config{Info: httpx.Info{Service: ServiceName, Version: "1.0", InstanceID: "i"}}).Handler())
	defer srv.Close()

	for _, accept := range []string{"", "application/json", "*/*"} {
		resp, body := request(t, "GET", srv.URL+"/", "Accept", accept)
		var info map[string]any
		if err := json.Unmarshal([]byte(body), &info); err != nil || resp.StatusCode != 200 || info["service"] != ServiceName {
			t.Fatalf("Accept %q: %d %s", accept, resp.StatusCode, body)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept") {
			t.Errorf("Accept %q: no Vary: Accept", accept)
		}
		endpoints, _ := info["endpoints"].([]any)
		var listed bool
		for _, e := range endpoints {
			listed = listed || e == "GET /api/v1/operations/{id}/trace"
		}
		if !listed {
			t.Errorf("the trace endpoint is not listed: %v", endpoints)
		}
	}

	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	resp, body := request(t, "GET", srv.URL+"/", "Accept", browser)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `<script type="module" src="/ui/app.js">`) || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Fatalf("browser: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("the page has no Content-Security-Policy")
	}

	resp, body = request(t, "GET", srv.URL+"/ui/app.js")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(body, "import") {
		t.Fatalf("/ui/app.js: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = request(t, "GET", srv.URL+"/ui/app.js", "If-None-Match", resp.Header.Get("ETag"))
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation answered %d, want 304", resp.StatusCode)
	}
	var e httpx.ErrorBody
	if resp, body := request(t, "GET", srv.URL+"/ui/nope.js"); resp.StatusCode != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "not_found" {
		t.Errorf("unknown asset: %d %s", resp.StatusCode, body)
	}
}

func TestSystemConfig(t *testing.T) {
	for _, cfg := range []SystemConfig{{}, {QueryURL: "http://127.0.0.1:16686", JaegerUIURL: "http://jaeger.example:16686"}} {
		srv := httptest.NewServer(New(Config{Info: httpx.Info{Service: ServiceName}, QueryURL: cfg.QueryURL, JaegerUIURL: cfg.JaegerUIURL}).Handler())
		resp, body := request(t, "GET", srv.URL+"/api/v1/system/config")
		srv.Close()
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		// Both keys are always there, empty when not configured.
		if v, ok := got["query_url"]; !ok || v != cfg.QueryURL {
			t.Errorf("query_url: %s", body)
		}
		if v, ok := got["jaeger_ui_url"]; !ok || v != cfg.JaegerUIURL {
			t.Errorf("jaeger_ui_url: %s", body)
		}
	}
}
