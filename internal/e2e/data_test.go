package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

// TestDataLoad: loads of the real SPX sample and of a synthetic symbol
// complete; each is one trace across ktrdr-api and ktrdr-ib-host-service;
// GET /api/v1/data lists them with their ranges and row counts.
func TestDataLoad(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{})
			var spx, syn struct {
				ID      string `json:"operation_id"`
				TraceID string `json:"trace_id"`
			}
			if code := s.Post("/api/v1/data/load", `{"symbol":"SPX","timeframe":"1d","mode":"full"}`, &spx); code != 202 {
				t.Fatalf("SPX load answered %d", code)
			}
			if code := s.Post("/api/v1/data/load", `{"symbol":"SYNTEST","timeframe":"1h","start":"2026-01-05","end":"2026-01-30"}`, &syn); code != 202 {
				t.Fatalf("synthetic load answered %d", code)
			}
			var result struct {
				RowsAdded int `json:"rows_added"`
				RowsTotal int `json:"rows_total"`
			}
			op := s.WaitOp(spx.ID, "completed", 30*time.Second)
			if err := json.Unmarshal(op.Result, &result); err != nil || result.RowsAdded != 5105 || result.RowsTotal != 5105 {
				t.Errorf("SPX result %s", op.Result)
			}
			s.WaitOp(syn.ID, "completed", 30*time.Second)

			var list struct {
				Data []struct {
					Symbol, Timeframe string
					First, Last       time.Time
					Rows              int
				} `json:"data"`
			}
			s.Get("/api/v1/data", &list)
			if len(list.Data) != 2 || list.Data[0].Symbol != "SPX" || list.Data[0].Rows != 5105 ||
				!list.Data[0].First.Equal(time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)) || !list.Data[0].Last.Equal(time.Date(2020, 4, 17, 0, 0, 0, 0, time.UTC)) ||
				list.Data[1].Symbol != "SYNTEST" || list.Data[1].Timeframe != "1h" || list.Data[1].Rows < 100 {
				t.Errorf("GET /api/v1/data: %+v", list.Data)
			}
			var bars struct {
				Total int `json:"total"`
				Bars  []struct {
					Time time.Time
					Open float64
				} `json:"bars"`
			}
			s.Get("/api/v1/data/SPX/1d?end=2000-01-31&limit=1", &bars)
			if bars.Total != 20 || len(bars.Bars) != 1 || bars.Bars[0].Open != 1469.25 {
				t.Errorf("bars page: %+v", bars)
			}

			tr := waitTraceWith(t, b, spx.TraceID, "POST /api/v1/data/load", "data.load", "POST /data/historical", "data.fetch")
			services := map[string]bool{}
			for _, sp := range tr.Spans {
				services[tr.Processes[sp.ProcessID].ServiceName] = true
			}
			if !services["ktrdr-api"] || !services["ktrdr-ib-host-service"] {
				t.Errorf("trace services %v", services)
			}
			fetch := findByName(tr, "data.fetch")
			if v, _ := jaegerapi.Tag(fetch.Tags, "operation.id"); v != spx.ID {
				t.Errorf("data.fetch operation.id = %v", v)
			}
			if got := strings.Join(chain(tr, fetch), " < "); !strings.HasSuffix(got, "ktrdr-api:data.load < ktrdr-api:POST /api/v1/data/load") {
				t.Errorf("data.fetch chain: %s", got)
			}
		})
	}
}

// TestDataLoadBadInput: 4xx naming the field, nothing started.
func TestDataLoadBadInput(t *testing.T) {
	b := testkit.StartCollector(t)
	s := testkit.StartStack(t, b, testkit.StackOptions{})
	for body, field := range map[string]string{
		`{"symbol":"SPX","timeframe":"2h"}`:                                         "timeframe",
		`{"symbol":"S P X","timeframe":"1d"}`:                                       "symbol",
		`{"symbol":"SPX","timeframe":"1d","mode":"all"}`:                            "mode",
		`{"symbol":"SPX","timeframe":"1d","start":"2020-02-01","end":"2020-01-01"}`: "start",
		`{"symbol":"SPX","timeframe":"1d","start":"1900-01-01"}`:                    "start",
		`{"symbol":"SPX","timeframe":"1d","end":"yesterday"}`:                       "end",
		`{"symbol":"SPX","timeframe":"1d","extra":1}`:                               "extra",
	} {
		var e struct {
			Error struct{ Field string } `json:"error"`
		}
		if code := s.Post("/api/v1/data/load", body, &e); code != 400 || e.Error.Field != field {
			t.Errorf("%s: %d field %q, want 400 %q", body, code, e.Error.Field, field)
		}
	}
	var list struct {
		Total int `json:"total"`
	}
	s.Get("/api/v1/operations", &list)
	if list.Total != 0 {
		t.Errorf("%d operations stored by bad requests", list.Total)
	}
	// An unknown symbol is known only to the host: the load fails naming it.
	var op struct {
		ID string `json:"operation_id"`
	}
	s.Post("/api/v1/data/load", `{"symbol":"SPY","timeframe":"1d"}`, &op)
	failed := s.WaitOp(op.ID, "failed", 20*time.Second)
	if failed.Error == nil || !strings.Contains(*failed.Error, "SPY") {
		t.Errorf("unknown symbol: %v", failed.Error)
	}
}
