package collector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Default listen addresses: the OTLP and Jaeger UI ports, on loopback only.
const (
	DefaultGRPCAddr  = "127.0.0.1:4317"
	DefaultHTTPAddr  = "127.0.0.1:4318"
	DefaultQueryAddr = "127.0.0.1:16686"
)

// shutdownTimeout bounds the graceful stop; connections still open then are
// closed.
const shutdownTimeout = 5 * time.Second

// Options configures the collector. Empty addresses take the defaults.
type Options struct {
	GRPCAddr, HTTPAddr, QueryAddr string
	MaxTraces                     int   // 0 = DefaultMaxTraces
	MaxBytes                      int64 // approximate accounted bytes; 0 = DefaultMaxBytes
	Logger                        *slog.Logger
}

// Run listens on the three addresses and serves until ctx is done, then
// stops gracefully. A failed listen returns an error naming the address.
func Run(ctx context.Context, o Options) error {
	addrs := []struct{ name, addr, def string }{
		{"OTLP gRPC", o.GRPCAddr, DefaultGRPCAddr},
		{"OTLP HTTP", o.HTTPAddr, DefaultHTTPAddr},
		{"query", o.QueryAddr, DefaultQueryAddr},
	}
	var lns []net.Listener
	for _, a := range addrs {
		addr := cmp.Or(a.addr, a.def)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range lns {
				_ = l.Close()
			}
			return fmt.Errorf("collector: %s listen on %s: %w", a.name, addr, err)
		}
		lns = append(lns, ln)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger.Info("trace collector listening", "otlp_grpc", lns[0].Addr().String(),
		"otlp_http", lns[1].Addr().String(), "query", "http://"+lns[2].Addr().String())
	return Serve(ctx, o, lns[0], lns[1], lns[2])
}

// Serve is Run on listeners the caller opened (tests pass ports chosen by
// the system). It owns and closes the listeners.
func Serve(ctx context.Context, o Options, grpcLn, httpLn, queryLn net.Listener) error {
	if grpcLn == nil || httpLn == nil || queryLn == nil {
		return errors.New("collector: Serve needs a gRPC, an HTTP and a query listener")
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	store := NewStore(o.MaxTraces, o.MaxBytes)

	gs := grpc.NewServer(grpc.MaxRecvMsgSize(maxRequestBytes))
	RegisterGRPC(gs, store)
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	otlpHTTP := &http.Server{Handler: OTLPHTTPHandler(store), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, ErrorLog: errLog}
	query := &http.Server{Handler: QueryHandler(store), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}

	errc := make(chan error, 3)
	serve := func(name string, ln net.Listener, serve func(net.Listener) error) {
		if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("collector: %s server on %s: %w", name, ln.Addr(), err)
		}
	}
	go serve("OTLP gRPC", grpcLn, gs.Serve)
	go serve("OTLP HTTP", httpLn, otlpHTTP.Serve)
	go serve("query", queryLn, query.Serve)
	s := store.Stats()
	log.Debug("trace collector serving",
		"otlp_grpc", grpcLn.Addr().String(), "otlp_http", httpLn.Addr().String(),
		"query", "http://"+queryLn.Addr().String(), "max_traces", s.MaxTraces, "max_bytes", s.MaxBytes)

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		log.Error("trace collector failed", "err", err)
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range []*http.Server{otlpHTTP, query} {
		wg.Go(func() {
			if srv.Shutdown(sctx) != nil {
				_ = srv.Close()
			}
		})
	}
	wg.Go(func() {
		stopped := make(chan struct{})
		go func() { gs.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-sctx.Done():
			gs.Stop()
			<-stopped
		}
	})
	wg.Wait()
	log.Info("trace collector stopped")
	return err
}
