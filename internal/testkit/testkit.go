// Package testkit starts real ktrdr processes for integration tests: it
// builds the binary once, finds free loopback ports, runs children with
// captured output, and provides the trace backends every end-to-end trace
// test runs against (today the embedded collector; a real Jaeger joins it).
package testkit

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/ktrdr once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root := repoRoot(t)
		dir, err := os.MkdirTemp("", "ktrdr-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ktrdr")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/ktrdr")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// FreePort returns a loopback port that was free a moment ago. It is drawn
// at random below the kernel's ephemeral range (32768+ on Linux): a port the
// kernel hands out with ":0" can be taken by any outgoing connection before
// the child process binds it, which made tests flaky.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatal("no free loopback port in 20000-31999")
	return 0
}

// URL is http://127.0.0.1:port.
func URL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }

// Buffer is a goroutine-safe output sink.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Proc is a running ktrdr child process.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	Out  *Buffer // stdout and stderr
	done chan struct{}
	err  error
}

// Start runs the ktrdr binary with args and env (added to the test's
// environment). The process is killed at the end of the test if still running,
// and its output is logged when the test failed.
func Start(t testing.TB, name string, env []string, args ...string) *Proc {
	t.Helper()
	return startProcess(t, name, Binary(t), env, args...)
}

func startProcess(t testing.TB, name, bin string, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, Out: &Buffer{}, done: make(chan struct{})}
	p.Cmd = exec.Command(bin, args...)
	// Each process keeps its data (the API's database) in the test's own directory.
	p.Cmd.Env = append(append(os.Environ(), "KTRDR_DATA_DIR="+t.TempDir()), env...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Out, p.Out
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.Cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.Out.String())
		}
	})
	return p
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits up to timeout for the process to exit and returns its exit
// code, or -1 and false on timeout.
func (p *Proc) Wait(timeout time.Duration) (int, bool) {
	select {
	case <-p.done:
		return p.Cmd.ProcessState.ExitCode(), true
	case <-time.After(timeout):
		return -1, false
	}
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) { _ = p.Cmd.Process.Signal(sig) }

// WaitOutput waits until the output contains s, failing the test on timeout
// or when the process exits first.
func (p *Proc) WaitOutput(t testing.TB, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Out.String(), s) {
		select {
		case <-p.done:
			if strings.Contains(p.Out.String(), s) {
				return
			}
			t.Fatalf("%s exited (%v) before printing %q", p.Name, p.err, s)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q within %s", p.Name, s, timeout)
		}
	}
}

// healthyOrExited polls url until it answers 200 (true) or the process
// exits first (false).
func (p *Proc) healthyOrExited(url string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-p.done:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

// WaitHealthy polls url until it answers 200.
func WaitHealthy(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy within %s (last error: %v)", url, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Alive tells whether a process with pid exists (and is not a zombie we own).
func Alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Field 3 is the state; Z means exited but not reaped.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// Backend is a trace backend: where services send OTLP, where tests read.
type Backend struct {
	Name         string
	OTLPEndpoint string // gRPC, http://127.0.0.1:port
	QueryURL     string
	GRPCPort     int
	HTTPPort     int
	QueryPort    int
}

// Env is the environment that points a ktrdr service at this backend.
func (b Backend) Env() []string {
	return []string{"OTLP_ENDPOINT=" + b.OTLPEndpoint, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc"}
}

// StartCollector runs `ktrdr serve collector` on free ports.
func StartCollector(t testing.TB) Backend {
	t.Helper()
	for try := 1; ; try++ {
		b := Backend{Name: "collector", GRPCPort: FreePort(t), HTTPPort: FreePort(t), QueryPort: FreePort(t)}
		p := Start(t, "collector", nil, "serve", "collector",
			"--grpc-port", strconv.Itoa(b.GRPCPort), "--http-port", strconv.Itoa(b.HTTPPort), "--query-port", strconv.Itoa(b.QueryPort))
		b.OTLPEndpoint, b.QueryURL = URL(b.GRPCPort), URL(b.QueryPort)
		if p.healthyOrExited(b.QueryURL+"/health", 20*time.Second) {
			return b
		}
		if try == 3 {
			t.Fatalf("collector did not start:\n%s", p.Out.String())
		}
	}
}

// Backends returns every trace backend end-to-end trace tests must pass
// against — the embedded collector and a real Jaeger — started fresh for
// this test. KTRDR_TEST_BACKENDS=collector (or jaeger) narrows the set for a
// quick local run; CI runs both.
func Backends(t testing.TB) []Backend {
	t.Helper()
	var out []Backend
	for _, name := range strings.Split(cmp.Or(os.Getenv("KTRDR_TEST_BACKENDS"), "collector,jaeger"), ",") {
		switch strings.TrimSpace(name) {
		case "collector":
			out = append(out, StartCollector(t))
		case "jaeger":
			out = append(out, StartJaeger(t))
		default:
			t.Fatalf("KTRDR_TEST_BACKENDS: unknown backend %q (want collector, jaeger)", name)
		}
	}
	return out
}

// FastExport makes children export spans quickly, so tests wait less.
var FastExport = []string{"OTEL_BSP_SCHEDULE_DELAY=100", "ENVIRONMENT=test"}

// Context returns a context cancelled when the test ends.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
