package telemetry

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Environment variables this package reads besides the standard OTEL_* ones
// the SDK itself honours (OTEL_TRACES_SAMPLER*, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_SERVICE_NAME).
const (
	EnvOTLPEndpoint       = "OTLP_ENDPOINT" // the original system's variable; wins over the standard ones
	EnvStdEndpoint        = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvStdTracesEndpoint  = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvStdProtocol        = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvStdTracesProtocol  = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvSDKDisabled        = "OTEL_SDK_DISABLED"
	EnvEnvironment        = "ENVIRONMENT"
	EnvLogLevel           = "LOG_LEVEL"
	EnvShutdownTimeout    = "KTRDR_SHUTDOWN_TIMEOUT"
	DefaultEndpoint       = "http://localhost:4317"
	DefaultEnvironment    = "development"
	DefaultShutdownTimout = 5 * time.Second
)

// Protocols of the OTLP exporter.
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// Endpoint is where spans go, resolved from the environment.
type Endpoint struct {
	Protocol string // ProtocolGRPC or ProtocolHTTP
	HostPort string // host:port
	Path     string // URL path for HTTP (e.g. /v1/traces); empty for gRPC
	Insecure bool   // plain text (http://) rather than TLS
	Source   string // the variable it came from, or "default"
}

func (e Endpoint) String() string {
	scheme := "https"
	if e.Insecure {
		scheme = "http"
	}
	return fmt.Sprintf("%s://%s%s (%s)", scheme, e.HostPort, e.Path, e.Protocol)
}

// ResolveEndpoint picks the OTLP endpoint: OTLP_ENDPOINT, then the standard
// per-signal and general variables, then localhost:4317. The protocol is the
// standard OTEL_EXPORTER_OTLP_*PROTOCOL when set, else gRPC for port 4317 and
// HTTP/protobuf for anything else.
func ResolveEndpoint(getenv func(string) string) (Endpoint, error) {
	raw, source, perSignal := DefaultEndpoint, "default", false
	switch {
	case getenv(EnvOTLPEndpoint) != "":
		raw, source = getenv(EnvOTLPEndpoint), EnvOTLPEndpoint
	case getenv(EnvStdTracesEndpoint) != "":
		raw, source, perSignal = getenv(EnvStdTracesEndpoint), EnvStdTracesEndpoint, true
	case getenv(EnvStdEndpoint) != "":
		raw, source = getenv(EnvStdEndpoint), EnvStdEndpoint
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Endpoint{}, fmt.Errorf("%s=%q is not a valid endpoint URL (want e.g. http://localhost:4317)", source, raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Endpoint{}, fmt.Errorf("%s=%q: scheme must be http or https", source, raw)
	}
	ep := Endpoint{HostPort: u.Host, Insecure: u.Scheme == "http", Source: source}
	if u.Port() == "" {
		port := "4318"
		if u.Scheme == "https" {
			port = "443"
		}
		ep.HostPort = net.JoinHostPort(u.Hostname(), port)
	}
	proto := getenv(EnvStdTracesProtocol)
	if proto == "" {
		proto = getenv(EnvStdProtocol)
	}
	switch proto {
	case "":
		if _, port, _ := net.SplitHostPort(ep.HostPort); port == "4317" {
			ep.Protocol = ProtocolGRPC
		} else {
			ep.Protocol = ProtocolHTTP
		}
	case ProtocolGRPC, ProtocolHTTP:
		ep.Protocol = proto
	default:
		return Endpoint{}, fmt.Errorf("OTLP protocol %q is not supported (use grpc or http/protobuf)", proto)
	}
	if ep.Protocol == ProtocolHTTP {
		// A per-signal endpoint is used as is; a base endpoint gets the
		// signal path appended, as the OTLP exporter spec says.
		ep.Path = u.Path
		if !perSignal {
			ep.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		} else if ep.Path == "" {
			ep.Path = "/"
		}
	}
	return ep, nil
}
