package collector

import (
	"cmp"
	"encoding/hex"
	"math"
	"slices"
	"strconv"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// The conversion to Jaeger's JSON follows what Jaeger v2 serves for OTLP
// data: the OTLP → Jaeger model translation of the collector-contrib
// pkg/translator/jaeger, then Jaeger's model → UI JSON conversion.

// Tag keys the translation adds to a span's attributes.
const (
	scopeNameKey    = "otel.scope.name"
	scopeVersionKey = "otel.scope.version"
	spanKindKey     = "span.kind"
	statusCodeKey   = "otel.status_code"
	errorKey        = "error"
	statusDescKey   = "otel.status_description"
	traceStateKey   = "w3c.tracestate"
	eventKey        = "event" // log field holding the event name
)

// Jaeger's JSON carries integers beyond what a JavaScript number holds
// exactly as strings, so the UI does not silently round them.
const jsMaxSafeInteger = 1<<53 - 1

func hexTraceID(id traceID) string { return hex.EncodeToString(id[:]) }
func hexSpanID(id spanID) string   { return hex.EncodeToString(id[:]) }

// toJaegerTrace converts a stored trace. Spans are sorted by start time and
// equal processes share one processID ("p1", "p2", ... in order of first use).
func toJaegerTrace(v traceView) jaegerapi.Trace {
	spans := slices.Clone(v.spans)
	slices.SortStableFunc(spans, func(a, b *span) int { return cmp.Compare(a.start, b.start) })
	ids := make(map[string]string)
	processes := make(map[string]jaegerapi.Process)
	out := make([]jaegerapi.Span, len(spans))
	for i, sp := range spans {
		pid, ok := ids[sp.proc.key]
		if !ok {
			pid = "p" + strconv.Itoa(len(ids)+1)
			ids[sp.proc.key] = pid
			processes[pid] = jaegerapi.Process{ServiceName: sp.proc.service, Tags: sortedByKey(toKeyValues(sp.proc.tags))}
		}
		out[i] = toJaegerSpan(sp, pid)
	}
	return jaegerapi.Trace{TraceID: hexTraceID(v.id), Spans: out, Processes: processes}
}

func toJaegerSpan(sp *span, processID string) jaegerapi.Span {
	return jaegerapi.Span{
		TraceID:       hexTraceID(sp.traceID),
		SpanID:        hexSpanID(sp.spanID),
		OperationName: sp.name,
		References:    references(sp),
		StartTime:     sp.start / 1000,
		Duration:      sp.duration() / 1000,
		Tags:          spanTags(sp),
		Logs:          logs(sp),
		ProcessID:     processID,
	}
}

// references puts the parent first as CHILD_OF, then one FOLLOWS_FROM per
// link (CHILD_OF if the link says so). A link to the parent only sets the
// parent reference's type.
func references(sp *span) []jaegerapi.Reference {
	refs := make([]jaegerapi.Reference, 0, len(sp.links)+1)
	hasParent := sp.parentID != spanID{}
	if hasParent {
		refs = append(refs, jaegerapi.Reference{RefType: jaegerapi.ChildOf, TraceID: hexTraceID(sp.traceID), SpanID: hexSpanID(sp.parentID)})
	}
	for _, l := range sp.links {
		rt := jaegerapi.FollowsFrom
		if l.childOf {
			rt = jaegerapi.ChildOf
		}
		if hasParent && l.traceID == sp.traceID && l.spanID == sp.parentID {
			refs[0].RefType = rt
			continue
		}
		refs = append(refs, jaegerapi.Reference{RefType: rt, TraceID: hexTraceID(l.traceID), SpanID: hexSpanID(l.spanID)})
	}
	return refs
}

// spanTags lists the attributes plus the tags the translation derives from
// scope, kind, status and trace state, sorted by key as Jaeger's query
// service does (its SortCollections adjuster).
func spanTags(sp *span) []jaegerapi.KeyValue {
	tags := make([]jaegerapi.KeyValue, 0, len(sp.attrs)+7)
	for _, k := range []string{scopeNameKey, scopeVersionKey} {
		if v, ok := sp.syntheticTag(k); ok {
			tags = append(tags, jaegerapi.KeyValue{Key: k, Type: "string", Value: v})
		}
	}
	for _, a := range sp.attrs {
		tags = append(tags, toKeyValue(a))
	}
	for _, k := range []string{spanKindKey, statusCodeKey, errorKey, statusDescKey, traceStateKey} {
		v, ok := sp.syntheticTag(k)
		switch {
		case !ok:
		case k == errorKey:
			tags = append(tags, jaegerapi.KeyValue{Key: k, Type: "bool", Value: true})
		default:
			tags = append(tags, jaegerapi.KeyValue{Key: k, Type: "string", Value: v})
		}
	}
	return sortedByKey(tags)
}

// sortedByKey sorts key-values by key, keeping the order of equal keys.
func sortedByKey(kvs []jaegerapi.KeyValue) []jaegerapi.KeyValue {
	slices.SortStableFunc(kvs, func(a, b jaegerapi.KeyValue) int { return cmp.Compare(a.Key, b.Key) })
	return kvs
}

// syntheticTag returns the string value of a tag that the translation
// derives from the span's fields rather than its attributes.
func (sp *span) syntheticTag(key string) (string, bool) {
	switch key {
	case scopeNameKey:
		return sp.scopeName, sp.scopeName != ""
	case scopeVersionKey:
		return sp.scopeVersion, sp.scopeVersion != ""
	case spanKindKey:
		k := spanKindString(sp.kind)
		return k, k != ""
	case statusCodeKey:
		switch sp.statusCode {
		case ptrace.StatusCodeError:
			return "ERROR", true
		case ptrace.StatusCodeOk:
			return "OK", true
		}
	case errorKey:
		return "true", sp.isError()
	case statusDescKey:
		return sp.statusMsg, sp.statusMsg != ""
	case traceStateKey:
		return sp.traceState, sp.traceState != ""
	}
	return "", false
}

// spanKindString is OpenTracing's name for a span kind; "" for unspecified.
func spanKindString(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindServer:
		return "server"
	case ptrace.SpanKindClient:
		return "client"
	case ptrace.SpanKindProducer:
		return "producer"
	case ptrace.SpanKindConsumer:
		return "consumer"
	case ptrace.SpanKindInternal:
		return "internal"
	}
	return ""
}

