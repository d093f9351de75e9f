package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// StackOptions configure StartStack.
type StackOptions struct {
	TrainingWorkers, BacktestWorkers int
	APIArgs                          []string // extra `serve api` flags, e.g. --lost-after 3s
	Env                              []string // extra environment for every process
}

// Stack is an API, a market-data host and workers, as real processes
// exporting to one backend.
type Stack struct {
	Client
	t       testing.TB
	Backend Backend
	APIURL  string
	API     *Proc
	Workers []*Proc
	DB      string
	apiPort int
	env     []string
	apiArgs []string
}

// StartStack starts the stack and waits until every worker has registered.
func StartStack(t testing.TB, b Backend, o StackOptions) *Stack {
	t.Helper()
	s := &Stack{t: t, Backend: b, apiPort: FreePort(t), DB: t.TempDir() + "/operations.db"}
	s.APIURL = URL(s.apiPort)
	s.Client = Client{T: t, URL: s.APIURL}
	s.env = append(append(b.Env(), FastExport...), o.Env...)
	hostPort := FreePort(t)
	Start(t, "ib-host", s.env, "serve", "ib-host", "--port", strconv.Itoa(hostPort))
	s.apiArgs = append([]string{"serve", "api", "--port", strconv.Itoa(s.apiPort), "--db", s.DB, "--ib-host-url", URL(hostPort)}, o.APIArgs...)
	s.StartAPI()
	for i := range o.TrainingWorkers + o.BacktestWorkers {
		typ := "training"
		if i >= o.TrainingWorkers {
			typ = "backtest"
		}
		s.Workers = append(s.Workers, Start(t, fmt.Sprintf("%s-worker-%d", typ, i), s.env,
			"serve", "worker", "--type", typ, "--id", fmt.Sprintf("%s%d", typ[:1], i), "--port", strconv.Itoa(FreePort(t)), "--backend-url", s.APIURL, "--ib-host-url", URL(hostPort)))
	}
	s.WaitWorkers(o.TrainingWorkers+o.BacktestWorkers, 30*time.Second)
	return s
}

// StartAPI starts (or restarts) the API process on the stack's port and database.
func (s *Stack) StartAPI() {
	s.t.Helper()
	s.API = Start(s.t, "api", s.env, s.apiArgs...)
	WaitHealthy(s.t, s.APIURL+"/health", 20*time.Second)
}

// KillAPI kills the API with SIGKILL: no clean shutdown.
func (s *Stack) KillAPI() {
	s.API.Signal(syscall.SIGKILL)
	s.API.Wait(10 * time.Second)
}

// Worker is the API's view of a worker.
type Worker struct {
	ID    string `json:"worker_id"`
	Type  string `json:"worker_type"`
	State string `json:"state"`
}

// Workers lists the workers the API knows.
func (s *Stack) ListWorkers() []Worker {
	var out struct {
		Workers []Worker `json:"workers"`
	}
	s.Get("/api/v1/workers", &out)
	return out.Workers
}

// WaitWorkers waits until n workers are registered and not lost.
func (s *Stack) WaitWorkers(n int, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		live := 0
		for _, w := range s.ListWorkers() {
			if w.State != "lost" {
				live++
			}
		}
		if live >= n {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d of %d workers registered within %s", live, n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Operation is the API's answer for an operation (the fields tests read).
type Operation struct {
	ID       string          `json:"operation_id"`
	Type     string          `json:"operation_type"`
	Status   string          `json:"status"`
	WorkerID string          `json:"worker_id"`
	TraceID  string          `json:"trace_id"`
	Attempts int             `json:"attempts"`
	Result   json.RawMessage `json:"result"`
	Error    *string         `json:"error"`
	Progress struct {
		Percentage     float64 `json:"percentage"`
		CurrentStep    string  `json:"current_step"`
		StepsCompleted int     `json:"steps_completed"`
	} `json:"progress"`
}

// Client calls the API of a running stack (StartStack's, or `ktrdr up`'s).
type Client struct {
	T   testing.TB
	URL string
}

// StartDummy starts a dummy operation and returns its id and trace id.
func (s Client) StartDummy(body string) (id, traceID string) {
	s.T.Helper()
	var out struct {
		ID      string `json:"operation_id"`
		TraceID string `json:"trace_id"`
	}
	if code := s.Post("/api/v1/dummy/start", body, &out); code != http.StatusAccepted {
		s.T.Fatalf("dummy start answered %d", code)
	}
	return out.ID, out.TraceID
}

// Op returns an operation.
func (s Client) Op(id string) Operation {
	s.T.Helper()
	var op Operation
	if code := s.Get("/api/v1/operations/"+id, &op); code != http.StatusOK {
		s.T.Fatalf("GET operation %s: %d", id, code)
	}
	return op
}

// WaitOp polls an operation until it reaches status, failing after timeout.
func (s Client) WaitOp(id, status string, timeout time.Duration) Operation {
	s.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var op Operation
		s.Get("/api/v1/operations/"+id, &op)
		if op.Status == status {
			return op
		}
		if time.Now().After(deadline) {
			s.T.Fatalf("operation %s is %q after %s, want %q (error %v)", id, op.Status, timeout, status, op.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Get decodes GET path into out and returns the status.
func (s Client) Get(path string, out any) int { return s.do(http.MethodGet, path, "", out) }

// Post sends body and decodes the answer into out.
func (s Client) Post(path, body string, out any) int { return s.do(http.MethodPost, path, body, out) }

// Delete sends DELETE and decodes the answer into out.
func (s Client) Delete(path string, out any) int { return s.do(http.MethodDelete, path, "", out) }

func (s Client) do(method, path, body string, out any) int {
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	if method == http.MethodGet {
		// A test reading state is a status poll: it must not make traces
		// of its own (some tests assert that polls make none).
		req.Header.Set(telemetry.PollHeader, "1")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode
}
