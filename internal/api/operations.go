package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/ktrdr/ktrdr/internal/dispatch"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

var opIDPattern = regexp.MustCompile(`^op_[a-z_]{1,20}_\d{8}_\d{6}_[0-9a-f]{8}$`)

// StartResponse is the 202 answer of every start endpoint.
type StartResponse struct {
	OperationID string            `json:"operation_id"`
	Status      operations.Status `json:"status"`
	TraceID     string            `json:"trace_id"`
}

// startDummy: POST /api/v1/dummy/start.
func (s *Server) startDummy(w http.ResponseWriter, r *http.Request) {
	p := workerapi.DefaultDummyParams()
	if e := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &p); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	if field, problem := p.Validate(); field != "" {
		httpx.WriteRequestError(w, httpx.BadField(field, "%s %s", field, problem))
		return
	}
	if p.WorkerType != "training" && p.WorkerType != "backtest" {
		httpx.WriteRequestError(w, httpx.BadField("worker_type", "worker_type must be training or backtest, got %q", p.WorkerType))
		return
	}
	params, _ := json.Marshal(p)
	s.submit(w, r, &operations.Operation{
		ID: operations.NewID(operations.TypeDummy, s.now()), Type: operations.TypeDummy, WorkerType: p.WorkerType, Params: params,
	})
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, op *operations.Operation) {
	stored, err := s.cfg.Dispatcher.Submit(r.Context(), op)
	for try := 0; errors.Is(err, operations.ErrExists) && try < 3; try++ {
		// Ids carry 32 random bits per second and type: a clash is rare, not impossible.
		op.ID = operations.NewID(op.Type, s.now())
		stored, err = s.cfg.Dispatcher.Submit(r.Context(), op)
	}
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, StartResponse{OperationID: stored.ID, Status: stored.Status, TraceID: stored.TraceID})
}

// ListResponse is GET /api/v1/operations.
type ListResponse struct {
	Operations []*operations.Operation `json:"operations"`
	Total      int                     `json:"total"`
	Limit      int                     `json:"limit"`
	Offset     int                     `json:"offset"`
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := operations.Filter{Status: operations.Status(q.Get("status")), Type: operations.Type(q.Get("type")), Limit: 100}
	switch f.Status {
	case "", operations.StatusPending, operations.StatusRunning, operations.StatusCompleted, operations.StatusFailed, operations.StatusCancelled:
	default:
		httpx.WriteRequestError(w, httpx.BadField("status", "status must be pending, running, completed, failed or cancelled, got %q", f.Status))
		return
	}
	switch f.Type {
	case "", operations.TypeDataLoad, operations.TypeTraining, operations.TypeBacktesting, operations.TypeDummy:
	default:
		httpx.WriteRequestError(w, httpx.BadField("type", "type must be data_load, training, backtesting or dummy, got %q", f.Type))
		return
	}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n < 1 || n > 1000)) {
				httpx.WriteRequestError(w, httpx.BadField(name, "%s must be an integer (limit 1-1000, offset ≥ 0), got %q", name, v))
				return
			}
			*dst = n
		}
	}
	ops, total, err := s.cfg.Store.List(r.Context(), f)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	if ops == nil {
		ops = []*operations.Operation{}
	}
	httpx.WriteJSON(w, http.StatusOK, ListResponse{Operations: ops, Total: total, Limit: f.Limit, Offset: f.Offset})
}

func (s *Server) opID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !opIDPattern.MatchString(id) {
		httpx.WriteRequestError(w, httpx.BadField("operation_id", "%q is not an operation id (op_{type}_{yyyymmdd_hhmmss}_{8 hex})", id))
		return "", false
	}
	return id, true
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	id, ok := s.opID(w, r)
	if !ok {
		return
	}
	op, err := s.cfg.Store.Get(r.Context(), id)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, op)
}

// MetricsResponse is GET /api/v1/operations/{id}/metrics?cursor=N.
type MetricsResponse struct {
	Metrics   []json.RawMessage `json:"metrics"`
	NewCursor int               `json:"new_cursor"`
}

func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request) {
	id, ok := s.opID(w, r)
	if !ok {
		return
	}
	cursor := 0
	if v := r.URL.Query().Get("cursor"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			httpx.WriteRequestError(w, httpx.BadField("cursor", "cursor must be an integer ≥ 0, got %q", v))
			return
		}
		cursor = n
	}
	recs, next, err := s.cfg.Store.Metrics(r.Context(), id, cursor)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	if recs == nil {
		recs = []json.RawMessage{}
	}
	httpx.WriteJSON(w, http.StatusOK, MetricsResponse{Metrics: recs, NewCursor: next})
}

func (s *Server) cancelOperation(w http.ResponseWriter, r *http.Request) {
	id, ok := s.opID(w, r)
	if !ok {
		return
	}
	if s.cfg.Loader != nil && s.cfg.Loader.Cancel(id) {
		// A data load runs here: it ends cancelled at its next step.
		op, err := s.cfg.Store.Get(r.Context(), id)
		if err != nil {
			s.writeErr(w, err)
			return
		}
		httpx.WriteJSON(w, http.StatusAccepted, op)
		return
	}
	op, err := s.cfg.Dispatcher.Cancel(r.Context(), id)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, op)
}

// writeErr maps domain errors to HTTP answers.
func (s *Server) writeErr(w http.ResponseWriter, err error) {
	var re *httpx.RequestError
	switch {
	case errors.As(err, &re):
		httpx.WriteRequestError(w, re)
	case errors.Is(err, operations.ErrInvalid):
		httpx.WriteError(w, http.StatusBadRequest, "invalid_argument", err.Error(), "")
	case errors.Is(err, operations.ErrNotFound):
		httpx.WriteError(w, http.StatusNotFound, "not_found", err.Error(), "")
	case errors.Is(err, dispatch.ErrConflict), errors.Is(err, operations.ErrTransition):
		httpx.WriteError(w, http.StatusConflict, "conflict", err.Error(), "")
	default:
		s.log.Error("request failed", "error", err.Error())
		httpx.WriteError(w, http.StatusInternalServerError, "internal", "internal error: "+err.Error(), "")
	}
}
