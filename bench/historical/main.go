// Command historical measures how fast the market-data host service serves
// a large request: bars per second of one POST /data/historical answering
// 1,000,000 one-minute bars (real `ktrdr serve ib-host` process, CSV
// provider, cache off, after one warm-up request that parses the file),
// against a bare loopback net/http handler writing the very same bytes,
// measured in the same run and printed as a ratio.
//
//	go run ./bench/historical [-bars 1000000] [-rounds 5]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/ktrdr/ktrdr/bench/internal/benchkit"
	"github.com/ktrdr/ktrdr/internal/marketdata"
)

func main() {
	nbars := flag.Int("bars", 1_000_000, "bars in the request")
	rounds := flag.Int("rounds", 5, "timed requests per side")
	flag.Parse()
	if err := run(*nbars, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "historical:", err)
		os.Exit(1)
	}
}

func run(nbars, rounds int) error {
	dir, bin, cleanup, err := benchkit.Workspace("ktrdr-bench-hist-")
	if err != nil {
		return err
	}
	defer cleanup()
	// A valid minute series, around the clock so every minute is a bar.
	series := marketdata.Series{Symbol: "BENCH", Timeframe: marketdata.TF1m}
	start, price := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 100.0
	for i := range nbars {
		o := price
		price += float64(i%7-3) * 0.01
		series.Bars = append(series.Bars, marketdata.Bar{Time: start.Add(time.Duration(i) * time.Minute),
			Open: o, High: max(o, price) + 0.05, Low: min(o, price) - 0.05, Close: price, Volume: float64(1000 + i%100)})
	}
	dataDir := filepath.Join(dir, "csv")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dataDir, "BENCH_1m.csv"))
	if err != nil {
		return err
	}
	if err := marketdata.WriteCSV(f, series); err != nil {
		return err
	}
	f.Close()

	port := benchkit.FreePort()
	cmd := osexec.Command(bin, "serve", "ib-host", "--port", benchkit.Itoa(port), "--provider", "csv", "--data-dir", dataDir, "--no-cache")
	cmd.Env = append(os.Environ(), "OTEL_SDK_DISABLED=true", "KTRDR_DATA_DIR="+dir, "LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	host := benchkit.URL(port)
	if err := benchkit.WaitHealthy(host + "/health"); err != nil {
		return err
	}
	body := `{"symbol":"BENCH","timeframe":"1m"}`
	fetch := func(u string) ([]byte, time.Duration, error) {
		t0 := time.Now()
		resp, err := http.Post(u, "application/json", bytes.NewBufferString(body))
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s answered %s: %.200s", u, resp.Status, b)
		}
		return b, time.Since(t0), err
	}
	answer, _, err := fetch(host + "/data/historical") // warm-up: parses the file once
	if err != nil {
		return err
	}

	// Baseline: the same bytes from a bare handler.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})}
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()

	var hostTimes, bareTimes []time.Duration
	for range rounds {
		for _, side := range []struct {
			u     string
			times *[]time.Duration
		}{{host + "/data/historical", &hostTimes}, {"http://" + ln.Addr().String(), &bareTimes}} {
			b, d, err := fetch(side.u)
			if err != nil {
				return err
			}
			if len(b) != len(answer) {
				return fmt.Errorf("%s answered %d bytes, want %d", side.u, len(b), len(answer))
			}
			*side.times = append(*side.times, d)
		}
	}
	median := func(ds []time.Duration) time.Duration { s := slices.Clone(ds); slices.Sort(s); return s[len(s)/2] }
	rate := func(d time.Duration) float64 { return float64(nbars) / d.Seconds() }
	fmt.Printf("POST /data/historical, %d one-minute bars (%.1f MB of JSON), median of %d requests\n", nbars, float64(len(answer))/1e6, rounds)
	fmt.Printf("  %-46s %8s  %12.0f bars/s\n", "ktrdr serve ib-host (CSV provider, no cache)", median(hostTimes).Round(time.Millisecond), rate(median(hostTimes)))
	fmt.Printf("  %-46s %8s  %12.0f bars/s\n", "bare net/http handler, same bytes", median(bareTimes).Round(time.Millisecond), rate(median(bareTimes)))
	fmt.Printf("  %-46s %.3f\n", "ratio host/bare (bars/s)", rate(median(hostTimes))/rate(median(bareTimes)))
	return nil
}
