// Package devstack runs the whole ktrdr system on one machine as child
// processes — trace collector, API, market-data host and workers — for
// `ktrdr up`: it checks ports, starts the children, waits until every one is
// healthy, prefixes their logs, and stops them all, in order, on the way out.
package devstack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ktrdr/ktrdr/internal/workers"
)

// Options configure a stack. Zero ports are not allowed for the first
// service of each kind: defaults come from the CLI.
type Options struct {
	Exe             string // the ktrdr binary to run children with
	Host            string // listen address of every child
	APIPort         int
	IBHostPort      int
	TrainingPort    int // first training worker; the others take free ports
	BacktestPort    int // first backtest worker; the others take free ports
	GRPCPort        int // collector OTLP/gRPC
	HTTPPort        int // collector OTLP/HTTP
	QueryPort       int // collector query API and page
	TrainingWorkers int
	BacktestWorkers int
	OTLPEndpoint    string   // external trace backend; no collector is started
	QueryURL        string   // external query API, printed for the user
	DataDir         string   // the API's database and the host service's cache
	Env             []string // base environment of the children
	Out             io.Writer
	ReadyTimeout    time.Duration
	StopTimeout     time.Duration // per child, before SIGKILL
}

// child is one running service.
type child struct {
	name   string // log prefix, e.g. "training-1"
	kind   string
	url    string
	health string
	cmd    *exec.Cmd
	done   chan struct{}
	err    error // set before done is closed
}

// Stack is a started set of children.
type Stack struct {
	opts     Options
	out      *lineWriter
	children []*child
	// Endpoint is where spans go; QueryURL where they are read.
	Endpoint, QueryURL string
	apiURL             string
	workerIDs          []string
}

// Run starts the stack, waits until ctx is done or a child dies, and stops
// everything. It returns an error when the stack could not start or a child
// died on its own.
func Run(ctx context.Context, opts Options) error {
	s, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	died := s.waitAny(ctx)
	s.Stop()
	if died != nil {
		return fmt.Errorf("%s exited unexpectedly (%v); the stack was stopped", died.name, died.err)
	}
	return nil
}

// Start checks ports, starts every child and waits until all are healthy.
// On failure, whatever was started is stopped again.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	if opts.StopTimeout <= 0 {
		// A child drains requests (5s) and then flushes spans (5s) before it exits.
		opts.StopTimeout = 15 * time.Second
	}
	if opts.TrainingWorkers < 0 || opts.BacktestWorkers < 0 {
		return nil, errors.New("--training-workers and --backtest-workers cannot be negative")
	}
	s := &Stack{opts: opts, out: &lineWriter{w: opts.Out}}
	plan, err := s.plan()
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	// The collector first, so no early span is lost.
	for _, group := range plan {
		for _, c := range group {
			if err := s.start(c); err != nil {
				return nil, err
			}
		}
		if err := s.waitHealthy(ctx, group); err != nil {
			return nil, err
		}
	}
	if err := s.waitRegistered(ctx); err != nil {
		return nil, err
	}
	ok = true
	s.printSummary()
	return s, nil
}

type planned struct {
	child
	args []string
	env  []string
	port int
	flag string
}

