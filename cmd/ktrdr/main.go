// Command ktrdr is every process of the ktrdr research platform: the API
// backend, the market-data host service, the workers, the embedded trace
// collector, the whole dev stack (ktrdr up) and the user's CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ktrdr/ktrdr/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
