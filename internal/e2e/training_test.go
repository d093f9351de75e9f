package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

// trainingResult is the part of a training result the tests read.
type trainingResult struct {
	Model        string `json:"model"`
	ModelVersion int    `json:"model_version"`
	TestMetrics  struct {
		TestAccuracy     float64 `json:"test_accuracy"`
		MajorityBaseline float64 `json:"majority_baseline"`
		Epochs           int     `json:"epochs"`
	} `json:"test_metrics"`
	Data struct {
		Bars    int `json:"bars"`
		Samples int `json:"samples"`
	} `json:"data"`
}

func startTraining(t *testing.T, s *testkit.Stack, body string) (id, traceID string) {
	t.Helper()
	var out struct {
		ID      string `json:"operation_id"`
		TraceID string `json:"trace_id"`
	}
	if code := s.Post("/api/v1/training/start", body, &out); code != 202 {
		t.Fatalf("training start %s answered %d", body, code)
	}
	return out.ID, out.TraceID
}

// TestTraining: example strategies train on SPX 1d and on a synthetic
// symbol at 1h (two timeframes); the models are stored and listed; each
// operation is one trace from the API's start through the worker's phases,
// the host service's fetch and the backend's model upload.
func TestTraining(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1})
			spxID, spxTrace := startTraining(t, s, `{"strategy":"rsi_mean_reversion"}`)
			op := s.WaitOp(spxID, "completed", 120*time.Second)
			var res trainingResult
			if err := json.Unmarshal(op.Result, &res); err != nil || res.Model != "rsi_mean_reversion/1d_v1" || res.Data.Bars != 5105 ||
				res.TestMetrics.TestAccuracy <= 0 || res.TestMetrics.Epochs < 1 {
				t.Fatalf("SPX result %s (%v)", op.Result, err)
			}
			var metrics struct {
				Metrics []struct {
					Epoch int     `json:"epoch"`
					Loss  float64 `json:"loss"`
				} `json:"metrics"`
				NewCursor int `json:"new_cursor"`
			}
			s.Get("/api/v1/operations/"+spxID+"/metrics", &metrics)
			if len(metrics.Metrics) != res.TestMetrics.Epochs || metrics.Metrics[0].Epoch != 1 || metrics.Metrics[0].Loss <= 0 {
				t.Errorf("epoch metrics: %d records for %d epochs: %+v", len(metrics.Metrics), res.TestMetrics.Epochs, metrics.Metrics)
			}

			synID, _ := startTraining(t, s, `{"strategy":"multi_timeframe_momentum","start":"2025-01-06","end":"2025-12-31"}`)
			op = s.WaitOp(synID, "completed", 120*time.Second)
			var syn trainingResult
			if err := json.Unmarshal(op.Result, &syn); err != nil || !strings.HasSuffix(syn.Model, "/1h_v1") || syn.Data.Samples < 500 {
				t.Fatalf("synthetic result %s (%v)", op.Result, err)
			}

			var list struct {
				Models []struct {
					Name     string `json:"name"`
					Features int    `json:"features"`
				} `json:"models"`
			}
			s.Get("/api/v1/models", &list)
			if len(list.Models) != 2 || list.Models[0].Name != "multi_timeframe_momentum/1h_v1" || list.Models[1].Name != "rsi_mean_reversion/1d_v1" || list.Models[1].Features == 0 {
				t.Errorf("models: %+v", list.Models)
			}
			var art struct {
				Version  int      `json:"version"`
				Features []string `json:"features"`
				Network  json.RawMessage
			}
			if code := s.Get("/api/v1/models/rsi_mean_reversion/1d/latest", &art); code != 200 || art.Version != 1 || len(art.Features) != list.Models[1].Features || len(art.Network) < 100 {
				t.Errorf("model download: %d %+v", code, art.Version)
			}

			tr := waitTraceWith(t, b, spxTrace, "POST /api/v1/training/start", "training.run", "training.load_data", "data.fetch",
				"training.indicators", "training.fuzzy", "training.labels", "training.fit", "training.evaluate", "training.save_model",
				"PUT /api/v1/models/{strategy}/{timeframe}")
			services := map[string]bool{}
			for _, sp := range tr.Spans {
				services[tr.Processes[sp.ProcessID].ServiceName] = true
			}
			if !services["ktrdr-api"] || !services["ktrdr-training-worker-t0"] || !services["ktrdr-ib-host-service"] {
				t.Errorf("trace services %v", services)
			}
			if got := strings.Join(chain(tr, findByName(tr, "data.fetch")), " < "); !strings.Contains(got, "ktrdr-training-worker-t0:training.load_data < ktrdr-training-worker-t0:training.run") ||
				!strings.HasSuffix(got, "ktrdr-api:POST /api/v1/training/start") {
				t.Errorf("data.fetch chain: %s", got)
			}
			var put *jaegerapi.Span
			for i := range tr.Spans {
				sp := &tr.Spans[i]
				if sp.OperationName == "PUT /api/v1/models/{strategy}/{timeframe}" && tr.Processes[sp.ProcessID].ServiceName == "ktrdr-api" {
					put = sp
				}
			}
			if put == nil || !strings.Contains(strings.Join(chain(tr, put), " < "), "training.save_model < ktrdr-training-worker-t0:training.run") {
				t.Errorf("model upload is not inside training.save_model")
			}
			fit := findByName(tr, "training.fit")
			if len(fit.Logs) != res.TestMetrics.Epochs {
				t.Errorf("training.fit has %d events for %d epochs", len(fit.Logs), res.TestMetrics.Epochs)
			}
		})
	}
}

