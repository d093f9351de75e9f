package api

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// workerAuth requires KTRDR_WORKER_TOKEN (when one is configured) on the
// endpoints only workers call.
func (s *Server) workerAuth(h http.HandlerFunc) http.HandlerFunc {
	if s.cfg.WorkerToken == "" {
		return h
	}
	want := []byte(s.cfg.WorkerToken)
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(workerapi.TokenHeader)), want) != 1 {
			httpx.WriteError(w, http.StatusUnauthorized, "unauthenticated", "missing or wrong worker token (header "+workerapi.TokenHeader+")", "")
			return
		}
		h(w, r)
	}
}

func (s *Server) registerWorker(w http.ResponseWriter, r *http.Request) {
	var req workerapi.RegisterRequest
	if e := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &req); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	wk, err := s.cfg.Registry.Register(req)
	var fe *registry.FieldError
	if errors.As(err, &fe) {
		httpx.WriteRequestError(w, httpx.BadField(fe.Field, "%s", fe.Error()))
		return
	}
	s.log.InfoContext(r.Context(), "worker registered", "worker_id", wk.ID, "worker_type", wk.Type, "url", wk.URL, "state", wk.State)
	httpx.WriteJSON(w, http.StatusOK, workerapi.RegisterResponse{WorkerID: wk.ID, HeartbeatIntervalSeconds: s.cfg.HeartbeatInterval.Seconds()})
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	var hb workerapi.Heartbeat
	if e := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &hb); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	wk, err := s.cfg.Dispatcher.Heartbeat(r.Context(), r.PathValue("id"), hb)
	var fe *registry.FieldError
	switch {
	case errors.Is(err, registry.ErrUnknown):
		httpx.WriteError(w, http.StatusNotFound, "not_found", "unknown worker "+r.PathValue("id")+": register again", "worker_id")
	case errors.As(err, &fe):
		httpx.WriteRequestError(w, httpx.BadField(fe.Field, "%s", fe.Error()))
	case err != nil:
		s.writeErr(w, err)
	default:
		httpx.WriteJSON(w, http.StatusOK, wk)
	}
}

func (s *Server) reportProgress(w http.ResponseWriter, r *http.Request) {
	id, ok := s.opID(w, r)
	if !ok {
		return
	}
	var p workerapi.ProgressReport
	if e := httpx.DecodeJSON(w, r, 4*httpx.DefaultMaxBody, &p); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	if err := s.cfg.Dispatcher.Progress(r.Context(), id, p); err != nil {
		s.writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) completeOperation(w http.ResponseWriter, r *http.Request) {
	id, ok := s.opID(w, r)
	if !ok {
		return
	}
	var c workerapi.Completion
	if e := httpx.DecodeJSON(w, r, 16*httpx.DefaultMaxBody, &c); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	if !c.Status.Terminal() {
		httpx.WriteRequestError(w, httpx.BadField("status", "status must be completed, failed or cancelled, got %q", c.Status))
		return
	}
	op, err := s.cfg.Dispatcher.Complete(r.Context(), id, c)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, op)
}

func (s *Server) listWorkers(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"workers": s.cfg.Registry.List()})
}

func (s *Server) getWorker(w http.ResponseWriter, r *http.Request) {
	wk, ok := s.cfg.Registry.Get(r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, http.StatusNotFound, "not_found", "unknown worker "+r.PathValue("id"), "worker_id")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, wk)
}
