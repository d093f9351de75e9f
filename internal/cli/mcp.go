package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/mcpserver"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// mcpDefaultQueryURL is the trace query API `ktrdr up` serves.
const mcpDefaultQueryURL = "http://127.0.0.1:16686"

func newMCPCmd() *cobra.Command {
	var apiURL, queryURL string
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Run the MCP server for AI agents (stdio)",
		Long: `Run ktrdr's Model Context Protocol server on stdin/stdout, for AI agents
(Claude Desktop, Claude Code, the MCP Inspector, any MCP client). It talks to
the ktrdr API at --url and reads traces from the query API at --query.

Tools: health, list_symbols, list_strategies, get_strategy, list_indicators,
list_models, list_workers, get_market_data, start_data_load, start_training,
start_backtest, get_operation, list_operations, cancel_operation,
get_backtest_results, get_operation_trace.

Every tool call is a root span mcp.tool.{name} of service ktrdr-mcp-server,
exported like every ktrdr process (OTLP_ENDPOINT, ...); the API calls it
makes are its children, so a start_training call is one trace through the
API, the training worker and the market-data host. Stdout carries only the
protocol: logs and console spans go to stderr.

Example client configuration (Claude Desktop, .mcp.json):
  {"mcpServers": {"ktrdr": {"command": "ktrdr", "args": ["mcp", "--url", "http://127.0.0.1:8000"]}}}

Try it with the MCP Inspector:
  npx @modelcontextprotocol/inspector --cli ktrdr mcp --method tools/list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []struct{ flag, v string }{{"--url", apiURL}, {"--query", queryURL}} {
				if u, err := url.Parse(f.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("%s %q: want a base URL such as http://127.0.0.1:8000", f.flag, f.v)
				}
			}
			return runMCP(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), apiURL, queryURL)
		},
	}
	cmd.Flags().StringVar(&apiURL, "url", mcpEnvOr("KTRDR_API_URL", apiclient.DefaultURL), "base URL of the ktrdr API (env KTRDR_API_URL)")
	cmd.Flags().StringVar(&queryURL, "query", mcpEnvOr("KTRDR_QUERY_URL", mcpDefaultQueryURL), "base URL of the trace query API, Jaeger's or ktrdr's collector's (env KTRDR_QUERY_URL)")
	return cmd
}

// runMCP serves one MCP session on in/out until the client closes its end
// or ctx is cancelled, then flushes the spans.
func runMCP(ctx context.Context, in io.Reader, out, stderr io.Writer, apiURL, queryURL string) error {
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: mcpserver.ServiceName, Stderr: stderr})
	if err != nil {
		return err
	}
	defer func() {
		// A fresh context: after Ctrl-C the spans still get their flush.
		if err := tel.Shutdown(context.Background()); err != nil {
			tel.Logger.Warn("flushing spans failed", "error", err.Error())
		}
	}()
	srv := mcpserver.New(mcpserver.Config{
		API:            apiclient.New(apiURL), // after Setup: its traced client takes the provider now
		Traces:         jaegerapi.NewClient(queryURL),
		TracerProvider: tel.TracerProvider,
		Logger:         tel.Logger,
		Version:        tel.Version,
	})
	tel.Logger.Info("MCP server on stdio", "api_url", apiURL, "query_url", queryURL)
	err = srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(in), Writer: mcpNopCloser{out}})
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
		tel.Logger.Info("MCP session ended")
		return nil
	}
	return fmt.Errorf("mcp: %w", err)
}

// mcpNopCloser keeps stdout open when the session closes its writer.
type mcpNopCloser struct{ io.Writer }

func (mcpNopCloser) Close() error { return nil }

func mcpEnvOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
