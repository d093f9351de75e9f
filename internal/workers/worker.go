// Package workers holds the worker side of ktrdr's distributed operations:
// the identity and HTTP surface of a training or backtest worker, and the
// Runtime that registers with the backend, heartbeats, runs one operation
// at a time with an Executor and reports its progress and outcome.
package workers

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"

	"github.com/ktrdr/ktrdr/internal/httpx"
)

// Worker types.
const (
	TypeTraining = "training"
	TypeBacktest = "backtest"
)

// DefaultPort is the conventional port of the first worker of a type.
func DefaultPort(workerType string) int {
	if workerType == TypeBacktest {
		return 5003
	}
	return 5002
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// ValidateType rejects anything but training and backtest.
func ValidateType(t string) error {
	if t != TypeTraining && t != TypeBacktest {
		return fmt.Errorf("worker type %q is not supported (want %q or %q)", t, TypeTraining, TypeBacktest)
	}
	return nil
}

// ResolveID returns fromEnv (WORKER_ID) when set and valid, else a new
// random 8-hex id. The id is one string everywhere: registry, service.name
// suffix and service.instance.id.
func ResolveID(fromEnv string) (string, error) {
	if fromEnv == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:]), nil
	}
	if !idPattern.MatchString(fromEnv) {
		return "", fmt.Errorf("WORKER_ID=%q: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit", fromEnv)
	}
	return fromEnv, nil
}

// ServiceName is the worker's service.name: ktrdr-{type}-worker-{id}.
func ServiceName(workerType, id string) string {
	return fmt.Sprintf("ktrdr-%s-worker-%s", workerType, id)
}

// Server is a worker's HTTP surface.
type Server struct {
	info httpx.Info
	rt   *Runtime
}

// New returns a worker server with the service routes only (no runtime).
func New(info httpx.Info) *Server { return &Server{info: info} }

// NewServer returns a worker server: the service routes (GET /health,
// GET /ping) and, when rt is not nil, the runtime's start, cancel and
// current-operation routes.
func NewServer(info httpx.Info, rt *Runtime) *Server { return &Server{info: info, rt: rt} }

// Handler routes the worker.
func (s *Server) Handler() http.Handler {
	mux := httpx.NewServiceMux(s.info)
	if s.rt != nil {
		s.rt.Routes(mux)
	}
	return mux
}

// AdvertiseURL is the URL a worker listening on host:port gives the
// backend when none is configured: http://host:port, or, when it listens on
// every interface (a container), http://{hostname}:port — the name peers on
// its network resolve (Docker aliases a container's hostname on its
// networks).
func AdvertiseURL(host string, port int, hostname func() (string, error)) (string, error) {
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		name, err := hostname()
		if err != nil || name == "" {
			return "", fmt.Errorf("--advertise-url is required with --host %s: the backend needs an address it can reach (no hostname: %v)", host, err)
		}
		host = name
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port)), nil
}
