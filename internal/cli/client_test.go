package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/apiclient/apitest"
	"github.com/ktrdr/ktrdr/internal/operations"
)

// syncBuffer is written by a command running in another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code        int
	out, errOut string
}

// execute runs the command line as main does, with separate stdout and stderr.
func execute(ctx context.Context, args ...string) result {
	var out, errOut syncBuffer
	code := Execute(ctx, args, &out, &errOut)
	return result{code: code, out: out.String(), errOut: errOut.String()}
}

// started runs the command line in the background.
func started(ctx context.Context, args ...string) <-chan result {
	ch := make(chan result, 1)
	go func() { ch <- execute(ctx, args...) }()
	return ch
}

func wait(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the command did not finish within 30s")
		return result{}
	}
}

// quiet turns tracing off and makes watching fast.
func quiet(t *testing.T) {
	t.Setenv("OTEL_SDK_DISABLED", "true")
	fastWatch(t)
}

func fastWatch(t *testing.T) {
	pi, cw := pollInterval, cancelWait
	pollInterval, cancelWait = 5*time.Millisecond, 5*time.Second
	t.Cleanup(func() { pollInterval, cancelWait = pi, cw })
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

// TestArgAndFlagErrors: bad arguments and flags are one clear line, exit 1,
// and no request reaches the API.
func TestArgAndFlagErrors(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ops", "show"}, "ktrdr ops show takes one OPERATION_ID, got 0 arguments"},
		{[]string{"ops", "show", "op_nope"}, `"op_nope" is not an operation id`},
		{[]string{"ops", "cancel", "op_training_20261125_120000_XYZ"}, "is not an operation id"},
		{[]string{"ops", "watch", "a", "b"}, "takes one OPERATION_ID, got 2 arguments"},
		{[]string{"ops", "list", "--status", "asleep"}, `--status "asleep": want pending, running, completed, failed, cancelled`},
		{[]string{"ops", "list", "--limit", "0"}, "--limit 0: want 1-1000"},
		{[]string{"ops", "frobnicate"}, `unknown command "frobnicate" for "ktrdr ops"`},
		{[]string{"train"}, "ktrdr train takes one STRATEGY, got 0 arguments"},
		{[]string{"train", "a", "b"}, "got 2 arguments"},
		{[]string{"train", "s", "--start", "2020-13-01"}, "--start: "},
		{[]string{"train", "s", "--start", "2021-01-01", "--end", "2020-01-01"}, "--start 2021-01-01 is after --end 2020-01-01"},
		{[]string{"train", "s", "--timeframe", "2d"}, `--timeframe "2d": want one of 1m 5m 15m 30m 1h 4h 1d 1w`},
		{[]string{"train", "s", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"backtest", "s", "--capital", "0"}, "--capital 0: want more than 0"},
		{[]string{"backtest", "s", "--capital", "abc"}, `invalid argument "abc" for "--capital"`},
		{[]string{"backtest", "s", "--commission", "1.5"}, "--commission 1.5: want a fraction in [0, 1)"},
		{[]string{"backtest", "s", "--fill", "open"}, `--fill "open": want next_open, close`},
		{[]string{"data", "load", "SPX"}, "ktrdr data load takes SYMBOL TIMEFRAME, got 1 argument"},
		{[]string{"data", "load", "SPX", "7x"}, `TIMEFRAME "7x": want one of`},
		{[]string{"data", "load", "S P X", "1d"}, "SYMBOL: invalid symbol"},
		{[]string{"data", "load", "SPX", "1d", "--mode", "sideways"}, `--mode "sideways": want local, tail, backfill, full`},
		{[]string{"data", "show", "SPX", "1d", "--limit", "0"}, "--limit 0"},
		{[]string{"models", "show", "x"}, "takes STRATEGY TIMEFRAME [VERSION], got 1 argument"},
		{[]string{"models", "show", "x", "1d", "v0"}, `VERSION "v0": want latest, N or vN`},
		{[]string{"strategies", "validate", filepath.Join(t.TempDir(), "missing.yaml")}, "reading the strategy: open "},
		{[]string{"workers", "extra"}, "ktrdr workers takes no arguments, got 1 argument"},
		{[]string{"workers", "--output", "xml"}, `--output "xml": want table or json`},
		{[]string{"workers", "--url", "localhost:8000"}, `--url "localhost:8000": want the API's base URL`},
	} {
		args := c.args
		if !strings.Contains(strings.Join(args, " "), "--url") {
			args = append(args, "--url", f.URL)
		}
		r := execute(context.Background(), args...)
		ls := lines(r.errOut)
		if r.code != 1 || len(ls) != 1 || !strings.HasPrefix(ls[0], "Error: ") || !strings.Contains(ls[0], c.want) || r.out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want one line with %q", c.args, r.code, r.out, r.errOut, c.want)
		}
	}
	for _, r := range f.Requests() {
		t.Errorf("bad input reached the API: %s %s", r.Method, r.Path)
	}
}

