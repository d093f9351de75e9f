// Package dashboard is ktrdr's web dashboard: one HTML page and its static
// assets — CSS, plain JavaScript modules and hand-written SVG charts, no
// framework and no build step — embedded in the binary and served by the API
// (the page at GET / for browsers, the assets under /ui/).
//
// The page reads the API like any other client. Its periodic refreshes send
// telemetry.PollHeader so the API makes no spans for them; what a user does
// (start, cancel) is traced as usual, so a training started from the page is
// one trace from the API's POST onward.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/httpx"
)

// Prefix is where the assets are served: /ui/app.js, /ui/views/trace.js, ...
const Prefix = "/ui/"

//go:embed assets
var embedded embed.FS

// contentSecurityPolicy keeps the page to its own origin: no inline script
// or style, no third-party anything. (Styles set through the CSSOM, as the
// charts and progress bars do, are allowed.)
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type asset struct {
	name  string
	body  []byte
	ctype string
	etag  string
}

var files = load()

// load reads every embedded file once, with its content type and an ETag
// from its content.
func load() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "assets/")
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		sum := sha256.Sum256(body)
		out[name] = &asset{name: name, body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("dashboard: reading embedded assets: " + err.Error())
	}
	return out
}

// WantsHTML tells whether the request asks for HTML (its Accept header
// names text/html), as a browser navigating to the API does. Other clients
// (curl, the CLI, benchmarks) keep getting JSON.
func WantsHTML(r *http.Request) bool {
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), "text/html")
}

// ServeIndex answers the dashboard page.
func ServeIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("Referrer-Policy", "no-referrer")
	serve(w, r, files["index.html"])
}

// Assets serves the embedded files under Prefix. Every answer carries an
// ETag and Cache-Control: no-cache, so a browser revalidates (a 304 with
// no body) and never runs a stale module after an upgrade.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		a, ok := files[name]
		if !ok || name == "index.html" {
			httpx.NotFound(w, r)
			return
		}
		serve(w, r, a)
	})
}

func serve(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers If-None-Match with 304, HEAD and ranges.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
