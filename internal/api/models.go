package api

import (
	"errors"
	"net/http"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
)

// maxModelBody bounds an uploaded artifact (weights are JSON numbers).
const maxModelBody = 64 << 20

// putModel: PUT /api/v1/models/{strategy}/{timeframe} stores a new version.
func (s *Server) putModel(w http.ResponseWriter, r *http.Request) {
	var a models.Artifact
	if e := httpx.DecodeJSON(w, r, maxModelBody, &a); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	name, tf := r.PathValue("strategy"), r.PathValue("timeframe")
	if a.Strategy != name {
		httpx.WriteRequestError(w, httpx.BadField("strategy", "body names strategy %q, path %q", a.Strategy, name))
		return
	}
	if string(a.Timeframe) != tf {
		httpx.WriteRequestError(w, httpx.BadField("timeframe", "body names timeframe %q, path %q", a.Timeframe, tf))
		return
	}
	info, err := s.cfg.Models.Save(&a)
	var fe *models.FieldError
	if errors.As(err, &fe) {
		httpx.WriteRequestError(w, httpx.BadField(fe.Field, "%s", fe.Error()))
		return
	}
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.log.InfoContext(r.Context(), "model stored", "model", info.Name, "operation_id", info.OperationID)
	httpx.WriteJSON(w, http.StatusCreated, info)
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Models.List(r.URL.Query().Get("strategy"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"models": list})
}

// getModel: GET /api/v1/models/{strategy}/{timeframe}/{version|latest}.
func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	tf, err := marketdata.ParseTimeframe(r.PathValue("timeframe"))
	if err != nil {
		httpx.WriteRequestError(w, httpx.BadField("timeframe", "%v", err))
		return
	}
	v, err := models.ParseVersion(r.PathValue("version"))
	if err != nil {
		httpx.WriteRequestError(w, httpx.BadField("version", "%v", err))
		return
	}
	a, err := s.cfg.Models.Get(r.PathValue("strategy"), tf, v)
	if errors.Is(err, models.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "not_found", err.Error(), "")
		return
	}
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, a)
}
