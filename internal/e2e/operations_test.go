package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

// waitTraceWith polls a trace until it holds every named span and, for up
// to 10 s more, until every span's parent has arrived too (processes export
// in batches of their own, so a child can be in the backend before its
// parent), then returns it.
func waitTraceWith(t *testing.T, b testkit.Backend, traceID string, names ...string) jaegerapi.Trace {
	t.Helper()
	q := jaegerapi.NewClient(b.QueryURL)
	deadline := time.Now().Add(30 * time.Second)
	var settle time.Time
	for {
		tr, err := q.Trace(context.Background(), traceID)
		missing := missingSpans(tr, names)
		if err == nil && len(missing) == 0 {
			if settle.IsZero() {
				settle = time.Now().Add(10 * time.Second)
			}
			if tr.Orphans() == 0 || time.Now().After(settle) {
				return tr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: trace %s lacks %v (%v)", b.Name, traceID, missing, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func missingSpans(tr jaegerapi.Trace, names []string) []string {
	var missing []string
	for _, n := range names {
		if findByName(tr, n) == nil {
			missing = append(missing, n)
		}
	}
	return missing
}

func findByName(tr jaegerapi.Trace, name string) *jaegerapi.Span {
	for i := range tr.Spans {
		if tr.Spans[i].OperationName == name {
			return &tr.Spans[i]
		}
	}
	return nil
}

// chain returns "service:span" of s and its ancestors, root last.
func chain(tr jaegerapi.Trace, s *jaegerapi.Span) []string {
	var out []string
	byID := map[string]*jaegerapi.Span{}
	for i := range tr.Spans {
		byID[tr.Spans[i].SpanID] = &tr.Spans[i]
	}
	for s != nil && len(out) < 50 {
		out = append(out, tr.Processes[s.ProcessID].ServiceName+":"+s.OperationName)
		s = byID[s.ParentSpanID()]
	}
	return out
}

// TestDummyOperationIsOneTrace: a dummy operation's trace holds the API's
// request, operations.create, workers.select and the client call, then the
// worker's server span and its dummy.run, in one parent chain; its trace id
// is the one the operation reports.
func TestDummyOperationIsOneTrace(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1})
			id, traceID := s.StartDummy(`{"duration_seconds": 0.3, "steps": 3}`)
			op := s.WaitOp(id, "completed", 20*time.Second)
			if op.TraceID != traceID || len(traceID) != 32 || op.WorkerID != "t0" || op.Attempts != 1 {
				t.Fatalf("operation %+v, start said trace %s", op, traceID)
			}
			tr := waitTraceWith(t, b, traceID, "POST /api/v1/dummy/start", "operations.create", "workers.select", "POST /dummy/start", "dummy.run")
			run := findByName(tr, "dummy.run")
			got := strings.Join(chain(tr, run), " < ")
			want := "ktrdr-training-worker-t0:dummy.run < ktrdr-training-worker-t0:POST /dummy/start < ktrdr-api:POST /dummy/start < ktrdr-api:workers.select < ktrdr-api:POST /api/v1/dummy/start"
			if got != want {
				t.Errorf("parent chain\n got %s\nwant %s", got, want)
			}
			for _, name := range []string{"dummy.run", "operations.create", "workers.select"} {
				if v, _ := jaegerapi.Tag(findByName(tr, name).Tags, "operation.id"); v != id {
					t.Errorf("%s: operation.id = %v", name, v)
				}
			}
			if len(run.Logs) == 0 || len(run.Logs) > 30 {
				t.Errorf("dummy.run has %d progress events, want a few", len(run.Logs))
			}
			for _, sp := range tr.Spans {
				if strings.Contains(sp.OperationName, "heartbeat") || strings.Contains(sp.OperationName, "GET /api/v1/operations") {
					t.Errorf("trace holds %q: heartbeats and polls are not part of the work", sp.OperationName)
				}
			}
		})
	}
}

