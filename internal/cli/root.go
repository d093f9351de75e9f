// Package cli is ktrdr's command line: flags and wiring only. Every command
// builds the packages that do the work and hands them their configuration.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/buildinfo"
)

// exitError carries a process exit code through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Execute runs the ktrdr command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "Error:", err)
	return 1
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "ktrdr",
		Short: "ktrdr: a distributed research platform for algorithmic trading",
		Long: `ktrdr loads market data, trains fuzzy-neural trading strategies on training
workers and backtests them on backtest workers. Every process is traced with
OpenTelemetry: one user action is one trace across all of them.

Start everything on this machine:   ktrdr up
Then check the traces:              ktrdr trace check`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCmd(), newServeCmd(), newUpCmd(), newTraceCmd())
	addClientCommands(root)
	root.AddCommand(newMCPCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the ktrdr version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "ktrdr", buildinfo.Version())
			return nil
		},
	}
}
