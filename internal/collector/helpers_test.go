package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// testCollector is a collector served on loopback ports chosen by the system.
type testCollector struct {
	grpcAddr string // host:port
	httpURL  string // http://host:port
	queryURL string // http://host:port
}

func startCollector(t *testing.T, o Options) testCollector {
	t.Helper()
	var lns [3]net.Listener
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, o, lns[0], lns[1], lns[2]) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return testCollector{
		grpcAddr: lns[0].Addr().String(),
		httpURL:  "http://" + lns[1].Addr().String(),
		queryURL: "http://" + lns[2].Addr().String(),
	}
}

// postOTLP sends td to an OTLP/HTTP endpoint in the given encoding.
func postOTLP(t *testing.T, endpoint string, td ptrace.Traces, asJSON, gz bool) *http.Response {
	t.Helper()
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var (
		body []byte
		err  error
	)
	ct := contentTypeProtobuf
	if asJSON {
		ct = contentTypeJSON
		body, err = req.MarshalJSON()
	} else {
		body, err = req.MarshalProto()
	}
	if err != nil {
		t.Fatal(err)
	}
	hreq, err := http.NewRequest(http.MethodPost, endpoint+"/v1/traces", bytes.NewReader(gzipIf(t, gz, body)))
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header.Set("Content-Type", ct)
	if gz {
		hreq.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func gzipIf(t *testing.T, gz bool, b []byte) []byte {
	if !gz {
		return b
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// getJSON fetches base+path and decodes the body into a T, returning the
// status code.
func getJSON[T any](t *testing.T, base, path string) (T, int) {
	t.Helper()
	var v T
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: decode %q: %v", path, body, err)
	}
	return v, resp.StatusCode
}

// viaJSON returns v after a JSON round trip, so that expected values compare
// equal to decoded ones (numbers become float64, []byte base64 strings).
func viaJSON[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func assertEqualJSON[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	want = viaJSON(t, want)
	got = viaJSON(t, got)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s:\n got: %s\nwant: %s", what, g, w)
	}
}

func q(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Add(params[i], params[i+1])
	}
	return v.Encode()
}

type tracesResponse = jaegerapi.Response[[]jaegerapi.Trace]

func traceIDsOf(r tracesResponse) []string {
	var ids []string
	for _, tr := range r.Data {
		ids = append(ids, tr.TraceID)
	}
	return ids
}

func containsAll(s string, subs ...string) (missing []string) {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			missing = append(missing, sub)
		}
	}
	return missing
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

func viaJSONBytes[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}