// TestAPIErrorsAreOneLine: unknown ids and names, refused requests and an
// unreachable API are one line each, exit 1.
func TestAPIErrorsAreOneLine(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	down := httptest.NewServer(nil)
	down.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ops", "show", "op_training_20260101_000000_deadbeef"}, "Error: API: not_found: operation not found: op_training_20260101_000000_deadbeef"},
		{[]string{"ops", "cancel", "op_training_20260101_000000_deadbeef"}, "Error: API: not_found: operation not found: op_training_20260101_000000_deadbeef"},
		{[]string{"ops", "watch", "op_training_20260101_000000_deadbeef"}, "Error: API: not_found: operation not found: op_training_20260101_000000_deadbeef"},
		{[]string{"strategies", "show", "nope"}, "Error: API: not_found: no strategy named nope"},
		{[]string{"train", "nope"}, `Error: API: invalid_argument (field strategy): unknown strategy "nope" (GET /api/v1/strategies lists them)`},
		{[]string{"models", "show", "rsi_mean_reversion", "1d"}, "Error: API: not_found: "},
		{[]string{"data", "show", "SPX", "1d"}, "Error: API: not_found (field symbol): no SPX 1d data loaded: POST /api/v1/data/load first"},
		{[]string{"workers", "--url", down.URL}, "Error: cannot reach the ktrdr API at " + down.URL + ": connection refused (is it running? try: ktrdr up)"},
		{[]string{"train", "rsi_mean_reversion", "--url", down.URL}, "Error: cannot reach the ktrdr API at " + down.URL + ": connection refused"},
	} {
		args := c.args
		if !strings.Contains(strings.Join(args, " "), "--url") {
			args = append(args, "--url", f.URL)
		}
		r := execute(context.Background(), args...)
		ls := lines(r.errOut)
		if r.code != 1 || len(ls) != 1 || !strings.HasPrefix(ls[0], c.want) {
			t.Errorf("%v: exit %d, stderr %q; want one line %q", c.args, r.code, r.errOut, c.want)
		}
	}
}

// TestReadCommands runs the listing commands against the real API, as
// tables and as JSON.
func TestReadCommands(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	f.AddWorker(t, "t0", "training")
	op := f.Create(t, &operations.Operation{Type: operations.TypeDummy, WorkerType: "backtest", Params: json.RawMessage(`{"steps": 3}`)})
	t.Setenv("KTRDR_API_URL", f.URL) // the --url default
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"strategies", "list"}, []string{"NAME", "rsi_mean_reversion", "rule:ma_crossover"}},
		{[]string{"strategies", "show", "rsi_mean_reversion"}, []string{"Hash", "sha256:", "INDICATOR", "1d_rsi_14_"}},
		{[]string{"strategies", "show", "sma_crossover", "--yaml"}, []string{"name: sma_crossover", "rules:"}},
		{[]string{"workers"}, []string{"t0", "training", "idle"}},
		{[]string{"models", "list"}, []string{"no models"}},
		{[]string{"data", "list"}, []string{"no data loaded"}},
		{[]string{"ops", "list"}, []string{op.ID, "dummy", "pending"}},
		{[]string{"ops", "show", op.ID}, []string{"Status     pending", "steps: 3"}},
	} {
		r := execute(context.Background(), c.args...)
		for _, w := range c.want {
			if r.code != 0 || !strings.Contains(r.out, w) {
				t.Errorf("%v: exit %d, stdout lacks %q:\n%s%s", c.args, r.code, w, r.out, r.errOut)
			}
		}
	}
	for _, c := range []struct {
		args []string
		key  string
	}{
		{[]string{"strategies", "list", "-o", "json"}, "strategies"},
		{[]string{"workers", "-o", "json"}, "workers"},
		{[]string{"models", "list", "-o", "json"}, "models"},
		{[]string{"data", "list", "-o", "json"}, "data"},
		{[]string{"ops", "list", "-o", "json"}, "operations"},
		{[]string{"ops", "show", op.ID, "-o", "json"}, "operation_id"},
	} {
		r := execute(context.Background(), c.args...)
		var m map[string]any
		if err := json.Unmarshal([]byte(r.out), &m); err != nil || r.code != 0 || m[c.key] == nil {
			t.Errorf("%v: exit %d, not JSON with %q: %v\n%s", c.args, r.code, c.key, err, r.out)
		}
	}

	r := execute(context.Background(), "ops", "cancel", op.ID)
	if r.code != 0 || r.out != "cancelled operation "+op.ID+"\n" {
		t.Errorf("ops cancel: %d %q %q", r.code, r.out, r.errOut)
	}
}

