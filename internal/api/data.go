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

// parseBound reads an optional window bound with the host service's rule
// (marketdata.ParseBound); "" is nil.
func parseBound(field, v string, endOfDay bool) (*time.Time, *httpx.RequestError) {
	if v == "" {
		return nil, nil
	}
	t, err := marketdata.ParseBound(v, endOfDay, time.Now())
	if err != nil {
		return nil, httpx.BadField(field, "%s: %v", field, err)
	}
	return &t, nil
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
	if req.Start, e = parseBound("start", b.Start, false); e != nil {
		return req, e
	}
	if req.End, e = parseBound("end", b.End, true); e != nil {
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
	sym, tf, start, end, limit, offset, e := barsQuery(r)
	if e != nil {
		httpx.WriteRequestError(w, e)
		return
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
	lo, hi := time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if start != nil {
		lo = *start
	}
	if end != nil {
		hi = *end
	}
	bars := series.Slice(lo, hi)
	total := len(bars)
	bars = bars[min(offset, total):min(offset+limit, total)]
	httpx.WriteJSON(w, http.StatusOK, BarsResponse{Symbol: sym, Timeframe: tf, Total: total, Offset: offset, Bars: bars})
}

// barsQuery validates GET /api/v1/data/{symbol}/{timeframe}?start=&end=&limit=&offset=.
func barsQuery(r *http.Request) (sym string, tf marketdata.Timeframe, start, end *time.Time, limit, offset int, e *httpx.RequestError) {
	sym, err := marketdata.ValidateSymbol(r.PathValue("symbol"))
	if err != nil {
		return "", "", nil, nil, 0, 0, httpx.BadField("symbol", "%v", err)
	}
	if tf, err = marketdata.ParseTimeframe(r.PathValue("timeframe")); err != nil {
		return "", "", nil, nil, 0, 0, httpx.BadField("timeframe", "%v", err)
	}
	q := r.URL.Query()
	if start, e = parseBound("start", q.Get("start"), false); e != nil {
		return
	}
	if end, e = parseBound("end", q.Get("end"), true); e != nil {
		return
	}
	limit = 10000
	for name, dst := range map[string]*int{"limit": &limit, "offset": &offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n < 1 || n > 100000)) {
				return "", "", nil, nil, 0, 0, httpx.BadField(name, "%s must be an integer (limit 1-100000, offset ≥ 0), got %q", name, v)
			}
			*dst = n
		}
	}
	return sym, tf, start, end, limit, offset, nil
}
