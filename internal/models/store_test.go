package models

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func artifact(strategy string) *Artifact {
	return &Artifact{
		Strategy: strategy, Timeframe: "1d", StrategyYAML: "name: " + strategy,
		Features:     []string{"1d_rsi_14_low", "1d_rsi_14_high"},
		Architecture: Architecture{Inputs: 2, Hidden: []int{4}, Outputs: 3, Activation: "relu"},
		Network:      json.RawMessage(`{"layers":[]}`),
		Metrics:      Metrics{TestAccuracy: 0.5},
	}
}

func TestStoreVersions(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		a := artifact("rsi")
		a.Metrics.TestAccuracy = float64(want) / 10
		info, err := s.Save(a)
		if err != nil {
			t.Fatal(err)
		}
		if info.Version != want || a.Version != want || info.Name != "rsi/1d_v"+string(rune('0'+want)) {
			t.Errorf("save %d: info %+v", want, info)
		}
	}
	latest, err := s.Get("rsi", "1d", 0)
	if err != nil || latest.Version != 3 || latest.Metrics.TestAccuracy != 0.3 {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	v2, err := s.Get("rsi", "1d", 2)
	if err != nil || v2.Version != 2 || string(v2.Network) != `{"layers":[]}` {
		t.Fatalf("v2 = %+v, %v", v2, err)
	}
	for _, c := range []struct {
		s, tf string
		v     int
	}{{"rsi", "1d", 4}, {"rsi", "1h", 0}, {"other", "1d", 0}, {"../etc", "1d", 0}} {
		if _, err := s.Get(c.s, "1d", c.v); c.tf == "1d" && !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s, %d) = %v, want ErrNotFound", c.s, c.v, err)
		}
	}
	if _, err := s.Get("rsi", "1h", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("other timeframe: %v", err)
	}
	if _, err := s.Save(artifact("macd")); err != nil {
		t.Fatal(err)
	}
	all, err := s.List("")
	if err != nil || len(all) != 4 || all[0].Strategy != "macd" || all[3].Version != 3 || all[3].Features != 2 || all[3].SizeBytes == 0 {
		t.Fatalf("list = %+v, %v", all, err)
	}
	one, _ := s.List("rsi")
	if len(one) != 3 {
		t.Errorf("list rsi = %d entries", len(one))
	}
	left, _ := filepath.Glob(filepath.Join(s.Dir(), "*", ".tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary directories left: %v", left)
	}
}

func TestStoreRefusesBadArtifacts(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	cases := map[string]func(a *Artifact){
		"strategy":            func(a *Artifact) { a.Strategy = "../x" },
		"timeframe":           func(a *Artifact) { a.Timeframe = "2d" },
		"features":            func(a *Artifact) { a.Features = nil },
		"architecture.inputs": func(a *Artifact) { a.Architecture.Inputs = 5 },
		"network":             func(a *Artifact) { a.Network = json.RawMessage(`[1]`) },
		"scaler":              func(a *Artifact) { a.Scaler = &Scaler{Mean: []float64{1}} },
		"strategy_yaml":       func(a *Artifact) { a.StrategyYAML = "" },
	}
	for field, mutate := range cases {
		a := artifact("rsi")
		mutate(a)
		_, err := s.Save(a)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: err = %v", field, err)
		}
	}
	if entries, _ := os.ReadDir(s.Dir()); len(entries) != 0 {
		t.Errorf("refused artifacts left files: %v", entries)
	}
}

func TestStoreConcurrentSavesGetDistinctVersions(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	var wg sync.WaitGroup
	versions := make([]int, 8)
	for i := range versions {
		wg.Go(func() {
			info, err := s.Save(artifact("rsi"))
			if err != nil {
				t.Error(err)
			}
			versions[i] = info.Version
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, v := range versions {
		if seen[v] || v < 1 || v > 8 {
			t.Errorf("versions = %v", versions)
		}
		seen[v] = true
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]int{"": 0, "latest": 0, "3": 3, "v12": 12} {
		if v, err := ParseVersion(in); err != nil || v != want {
			t.Errorf("ParseVersion(%q) = %d, %v", in, v, err)
		}
	}
	for _, bad := range []string{"0", "v0", "x", "-1", "v"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}
