package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/devstack"
)

func newUpCmd() *cobra.Command {
	o := devstack.Options{Host: DefaultHost}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the whole system on this machine (collector, API, host service, workers)",
		Long: `Start the whole ktrdr system as child processes: the embedded trace collector
(unless --otlp-endpoint is given or a Jaeger already listens on the OTLP and
query ports), the API, the market-data host service and the workers. It waits
until every service is healthy, prints their URLs, prefixes each one's log
lines with its name, and stops them all on Ctrl-C or SIGTERM.

The first worker of each type takes its default port; extra workers take free
ports. A port already in use is an error naming the flag that changes it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the ktrdr binary: %w", err)
			}
			o.Exe, o.Env, o.Out = exe, os.Environ(), cmd.OutOrStdout()
			return devstack.Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Host, "host", DefaultHost, "address every service listens on")
	f.IntVar(&o.APIPort, "api-port", 8000, "API port")
	f.IntVar(&o.IBHostPort, "ib-host-port", 5001, "market-data host service port")
	f.IntVar(&o.TrainingPort, "training-port", 5002, "port of the first training worker")
	f.IntVar(&o.BacktestPort, "backtest-port", 5003, "port of the first backtest worker")
	f.IntVar(&o.GRPCPort, "collector-grpc-port", 4317, "collector OTLP/gRPC port")
	f.IntVar(&o.HTTPPort, "collector-http-port", 4318, "collector OTLP/HTTP port")
	f.IntVar(&o.QueryPort, "query-port", 16686, "collector query API and trace page port")
	f.IntVar(&o.TrainingWorkers, "training-workers", 1, "number of training workers")
	f.IntVar(&o.BacktestWorkers, "backtest-workers", 1, "number of backtest workers")
	f.StringVar(&o.OTLPEndpoint, "otlp-endpoint", "", "send traces to this OTLP endpoint instead of starting the collector")
	f.StringVar(&o.QueryURL, "query-url", "", "query API of the external backend (printed for you; with --otlp-endpoint)")
	f.StringVar(&o.DataDir, "data-dir", filepath.Dir(defaultDB()), "where the API keeps its operations database and the host service its market-data cache")
	f.DurationVar(&o.ReadyTimeout, "ready-timeout", 0, "how long to wait for every service to be healthy (default 30s)")
	return cmd
}
