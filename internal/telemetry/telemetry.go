// Package telemetry sets up OpenTelemetry tracing and structured logging the
// same way for every ktrdr process: resource attributes, the OTLP exporter
// chosen from the environment, W3C propagation, a readable console span line
// in development, slog lines that carry trace and span ids, and a shutdown
// that flushes with a deadline.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/ktrdr/ktrdr/internal/buildinfo"
)

// Namespace is service.namespace of every ktrdr process.
const Namespace = "ktrdr"

// Config describes the process being instrumented.
type Config struct {
	ServiceName string               // service.name, e.g. ktrdr-api
	InstanceID  string               // service.instance.id; generated when empty
	Attributes  []attribute.KeyValue // extra resource attributes (e.g. worker.type)
	Stderr      io.Writer            // console spans and logs; os.Stderr when nil
}

// Telemetry is the set-up tracing and logging of one process.
type Telemetry struct {
	ServiceName     string
	InstanceID      string
	Version         string
	Environment     string
	Endpoint        Endpoint // zero when disabled
	Disabled        bool     // OTEL_SDK_DISABLED=true
	Logger          *slog.Logger
	TracerProvider  trace.TracerProvider
	Resource        *resource.Resource // nil when disabled
	ShutdownTimeout time.Duration

	sdk            *sdktrace.TracerProvider // nil when disabled
	meters         *sdkmetric.MeterProvider
	metricsHandler http.Handler
}

// Setup builds tracing and logging for a process and installs them as the
// globals (otel.SetTracerProvider, otel.SetTextMapPropagator, slog.SetDefault).
// It never dials the backend: an unreachable collector only costs dropped
// spans later, never a slow start.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	// One source for every variable: the SDK reads OTEL_* from the process
	// environment too, so an injectable lookup would only be half true.
	getenv := os.Getenv
	stderr := cfg.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	t := &Telemetry{
		ServiceName:     cfg.ServiceName,
		InstanceID:      cfg.InstanceID,
		Version:         buildinfo.Version(),
		Environment:     getenv(EnvEnvironment),
		ShutdownTimeout: DefaultShutdownTimout,
	}
	if v := getenv("APP_VERSION"); v != "" {
		t.Version = v
	}
	if t.InstanceID == "" {
		t.InstanceID = uuid.NewString()
	}
	if t.Environment == "" {
		t.Environment = DefaultEnvironment
	}
	// Console spans only when development is asked for explicitly, as the
	// original system did: a production box that forgot ENVIRONMENT must not
	// print a line per span.
	development := getenv(EnvEnvironment) == "development"
	if d := getenv(EnvShutdownTimeout); d != "" {
		v, err := time.ParseDuration(d)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%s=%q: want a positive duration like 5s", EnvShutdownTimeout, d)
		}
		t.ShutdownTimeout = v
	}

	level, err := parseLevel(getenv(EnvLogLevel))
	if err != nil {
		return nil, err
	}
	t.Logger = NewLogger(stderr, !development, level).With("service", t.ServiceName, "instance_id", t.InstanceID)
	slog.SetDefault(t.Logger)

	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(newErrorHandler(t.Logger, time.Minute))

	res, err := t.resource(ctx, cfg.Attributes)
	if err != nil {
		return nil, err
	}
	// Metrics are served for scraping even with tracing disabled: they cost
	// nothing until scraped and operators rely on them.
	if err := t.setupMetrics(res); err != nil {
		return nil, err
	}
	if disabled, _ := strconv.ParseBool(getenv(EnvSDKDisabled)); disabled {
		t.Disabled = true
		t.TracerProvider = noop.NewTracerProvider()
		otel.SetTracerProvider(t.TracerProvider)
		return t, nil
	}
	t.Resource = res
	t.Endpoint, err = ResolveEndpoint(getenv)
	if err != nil {
		return nil, err
	}
	exp, err := newExporter(t.Endpoint)
	if err != nil {
		return nil, err
	}
	// The batch processor reads OTEL_BSP_* and keeps a bounded queue: when
	// the backend is slow or gone, spans are dropped, work is never blocked.
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithBatcher(exp)}
	if development {
		opts = append(opts, sdktrace.WithSyncer(NewConsoleExporter(stderr)))
	}
	t.sdk = sdktrace.NewTracerProvider(opts...) // sampler from OTEL_TRACES_SAMPLER*
	t.TracerProvider = t.sdk
	otel.SetTracerProvider(t.sdk)
	return t, nil
}

func (t *Telemetry) resource(ctx context.Context, extra []attribute.KeyValue) (*resource.Resource, error) {
	attrs := append([]attribute.KeyValue{
		attribute.String("service.name", t.ServiceName),
		attribute.String("service.namespace", Namespace),
		attribute.String("service.version", t.Version),
		attribute.String("service.instance.id", t.InstanceID),
		attribute.String("deployment.environment.name", t.Environment),
	}, extra...)
	// WithFromEnv comes last so OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME
	// override ours, as OpenTelemetry users expect.
	res, err := resource.New(ctx,
		resource.WithAttributes(attrs...),
		resource.WithHost(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	return res, nil
}

func newExporter(ep Endpoint) (*otlptrace.Exporter, error) {
	// New does not connect; gRPC dials lazily, so a closed port costs nothing here.
	ctx := context.Background()
	if ep.Protocol == ProtocolGRPC {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(ep.HostPort)}
		if ep.Insecure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(ep.HostPort), otlptracehttp.WithURLPath(ep.Path)}
	if ep.Insecure {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	return otlptracehttp.New(ctx, opts...)
}

// Tracer returns a named tracer of this process.
func (t *Telemetry) Tracer(name string) trace.Tracer { return t.TracerProvider.Tracer(name) }

// Shutdown flushes buffered spans and stops the exporter, giving up after
// ShutdownTimeout (or ctx's own deadline, if sooner) so an unreachable
// backend never holds the process.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, t.ShutdownTimeout)
	defer cancel()
	if t.meters != nil {
		_ = t.meters.Shutdown(ctx)
	}
	if t.sdk == nil {
		return nil
	}
	if err := t.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("flushing spans to %s: %w", t.Endpoint, err)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("%s=%q: want debug, info, warn or error", EnvLogLevel, s)
	}
	return l, nil
}

// errorHandler logs OpenTelemetry's own errors (failed exports, mostly) as a
// warning at most once per interval, the rest at debug level: a user must
// learn that spans are not arriving, without a log line per failed batch.
type errorHandler struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     time.Time
}

func newErrorHandler(log *slog.Logger, interval time.Duration) *errorHandler {
	return &errorHandler{log: log, interval: interval}
}

func (h *errorHandler) Handle(err error) {
	h.mu.Lock()
	warn := time.Since(h.last) >= h.interval
	if warn {
		h.last = time.Now()
	}
	h.mu.Unlock()
	if warn {
		h.log.Warn("telemetry export failing; spans may be dropped (repeats at debug level)", "error", err.Error())
		return
	}
	h.log.Debug("telemetry export failing", "error", err.Error())
}
