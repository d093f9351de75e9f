// Command operations measures the distributed-operations machinery with
// real processes (collector, API, workers), each figure against its
// baseline in the same run:
//
//   - dispatch latency: from the API receiving a start to the worker's
//     dummy.run span starting (read from the traces), against a bare
//     loopback HTTP round trip;
//
//   - throughput of dummy operations (no work inside) with 1, 2, 4 and 8
//     workers, against 1 worker.
//
//     go run ./bench/operations [-n 100] [-ops 200]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/ktrdr/ktrdr/bench/internal/benchkit"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

func main() {
	n := flag.Int("n", 100, "operations for the latency measurement")
	ops := flag.Int("ops", 200, "operations per throughput run")
	flag.Parse()
	if err := run(*n, *ops); err != nil {
		fmt.Fprintln(os.Stderr, "operations:", err)
		os.Exit(1)
	}
}

type bench struct {
	bin, dir   string
	procs      []*exec.Cmd
	otlp, qurl string
}

func (b *bench) start(env []string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(os.Environ(), append([]string{"OTLP_ENDPOINT=" + b.otlp, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc", "ENVIRONMENT=benchmark", "OTEL_BSP_SCHEDULE_DELAY=200", "LOG_LEVEL=warn"}, env...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b.procs = append(b.procs, cmd)
	return cmd, nil
}

func (b *bench) stopAll(procs []*exec.Cmd) {
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGTERM)
		_ = p.Wait()
	}
}

// stack starts an API and k workers; it returns the API URL and the processes.
func (b *bench) stack(k int) (string, []*exec.Cmd, error) {
	var procs []*exec.Cmd
	apiPort := benchkit.FreePort()
	api := benchkit.URL(apiPort)
	p, err := b.start(nil, "serve", "api", "--port", benchkit.Itoa(apiPort), "--db", filepath.Join(b.dir, fmt.Sprintf("ops-%d-%d.db", k, apiPort)))
	if err != nil {
		return "", nil, err
	}
	procs = append(procs, p)
	if err := benchkit.WaitHealthy(api + "/health"); err != nil {
		return "", procs, err
	}
	for i := range k {
		p, err := b.start(nil, "serve", "worker", "--type", "training", "--id", fmt.Sprintf("w%d", i), "--port", benchkit.Itoa(benchkit.FreePort()), "--backend-url", api)
		if err != nil {
			return "", procs, err
		}
		procs = append(procs, p)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list struct {
			Workers []json.RawMessage `json:"workers"`
		}
		getJSON(api+"/api/v1/workers", &list)
		if len(list.Workers) == k {
			return api, procs, nil
		}
		if time.Now().After(deadline) {
			return "", procs, fmt.Errorf("%d of %d workers registered", len(list.Workers), k)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func run(n, nops int) error {
	dir, bin, cleanup, err := benchkit.Workspace("ktrdr-bench-ops-")
	if err != nil {
		return err
	}
	defer cleanup()
	b := &bench{bin: bin, dir: dir}
	defer func() { b.stopAll(b.procs) }()
	g, h, q := benchkit.FreePort(), benchkit.FreePort(), benchkit.FreePort()
	if _, err := b.start(nil, "serve", "collector", "--grpc-port", benchkit.Itoa(g), "--http-port", benchkit.Itoa(h), "--query-port", benchkit.Itoa(q)); err != nil {
		return err
	}
	b.otlp, b.qurl = benchkit.URL(g), benchkit.URL(q)
	if err := benchkit.WaitHealthy(b.qurl + "/health"); err != nil {
		return err
	}

	// Baseline: a bare loopback HTTP round trip (POST, 202), same client.
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()
	var rtts []time.Duration
	for range 5 * n {
		t0 := time.Now()
		resp, err := http.Post("http://"+ln.Addr().String(), "application/json", bytes.NewBufferString(`{"duration_seconds":0,"steps":1}`))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		rtts = append(rtts, time.Since(t0))
	}

	// Dispatch latency, from the traces: run span start − API request span start.
	api, procs, err := b.stack(1)
	if err != nil {
		return err
	}
	var traceIDs []string
	for range n {
		var start struct {
			ID      string `json:"operation_id"`
			TraceID string `json:"trace_id"`
		}
		if err := postJSON(api+"/api/v1/dummy/start", `{"duration_seconds": 0, "steps": 1}`, &start); err != nil {
			return err
		}
		if err := waitStatus(api, start.ID, "completed"); err != nil {
			return err
		}
		traceIDs = append(traceIDs, start.TraceID)
	}
	qc := jaegerapi.NewClient(b.qurl)
	var lat []time.Duration
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range traceIDs {
		for {
			tr, err := qc.Trace(context.Background(), id)
			var req, runStart uint64
			for _, s := range tr.Spans {
				switch s.OperationName {
				case "POST /api/v1/dummy/start":
					if tr.Processes[s.ProcessID].ServiceName == "ktrdr-api" {
						req = s.StartTime
					}
				case "dummy.run":
					runStart = s.StartTime
				}
			}
			if err == nil && req > 0 && runStart > 0 {
				lat = append(lat, time.Duration(runStart-req)*time.Microsecond)
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("trace %s incomplete", id)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	b.stopAll(procs)
	fmt.Printf("dispatch latency (%d operations; start received by the API → dummy.run starts on the worker)\n", n)
	fmt.Printf("  %-40s median %8s  p90 %8s\n", "bare loopback HTTP round trip", pct(rtts, 50), pct(rtts, 90))
	fmt.Printf("  %-40s median %8s  p90 %8s\n", "dispatch (trace: request → dummy.run)", pct(lat, 50), pct(lat, 90))
	fmt.Printf("  %-40s %.1f\n\n", "ratio dispatch/round trip (medians)", float64(pct(lat, 50))/float64(pct(rtts, 50)))

	// Throughput with 1, 2, 4, 8 workers.
	fmt.Printf("dummy-operation throughput (%d operations of no work each, submitted by 8 clients)\n", nops)
	var base float64
	for _, k := range []int{1, 2, 4, 8} {
		api, procs, err := b.stack(k)
		if err != nil {
			return err
		}
		t0 := time.Now()
		ids := make([]string, nops)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		errc := make(chan error, nops)
		for i := range nops {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				var start struct {
					ID string `json:"operation_id"`
				}
				if err := postJSON(api+"/api/v1/dummy/start", `{"duration_seconds": 0, "steps": 1}`, &start); err != nil {
					errc <- err
				}
				ids[i] = start.ID
			})
		}
		wg.Wait()
		close(errc)
		if err := <-errc; err != nil {
			return err
		}
		for {
			var list struct {
				Total int `json:"total"`
			}
			getJSON(api+"/api/v1/operations?status=completed&limit=1", &list)
			if list.Total == nops {
				break
			}
			if time.Since(t0) > 5*time.Minute {
				return fmt.Errorf("%d workers: %d of %d completed", k, list.Total, nops)
			}
			time.Sleep(10 * time.Millisecond)
		}
		rate := float64(nops) / time.Since(t0).Seconds()
		if k == 1 {
			base = rate
		}
		fmt.Printf("  %d worker(s): %7.1f ops/s   ratio to 1 worker %.2f\n", k, rate, rate/base)
		b.stopAll(procs)
	}
	return nil
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(time.Microsecond)
}

func waitStatus(api, id, status string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var op struct {
			Status string `json:"status"`
		}
		getJSON(api+"/api/v1/operations/"+id, &op)
		if op.Status == status {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	resp, err := http.Get(api + "/api/v1/operations/" + id)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return fmt.Errorf("operation %s never %s: %s", id, status, b)
	}
	return fmt.Errorf("operation %s never %s", id, status)
}

func postJSON(u, body string, out any) error {
	resp, err := http.Post(u, "application/json", bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s %s", u, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func getJSON(u string, out any) {
	resp, err := http.Get(u)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(out)
}
