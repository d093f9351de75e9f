package workers

import (
	"regexp"
	"testing"
)

func TestResolveID(t *testing.T) {
	a, _ := ResolveID("")
	b, _ := ResolveID("")
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(a) || a == b {
		t.Errorf("generated ids %q, %q: want distinct 8-hex ids", a, b)
	}
	if id, err := ResolveID("gpu-box_1"); err != nil || id != "gpu-box_1" {
		t.Errorf("WORKER_ID kept: %q %v", id, err)
	}
	for _, bad := range []string{"-x", "a b", "x/y", string(make([]byte, 70))} {
		if _, err := ResolveID(bad); err == nil {
			t.Errorf("ResolveID(%q): want an error", bad)
		}
	}
}

func TestNamesAndTypes(t *testing.T) {
	if got := ServiceName(TypeTraining, "a8f3b012"); got != "ktrdr-training-worker-a8f3b012" {
		t.Errorf("ServiceName = %q", got)
	}
	if DefaultPort(TypeTraining) != 5002 || DefaultPort(TypeBacktest) != 5003 {
		t.Error("default ports")
	}
	if ValidateType("training") != nil || ValidateType("backtest") != nil || ValidateType("gpu") == nil {
		t.Error("ValidateType")
	}
}
