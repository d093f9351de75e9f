package collector

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRunReportsBusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	err = Run(context.Background(), Options{
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", QueryAddr: addr,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "query") {
		t.Errorf("Run on a busy query address: %v", err)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", QueryAddr: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(shutdownTimeout + 2*time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestServeNeedsListeners(t *testing.T) {
	if err := Serve(context.Background(), Options{}, nil, nil, nil); err == nil {
		t.Error("Serve without listeners succeeded")
	}
}

// The health endpoint answers over a real connection, which is what
// `ktrdr up` polls.
func TestServeHealth(t *testing.T) {
	c := startCollector(t, Options{MaxTraces: 3})
	h, code := getJSON[map[string]any](t, c.queryURL, "/health")
	if code != 200 || h["status"] != "ok" || h["max_traces"] != 3.0 {
		t.Errorf("%d %v", code, h)
	}
}
