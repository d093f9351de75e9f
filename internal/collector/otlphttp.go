package collector

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// maxRequestBytes bounds an OTLP request, compressed and decompressed, on
// both receivers. The SDKs' default batches are far smaller.
const maxRequestBytes = 16 << 20

const (
	contentTypeProtobuf = "application/x-protobuf"
	contentTypeJSON     = "application/json"
)

// OTLPHTTPHandler serves OTLP/HTTP trace exports on POST /v1/traces, in
// binary protobuf or JSON, optionally gzip-compressed. It answers with an
// ExportResponse in the request's encoding; errors carry a google.rpc.Status
// in that encoding, as the OTLP specification asks.
func OTLPHTTPHandler(s *Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		serveExport(s, w, r)
	})
	return mux
}

func serveExport(s *Store, w http.ResponseWriter, r *http.Request) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mediaType != contentTypeProtobuf && mediaType != contentTypeJSON) {
		http.Error(w, fmt.Sprintf("unsupported Content-Type %q: use %s or %s",
			r.Header.Get("Content-Type"), contentTypeProtobuf, contentTypeJSON), http.StatusUnsupportedMediaType)
		return
	}
	isJSON := mediaType == contentTypeJSON

	body, code, err := readBody(w, r)
	if err != nil {
		writeOTLPError(w, isJSON, code, err.Error())
		return
	}
	req := ptraceotlp.NewExportRequest()
	if isJSON {
		err = req.UnmarshalJSON(body)
	} else {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		writeOTLPError(w, isJSON, http.StatusBadRequest, "cannot decode OTLP trace request: "+err.Error())
		return
	}

	_, rejected := s.Ingest(req.Traces())
	resp := exportResponse(rejected)
	var out []byte
	if isJSON {
		out, err = resp.MarshalJSON()
	} else {
		out, err = resp.MarshalProto()
	}
	if err != nil {
		writeOTLPError(w, isJSON, http.StatusInternalServerError, "cannot encode response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", mediaType)
	_, _ = w.Write(out)
}

// readBody reads the request body within maxRequestBytes, before and after
// decompression (a small gzip body can inflate enormously). It returns the
// HTTP status to answer on error.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			code, err := bodyError("gzip body", err)
			return nil, code, err
		}
		defer zr.Close()
		body = zr
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("unsupported Content-Encoding %q: use gzip or none", enc)
	}
	data, err := io.ReadAll(io.LimitReader(body, maxRequestBytes+1))
	if err != nil {
		code, err := bodyError("body", err)
		return nil, code, err
	}
	if len(data) > maxRequestBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body exceeds %d bytes once decompressed", maxRequestBytes)
	}
	return data, 0, nil
}

func bodyError(what string, err error) (int, error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge, fmt.Errorf("request body exceeds %d bytes", maxRequestBytes)
	}
	return http.StatusBadRequest, fmt.Errorf("cannot read %s: %w", what, err)
}

// writeOTLPError answers with a google.rpc.Status in the request's encoding.
func writeOTLPError(w http.ResponseWriter, isJSON bool, code int, msg string) {
	// Decoder errors may quote the body: keep the message short and valid
	// UTF-8, which protobuf strings must be.
	if len(msg) > 1024 {
		msg = msg[:1024] + "…"
	}
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	st := status.New(httpToGRPCCode(code), msg).Proto()
	var (
		b   []byte
		err error
	)
	if isJSON {
		w.Header().Set("Content-Type", contentTypeJSON)
		b, err = protojson.Marshal(st)
	} else {
		w.Header().Set("Content-Type", contentTypeProtobuf)
		b, err = proto.Marshal(st)
	}
	if err != nil { // not expected for a valid Status; fall back to text
		http.Error(w, msg, code)
		return
	}
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func httpToGRPCCode(code int) codes.Code {
	switch code {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusRequestEntityTooLarge:
		return codes.ResourceExhausted
	case http.StatusUnsupportedMediaType:
		return codes.Unimplemented
	}
	return codes.Internal
}

// exportResponse reports rejected spans as a partial success, so that
// senders learn about them without retrying a request that will not fit.
func exportResponse(rejected int) ptraceotlp.ExportResponse {
	resp := ptraceotlp.NewExportResponse()
	if rejected > 0 {
		ps := resp.PartialSuccess()
		ps.SetRejectedSpans(int64(rejected))
		ps.SetErrorMessage("spans rejected: all-zero trace or span id, or trace larger than the collector's memory bound")
	}
	return resp
}