// TestTrainingBadRequests: every bad start is a 4xx naming the field, and
// creates no operation.
func TestTrainingBadRequests(t *testing.T) {
	b := testkit.Backends(t)[0]
	s := testkit.StartStack(t, b, testkit.StackOptions{})
	for body, field := range map[string]string{
		`{}`:                  "strategy",
		`{"strategy":"nope"}`: "strategy",
		`{"strategy":"rsi_mean_reversion","symbols":["bad sym"]}`:                   "symbols[0]",
		`{"strategy":"rsi_mean_reversion","timeframes":["2d"]}`:                     "timeframes[0]",
		`{"strategy":"rsi_mean_reversion","start":"yesterday"}`:                     "start",
		`{"strategy":"rsi_mean_reversion","start":"2020-01-01","end":"2019-01-01"}`: "start",
		`{"strategy":"rsi_mean_reversion","seed":-1}`:                               "seed",
		`{"strategy":"rsi_mean_reversion","epochs":3}`:                              "epochs",
	} {
		var e struct {
			Error struct{ Field, Message string } `json:"error"`
		}
		if code := s.Post("/api/v1/training/start", body, &e); code != 400 || e.Error.Field != field {
			t.Errorf("%s: %d field %q (%s), want 400 field %q", body, code, e.Error.Field, e.Error.Message, field)
		}
	}
	var list struct {
		Total int `json:"total"`
	}
	s.Get("/api/v1/operations", &list)
	if list.Total != 0 {
		t.Errorf("%d operations created by bad requests", list.Total)
	}
}

// TestTrainingCancelMidFit: DELETE during the fit ends the operation
// cancelled, and no model is stored.
func TestTrainingCancelMidFit(t *testing.T) {
	b := testkit.Backends(t)[0]
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "strategies", "rsi_mean_reversion.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Replace(string(src), "name: rsi_mean_reversion", "name: endless", 1)
	long = epochsPattern.ReplaceAllString(long, "${1}100000")
	long = strings.Replace(long, "early_stopping: {enabled: true", "early_stopping: {enabled: false", 1)
	if err := os.WriteFile(filepath.Join(dir, "endless.yaml"), []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1, APIArgs: []string{"--strategies-dir", dir}})
	id, _ := startTraining(t, s, `{"strategy":"endless"}`)
	deadline := time.Now().Add(60 * time.Second)
	for op := s.Op(id); op.Progress.StepsCompleted < 2; op = s.Op(id) {
		if time.Now().After(deadline) || op.Status != "running" {
			t.Fatalf("no epoch progress: %s %+v %s", op.Status, op.Progress, op.Result)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := s.Delete("/api/v1/operations/"+id, nil); code != 202 {
		t.Fatalf("cancel answered %d", code)
	}
	s.WaitOp(id, "cancelled", 10*time.Second)
	var list struct {
		Models []any `json:"models"`
	}
	s.Get("/api/v1/models", &list)
	if len(list.Models) != 0 {
		t.Errorf("a cancelled training stored %d models", len(list.Models))
	}
}

var epochsPattern = regexp.MustCompile(`(epochs:\s*)\d+`)
