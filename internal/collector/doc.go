// Package collector is ktrdr's embedded trace collector: a zero-setup stand-in
// for Jaeger on a developer's machine.
//
// It receives spans over OTLP (gRPC and HTTP), keeps them in a bounded
// in-memory Store, and answers Jaeger's HTTP query API (/api/services,
// /api/traces, ...) with the same paths and JSON shapes, so every tool that
// reads traces works against it and against a real Jaeger alike. A small
// server-rendered page lists recent traces and draws one trace as a waterfall.
//
// The collector does not trace itself: instrumenting the ingestion path would
// make every export produce more spans to export.
package collector
