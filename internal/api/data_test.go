package api

import (
	"encoding/json"
	"testing"

	"github.com/ktrdr/ktrdr/internal/dataload"
)

// FuzzDataLoadRequest: any body either fails validation naming a field or
// yields a request that is consistent.
func FuzzDataLoadRequest(f *testing.F) {
	for _, s := range []string{
		`{"symbol":"SPX","timeframe":"1d"}`, `{"symbol":"spx","timeframe":"1h","start":"2020-01-01","end":"2020-02-01","mode":"full"}`,
		`{"symbol":"","timeframe":"1d"}`, `{"symbol":"X","timeframe":"1d","start":"2021-01-01T00:00:00Z","end":"2020-01-01"}`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var b loadRequest
		if json.Unmarshal([]byte(body), &b) != nil {
			return
		}
		req, e := validateLoad(b)
		if e != nil {
			if e.Field == "" || e.Message == "" || e.Status != 400 {
				t.Fatalf("error without field or message: %+v", e)
			}
			return
		}
		if req.Symbol == "" || !req.Timeframe.Valid() {
			t.Fatalf("accepted %+v", req)
		}
		switch req.Mode {
		case dataload.ModeLocal, dataload.ModeTail, dataload.ModeBackfill, dataload.ModeFull:
		default:
			t.Fatalf("accepted mode %q", req.Mode)
		}
		if req.Start != nil && req.End != nil && req.Start.After(*req.End) {
			t.Fatalf("accepted start after end: %+v", req)
		}
	})
}
