package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/tracecheck"
	"github.com/ktrdr/ktrdr/internal/tracetree"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// DefaultQueryURL is where trace-reading commands look for a Jaeger query
// API: ktrdr up's collector, or a real Jaeger on its usual port.
const DefaultQueryURL = "http://127.0.0.1:16686"

var (
	opIDPattern    = regexp.MustCompile(`^op_[a-z_]+_\d{8}_\d{6}_[0-9a-f]{8}$`)
	traceIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func newTraceCmd() *cobra.Command {
	var queryURL, apiURL, color string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "trace OPERATION_ID|TRACE_ID",
		Short: "Show an operation's trace as a tree; check tracing; serve the trace page",
		Long: `Show the trace of an operation (or a trace id) as a tree: every span under
its parent with its service, duration, key attributes, a summary of its events,
and errors in red. An operation id is resolved to its trace through the API
(--api-url); the trace is read from a Jaeger query API (--query): the embedded
collector or a real Jaeger. Reading a trace is not traced.

Examples:
  ktrdr trace op_training_20261125_120000_1a2b3c4d
  ktrdr trace 4bf92f3577b34da6a3ce929d0e0e4736 --query http://jaeger:16686
  ktrdr trace check
  ktrdr trace ui --query http://127.0.0.1:16686`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			id := strings.TrimSpace(args[0])
			if !opIDPattern.MatchString(id) && !traceIDPattern.MatchString(id) {
				return fmt.Errorf("%q is neither an operation id (op_{type}_{yyyymmdd_hhmmss}_{8 hex}) nor a trace id (32 hex)", id)
			}
			useColor, err := colorMode(color, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			return showTrace(cmd.Context(), cmd.OutOrStdout(), id, apiURL, queryURL, wait, useColor)
		},
	}
	cmd.Flags().StringVar(&queryURL, "query", envOr("KTRDR_QUERY_URL", DefaultQueryURL), "Jaeger query API base URL (env KTRDR_QUERY_URL)")
	cmd.Flags().StringVar(&apiURL, "api-url", envOr("KTRDR_API_URL", tracecheck.DefaultAPIURL), "ktrdr API base URL, to resolve an operation id (env KTRDR_API_URL)")
	cmd.Flags().StringVar(&color, "color", "auto", "colours: auto (when writing to a terminal), always or never")
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Second, "how long to wait for the trace to reach the backend")
	cmd.AddCommand(newTraceCheckCmd(), newTraceUICmd())
	return cmd
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// colorMode resolves --color for w.
func colorMode(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		f, ok := w.(*os.File)
		if !ok {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == "", nil
	}
	return false, fmt.Errorf("--color %q: want auto, always or never", mode)
}

// showTrace resolves id to a trace id (through the API for an operation
// id, with an untraced status request), waits up to wait for the trace to be
// in the backend and renders it.
func showTrace(ctx context.Context, w io.Writer, id, apiURL, queryURL string, wait time.Duration, color bool) error {
	traceID, workSpan := id, ""
	if opIDPattern.MatchString(id) {
		var op operations.Operation
		h := http.Header{telemetry.PollHeader: {"1"}}
		err := httpx.CallJSON(ctx, &http.Client{Timeout: 10 * time.Second}, http.MethodGet, strings.TrimRight(apiURL, "/")+"/api/v1/operations/"+id, h, nil, &op)
		var se *httpx.StatusError
		if errors.As(err, &se) {
			return fmt.Errorf("API: %s", se.Message)
		}
		if err != nil {
			return fmt.Errorf("cannot reach the ktrdr API at %s: %v", apiURL, err)
		}
		if op.TraceID == "" {
			return fmt.Errorf("operation %s has no trace id", id)
		}
		traceID = op.TraceID
		if op.Status.Terminal() {
			// The work's span ends with the work: until it is in, the trace
			// is still arriving (services export in batches, every few
			// seconds by default).
			workSpan = workSpanName(op.Type)
		}
	}
	q := jaegerapi.NewClient(queryURL)
	deadline := time.Now().Add(wait)
	for {
		tr, err := q.Trace(ctx, traceID)
		expired := time.Now().After(deadline) || ctx.Err() != nil
		// Processes export in batches of their own: while a span's parent
		// has not arrived yet, wait for it (up to --wait), then draw what
		// is there.
		if err == nil && len(tr.Spans) > 0 && (expired || (tr.Orphans() == 0 && hasSpan(tr, workSpan))) {
			return tracetree.Render(w, tr, tracetree.Options{Color: color})
		}
		if expired {
			if err == nil {
				err = errors.New("no spans")
			}
			return fmt.Errorf("trace %s not found at %s after %s: %v", traceID, queryURL, wait, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// workSpanName is the span that holds an operation's work.
func workSpanName(t operations.Type) string {
	if t == operations.TypeDataLoad {
		return "data.load"
	}
	return workers.RunSpanName(t)
}

// hasSpan tells whether the trace holds a span named name ("" always).
func hasSpan(tr jaegerapi.Trace, name string) bool {
	if name == "" {
		return true
	}
	for _, s := range tr.Spans {
		if s.OperationName == name {
			return true
		}
	}
	return false
}

func newTraceCheckCmd() *cobra.Command {
	var o tracecheck.Options
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate distributed tracing end to end, strictly",
		Long: `Validate that distributed tracing works across the running system:

  1. the trace query API (Jaeger's HTTP API) is reachable;
  2. the API is reachable;
  3. a request through the API reaches every service (GET /api/v1/system/ping);
  4. the trace of that request is exported, and holds spans of ktrdr-api,
     ktrdr-ib-host-service, ktrdr-training-worker-* and ktrdr-backtest-worker-*,
     each linked to its parent;
  5. server spans carry http.request.method, http.route and
     http.response.status_code; every process carries service.version,
     deployment.environment.name and service.instance.id;
  6. worker service names are unique.

It reads traces only through Jaeger's HTTP API, so it works the same against a
real Jaeger. Any miss exits 1 and names what is missing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out = cmd.OutOrStdout()
			r := tracecheck.Run(cmd.Context(), o)
			if failed := r.Failed(); len(failed) > 0 {
				names := make([]string, len(failed))
				for i, c := range failed {
					names[i] = c.Name
				}
				fmt.Fprintf(cmd.OutOrStdout(), "\nFAIL: %d of %d checks failed: %s\n", len(failed), len(r.Checks), strings.Join(names, "; "))
				return exitError{code: 1}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nPASS: all %d checks passed (trace %s)\n", len(r.Checks), r.TraceID)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.QueryURL, "query", tracecheck.DefaultQueryURL, "Jaeger query API base URL (a real Jaeger or ktrdr's collector)")
	cmd.Flags().StringVar(&o.APIURL, "api-url", tracecheck.DefaultAPIURL, "ktrdr API base URL")
	cmd.Flags().DurationVar(&o.Wait, "wait", 30*time.Second, "how long to wait for spans to be exported")
	return cmd
}
