package cli

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
)

func run(args ...string) (int, string) {
	var out bytes.Buffer
	code := Execute(context.Background(), args, &out, &out)
	return code, out.String()
}

func TestVersionAndHelp(t *testing.T) {
	if code, out := run("version"); code != 0 || !strings.HasPrefix(out, "ktrdr ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out := run("serve", "--help")
	for _, role := range []string{"api", "ib-host", "worker", "collector", "8000", "5001", "5002", "5003", "4317", "16686"} {
		if code != 0 || !strings.Contains(out, role) {
			t.Errorf("serve --help lacks %q (code %d)", role, code)
		}
	}
	if code, out := run("--help"); code != 0 || !strings.Contains(out, "up") || !strings.Contains(out, "trace") {
		t.Errorf("--help: %d %q", code, out)
	}
}

func TestBadInputIsAClearError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "worker"}, []string{`"type" not set`}},
		{[]string{"serve", "worker", "--type", "gpu"}, []string{"--type", `"gpu"`}},
		{[]string{"serve", "worker", "--type", "training", "--id", "a/b"}, []string{"WORKER_ID", "a/b"}},
		{[]string{"serve", "api", "--port", "70000"}, []string{"--port 70000"}},
		{[]string{"serve", "ib-host", "--port", busy}, []string{"port " + busy, "already in use", "--port"}},
		{[]string{"serve", "collector", "--query-port", busy, "--grpc-port", "0", "--http-port", "0"}, []string{"port " + busy, "--query-port"}},
		{[]string{"up", "--training-workers", "-1"}, []string{"--training-workers"}},
		{[]string{"nonsense"}, []string{"unknown command"}},
		{[]string{"trace", "ui"}, []string{`"query" not set`}},
		{[]string{"trace", "ui", "--query", "127.0.0.1:16686"}, []string{"--query", "http://127.0.0.1:16686"}},
		{[]string{"trace", "ui", "--query", "http://127.0.0.1:16686", "--port", busy}, []string{"port " + busy, "already in use", "--port"}},
	} {
		code, out := run(c.args...)
		if code == 0 {
			t.Errorf("%v: exit 0, want an error", c.args)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output %q lacks %q", c.args, out, w)
			}
		}
	}
}
