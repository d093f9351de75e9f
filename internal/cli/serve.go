package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/backtesting"
	"github.com/ktrdr/ktrdr/internal/collector"
	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/dispatch"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/training"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// DefaultHost is where services listen unless told otherwise: loopback only.
const DefaultHost = "127.0.0.1"

const serveGrace = 5 * time.Second

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run one ktrdr service in the foreground",
		Long: `Run one ktrdr service as its own process. Each service exports its spans over
OTLP to OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_ENDPOINT; default
http://localhost:4317) and answers GET /health (untraced).

  api        the backend (port 8000, service.name ktrdr-api)
  ib-host    the market-data host service (5001, ktrdr-ib-host-service)
  worker     a training (5002) or backtest (5003) worker
             (service.name ktrdr-{type}-worker-{WORKER_ID})
  collector  the embedded trace collector, a Jaeger stand-in
             (OTLP 4317 gRPC / 4318 HTTP, query API and page on 16686)`,
	}
	cmd.AddCommand(newServeAPICmd(), newServeIBHostCmd(), newServeWorkerCmd(), newServeCollectorCmd())
	return cmd
}

func newServeAPICmd() *cobra.Command {
	var host, ibHostURL, db, lostPolicy, strategiesDir, modelsDir, queryURL, jaegerUIURL string
	var port int
	var workerURLs []string
	var lostAfter time.Duration
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Run the API backend (default port 8000)",
		Long: `Run the API backend: operations (stored in SQLite at --db), the worker
registry, the dispatcher and its queue, and data loads from the market-data
host service at --ib-host-url (bars kept in a bars/ directory beside --db),
strategies from --strategies-dir layered over the built-in examples, and
the model store (--models-dir, default models/ beside --db) that training
workers upload to and backtest workers read from. Workers register themselves; a
worker silent for --lost-after is lost and its running operation is failed
(or re-queued, with --lost-policy requeue). When KTRDR_WORKER_TOKEN is set,
the worker endpoints require it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lostPolicy != dispatch.LostFail && lostPolicy != dispatch.LostRequeue {
				return fmt.Errorf("--lost-policy %q: want %s or %s", lostPolicy, dispatch.LostFail, dispatch.LostRequeue)
			}
			if lostAfter <= 0 {
				return fmt.Errorf("--lost-after %s: want a positive duration", lostAfter)
			}
			if strategiesDir == "" {
				strategiesDir = defaultStrategiesDir()
			} else if st, err := os.Stat(strategiesDir); err != nil || !st.IsDir() {
				return fmt.Errorf("--strategies-dir %s: not a directory", strategiesDir)
			}
			peers := []api.Peer{{Name: "ib-host", URL: ibHostURL}}
			for i, u := range workerURLs {
				peers = append(peers, api.Peer{Name: "worker-" + strconv.Itoa(i+1), URL: u})
			}
			return runService(cmd.Context(), service{
				tel:  telemetry.Config{ServiceName: api.ServiceName},
				host: host, port: port,
				build: func(ctx context.Context, t *telemetry.Telemetry, info httpx.Info) (http.Handler, func(), error) {
					store, err := operations.OpenSQLite(db)
					if err != nil {
						return nil, nil, fmt.Errorf("--db %s: %w", db, err)
					}
					if modelsDir == "" {
						modelsDir = filepath.Join(filepath.Dir(db), "models")
					}
					modelStore, err := models.OpenStore(modelsDir)
					if err != nil {
						store.Close()
						return nil, nil, fmt.Errorf("--models-dir %s: %w", modelsDir, err)
					}
					reg := registry.New(lostAfter)
					metrics, err := api.NewMetrics(t.Meter("ktrdr/api"), store, reg)
					if err != nil {
						store.Close()
						return nil, nil, err
					}
					client := telemetry.NewHTTPClient(30 * time.Second)
					disp := dispatch.New(dispatch.Config{
						Store: store, Registry: reg, HTTP: client, LostPolicy: lostPolicy, LostAfter: lostAfter,
						Logger: t.Logger, Tracer: t.Tracer("ktrdr/dispatch"), OnFinished: metrics.Finished,
					})
					done := make(chan struct{})
					go func() { disp.Run(ctx); close(done) }()
					loader := &dataload.Loader{
						Store: &dataload.Store{Dir: filepath.Join(filepath.Dir(db), "bars")},
						Host:  &ibhost.Client{BaseURL: ibHostURL, HTTP: client},
						Ops:   store, Tracer: t.Tracer("ktrdr/dataload"), Logger: t.Logger, Now: time.Now,
					}
					h := api.New(api.Config{
						Info: info, Peers: peers, Client: client, Store: store, Registry: reg, Dispatcher: disp,
						WorkerToken: os.Getenv("KTRDR_WORKER_TOKEN"), HeartbeatInterval: 2 * time.Second,
						Metrics: t.MetricsHandler(), Logger: t.Logger, Loader: loader, Bars: loader.Store,
						Strategies: strategy.Catalog{Dir: strategiesDir}, Models: modelStore, Host: loader.Host,
						QueryURL: queryURL, JaegerUIURL: jaegerUIURL,
					}).Handler()
					return h, func() { <-done; loader.Shutdown(); store.Close() }, nil
				},
			})
		},
	}
	cmd.Flags().StringVar(&host, "host", DefaultHost, "address to listen on")
	cmd.Flags().IntVar(&port, "port", 8000, "port to listen on")
	cmd.Flags().StringVar(&db, "db", defaultDB(), "SQLite database of operations (created if missing)")
	cmd.Flags().DurationVar(&lostAfter, "lost-after", 6*time.Second, "a worker without heartbeat this long is lost (three missed 2s heartbeats)")
	cmd.Flags().StringVar(&lostPolicy, "lost-policy", dispatch.LostFail, "what happens to a lost worker's operation: fail or requeue")
	cmd.Flags().StringVar(&ibHostURL, "ib-host-url", "http://127.0.0.1:5001", "base URL of the market-data host service")
	cmd.Flags().StringArrayVar(&workerURLs, "worker-url", nil, "base URL of an extra service to ping (repeatable; workers register themselves)")
	cmd.Flags().StringVar(&strategiesDir, "strategies-dir", "", "directory of strategy YAML files, over the built-in examples (default $KTRDR_STRATEGIES_DIR, else ./strategies when it exists)")
	cmd.Flags().StringVar(&modelsDir, "models-dir", "", "model store directory (default models/ beside --db)")
	cmd.Flags().StringVar(&queryURL, "query-url", "", "Jaeger-compatible query API the dashboard and GET /api/v1/operations/{id}/trace read traces from (e.g. http://127.0.0.1:16686; ktrdr up sets it)")
	cmd.Flags().StringVar(&jaegerUIURL, "jaeger-ui-url", "", "a Jaeger UI the dashboard links traces to (default: the trace page at --query-url)")
	return cmd
}

// defaultStrategiesDir is $KTRDR_STRATEGIES_DIR, else ./strategies when it
// is a directory (a checkout of the repository), else none: the built-in
// examples only.
func defaultStrategiesDir() string {
	if d := os.Getenv("KTRDR_STRATEGIES_DIR"); d != "" {
		return d
	}
	if st, err := os.Stat("strategies"); err == nil && st.IsDir() {
		return "strategies"
	}
	return ""
}

// defaultDB is $KTRDR_DATA_DIR/operations.db, else under the user's data directory.
func defaultDB() string {
	dir := os.Getenv("KTRDR_DATA_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		dir = filepath.Join(home, ".local", "share", "ktrdr")
	}
	return filepath.Join(dir, "operations.db")
}

func newServeIBHostCmd() *cobra.Command {
	var host, mode, dataDir, sampleDir, cacheDir string
	var port int
	var seed int64
	var noCache bool
	cmd := &cobra.Command{
		Use:   "ib-host",
		Short: "Run the market-data host service (default port 5001)",
		Long: `Run the market-data host service: OHLCV bars over HTTP for the API and the
workers.

  POST /data/historical  {"symbol","timeframe","start","end"} → bars + quality report
                         (start/end: RFC3339 or YYYY-MM-DD, optional = all available)
  GET  /data/symbols     what can be served
  GET  /data/range       ?symbol=&timeframe= → first/last bar and count
  GET  /health           untraced; names the provider and its state

Where bars come from (--provider):
  auto       (default) the sample data (SPX daily, embedded in the binary unless
             --sample-dir is given), then the {SYMBOL}_{tf}.csv files in
             --data-dir (ktrdr or Yahoo layout), then synthetic bars, but ONLY
             for symbols starting with SYN (SYNTEST, SYN1, ...). Any other
             symbol that no file has is answered 404 naming the symbol, so a
             typo such as SPY never silently returns fake data.
  csv        the sample data and --data-dir files only; never synthetic.
  synthetic  deterministic synthetic bars (--seed) for every valid symbol.

CSV files are read once and kept in memory (restart to pick up a changed file).
Everything served is also kept in a local cache of ktrdr-layout CSV files
(--cache-dir); later requests inside a cached range are answered from it. The
cache is keyed by symbol and timeframe only: use another --cache-dir when you
change --provider, --seed or the files.`,
		Example: `  ktrdr serve ib-host
  ktrdr serve ib-host --data-dir ~/market-data
  ktrdr serve ib-host --provider synthetic --seed 7 --no-cache`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			provider, err := ibhost.BuildProvider(ibhost.ProviderOptions{Mode: mode, SampleDir: sampleDir, DataDir: dataDir, Seed: seed})
			if err != nil {
				return err
			}
			var cache *ibhost.Cache
			if !noCache {
				if cacheDir == "" {
					return errors.New("--cache-dir is empty: give a directory or --no-cache")
				}
				cache = &ibhost.Cache{Dir: cacheDir}
			}
			return runService(cmd.Context(), service{
				tel:  telemetry.Config{ServiceName: ibhost.ServiceName},
				host: host, port: port,
				build: func(_ context.Context, _ *telemetry.Telemetry, info httpx.Info) (http.Handler, func(), error) {
					return ibhost.NewWithConfig(ibhost.Config{Info: info, Provider: provider, Cache: cache}).Handler(), nil, nil
				},
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&host, "host", DefaultHost, "address to listen on")
	f.IntVar(&port, "port", 5001, "port to listen on")
	f.StringVar(&mode, "provider", ibhost.ModeAuto, "where bars come from: auto, csv or synthetic (see above)")
	f.StringVar(&dataDir, "data-dir", "", "directory of your {SYMBOL}_{tf}.csv files (optional)")
	f.StringVar(&sampleDir, "sample-dir", "", `directory of the sample CSVs ("" = the copy embedded in the binary)`)
	f.StringVar(&cacheDir, "cache-dir", ibhost.DefaultCacheDir(), "local cache directory ($KTRDR_DATA_DIR/cache, else ~/.local/share/ktrdr/cache)")
	f.BoolVar(&noCache, "no-cache", false, "do not read or write the local cache")
	f.Int64Var(&seed, "seed", 1, "seed of the synthetic bars")
	return cmd
}

func newServeWorkerCmd() *cobra.Command {
	var host, workerType, id, backendURL, advertiseURL, ibHostURL string
	var port int
	cmd := &cobra.Command{
		Use:   "worker --type training|backtest",
		Short: "Run a training (default port 5002) or backtest (5003) worker",
		Long: `Run a worker. It registers with the backend at --backend-url, heartbeats
every couple of seconds, runs one operation at a time (a busy worker answers
503) and reports progress and the outcome back.

Its id comes from --id, else WORKER_ID, else a new random 8-hex id; its
service.name is ktrdr-{type}-worker-{id} and its service.instance.id is the id
itself. KTRDR_WORKER_TOKEN, when set, is sent to the backend.

A training worker fetches bars from the host service at --ib-host-url, runs
the strategy's pipeline (indicators, fuzzy sets, zigzag labels, MLP) and
uploads the model to the backend's model store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := workers.ValidateType(workerType); err != nil {
				return fmt.Errorf("--type: %w", err)
			}
			if id == "" {
				id = os.Getenv("WORKER_ID")
			}
			id, err := workers.ResolveID(id)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("port") {
				port = workers.DefaultPort(workerType)
			}
			if advertiseURL == "" {
				if advertiseURL, err = workers.AdvertiseURL(host, port, os.Hostname); err != nil {
					return err
				}
			}
			return runService(cmd.Context(), service{
				tel: telemetry.Config{
					ServiceName: workers.ServiceName(workerType, id),
					InstanceID:  id,
					Attributes:  []attribute.KeyValue{attribute.String("worker.type", workerType), attribute.String("worker.id", id)},
				},
				host: host, port: port,
				build: func(ctx context.Context, t *telemetry.Telemetry, info httpx.Info) (http.Handler, func(), error) {
					info.WorkerID, info.WorkerType = id, workerType
					token := os.Getenv("KTRDR_WORKER_TOKEN")
					client := telemetry.NewHTTPClient(5 * time.Minute)
					executors := map[operations.Type]workers.Executor{operations.TypeDummy: workers.DummyExecutor{}}
					if workerType == workers.TypeTraining {
						executors[operations.TypeTraining] = &training.Executor{
							Host:   &ibhost.Client{BaseURL: ibHostURL, HTTP: client},
							Models: &models.Client{BaseURL: backendURL, HTTP: client, Token: token},
							Tracer: t.Tracer("ktrdr/training"), Logger: t.Logger,
						}
					}
					if workerType == workers.TypeBacktest {
						executors[operations.TypeBacktesting] = &backtesting.Executor{
							Host:   &ibhost.Client{BaseURL: ibHostURL, HTTP: client},
							Models: &models.Client{BaseURL: backendURL, HTTP: client, Token: token},
							Tracer: t.Tracer("ktrdr/backtest"), Logger: t.Logger,
						}
					}
					rt := workers.NewRuntime(workers.RuntimeConfig{
						WorkerID: id, WorkerType: workerType, BackendURL: backendURL, AdvertiseURL: advertiseURL,
						Token: token, Tracer: t.Tracer("ktrdr/worker"), Logger: t.Logger, Executors: executors,
					})
					done := make(chan struct{})
					go func() {
						if err := rt.Run(ctx); err != nil {
							t.Logger.Error("worker runtime stopped", "error", err.Error())
						}
						close(done)
					}()
					return workers.NewServer(info, rt).Handler(), func() { <-done }, nil
				},
			})
		},
	}
	cmd.Flags().StringVar(&workerType, "type", "", "worker type: training or backtest (required)")
	cmd.Flags().StringVar(&id, "id", "", "worker id (default: $WORKER_ID, else generated)")
	cmd.Flags().StringVar(&host, "host", DefaultHost, "address to listen on")
	cmd.Flags().IntVar(&port, "port", 0, "port to listen on (default 5002 for training, 5003 for backtest)")
	cmd.Flags().StringVar(&backendURL, "backend-url", "http://127.0.0.1:8000", "the API backend to register with")
	cmd.Flags().StringVar(&advertiseURL, "advertise-url", "", "URL the backend reaches this worker at (default http://{host}:{port}; with --host 0.0.0.0, http://{hostname}:{port})")
	cmd.Flags().StringVar(&ibHostURL, "ib-host-url", "http://127.0.0.1:5001", "the market-data host service bars are fetched from")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

