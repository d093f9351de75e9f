package telemetry

import (
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
)

// envObservability turns on the OpenTelemetry SDK's own metrics, among them
// the spans the batch processor dropped because its queue was full
// (otel_sdk_processor_span_processed_total{error_type="queue_full"}).
const envObservability = "OTEL_GO_X_OBSERVABILITY"

// setupMetrics installs a meter provider whose instruments are served in
// Prometheus format by t.MetricsHandler. It runs before the tracer provider
// is built so the span processor's own metrics reach it.
func (t *Telemetry) setupMetrics(res *resource.Resource) error {
	if _, set := os.LookupEnv(envObservability); !set {
		_ = os.Setenv(envObservability, "true")
	}
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return fmt.Errorf("prometheus exporter: %w", err)
	}
	opts := []sdkmetric.Option{sdkmetric.WithReader(exp)}
	if res != nil {
		opts = append(opts, sdkmetric.WithResource(res))
	}
	t.meters = sdkmetric.NewMeterProvider(opts...)
	otel.SetMeterProvider(t.meters)
	t.metricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return nil
}

// Meter returns a named meter of this process.
func (t *Telemetry) Meter(name string) metric.Meter { return t.meters.Meter(name) }

// MetricsHandler serves this process's metrics in Prometheus format (GET /metrics).
func (t *Telemetry) MetricsHandler() http.Handler { return t.metricsHandler }