// plan decides every child's ports and arguments, and fails before anything
// starts when a port is taken.
func (s *Stack) plan() ([][]*planned, error) {
	o := s.opts
	base := func(p int) string { return "http://" + net.JoinHostPort(o.Host, strconv.Itoa(p)) }
	var groups [][]*planned

	s.Endpoint, s.QueryURL = o.OTLPEndpoint, o.QueryURL
	if s.Endpoint == "" {
		if jaeger := base(o.QueryPort); portBusy(o.Host, o.GRPCPort) && isJaegerQuery(jaeger) {
			fmt.Fprintf(s.out, "ktrdr up: a Jaeger already listens on %s; sending traces to it\n", jaeger)
			s.Endpoint, s.QueryURL = base(o.GRPCPort), jaeger
		} else {
			s.Endpoint, s.QueryURL = base(o.GRPCPort), base(o.QueryPort)
			col := &planned{child: child{name: "collector", kind: "trace collector", url: base(o.QueryPort), health: base(o.QueryPort) + "/health"},
				args: []string{"serve", "collector", "--host", o.Host, "--grpc-port", itoa(o.GRPCPort), "--http-port", itoa(o.HTTPPort), "--query-port", itoa(o.QueryPort)},
				port: o.GRPCPort, flag: "--collector-grpc-port"}
			groups = append(groups, []*planned{col})
			for _, p := range []struct {
				port int
				flag string
			}{{o.HTTPPort, "--collector-http-port"}, {o.QueryPort, "--query-port"}} {
				if portBusy(o.Host, p.port) {
					return nil, portError(p.port, "collector", p.flag)
				}
			}
		}
	}

	s.apiURL = base(o.APIPort)
	core := []*planned{
		{child: child{name: "ib-host", kind: "ib-host"}, args: []string{"serve", "ib-host", "--cache-dir", filepath.Join(o.DataDir, "cache")}, port: o.IBHostPort, flag: "--ib-host-port"},
		{child: child{name: "api", kind: "API"}, port: o.APIPort, flag: "--api-port",
			args: []string{"serve", "api", "--ib-host-url", base(o.IBHostPort), "--db", filepath.Join(o.DataDir, "operations.db")}},
	}
	if s.QueryURL != "" {
		// The API reads traces there for the dashboard's waterfall.
		core[1].args = append(core[1].args, "--query-url", s.QueryURL)
	}
	// Workers start once the API is up, so they register at their first try.
	var pool []*planned
	for _, w := range []struct {
		typ   string
		n     int
		port  int
		flag  string
		label string
	}{{workers.TypeTraining, o.TrainingWorkers, o.TrainingPort, "--training-port", "training"}, {workers.TypeBacktest, o.BacktestWorkers, o.BacktestPort, "--backtest-port", "backtest"}} {
		for i := range w.n {
			port, flag := w.port, w.flag
			if i > 0 {
				p, err := freePort(o.Host)
				if err != nil {
					return nil, err
				}
				port, flag = p, ""
			}
			id, _ := workers.ResolveID("")
			s.workerIDs = append(s.workerIDs, id)
			pool = append(pool, &planned{child: child{name: fmt.Sprintf("%s-%d", w.label, i+1), kind: w.label + " worker " + id},
				args: []string{"serve", "worker", "--type", w.typ, "--id", id, "--backend-url", s.apiURL, "--ib-host-url", base(o.IBHostPort)}, port: port, flag: flag})
		}
	}
	svc := append(append([]*planned{}, core...), pool...)

	env := append(append([]string{}, o.Env...), "OTLP_ENDPOINT="+s.Endpoint)
	if o.OTLPEndpoint == "" {
		// Our endpoint is OTLP/gRPC whatever its port; the port rule alone
		// would pick HTTP for anything but 4317.
		env = append(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc")
	}
	if !hasEnv(o.Env, "ENVIRONMENT") {
		env = append(env, "ENVIRONMENT=development")
	}
	if !hasEnv(o.Env, "OTEL_BSP_SCHEDULE_DELAY") {
		// Export every second rather than the SDK's five: on a developer's
		// machine a trace should be whole by the time one looks at it
		// (ktrdr trace, the dashboard's waterfall).
		env = append(env, "OTEL_BSP_SCHEDULE_DELAY=1000")
	}
	for _, g := range groups {
		for _, p := range g {
			p.env = env
		}
	}
	for _, p := range svc {
		p.url = base(p.port)
		p.health = p.url + "/health"
		p.args = append(p.args, "--host", o.Host, "--port", itoa(p.port))
		p.env = env
	}
	for _, g := range append(groups, svc) {
		for _, p := range g {
			if p.flag != "" && portBusy(o.Host, p.port) {
				return nil, portError(p.port, p.name, p.flag)
			}
		}
	}
	groups = append(groups, core)
	if len(pool) > 0 {
		groups = append(groups, pool)
	}
	return groups, nil
}

func (s *Stack) start(p *planned) error {
	c := &p.child
	c.cmd = exec.Command(s.opts.Exe, p.args...)
	c.cmd.Env = p.env
	c.cmd.SysProcAttr = procAttr()
	pw := s.out.prefixed(c.name)
	c.cmd.Stdout, c.cmd.Stderr = pw, pw
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", c.name, err)
	}
	c.done = make(chan struct{})
	go func() {
		c.err = c.cmd.Wait()
		pw.flush()
		close(c.done)
	}()
	s.children = append(s.children, c)
	fmt.Fprintf(s.out, "ktrdr up: started %s (pid %d) on %s\n", c.name, c.cmd.Process.Pid, c.url)
	return nil
}