func newServeCollectorCmd() *cobra.Command {
	var host string
	var grpcPort, httpPort, queryPort, maxTraces int
	var maxBytes int64
	cmd := &cobra.Command{
		Use:   "collector",
		Short: "Run the embedded trace collector (OTLP 4317/4318, query 16686)",
		Long: `Run the embedded trace collector, a stand-in for Jaeger on a developer
machine: it receives OTLP traces over gRPC and HTTP, keeps the newest ones in
a bounded in-memory store, and answers Jaeger's HTTP query API (/api/...)
plus a small trace page on the query port.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr := func(p int) string { return net.JoinHostPort(host, strconv.Itoa(p)) }
			lns := make([]net.Listener, 0, 3)
			for _, p := range []struct {
				port int
				flag string
			}{{grpcPort, "--grpc-port"}, {httpPort, "--http-port"}, {queryPort, "--query-port"}} {
				ln, err := listen(host, p.port, p.flag)
				if err != nil {
					for _, l := range lns {
						l.Close()
					}
					return err
				}
				lns = append(lns, ln)
			}
			log := telemetry.NewLogger(cmd.ErrOrStderr(), os.Getenv(telemetry.EnvEnvironment) != "development", nil).With("service", "ktrdr-collector")
			log.Info("collector listening", "otlp_grpc", addr(grpcPort), "otlp_http", addr(httpPort), "query", "http://"+addr(queryPort))
			return collector.Serve(cmd.Context(), collector.Options{
				MaxTraces: maxTraces, MaxBytes: maxBytes, Logger: log,
			}, lns[0], lns[1], lns[2])
		},
	}
	cmd.Flags().StringVar(&host, "host", DefaultHost, "address to listen on")
	cmd.Flags().IntVar(&grpcPort, "grpc-port", 4317, "OTLP/gRPC port")
	cmd.Flags().IntVar(&httpPort, "http-port", 4318, "OTLP/HTTP port")
	cmd.Flags().IntVar(&queryPort, "query-port", 16686, "query API and page port")
	cmd.Flags().IntVar(&maxTraces, "max-traces", 10000, "most traces kept; the oldest are evicted")
	cmd.Flags().Int64Var(&maxBytes, "max-bytes", 256<<20, "most bytes of spans kept (approximate); the oldest traces are evicted")
	return cmd
}

// service is what runService needs to run one instrumented HTTP service.
type service struct {
	tel  telemetry.Config
	host string
	port int
	// build makes the handler; background work it starts must end when ctx
	// is done, and cleanup (if any) runs after the server stopped.
	build func(ctx context.Context, t *telemetry.Telemetry, info httpx.Info) (h http.Handler, cleanup func(), err error)
}

// runService listens, sets up telemetry, serves until ctx is done, then
// drains requests and flushes spans within their deadlines.
func runService(ctx context.Context, s service) error {
	ln, err := listen(s.host, s.port, "--port")
	if err != nil {
		return err
	}
	t, err := telemetry.Setup(ctx, s.tel)
	if err != nil {
		ln.Close()
		return err
	}
	info := httpx.Info{Service: t.ServiceName, Version: t.Version, InstanceID: t.InstanceID}
	exporting := "disabled (OTEL_SDK_DISABLED)"
	if !t.Disabled {
		exporting = t.Endpoint.String()
	}
	// Background work of the service stops with the server, whatever stops it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h, cleanup, err := s.build(ctx, t, info)
	if err != nil {
		ln.Close()
		_ = t.Shutdown(context.Background())
		return err
	}
	t.Logger.Info("listening", "url", "http://"+ln.Addr().String(), "otlp", exporting, "environment", t.Environment)
	serveErr := httpx.Serve(ctx, ln, h, serveGrace, t.Logger)
	cancel()
	if cleanup != nil {
		cleanup()
	}
	if err := t.Shutdown(context.Background()); err != nil {
		t.Logger.Warn("spans not flushed", "error", err.Error())
	}
	t.Logger.Info("stopped")
	return serveErr
}

// listen opens host:port with an error that names the port and the flag to change.
func listen(host string, port int, flag string) (net.Listener, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("%s %d: a port is 0-65535", flag, port)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("port %d is already in use on %s: stop what holds it or choose another port with %s", port, host, flag)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, flag, err)
	}
	return ln, nil
}
