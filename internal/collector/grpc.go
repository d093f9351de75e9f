package collector

import (
	"context"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports (OTEL_EXPORTER_OTLP_COMPRESSION=gzip)
)

// RegisterGRPC registers the OTLP trace service, backed by s, on gs.
func RegisterGRPC(gs *grpc.Server, s *Store) {
	ptraceotlp.RegisterGRPCServer(gs, &traceService{store: s})
}

type traceService struct {
	ptraceotlp.UnimplementedGRPCServer
	store *Store
}

func (t *traceService) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	_, rejected := t.store.Ingest(req.Traces())
	return exportResponse(rejected), nil
}
