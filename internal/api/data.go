package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// loadRequest is the body of POST /api/v1/data/load.
type loadRequest struct {
	Symbol    string `json:"symbol"`
	Timeframe string `json:"timeframe"`
	Start     string `json:"start"`
	End       string `json:"end"`
	Mode      string `json:"mode"`
}

// parseTime reads RFC3339 or YYYY-MM-DD; "" is nil.
func parseTime(field, v string) (*time.Time, *httpx.RequestError) {
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			t = t.UTC()
			if t.Year() < 1970 || t.After(time.Now().AddDate(0, 0, 1)) {
				return nil, httpx.BadField(field, "%s %q is outside 1970..tomorrow", field, v)
			}
			return &t, nil
		}
	}
	return nil, httpx.BadField(field, "%s %q is not a date (YYYY-MM-DD or RFC3339)", field, v)
}

func (s *Server) startDataLoad(w http.ResponseWriter, r *http.Request) {
	var body loadRequest
	if e := httpx.DecodeJSON(w, r, 64<<10, &body); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	req, e := validateLoad(body)
	if e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	op, err := s.cfg.Loader.Start(r.Context(), req)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, StartResponse{OperationID: op.ID, Status: op.Status, TraceID: op.TraceID})
}

func validateLoad(b loadRequest) (dataload.Request, *httpx.RequestError) {
	sym, err := marketdata.ValidateSymbol(b.Symbol)
	if err != nil {
		return dataload.Request{}, httpx.BadField("symbol", "%v", err)
	}
	tf, err := marketdata.ParseTimeframe(b.Timeframe)
	if err != nil {
		return dataload.Request{}, httpx.BadField("timeframe", "%v", err)
	}
	req := dataload.Request{Symbol: sym, Timeframe: tf, Mode: b.Mode}
	if req.Mode == "" {
		req.Mode = dataload.ModeTail
	}
	switch req.Mode {
	case dataload.ModeLocal, dataload.ModeTail, dataload.ModeBackfill, dataload.ModeFull:
	default:
		return req, httpx.BadField("mode", "mode must be local, tail, backfill or full, got %q", b.Mode)
	}
	var e *httpx.RequestError
	if req.Start, e = parseTime("start", b.Start); e != nil {
		return req, e
	}
	if req.End, e = parseTime("end", b.End); e != nil {
		return req, e
	}
	if req.Start != nil && req.End != nil && req.Start.After(*req.End) {
		return req, httpx.BadField("start", "start %s is after end %s", b.Start, b.End)
	}
	return req, nil
}

func (s *Server) listData(w http.ResponseWriter, _ *http.Request) {
	entries, err := s.cfg.Bars.List()
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": entries})
}

// BarsResponse is GET /api/v1/data/{symbol}/{timeframe}: a page of bars.
type BarsResponse struct {
	Symbol    string               `json:"symbol"`
	Timeframe marketdata.Timeframe `json:"timeframe"`
	Total     int                  `json:"total"`
	Offset    int                  `json:"offset"`
	Bars      []marketdata.Bar     `json:"bars"`
}

func (s *Server) getBars(w http.ResponseWriter, r *http.Request) {
	sym, err := marketdata.ValidateSymbol(r.PathValue("symbol"))
	if err != nil {
		httpx.WriteRequestError(w, httpx.BadField("symbol", "%v", err))
		return
	}
	tf, err := marketdata.ParseTimeframe(r.PathValue("timeframe"))
	if err != nil {
		httpx.WriteRequestError(w, httpx.BadField("timeframe", "%v", err))
		return
	}
	q := r.URL.Query()
	start, e := parseTime("start", q.Get("start"))
	if e == nil {
		var end *time.Time
		if end, e = parseTime("end", q.Get("end")); e == nil {
			limit, offset := 10000, 0
			for name, dst := range map[string]*int{"limit": &limit, "offset": &offset} {
				if v := q.Get(name); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil || n < 0 || (name == "limit" && (n < 1 || n > 100000)) {
						httpx.WriteRequestError(w, httpx.BadField(name, "%s must be an integer (limit 1-100000, offset ≥ 0), got %q", name, v))
						return
					}
					*dst = n
				}
			}
			series, err := s.cfg.Bars.Load(sym, tf)
			if err != nil {
				s.writeErr(w, err)
				return
			}
			if len(series.Bars) == 0 {
				httpx.WriteError(w, http.StatusNotFound, "not_found", "no "+sym+" "+string(tf)+" data loaded: POST /api/v1/data/load first", "symbol")
				return
			}
			bars := series.Bars
			if start != nil || end != nil {
				var a, b time.Time
				if start != nil {
					a = *start
				}
				b = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
				if end != nil {
					b = *end
				}
				bars = series.Slice(a, b)
			}
			total := len(bars)
			bars = bars[min(offset, total):min(offset+limit, total)]
			httpx.WriteJSON(w, http.StatusOK, BarsResponse{Symbol: sym, Timeframe: tf, Total: total, Offset: offset, Bars: bars})
			return
		}
	}
	httpx.WriteRequestError(w, e)
}
