package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"

	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/operations"
)

func newOpsCmd() *cobra.Command {
	return groupCmd("ops", "List, show, watch and cancel operations",
		`Operations are the work the API runs: data loads, trainings, backtests.
Times are UTC.`,
		newOpsListCmd(), newOpsShowCmd(), newOpsWatchCmd(), newOpsCancelCmd())
}

func newOpsListCmd() *cobra.Command {
	var status, typ string
	var limit, offset int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List operations, newest first",
		Example: `  ktrdr ops list
  ktrdr ops list --status running --type training --limit 10`,
		Args: args(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" {
				if err := oneOf("--status", status, "pending", "running", "completed", "failed", "cancelled"); err != nil {
					return err
				}
			}
			if typ != "" {
				if err := oneOf("--type", typ, "data_load", "training", "backtesting", "dummy"); err != nil {
					return err
				}
			}
			if limit < 1 || limit > 1000 {
				return fmt.Errorf("--limit %d: want 1-1000", limit)
			}
			if offset < 0 {
				return fmt.Errorf("--offset %d: want 0 or more", offset)
			}
			return runClient(cmd, func(e *env) error {
				l, err := e.c.Operations(e.a.Ctx, apiclient.OperationFilter{Status: status, Type: typ, Limit: limit, Offset: offset})
				if err != nil {
					return err
				}
				return e.show(l, func(w io.Writer) { renderOps(w, l) })
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only this status: pending, running, completed, failed or cancelled")
	f.StringVar(&typ, "type", "", "only this type: data_load, training, backtesting or dummy")
	f.IntVar(&limit, "limit", 20, "most operations to show (1-1000)")
	f.IntVar(&offset, "offset", 0, "operations to skip")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion("pending", "running", "completed", "failed", "cancelled"))
	_ = cmd.RegisterFlagCompletionFunc("type", fixedCompletion("data_load", "training", "backtesting", "dummy"))
	return cmd
}

func newOpsShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show OPERATION_ID",
		Short: "Show an operation: parameters, progress, result summary, error, trace id",
		Example: `  ktrdr ops show op_training_20261125_120000_1a2b3c4d
  ktrdr ops show op_backtesting_20261125_120000_5e6f7a8b -o json`,
		Args:              opIDArg,
		ValidArgsFunction: completeOpID(false),
		RunE: func(cmd *cobra.Command, a []string) error {
			return runClient(cmd, func(e *env) error {
				e.a.SetOperation(a[0])
				op, err := e.c.Operation(e.a.Ctx, a[0])
				if err != nil {
					return err
				}
				return e.show(op, func(w io.Writer) { renderOp(w, op) })
			})
		},
	}
}

func newOpsWatchCmd() *cobra.Command {
	var noCancel bool
	cmd := &cobra.Command{
		Use:   "watch OPERATION_ID",
		Short: "Watch an operation to its end, then show its summary",
		Long: `Watch an operation: a progress line until it ends, then its summary (the
metrics of a backtest, the accuracy of a training, the rows of a data load).
Watching is not traced. Ctrl-C cancels the operation, unless --no-cancel.
A failed operation exits 1; an interrupted watch exits 130.`,
		Example: `  ktrdr ops watch op_training_20261125_120000_1a2b3c4d
  ktrdr ops watch op_backtesting_20261125_120000_5e6f7a8b --no-cancel`,
		Args:              opIDArg,
		ValidArgsFunction: completeOpID(true),
		RunE: func(cmd *cobra.Command, a []string) error {
			return runClient(cmd, func(e *env) error {
				e.a.SetOperation(a[0])
				op, err := e.watch(a[0], watchOptions{metrics: true, cancelOnInterrupt: !noCancel})
				if err != nil {
					return err
				}
				return e.finish(op)
			})
		},
	}
	cmd.Flags().BoolVar(&noCancel, "no-cancel", false, "Ctrl-C only stops watching; the operation goes on")
	return cmd
}

func newOpsCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel OPERATION_ID",
		Short: "Cancel an operation",
		Long: `Cancel an operation: a pending one at once, a running one when its worker
confirms (at its next step).`,
		Example:           `  ktrdr ops cancel op_training_20261125_120000_1a2b3c4d`,
		Args:              opIDArg,
		ValidArgsFunction: completeOpID(true),
		RunE: func(cmd *cobra.Command, a []string) error {
			return runClient(cmd, func(e *env) error {
				e.a.SetOperation(a[0])
				op, err := e.c.Cancel(e.a.Ctx, a[0])
				if err != nil {
					return err
				}
				e.a.SetAttributes(attribute.String("operation.status", string(op.Status)))
				if e.json {
					return printJSON(e.out, op)
				}
				if op.Status == operations.StatusCancelled {
					fmt.Fprintf(e.out, "cancelled operation %s\n", op.ID)
					return nil
				}
				fmt.Fprintf(e.out, "cancel requested for operation %s (%s on worker %s); it stops at its next step\n", op.ID, op.Status, orDash(op.WorkerID))
				return nil
			})
		},
	}
}

func newWorkersCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "workers",
		Short:   "List the registered workers: type, state, current operation, heartbeat",
		Example: `  ktrdr workers`,
		Args:    args(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClient(cmd, func(e *env) error {
				list, err := e.c.Workers(e.a.Ctx)
				if err != nil {
					return err
				}
				return e.show(map[string]any{"workers": nonNil(list)}, func(w io.Writer) { renderWorkers(w, list, time.Now()) })
			})
		},
	}
}

// nonNil makes an empty list render as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