// logs converts events the way Jaeger's query service shows them: events
// in (stable) order of name, each with its name as an "event" field ahead
// of its attributes sorted by key (unless an attribute already uses that key).
func logs(sp *span) []jaegerapi.Log {
	events := slices.Clone(sp.events)
	slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.name, b.name) })
	out := make([]jaegerapi.Log, len(events))
	for i, e := range events {
		fields := make([]jaegerapi.KeyValue, 0, len(e.attrs)+1)
		if e.name != "" && !slices.ContainsFunc(e.attrs, func(a attr) bool { return a.key == eventKey }) {
			fields = append(fields, jaegerapi.KeyValue{Key: eventKey, Type: "string", Value: e.name})
		}
		fields = append(fields, sortedByKey(toKeyValues(e.attrs))...)
		out[i] = jaegerapi.Log{Timestamp: e.time / 1000, Fields: fields}
	}
	return out
}

func toKeyValues(as []attr) []jaegerapi.KeyValue {
	out := make([]jaegerapi.KeyValue, len(as))
	for i, a := range as {
		out[i] = toKeyValue(a)
	}
	return out
}

func toKeyValue(a attr) jaegerapi.KeyValue {
	kv := jaegerapi.KeyValue{Key: a.key}
	switch a.kind {
	case kindBool:
		kv.Type, kv.Value = "bool", a.boolValue()
	case kindInt:
		kv.Type, kv.Value = "int64", a.intValue()
		if v := a.intValue(); v > jsMaxSafeInteger || v < -jsMaxSafeInteger {
			kv.Value = strconv.FormatInt(v, 10)
		}
	case kindFloat:
		kv.Type, kv.Value = "float64", a.floatValue()
		if f := a.floatValue(); math.IsNaN(f) || math.IsInf(f, 0) {
			kv.Value = formatFloat(f) // JSON has no NaN or Infinity
		}
	case kindBinary:
		kv.Type, kv.Value = "binary", []byte(a.str) // base64 in JSON
	default:
		kv.Type, kv.Value = "string", a.str
	}
	return kv
}