func (s *Stack) waitHealthy(ctx context.Context, group []*planned) error {
	deadline := time.Now().Add(s.opts.ReadyTimeout)
	client := &http.Client{Timeout: time.Second}
	for _, p := range group {
		for {
			if healthy(client, p.health) {
				break
			}
			select {
			case <-p.done:
				return fmt.Errorf("%s exited before it was healthy (%v); see its log lines above", p.name, p.err)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s was not healthy at %s within %s", p.name, p.health, s.opts.ReadyTimeout)
			}
		}
	}
	return nil
}

// waitRegistered waits until the API lists every worker of the stack, so
// "ktrdr is up" means work can be dispatched.
func (s *Stack) waitRegistered(ctx context.Context) error {
	if len(s.workerIDs) == 0 {
		return nil
	}
	deadline := time.Now().Add(s.opts.ReadyTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		var list struct {
			Workers []struct {
				ID    string `json:"worker_id"`
				State string `json:"state"`
			} `json:"workers"`
		}
		missing := append([]string(nil), s.workerIDs...)
		if resp, err := client.Get(s.apiURL + "/api/v1/workers"); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&list)
			resp.Body.Close()
			for _, w := range list.Workers {
				if w.State != "lost" {
					missing = slices.DeleteFunc(missing, func(id string) bool { return id == w.ID })
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("workers %v did not register with the API within %s; see their log lines above", missing, s.opts.ReadyTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Stack) printSummary() {
	var b strings.Builder
	b.WriteString("\nktrdr is up:\n")
	for _, c := range s.children {
		fmt.Fprintf(&b, "  %-32s %s\n", c.kind, c.url)
	}
	fmt.Fprintf(&b, "  %-32s %s/\n", "dashboard (open in a browser)", s.apiURL)
	fmt.Fprintf(&b, "  %-32s %s\n", "traces (Jaeger query API, page)", s.QueryURL)
	fmt.Fprintf(&b, "  %-32s %s\n", "OTLP endpoint", s.Endpoint)
	fmt.Fprintf(&b, "\nCheck tracing:  ktrdr trace check --api-url %s --query %s\nStop:           Ctrl-C\n\n", s.apiURL, s.QueryURL)
	fmt.Fprint(s.out, b.String())
}

// waitAny returns the first child that exits, or nil when ctx is done first.
func (s *Stack) waitAny(ctx context.Context) *child {
	died := make(chan *child, len(s.children))
	for _, c := range s.children {
		go func() {
			select {
			case <-c.done:
				died <- c
			case <-ctx.Done():
			}
		}()
	}
	select {
	case c := <-died:
		return c
	case <-ctx.Done():
		return nil
	}
}

// Stop stops the children in reverse start order — the API first, the
// collector last so it still receives the others' final spans — each with
// SIGTERM, then SIGKILL after StopTimeout.
func (s *Stack) Stop() {
	for i := len(s.children) - 1; i >= 0; i-- {
		c := s.children[i]
		select {
		case <-c.done:
			continue
		default:
		}
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(s.opts.StopTimeout):
			fmt.Fprintf(s.out, "ktrdr up: %s did not stop within %s; killing it\n", c.name, s.opts.StopTimeout)
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		fmt.Fprintf(s.out, "ktrdr up: stopped %s\n", c.name)
	}
}

// PIDs returns the process ids of the children, by name.
func (s *Stack) PIDs() map[string]int {
	out := map[string]int{}
	for _, c := range s.children {
		out[c.name] = c.cmd.Process.Pid
	}
	return out
}

func healthy(client *http.Client, url string) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// isJaegerQuery tells whether url answers Jaeger's /api/services.
func isJaegerQuery(url string) bool {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url + "/api/services")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		Data []string `json:"data"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&body) == nil
}

func portBusy(host string, port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return true
	}
	ln.Close()
	return false
}

func portError(port int, what, flag string) error {
	return fmt.Errorf("port %d (%s) is already in use: stop what holds it or choose another port with %s", port, what, flag)
}

func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }

// lineWriter serialises whole lines from many children onto one writer.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixed returns a writer that prefixes every line with "name | ".
func (l *lineWriter) prefixed(name string) *prefixWriter {
	pr, pw := io.Pipe()
	w := &prefixWriter{PipeWriter: pw, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintf(l, "%-11s| %s\n", name, sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return w
}

type prefixWriter struct {
	*io.PipeWriter
	done chan struct{}
}

// flush closes the pipe and waits until every line was written.
func (w *prefixWriter) flush() {
	w.PipeWriter.Close()
	<-w.done
}
