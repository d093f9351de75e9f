package workers

import (
	"errors"
	"regexp"
	"strings"
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

func TestAdvertiseURL(t *testing.T) {
	named := func() (string, error) { return "c0ffee12", nil }
	for _, c := range []struct{ host, want string }{
		{"127.0.0.1", "http://127.0.0.1:5002"},
		{"::1", "http://[::1]:5002"},
		{"worker.internal", "http://worker.internal:5002"},
		{"0.0.0.0", "http://c0ffee12:5002"},
		{"::", "http://c0ffee12:5002"},
	} {
		if got, err := AdvertiseURL(c.host, 5002, named); err != nil || got != c.want {
			t.Errorf("AdvertiseURL(%q) = %q, %v; want %q", c.host, got, err, c.want)
		}
	}
	if _, err := AdvertiseURL("0.0.0.0", 5002, func() (string, error) { return "", errors.New("no name") }); err == nil || !strings.Contains(err.Error(), "--advertise-url is required") {
		t.Errorf("no hostname: %v", err)
	}
}
