package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/tracecheck"
)

func newTraceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Work with traces",
	}
	cmd.AddCommand(newTraceCheckCmd(), newTraceUICmd())
	return cmd
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
