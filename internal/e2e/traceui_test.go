package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/testkit"
)

// TestTraceUIReadsEitherBackend: `ktrdr trace ui --query URL` shows the same
// services and the waterfall of a trace whichever backend it reads.
func TestTraceUIReadsEitherBackend(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			env := append(b.Env(), testkit.FastExport...)
			hostPort, apiPort, uiPort := testkit.FreePort(t), testkit.FreePort(t), testkit.FreePort(t)
			testkit.Start(t, "ib-host", env, "serve", "ib-host", "--port", strconv.Itoa(hostPort))
			testkit.Start(t, "api", env, "serve", "api", "--port", strconv.Itoa(apiPort), "--ib-host-url", testkit.URL(hostPort))
			testkit.Start(t, "trace ui", nil, "trace", "ui", "--query", b.QueryURL, "--port", strconv.Itoa(uiPort))
			for _, p := range []int{hostPort, apiPort} {
				testkit.WaitHealthy(t, testkit.URL(p)+"/health", 20*time.Second)
			}
			var ping struct {
				TraceID string `json:"trace_id"`
			}
			resp, err := http.Get(testkit.URL(apiPort) + "/api/v1/system/ping")
			if err != nil {
				t.Fatal(err)
			}
			_ = json.NewDecoder(resp.Body).Decode(&ping)
			resp.Body.Close()

			page := func(path string) (int, string) {
				resp, err := http.Get(testkit.URL(uiPort) + path)
				if err != nil {
					return 0, err.Error()
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				code, body := page("/trace/" + ping.TraceID)
				if code == 200 && strings.Contains(body, "ktrdr-ib-host-service") && strings.Contains(body, "GET /api/v1/system/ping") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("trace page for %s never showed both services: %d\n%s", ping.TraceID, code, body)
				}
				time.Sleep(200 * time.Millisecond)
			}
			code, body := page("/")
			for _, want := range []string{"ktrdr-api", "ktrdr-ib-host-service", ping.TraceID} {
				if code != 200 || !strings.Contains(body, want) {
					t.Errorf("index (%d) lacks %q", code, want)
				}
			}
		})
	}
}