// TestManyOperationsOverFourWorkers: 200 dummy operations, 4 workers: all
// complete, none lost, none run twice, each with its trace.
func TestManyOperationsOverFourWorkers(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 4})
			const n = 200
			ids := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { ids[i], _ = s.StartDummy(`{"duration_seconds": 0.02, "steps": 2}`) })
			}
			wg.Wait()
			perWorker := map[string]int{}
			q := jaegerapi.NewClient(b.QueryURL)
			for _, id := range ids {
				op := s.WaitOp(id, "completed", 60*time.Second)
				if op.Attempts != 1 {
					t.Errorf("%s ran %d times", id, op.Attempts)
				}
				perWorker[op.WorkerID]++
			}
			if len(perWorker) != 4 {
				t.Errorf("work spread over %v, want all 4 workers", perWorker)
			}
			// Every operation's trace holds exactly one dummy.run.
			deadline := time.Now().Add(30 * time.Second)
			for _, id := range ids {
				op := s.Op(id)
				for {
					tr, err := q.Trace(context.Background(), op.TraceID)
					runs := 0
					for _, sp := range tr.Spans {
						if sp.OperationName == "dummy.run" {
							runs++
						}
					}
					if err == nil && runs == 1 {
						break
					}
					if runs > 1 || time.Now().After(deadline) {
						t.Fatalf("%s: trace %s has %d dummy.run spans (%v)", id, op.TraceID, runs, err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			var list struct {
				Total int `json:"total"`
			}
			s.Get("/api/v1/operations?status=completed&limit=1", &list)
			if list.Total != n {
				t.Errorf("%d completed operations listed, want %d", list.Total, n)
			}
		})
	}
}

// TestQueueWhenAllWorkersBusy: more operations than workers queue, then
// complete; a queued operation's trace shows the wait.
func TestQueueWhenAllWorkersBusy(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1})
			first, _ := s.StartDummy(`{"duration_seconds": 1, "steps": 2}`)
			second, traceID := s.StartDummy(`{"duration_seconds": 0.2, "steps": 2}`)
			if op := s.Op(second); op.Status != "pending" {
				t.Fatalf("second operation is %s, want pending behind the first", op.Status)
			}
			s.WaitOp(first, "completed", 20*time.Second)
			s.WaitOp(second, "completed", 20*time.Second)
			tr := waitTraceWith(t, b, traceID, "operations.dispatch_queued", "dummy.run")
			q := findByName(tr, "operations.dispatch_queued")
			wait, _ := jaegerapi.Tag(q.Tags, "queue.wait_ms")
			if w, ok := wait.(float64); !ok || w < 500 {
				t.Errorf("queue.wait_ms = %v, want the ~1s the first operation took", wait)
			}
			if !strings.HasSuffix(strings.Join(chain(tr, findByName(tr, "dummy.run")), " < "), "ktrdr-api:POST /api/v1/dummy/start") {
				t.Errorf("queued work is not in the trace of its start request: %v", chain(tr, findByName(tr, "dummy.run")))
			}
		})
	}
}

// TestWorkerKilledMidOperation: kill -9 of a worker fails its operation with
// a reason naming it within 10 s, and the operation's trace shows the error.
func TestWorkerKilledMidOperation(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1, APIArgs: []string{"--lost-after", "3s"}})
			id, traceID := s.StartDummy(`{"duration_seconds": 30, "steps": 30}`)
			s.WaitOp(id, "running", 10*time.Second)
			s.Workers[0].Signal(syscall.SIGKILL)
			killed := time.Now()
			op := s.WaitOp(id, "failed", 10*time.Second)
			t.Logf("failed %s after the kill: %s", time.Since(killed).Round(100*time.Millisecond), *op.Error)
			if op.Error == nil || !strings.Contains(*op.Error, "t0") {
				t.Errorf("reason must name the worker: %v", op.Error)
			}
			tr := waitTraceWith(t, b, traceID, "operations.worker_lost")
			lost := findByName(tr, "operations.worker_lost")
			if v, _ := jaegerapi.Tag(lost.Tags, "error"); v != true {
				t.Errorf("worker_lost span is not an error: %v", lost.Tags)
			}
		})
	}
}

