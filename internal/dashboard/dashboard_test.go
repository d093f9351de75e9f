package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// newServer serves the dashboard as the API mounts it: the page at / for
// browsers, the assets under Prefix.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if WantsHTML(r) {
			ServeIndex(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"service":"test"}`)
	})
	mux.Handle("GET "+Prefix, Assets())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
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

func TestIndexForBrowsers(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/", "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<html lang="en">`, `name="viewport"`, `<script type="module" src="/ui/app.js">`, `href="/ui/app.css"`, `<main id="main"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("cache headers %v", resp.Header)
	}
	// Everything else keeps its JSON.
	if resp, body := get(t, srv.URL+"/", "Accept", "application/json"); !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || body != `{"service":"test"}` {
		t.Errorf("JSON client got %q %s", resp.Header.Get("Content-Type"), body)
	}
}

func TestWantsHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		"": false, "*/*": false, "application/json": false,
		"text/html": true, "TEXT/HTML": true, "text/html,application/xhtml+xml,*/*;q=0.8": true,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept", accept)
		if got := WantsHTML(r); got != want {
			t.Errorf("WantsHTML(%q) = %v", accept, got)
		}
	}
}

func TestAssetsContentTypesAndCaching(t *testing.T) {
	srv := newServer(t)
	for name, ctype := range map[string]string{
		"app.js":          "text/javascript; charset=utf-8",
		"views/trace.js":  "text/javascript; charset=utf-8",
		"app.css":         "text/css; charset=utf-8",
		"favicon.svg":     "image/svg+xml",
		"charts.js":       "text/javascript; charset=utf-8",
		"views/start.js":  "text/javascript; charset=utf-8",
		"views/models.js": "text/javascript; charset=utf-8",
	} {
		resp, body := get(t, srv.URL+Prefix+name)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype || body == "" {
			t.Errorf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: headers %v", name, resp.Header)
		}
		etag := resp.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
			t.Errorf("%s: ETag %q", name, etag)
		}
		if resp, body := get(t, srv.URL+Prefix+name, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("%s: revalidation %d", name, resp.StatusCode)
		}
		if resp, _ := get(t, srv.URL+Prefix+name, "If-None-Match", `"stale"`); resp.StatusCode != 200 {
			t.Errorf("%s: stale ETag answered %d", name, resp.StatusCode)
		}
	}
	for _, name := range []string{"nope.js", "index.html", "", "views/", "views/nope.js"} {
		if resp, body := get(t, srv.URL+Prefix+name); resp.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
			t.Errorf("%q: %d %s", name, resp.StatusCode, body)
		}
	}
}

var (
	importRe = regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]`)
	refRe    = regexp.MustCompile(`(?:src|href)="(/ui/[^"]+)"`)
)

// TestModulesResolve checks, without a browser, what no build step checks:
// every module import and every asset the page names is embedded, and the
// page has no inline script or style the CSP would block.
func TestModulesResolve(t *testing.T) {
	var modules int
	for name, a := range files {
		if path.Ext(name) != ".js" {
			continue
		}
		modules++
		for _, m := range importRe.FindAllStringSubmatch(string(a.body), -1) {
			if !strings.HasPrefix(m[1], ".") {
				t.Errorf("%s imports %q: only relative imports of embedded modules", name, m[1])
				continue
			}
			target := path.Join(path.Dir(name), m[1])
			if _, ok := files[target]; !ok {
				t.Errorf("%s imports %s, which is not embedded", name, target)
			}
		}
		if strings.Contains(string(a.body), "setAttribute('style'") || strings.Contains(string(a.body), "innerHTML") {
			t.Errorf("%s sets a style attribute or innerHTML (blocked by the CSP, or unsafe)", name)
		}
	}
	if modules < 8 {
		t.Errorf("only %d modules embedded", modules)
	}
	page := string(files["index.html"].body)
	for _, m := range refRe.FindAllStringSubmatch(page, -1) {
		if _, ok := files[strings.TrimPrefix(m[1], Prefix)]; !ok {
			t.Errorf("index.html names %s, which is not embedded", m[1])
		}
	}
	if regexp.MustCompile(`<script(?:\s+type="module")?>`).MatchString(page) || strings.Contains(page, "<style") || strings.Contains(page, " style=") {
		t.Error("index.html has inline script or style")
	}
	// Every embedded module is reachable from the page: nothing stale ships.
	reached := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		if reached[name] || files[name] == nil {
			return
		}
		reached[name] = true
		for _, m := range importRe.FindAllStringSubmatch(string(files[name].body), -1) {
			walk(path.Join(path.Dir(name), m[1]))
		}
	}
	for _, m := range refRe.FindAllStringSubmatch(page, -1) {
		walk(strings.TrimPrefix(m[1], Prefix))
	}
	for name := range files {
		if name != "index.html" && !reached[name] {
			t.Errorf("%s is embedded but neither the page nor a module uses it", name)
		}
	}
}
