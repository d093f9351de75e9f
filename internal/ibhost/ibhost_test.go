package ibhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

var testInfo = httpx.Info{Service: ServiceName, Version: "test", InstanceID: "h1"}

// recordSpans installs a recording tracer provider and the W3C propagator
// globally for the test.
func recordSpans(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })
	return rec
}

// waitSpan waits for an ended span matching ok: a server span ends after
// its handler returns, which can be after the client has read the answer.
func waitSpan(t *testing.T, rec *tracetest.SpanRecorder, ok func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, s := range rec.Ended() {
			if ok(s) {
				return s
			}
		}
	}
	return nil
}

func newServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	cfg.Info = testInfo
	srv := httptest.NewServer(NewWithConfig(cfg).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string, out any) int {
	t.Helper()
	resp, err := http.Post(url+"/data/historical", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
	}
	return resp.StatusCode
}

func fileBars(t *testing.T) []marketdata.Bar {
	t.Helper()
	f, err := os.Open("../../data/sample/SPX_1d.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := marketdata.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]marketdata.Bar, len(tab.Rows))
	for i, r := range tab.Rows {
		out[i] = r.Bar()
	}
	return out
}

func sameBar(a, b marketdata.Bar) bool {
	bits := math.Float64bits
	return a.Time.Equal(b.Time) && bits(a.Open) == bits(b.Open) && bits(a.High) == bits(b.High) &&
		bits(a.Low) == bits(b.Low) && bits(a.Close) == bits(b.Close) && bits(a.Volume) == bits(b.Volume)
}

func TestHistoricalSPXFullIsTheFile(t *testing.T) {
	srv := newServer(t, Config{})
	var res HistoricalResponse
	if code := post(t, srv.URL, `{"symbol":"spx","timeframe":"1d"}`, &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	want := fileBars(t)
	if len(res.Bars) != 5105 || len(want) != 5105 {
		t.Fatalf("got %d bars, file %d; want 5105", len(res.Bars), len(want))
	}
	for i := range want {
		if !sameBar(res.Bars[i], want[i]) {
			t.Fatalf("bar %d: got %+v, file %+v", i, res.Bars[i], want[i])
		}
	}
	if res.Symbol != "SPX" || res.Timeframe != "1d" || res.Provider != "sample" {
		t.Errorf("header: %+v", res)
	}
	if res.Quality.Rows != 5105 || res.Quality.Accepted != 5105 || res.Quality.Refused != 0 {
		t.Errorf("quality: %+v", res.Quality)
	}
}

func TestHistoricalWindow(t *testing.T) {
	srv := newServer(t, Config{})
	var want []marketdata.Bar
	lo, hi := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, b := range fileBars(t) {
		if !b.Time.Before(lo) && b.Time.Before(hi) {
			want = append(want, b)
		}
	}
	for _, body := range []string{
		`{"symbol":"SPX","timeframe":"1d","start":"2020-01-01","end":"2020-01-31"}`,
		`{"symbol":"SPX","timeframe":"1d","start":"2020-01-01T00:00:00Z","end":"2020-01-31T23:00:00Z"}`,
		`{"symbol":"SPX","timeframe":"1d","start":"2019-12-31T19:00:00-05:00","end":"2020-01-31T12:00:00+00:00"}`,
	} {
		var res HistoricalResponse
		if code := post(t, srv.URL, body, &res); code != 200 {
			t.Fatalf("%s: status %d", body, code)
		}
		if len(res.Bars) != len(want) || len(want) != 21 {
			t.Fatalf("%s: %d bars, want %d (21)", body, len(res.Bars), len(want))
		}
		for i := range want {
			if !sameBar(res.Bars[i], want[i]) {
				t.Fatalf("%s: bar %d: %+v vs %+v", body, i, res.Bars[i], want[i])
			}
		}
	}
	// A window with no bars is an empty answer, not an error.
	var res HistoricalResponse
	if code := post(t, srv.URL, `{"symbol":"SPX","timeframe":"1d","start":"2020-01-04","end":"2020-01-05"}`, &res); code != 200 || res.Bars == nil || len(res.Bars) != 0 {
		t.Errorf("weekend window: %d %+v", code, res)
	}
}

func TestHistoricalSynthetic(t *testing.T) {
	srv := newServer(t, Config{})
	body := `{"symbol":"SYNTEST","timeframe":"1h","start":"2021-03-01","end":"2021-03-31"}`
	var a, b HistoricalResponse
	if code := post(t, srv.URL, body, &a); code != 200 {
		t.Fatalf("status %d", code)
	}
	if code := post(t, srv.URL, body, &b); code != 200 {
		t.Fatalf("status %d", code)
	}
	if a.Provider != "synthetic" || len(a.Bars) < 100 {
		t.Fatalf("provider %q, %d bars", a.Provider, len(a.Bars))
	}
	for i, bar := range a.Bars {
		if !bar.Valid() || bar.Time.Month() != time.March || (i > 0 && !bar.Time.After(a.Bars[i-1].Time)) {
			t.Fatalf("bar %d invalid or out of order: %+v", i, bar)
		}
		if !sameBar(bar, b.Bars[i]) {
			t.Fatalf("not deterministic at %d: %+v vs %+v", i, bar, b.Bars[i])
		}
	}
	if len(a.Bars) != len(b.Bars) {
		t.Fatalf("lengths %d vs %d", len(a.Bars), len(b.Bars))
	}
	// The same bars as the generator itself.
	want := marketdata.Synthetic("SYNTEST", marketdata.TF1h, 1, time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 3, 31, 23, 59, 59, 999999999, time.UTC))
	if len(want.Bars) != len(a.Bars) || !sameBar(want.Bars[7], a.Bars[7]) {
		t.Errorf("differs from marketdata.Synthetic: %d vs %d bars", len(want.Bars), len(a.Bars))
	}
}

func TestHistoricalErrors(t *testing.T) {
	srv := newServer(t, Config{})
	for _, c := range []struct {
		body   string
		status int
		field  string
		msg    string
	}{
		{`{"symbol":"SPY","timeframe":"1d"}`, 404, "symbol", "SPY"},
		{`{"symbol":"SPX","timeframe":"1h"}`, 404, "timeframe", "SPX"},
		{`{"symbol":"SPX","timeframe":"2d"}`, 400, "timeframe", ""},
		{`{"symbol":"SPX"}`, 400, "timeframe", ""},
		{`{"timeframe":"1d"}`, 400, "symbol", ""},
		{`{"symbol":"S/PX","timeframe":"1d"}`, 400, "symbol", ""},
		{`{"symbol":"AVERYVERYLONGSYMBOLNAME","timeframe":"1d"}`, 400, "symbol", ""},
		{`{"symbol":"SPX","timeframe":"1d","start":"yesterday"}`, 400, "start", ""},
		{`{"symbol":"SPX","timeframe":"1d","end":"2020-13-01"}`, 400, "end", ""},
		{`{"symbol":"SPX","timeframe":"1d","start":"2020-02-01","end":"2020-01-01"}`, 400, "start", ""},
		{`{"symbol":"SPX","timeframe":"1d","start":"1969-12-31"}`, 400, "start", ""},
		{`{"symbol":"SPX","timeframe":"1d","end":"2999-01-01"}`, 400, "end", ""},
		{`{"symbol":"SYNX","timeframe":"1m","start":"1971-01-01","end":"2025-01-01"}`, 400, "end", ""},
		{`{"symbol":"SYNX","timeframe":"1m","start":"1990-01-01"}`, 400, "end", ""},
		{`{"symbol":"SPX","timeframe":"1d","bogus":1}`, 400, "bogus", ""},
		{`{"symbol":1,"timeframe":"1d"}`, 400, "symbol", ""},
		{`not json`, 400, "", ""},
		{`{"symbol":"SPX","timeframe":"1d","start":"` + strings.Repeat("x", MaxBody) + `"}`, 413, "", ""},
	} {
		var e httpx.ErrorBody
		code := post(t, srv.URL, c.body, &e)
		short := c.body
		if len(short) > 80 {
			short = short[:80]
		}
		if code != c.status || e.Error.Field != c.field || !strings.Contains(e.Error.Message, c.msg) {
			t.Errorf("%s: %d %+v; want %d field %q", short, code, e.Error, c.status, c.field)
		}
	}
}

func TestCacheServesSecondRequest(t *testing.T) {
	rec := recordSpans(t)
	dir := t.TempDir()
	srv := newServer(t, Config{Cache: &Cache{Dir: dir}})
	body := `{"symbol":"SYNCACHE","timeframe":"1d","start":"2010-01-01","end":"2010-12-31","operation_id":"op_x"}`
	var first, second HistoricalResponse
	if code := post(t, srv.URL, body, &first); code != 200 || first.Provider != "synthetic" {
		t.Fatalf("first: %d %q", code, first.Provider)
	}
	names := func() map[string]int {
		m := map[string]int{}
		for _, s := range rec.Ended() {
			m[s.Name()]++
		}
		return m
	}
	if n := names(); n["data.fetch"] != 1 || n["data.cache.read"] != 1 || n["data.cache.write"] != 1 {
		t.Fatalf("first request spans: %v", n)
	}
	for _, s := range rec.Ended() {
		if s.Name() == "data.fetch" {
			attrs := map[string]string{}
			for _, a := range s.Attributes() {
				attrs[string(a.Key)] = a.Value.String()
			}
			if attrs["data.provider"] != "synthetic" || attrs["data.symbol"] != "SYNCACHE" || attrs["data.timeframe"] != "1d" ||
				attrs["operation.id"] != "op_x" || attrs["bars.received"] != "261" {
				t.Errorf("data.fetch attributes: %v", attrs)
			}
		}
	}
	// Inside the cached range: served from the cache, no fetch.
	inner := `{"symbol":"SYNCACHE","timeframe":"1d","start":"2010-03-01","end":"2010-06-30"}`
	if code := post(t, srv.URL, inner, &second); code != 200 || second.Provider != "cache" {
		t.Fatalf("second: %d %q", code, second.Provider)
	}
	if n := names(); n["data.fetch"] != 1 || n["data.cache.read"] != 2 {
		t.Fatalf("second request spans: %v", n)
	}
	hit := waitSpan(t, rec, func(s sdktrace.ReadOnlySpan) bool {
		for _, a := range s.Attributes() {
			if s.Name() == "POST /data/historical" && a.Key == "cache.hit" && a.Value.AsBool() {
				return true
			}
		}
		return false
	})
	if hit == nil {
		t.Error("no server span with cache.hit=true")
	}
	k := 0
	for _, b := range first.Bars {
		if b.Time.Month() >= 3 && b.Time.Month() <= 6 {
			if k >= len(second.Bars) || !sameBar(b, second.Bars[k]) {
				t.Fatalf("cached bar %d differs", k)
			}
			k++
		}
	}
	if k != len(second.Bars) {
		t.Fatalf("cache answered %d bars, want %d", len(second.Bars), k)
	}
	// The file exists, is ktrdr layout and round-trips.
	f, err := os.Open(filepath.Join(dir, "SYNCACHE_1d.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := marketdata.ReadCSV(f)
	if err != nil || tab.Layout != marketdata.LayoutKtrdr || len(tab.Rows) != len(first.Bars) {
		t.Fatalf("cache file: %v %s %d rows", err, tab.Layout, len(tab.Rows))
	}
	for i, r := range tab.Rows {
		if !sameBar(r.Bar(), first.Bars[i]) {
			t.Fatalf("cache row %d differs", i)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("cache dir holds %d entries (temp files left?)", len(ents))
	}
}

func TestCacheMerge(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	day := func(m, d int) time.Time { return time.Date(2011, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	gen := func(a, b time.Time) marketdata.Series { return marketdata.Synthetic("SYNM", marketdata.TF1d, 3, a, b) }
	if err := c.Put(gen(day(1, 1), day(1, 31))); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(gen(day(1, 15), day(2, 28))); err != nil { // overlaps: merged
		t.Fatal(err)
	}
	s, err := c.Load("SYNM", marketdata.TF1d)
	want := gen(day(1, 1), day(2, 28))
	if err != nil || len(s.Bars) != len(want.Bars) {
		t.Fatalf("merged: %v %d bars, want %d", err, len(s.Bars), len(want.Bars))
	}
	if _, ok, _ := c.Get("SYNM", marketdata.TF1d, day(1, 3), day(2, 28)); !ok {
		t.Error("window inside merged span: miss")
	}
	if err := c.Put(gen(day(6, 1), day(6, 30))); err != nil { // disjoint: replaces
		t.Fatal(err)
	}
	if _, ok, _ := c.Get("SYNM", marketdata.TF1d, day(1, 3), day(2, 28)); ok {
		t.Error("replaced span still hit")
	}
	if _, ok, _ := c.Get("SYNM", marketdata.TF1d, day(3, 1), day(6, 30)); ok {
		t.Error("window reaching outside the span hit")
	}
}

func TestClientPropagatesTrace(t *testing.T) {
	rec := recordSpans(t)
	srv := newServer(t, Config{})
	c := &Client{BaseURL: srv.URL, HTTP: telemetry.NewHTTPClient(10 * time.Second)}
	ctx, root := otel.Tracer("test").Start(context.Background(), "root")
	s, q, err := c.Historical(ctx, HistoricalRequest{Symbol: "SPX", Timeframe: "1d", Start: "2020-04-01", End: "2020-04-30"})
	root.End()
	if err != nil || len(s.Bars) != 12 || s.Symbol != "SPX" || q.Accepted != 12 {
		t.Fatalf("historical: %v %d bars %+v", err, len(s.Bars), q)
	}
	isPost := func(kind string) func(sdktrace.ReadOnlySpan) bool {
		return func(sp sdktrace.ReadOnlySpan) bool {
			return sp.Name() == "POST /data/historical" && sp.SpanKind().String() == kind
		}
	}
	client, server := waitSpan(t, rec, isPost("client")), waitSpan(t, rec, isPost("server"))
	if client == nil || server == nil {
		t.Fatalf("spans: client %v server %v", client, server)
	}
	if server.Parent().SpanID() != client.SpanContext().SpanID() || server.SpanContext().TraceID() != root.SpanContext().TraceID() {
		t.Errorf("server span not a child of the client span")
	}

	syms, err := c.Symbols(ctx)
	if err != nil || len(syms) != 2 || syms[0].Symbol != "SPX" || syms[1].Symbol != "SYN*" || !syms[1].Any {
		t.Errorf("symbols: %v %+v", err, syms)
	}
	rg, err := c.Range(ctx, "spx", marketdata.TF1d)
	if err != nil || rg.Bars != 5105 || rg.Start == nil || !rg.Start.Equal(time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)) ||
		!rg.End.Equal(time.Date(2020, 4, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("range: %v %+v", err, rg)
	}
	_, _, err = c.Historical(ctx, HistoricalRequest{Symbol: "SPY", Timeframe: "1d"})
	var ae *APIError
	if !errors.Is(err, ErrUnknownSymbol) || !errors.As(err, &ae) || ae.Status != 404 || ae.Field != "symbol" || !strings.Contains(ae.Message, "SPY") {
		t.Errorf("unknown symbol: %v", err)
	}
	_, err = c.Range(ctx, "SPX", "7d")
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Field != "timeframe" {
		t.Errorf("range bad timeframe: %v", err)
	}
}

func TestHealthAndRoutes(t *testing.T) {
	rec := recordSpans(t)
	srv := newServer(t, Config{Cache: &Cache{Dir: t.TempDir()}})
	resp, err := http.Get(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h HealthBody
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Status != "ok" || h.Info != testInfo || h.Provider.Name != "auto" || h.Provider.State != "ok" || h.Provider.Symbols != 2 || h.Cache == "" {
		t.Errorf("health: %+v", h)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("/health made %d spans", n)
	}
	for path, want := range map[string]int{"/ping": 200, "/nope": 404, "/data/range?symbol=SPY&timeframe=1d": 404, "/data/range?symbol=SPX": 400} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// A broken provider makes health degraded.
	bad := newServer(t, Config{Provider: &CSVProvider{FS: os.DirFS(filepath.Join(t.TempDir(), "missing")), Label: "csv"}})
	resp, err = http.Get(bad.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	h = HealthBody{}
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Status != "degraded" || h.Provider.State != "error" || h.Provider.Error == "" {
		t.Errorf("broken provider health: %+v", h)
	}
}

func TestCSVProviderUserDir(t *testing.T) {
	dir := t.TempDir()
	// Yahoo layout, lower-case name, one broken row in the window.
	csv := "Date,Open,High,Low,Close,Adj Close,Volume\n" +
		"2021-01-04,10,11,9,10.5,10.5,100\n" +
		"2021-01-05,10,9,11,10.5,10.5,100\n" + // high < low: refused
		"2021-01-06,10,12,9,11,11,100\n"
	if err := os.WriteFile(filepath.Join(dir, "abc_1d.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Multi{Label: "auto", Providers: []Provider{SampleProvider(), &CSVProvider{FS: os.DirFS(dir), Label: "csv"}, &SyntheticProvider{Seed: 1, Prefix: "SYN"}}}
	name, s, q, err := m.fetchFrom(context.Background(), "ABC", marketdata.TF1d, time.Time{}, time.Time{})
	if err != nil || name != "csv" || len(s.Bars) != 2 || q.Refused != 1 || q.Count(marketdata.RuleHighBelowLow) != 1 {
		t.Fatalf("ABC: %v %q %d bars %+v", err, name, len(s.Bars), q)
	}
	_, q, err = m.Fetch(context.Background(), "ABC", marketdata.TF1d, time.Date(2021, 1, 6, 0, 0, 0, 0, time.UTC), time.Time{})
	if err != nil || q.Refused != 0 || q.Accepted != 1 {
		t.Errorf("windowed quality: %v %+v", err, q)
	}
	if _, _, err := m.Fetch(context.Background(), "ABC", marketdata.TF1h, time.Time{}, time.Time{}); !errors.Is(err, ErrNoData) {
		t.Errorf("ABC 1h: %v", err)
	}
	if _, _, err := m.Fetch(context.Background(), "SPY", marketdata.TF1d, time.Time{}, time.Time{}); !errors.Is(err, ErrUnknownSymbol) {
		t.Errorf("SPY: %v", err)
	}
	syms, err := m.Symbols(context.Background())
	if err != nil || len(syms) != 3 || syms[1].Symbol != "ABC" {
		t.Errorf("symbols: %v %+v", err, syms)
	}
	// --provider synthetic: anything goes.
	anySym := &SyntheticProvider{Seed: 1}
	if s, _, err := anySym.Fetch(context.Background(), "spy", marketdata.TF1d, time.Time{}, time.Time{}); err != nil || len(s.Bars) == 0 || s.Symbol != "SPY" {
		t.Errorf("synthetic SPY: %v %d", err, len(s.Bars))
	}
}

func FuzzHistoricalRequest(f *testing.F) {
	for _, s := range []string{
		`{"symbol":"SPX","timeframe":"1d"}`,
		`{"symbol":"SPX","timeframe":"1d","start":"2020-01-01","end":"2020-01-31"}`,
		`{"symbol":"SYNA","timeframe":"1w","start":"2019-01-01T00:00:00Z","end":"2020-01-01T00:00:00Z"}`,
		`{"symbol":"SYNA","timeframe":"4h","start":"2024-01-01","operation_id":"op"}`,
		`{"symbol":"x","timeframe":"1m","end":"1970-01-01"}`,
		`{}`, `[]`, `null`, ``, `{"symbol":`,
	} {
		f.Add([]byte(s))
	}
	h := NewWithConfig(Config{Info: testInfo, Cache: &Cache{Dir: f.TempDir()}}).Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/data/historical", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body.String())
		}
	})
}

func TestBuildProvider(t *testing.T) {
	ctx := context.Background()
	for mode, want := range map[string]string{"": "auto", "auto": "auto", "csv": "csv", "synthetic": "synthetic"} {
		p, err := BuildProvider(ProviderOptions{Mode: mode, Seed: 1})
		if err != nil || p.Name() != want {
			t.Errorf("mode %q: %v %v", mode, err, p)
		}
	}
	csv, _ := BuildProvider(ProviderOptions{Mode: ModeCSV})
	if _, _, err := csv.Fetch(ctx, "SYNTEST", marketdata.TF1d, time.Time{}, time.Time{}); !errors.Is(err, ErrUnknownSymbol) {
		t.Errorf("csv mode served SYNTEST: %v", err)
	}
	syn, _ := BuildProvider(ProviderOptions{Mode: ModeSynthetic})
	if s, _, err := syn.Fetch(ctx, "SPX", marketdata.TF1d, time.Time{}, time.Time{}); err != nil || len(s.Bars) == 0 {
		t.Errorf("synthetic mode SPX: %v", err)
	}
	sp, err := BuildProvider(ProviderOptions{SampleDir: "../../data/sample"})
	if err != nil {
		t.Fatal(err)
	}
	if s, _, err := sp.Fetch(ctx, "SPX", marketdata.TF1d, time.Time{}, time.Time{}); err != nil || len(s.Bars) != 5105 {
		t.Errorf("--sample-dir: %v %d", err, len(s.Bars))
	}
	for _, o := range []ProviderOptions{{Mode: "ib"}, {DataDir: "/nonexistent/dir"}, {SampleDir: "ibhost.go"}} {
		if _, err := BuildProvider(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	t.Setenv("KTRDR_DATA_DIR", "/x")
	if d := DefaultCacheDir(); d != "/x/cache" {
		t.Errorf("DefaultCacheDir %q", d)
	}
}
