package models

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// FuzzSave: an uploaded artifact is either refused with a FieldError and
// leaves nothing behind, or stored whole and read back the same.
func FuzzSave(f *testing.F) {
	good, _ := json.Marshal(artifact("rsi"))
	f.Add(good)
	f.Add([]byte(`{"strategy":"../x","timeframe":"1d"}`))
	f.Add([]byte(`{"strategy":"a","timeframe":"1d","features":["x"],"architecture":{"inputs":1,"outputs":3},"network":{},"strategy_yaml":"y","scaler":{"mean":[1],"std":[]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a Artifact
		if json.Unmarshal(raw, &a) != nil {
			return
		}
		s, err := OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Save(&a)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("refusal without a field: %v", err)
			}
			if list, _ := s.List(""); len(list) != 0 {
				t.Fatalf("a refused artifact was stored: %+v", list)
			}
			return
		}
		back, err := s.Get(a.Strategy, a.Timeframe, info.Version)
		if err != nil || !slices.Equal(back.Features, a.Features) || back.Version != 1 {
			t.Fatalf("stored artifact reads back as %+v, %v", back, err)
		}
	})
}
