package cli

import (
	"fmt"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/tracepage"
)

func newTraceUICmd() *cobra.Command {
	var queryURL, host string
	var port int
	cmd := &cobra.Command{
		Use:   "ui --query URL",
		Short: "Serve the trace page over any Jaeger-compatible query API (default port 16687)",
		Long: `Serve ktrdr's trace page — services, recent traces, and a waterfall of each
trace — reading traces from a Jaeger-compatible HTTP query API: a real
Jaeger's (its query port, usually 16686) or ktrdr's collector's. The embedded
collector serves the same page itself; this command brings it to any backend.

The page reads the API on every request, so it always shows what the backend
holds. It is not traced: reading traces must not make more.

Examples:
  ktrdr trace ui --query http://127.0.0.1:16686
  ktrdr trace ui --query http://jaeger.internal:16686 --port 8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if u, err := url.Parse(queryURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("--query %q: want the query API's base URL, such as http://127.0.0.1:16686", queryURL)
			}
			ln, err := listen(host, port, "--port")
			if err != nil {
				return err
			}
			log := telemetry.NewLogger(cmd.ErrOrStderr(), os.Getenv(telemetry.EnvEnvironment) != "development", nil).With("service", "ktrdr-trace-ui")
			page := tracepage.Handler(jaegerapi.NewClient(queryURL), tracepage.Options{
				Source: queryURL,
				Footer: func() string { return "Reading traces from " + queryURL },
			})
			fmt.Fprintf(cmd.OutOrStdout(), "trace page on http://%s, reading %s\n", ln.Addr(), queryURL)
			return httpx.Serve(cmd.Context(), ln, page, serveGrace, log)
		},
	}
	cmd.Flags().StringVar(&queryURL, "query", "", "base URL of the Jaeger query API to read, e.g. http://127.0.0.1:16686 (required)")
	cmd.Flags().StringVar(&host, "host", DefaultHost, "address to listen on")
	cmd.Flags().IntVar(&port, "port", 16687, "port to listen on (0 picks a free one)")
	_ = cmd.MarkFlagRequired("query")
	return cmd
}