func TestStrategiesValidate(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "strategies", "sma_crossover.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "fast_period: 10", "fast_period: -3", 1)
	bad = strings.Replace(bad, "slow_period: 30", "slow_period: nope", 1)
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := execute(context.Background(), "strategies", "validate", write("good.yaml", string(good)), "--url", f.URL)
	if r.code != 0 || !strings.Contains(r.out, "valid strategy sma_crossover") {
		t.Errorf("valid: %d %q %q", r.code, r.out, r.errOut)
	}
	r = execute(context.Background(), "strategies", "validate", write("bad.yaml", bad), "--url", f.URL)
	problems := lines(r.out)
	if r.code != 1 || len(problems) < 2 || !strings.Contains(r.out, "rules.fast_period: ") || !strings.Contains(r.out, "rules.slow_period: ") {
		t.Errorf("invalid: exit %d, stdout %q", r.code, r.out)
	}
	if ls := lines(r.errOut); len(ls) != 1 || !strings.HasSuffix(ls[0], "invalid strategy: "+itoa(len(problems))+" problems") {
		t.Errorf("invalid: stderr %q", r.errOut)
	}
	r = execute(context.Background(), "strategies", "validate", filepath.Join(dir, "bad.yaml"), "--url", f.URL, "-o", "json")
	var v map[string]any
	if r.code != 1 || json.Unmarshal([]byte(r.out), &v) != nil || v["valid"] != false {
		t.Errorf("invalid as JSON: %d %q", r.code, r.out)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestCompletionAndHelp(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := execute(context.Background(), "completion", shell); r.code != 0 || len(r.out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes", shell, r.code, len(r.out))
		}
	}
	r := execute(context.Background(), "__complete", "train", "--url", f.URL, "")
	if r.code != 0 || !strings.Contains(r.out, "rsi_mean_reversion\n") || !strings.Contains(r.out, "sma_crossover\n") {
		t.Errorf("strategy completion: %d %q", r.code, r.out)
	}
	r = execute(context.Background(), "__complete", "backtest", "x", "--timeframe", "")
	if r.code != 0 || !strings.Contains(r.out, "1d\n") || !strings.Contains(r.out, "4h\n") {
		t.Errorf("timeframe completion: %d %q", r.code, r.out)
	}
	r = execute(context.Background(), "__complete", "data", "load", "SPX", "")
	if r.code != 0 || !strings.Contains(r.out, "1h\n") {
		t.Errorf("data load timeframe completion: %d %q", r.code, r.out)
	}
	down := httptest.NewServer(nil)
	down.Close()
	r = execute(context.Background(), "__complete", "strategies", "show", "--url", down.URL, "")
	if r.code != 0 || strings.Contains(r.out, "rsi") || !strings.HasPrefix(r.out, ":") {
		t.Errorf("completion with the API down is not silently empty: %d %q", r.code, r.out)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d API requests for completion, want 1", n)
	}

	// Every client command has help with an example.
	root := newRoot()
	for _, name := range []string{"data", "train", "backtest", "ops", "workers", "strategies", "models"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		checkExamples(t, cmd)
	}
	r = execute(context.Background(), "train", "--help")
	if r.code != 0 || !strings.Contains(r.out, "Examples:") || !strings.Contains(r.out, "--detach") || !strings.Contains(r.out, "--url") {
		t.Errorf("train --help: %d %q", r.code, r.out)
	}
}

func checkExamples(t *testing.T, c *cobra.Command) {
	t.Helper()
	for _, sub := range c.Commands() {
		checkExamples(t, sub)
	}
	if len(c.Commands()) == 0 && c.Example == "" {
		t.Errorf("%s has no example", c.CommandPath())
	}
}
