// Command tracingoverhead measures what tracing costs a ktrdr service: it
// runs two copies of the API and the market-data host as real processes, one
// pair exporting spans to the embedded collector and one with
// OTEL_SDK_DISABLED=true, loads both alternately in the same run and prints
// requests per second and the traced/untraced ratio.
//
//	go run ./bench/tracingoverhead [-duration 3s] [-rounds 3] [-concurrency 8]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ktrdr/ktrdr/bench/internal/benchkit"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "load time per round and side")
	rounds := flag.Int("rounds", 3, "alternating rounds per side")
	concurrency := flag.Int("concurrency", 8, "concurrent keep-alive clients")
	flag.Parse()
	if err := run(*duration, *rounds, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "tracingoverhead:", err)
		os.Exit(1)
	}
}

type proc struct{ cmd *exec.Cmd }

func run(duration time.Duration, rounds, concurrency int) error {
	dir, bin, cleanup, err := benchkit.Workspace("ktrdr-bench-")
	if err != nil {
		return err
	}
	defer cleanup()
	var procs []*proc
	defer func() {
		for _, p := range procs {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
	}()
	start := func(env []string, args ...string) error {
		cmd := exec.Command(bin, args...)
		// The API keeps its database in the run's temporary directory.
		cmd.Env = append(append(os.Environ(), "KTRDR_DATA_DIR="+dir), env...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, &proc{cmd})
		return nil
	}
	grpc, httpP, query := benchkit.FreePort(), benchkit.FreePort(), benchkit.FreePort()
	if err := start(nil, "serve", "collector", "--grpc-port", benchkit.Itoa(grpc), "--http-port", benchkit.Itoa(httpP), "--query-port", benchkit.Itoa(query)); err != nil {
		return err
	}
	if err := benchkit.WaitHealthy(benchkit.URL(query) + "/health"); err != nil {
		return err
	}
	sides := []struct {
		name string
		env  []string
		api  int
	}{
		{"traced (exporting to collector)", []string{"OTLP_ENDPOINT=" + benchkit.URL(grpc), "ENVIRONMENT=benchmark"}, 0},
		{"untraced (OTEL_SDK_DISABLED=true)", []string{"OTEL_SDK_DISABLED=true", "ENVIRONMENT=benchmark"}, 0},
	}
	for i := range sides {
		host, api := benchkit.FreePort(), benchkit.FreePort()
		sides[i].api = api
		if err := start(sides[i].env, "serve", "ib-host", "--port", benchkit.Itoa(host)); err != nil {
			return err
		}
		if err := start(sides[i].env, "serve", "api", "--port", benchkit.Itoa(api), "--ib-host-url", benchkit.URL(host)); err != nil {
			return err
		}
		for _, p := range []int{host, api} {
			if err := benchkit.WaitHealthy(benchkit.URL(p) + "/health"); err != nil {
				return err
			}
		}
	}
	fmt.Printf("tracing overhead: %d rounds x %s per side, %d clients, %d cores shared by load and servers\n\n", rounds, duration, concurrency, runtime.NumCPU())
	fmt.Printf("%-28s %-36s %12s\n", "endpoint", "side", "req/s")
	for _, path := range []string{"/", "/api/v1/system/ping"} {
		counts := make([]int64, len(sides))
		for range rounds {
			for i, s := range sides {
				n, err := load(benchkit.URL(s.api)+path, duration, concurrency)
				if err != nil {
					return err
				}
				counts[i] += n
			}
		}
		rate := func(i int) float64 { return float64(counts[i]) / (duration.Seconds() * float64(rounds)) }
		for i, s := range sides {
			fmt.Printf("%-28s %-36s %12.0f\n", "GET "+path, s.name, rate(i))
		}
		fmt.Printf("%-28s %-36s %12.3f\n\n", "GET "+path, "ratio traced/untraced", rate(0)/rate(1))
	}
	return nil
}

// load sends GETs from concurrency clients for d and counts 200 answers.
func load(target string, d time.Duration, concurrency int) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: concurrency}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err })
					}
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return n.Load(), firstErr
}