// TestLostWorkerRequeue: with --lost-policy requeue, the operation of a
// killed worker completes on another.
func TestLostWorkerRequeue(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 2, APIArgs: []string{"--lost-after", "2s", "--lost-policy", "requeue"}})
			id, _ := s.StartDummy(`{"duration_seconds": 2, "steps": 4}`)
			first := s.WaitOp(id, "running", 10*time.Second)
			for i, w := range []string{"t0", "t1"} {
				if w == first.WorkerID {
					s.Workers[i].Signal(syscall.SIGKILL)
				}
			}
			op := s.WaitOp(id, "completed", 20*time.Second)
			if op.WorkerID == first.WorkerID || op.Attempts != 2 {
				t.Errorf("re-queued operation: %+v (first ran on %s)", op, first.WorkerID)
			}
		})
	}
}

// TestBackendRestartMidOperation: the API is killed and restarted while an
// operation runs; the workers register again within 5 s, the operation
// completes and its record is intact.
func TestBackendRestartMidOperation(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 2})
			id, traceID := s.StartDummy(`{"duration_seconds": 4, "steps": 8}`)
			before := s.WaitOp(id, "running", 10*time.Second)
			s.KillAPI()
			time.Sleep(500 * time.Millisecond)
			s.StartAPI()
			restarted := time.Now()
			s.WaitWorkers(2, 5*time.Second)
			t.Logf("workers registered again %s after the restart", time.Since(restarted).Round(100*time.Millisecond))
			op := s.WaitOp(id, "completed", 20*time.Second)
			if op.TraceID != traceID || op.WorkerID != before.WorkerID || op.Attempts != 1 || len(op.Result) == 0 {
				t.Errorf("record after restart: %+v (before: %+v)", op, before)
			}
			// And the restarted backend dispatches new work.
			next, _ := s.StartDummy(`{"duration_seconds": 0.1, "steps": 1}`)
			s.WaitOp(next, "completed", 10*time.Second)
		})
	}
}

// TestCancelOperation: DELETE ends a running operation cancelled within 2 s
// and the worker takes new work.
func TestCancelOperation(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1})
			id, _ := s.StartDummy(`{"duration_seconds": 60, "steps": 60}`)
			s.WaitOp(id, "running", 10*time.Second)
			start := time.Now()
			if code := s.Delete("/api/v1/operations/"+id, nil); code != 202 {
				t.Fatalf("DELETE answered %d", code)
			}
			s.WaitOp(id, "cancelled", 2*time.Second)
			t.Logf("cancelled in %s", time.Since(start).Round(10*time.Millisecond))
			next, _ := s.StartDummy(`{"duration_seconds": 0.1, "steps": 1}`)
			s.WaitOp(next, "completed", 10*time.Second)
		})
	}
}

// TestMetricsEndpoint: /metrics exposes operations, workers and the queue.
func TestMetricsEndpoint(t *testing.T) {
	b := testkit.StartCollector(t)
	s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1, BacktestWorkers: 1})
	id, _ := s.StartDummy(`{"duration_seconds": 0.1, "steps": 1}`)
	s.WaitOp(id, "completed", 10*time.Second)
	resp, err := httpGet(s.APIURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ktrdr_operations{operation_type="dummy",status="completed"} 1`,
		`ktrdr_workers{state="idle",worker_type="training"} 1`,
		`ktrdr_workers{state="idle",worker_type="backtest"} 1`,
		`ktrdr_queue_depth{worker_type="training"} 0`,
		`ktrdr_operation_duration_seconds_count{operation_type="dummy",status="completed"} 1`,
		`otel_sdk_processor_span_processed`,
	} {
		if !strings.Contains(resp, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(resp)
	}
}

func httpGet(url string) (string, error) {
	var b strings.Builder
	code, err := fetch(url, &b)
	if err == nil && code != 200 {
		err = fmt.Errorf("%s answered %d", url, code)
	}
	return b.String(), err
}
