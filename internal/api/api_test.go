package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

func get(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func TestPingReachesPeersAndReportsFailures(t *testing.T) {
	host := httptest.NewServer(ibhost.New(httpx.Info{Service: ibhost.ServiceName, InstanceID: "h1"}).Handler())
	defer host.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // a peer that is not running

	info := httpx.Info{Service: ServiceName, Version: "v", InstanceID: "a1"}
	newAPI := func(peers ...Peer) *httptest.Server {
		return httptest.NewServer(New(Config{Info: info, Peers: peers, Client: telemetry.NewHTTPClient(2 * time.Second)}).Handler())
	}

	ok := newAPI(Peer{Name: "ib-host", URL: host.URL})
	defer ok.Close()
	var res PingResult
	if code := get(t, ok.URL+"/api/v1/system/ping", &res); code != http.StatusOK {
		t.Fatalf("status %d: %+v", code, res)
	}
	if len(res.Peers) != 1 || !res.Peers[0].OK || res.Peers[0].Pong.Service != ibhost.ServiceName || res.Peers[0].Pong.InstanceID != "h1" {
		t.Fatalf("peers = %+v", res.Peers)
	}

	bad := newAPI(Peer{Name: "ib-host", URL: host.URL}, Peer{Name: "worker-1", URL: down.URL})
	defer bad.Close()
	res = PingResult{}
	if code := get(t, bad.URL+"/api/v1/system/ping", &res); code != http.StatusBadGateway {
		t.Fatalf("status %d with a peer down, want 502", code)
	}
	if res.Peers[1].OK || res.Peers[1].Error == "" || res.Peers[1].Name != "worker-1" {
		t.Errorf("failed peer not reported: %+v", res.Peers[1])
	}
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	srv := httptest.NewServer(New(Config{Info: httpx.Info{Service: ServiceName, Version: "1.0", InstanceID: "i"}}).Handler())
	defer srv.Close()
	for _, path := range []string{"/health", "/api/v1/health"} {
		var h httpx.Health
		if code := get(t, srv.URL+path, &h); code != 200 || h.Status != "ok" || h.Service != ServiceName || h.Version != "1.0" || h.InstanceID != "i" {
			t.Errorf("%s: %d %+v", path, code, h)
		}
	}
	var e httpx.ErrorBody
	if code := get(t, srv.URL+"/nope", &e); code != http.StatusNotFound || e.Error.Code != "not_found" || e.Error.Message == "" {
		t.Errorf("unknown route: %d %+v", code, e)
	}
}
