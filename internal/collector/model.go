package collector

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The internal model is a compact copy of what the query API and the page
// need from a span. Spans are converted once at ingest so that no pdata
// objects (and no request buffers their strings might alias) stay alive.
// Every stored value is immutable after ingest, which lets readers work on
// snapshots outside the store's lock.

type (
	traceID [16]byte
	spanID  [8]byte
)

// valueKind is the Jaeger tag type an attribute converts to.
type valueKind uint8

const (
	kindString valueKind = iota // also arrays and maps, as JSON text
	kindBool
	kindInt
	kindFloat
	kindBinary
)

// attr is one typed attribute. Numbers and booleans live in num (int64 and
// float64 bits, bool as 0/1) to keep the struct small.
type attr struct {
	key  string
	str  string // string value, JSON text of arrays/maps, raw bytes of binary
	num  uint64
	kind valueKind
}

func (a attr) boolValue() bool     { return a.num != 0 }
func (a attr) intValue() int64     { return int64(a.num) }
func (a attr) floatValue() float64 { return math.Float64frombits(a.num) }

// String is the value's text, as tag searches compare it and the page shows
// it: numbers as JSON would print them, binary as base64 (as the JSON API
// carries it).
func (a attr) String() string {
	switch a.kind {
	case kindBool:
		return strconv.FormatBool(a.boolValue())
	case kindInt:
		return strconv.FormatInt(a.intValue(), 10)
	case kindFloat:
		return formatFloat(a.floatValue())
	case kindBinary:
		return base64.StdEncoding.EncodeToString([]byte(a.str))
	default:
		return a.str
	}
}

// formatFloat prints f like encoding/json (and pdata's AsString) do.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		b := strconv.AppendFloat(nil, f, 'e', -1, 64)
		// e-07 → e-7, as JSON does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return string(b)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// process is a resource: its service name and its other attributes. Equal
// processes are interned by the store and shared by all their spans.
type process struct {
	service string
	tags    []attr
	key     string // identity for interning: service and tags, serialized
	size    int64
	refs    int // traces referencing this process (guarded by Store.mu)
}

type event struct {
	name  string
	time  uint64 // unix nanoseconds
	attrs []attr
}

type link struct {
	traceID traceID
	spanID  spanID
	childOf bool // the link says opentracing.ref_type=child_of
}

// span is one stored span. Times are unix nanoseconds.
type span struct {
	traceID      traceID
	spanID       spanID
	parentID     spanID
	name         string
	kind         ptrace.SpanKind
	start, end   uint64
	flags        uint32
	attrs        []attr
	events       []event
	links        []link
	statusCode   ptrace.StatusCode
	statusMsg    string
	scopeName    string
	scopeVersion string
	traceState   string
	proc         *process
	size         int64
}

func (s *span) duration() uint64 {
	if s.end < s.start {
		return 0
	}
	return s.end - s.start
}

func (s *span) isError() bool { return s.statusCode == ptrace.StatusCodeError }

// Fixed per-object costs for byte accounting: the struct itself plus the
// slice or map slot that points at it. Strings add their length on top.
var (
	spanOverhead    = int64(unsafe.Sizeof(span{})) + 8
	attrOverhead    = int64(unsafe.Sizeof(attr{}))
	eventOverhead   = int64(unsafe.Sizeof(event{}))
	linkOverhead    = int64(unsafe.Sizeof(link{}))
	processOverhead = int64(unsafe.Sizeof(process{})) + 64 // + intern map entry
	traceOverhead   = int64(unsafe.Sizeof(trace{})) + 64   // + map entry and FIFO slot
)

func attrsSize(as []attr) int64 {
	var n int64
	for _, a := range as {
		n += attrOverhead + int64(len(a.key)+len(a.str))
	}
	return n
}

func (s *span) computeSize() int64 {
	n := spanOverhead + int64(len(s.name)+len(s.statusMsg)+len(s.scopeName)+len(s.scopeVersion)+len(s.traceState))
	n += attrsSize(s.attrs)
	for _, e := range s.events {
		n += eventOverhead + int64(len(e.name)) + attrsSize(e.attrs)
	}
	n += int64(len(s.links)) * linkOverhead
	return n
}

// The attribute that carries a resource's service name, and Jaeger's service
// name for resources without one.
const (
	serviceNameKey  = "service.name"
	noServiceName   = "OTLPResourceNoServiceName"
	refTypeKey      = "opentracing.ref_type"
	refTypeChildOf  = "child_of"
	sampledSpanFlag = 0x01
)

// newProcess converts a resource. Strings are cloned: pdata may alias them
// into the request buffer, which must not be kept alive by the store.
func newProcess(res pcommon.Resource) *process {
	p := &process{service: noServiceName}
	attrs := res.Attributes()
	if v, ok := attrs.Get(serviceNameKey); ok && v.Str() != "" {
		p.service = strings.Clone(v.Str())
	}
	p.tags = make([]attr, 0, attrs.Len())
	for k, v := range attrs.All() {
		if k == serviceNameKey {
			continue
		}
		p.tags = append(p.tags, newAttr(k, v))
	}
	// The key is length-prefixed so that no choice of keys and values can
	// make two different processes collide.
	var b strings.Builder
	writeKeyPart(&b, p.service)
	for _, t := range p.tags {
		writeKeyPart(&b, t.key)
		b.WriteByte(byte(t.kind))
		writeKeyPart(&b, t.str)
		for i := range 8 {
			b.WriteByte(byte(t.num >> (8 * i)))
		}
	}
	p.key = b.String()
	p.size = processOverhead + int64(len(p.service)+len(p.key)) + attrsSize(p.tags)
	return p
}

func writeKeyPart(b *strings.Builder, s string) {
	n := len(s)
	for range 4 {
		b.WriteByte(byte(n))
		n >>= 8
	}
	b.WriteString(s)
}

func newAttrs(m pcommon.Map) []attr {
	if m.Len() == 0 {
		return nil
	}
	out := make([]attr, 0, m.Len())
	for k, v := range m.All() {
		out = append(out, newAttr(k, v))
	}
	return out
}

// newAttr maps an OTLP value to Jaeger's tag types: arrays and maps become
// strings holding their JSON text, empty values become empty strings.
func newAttr(k string, v pcommon.Value) attr {
	a := attr{key: strings.Clone(k)}
	switch v.Type() {
	case pcommon.ValueTypeBool:
		a.kind = kindBool
		if v.Bool() {
			a.num = 1
		}
	case pcommon.ValueTypeInt:
		a.kind, a.num = kindInt, uint64(v.Int())
	case pcommon.ValueTypeDouble:
		a.kind, a.num = kindFloat, math.Float64bits(v.Double())
	case pcommon.ValueTypeBytes:
		a.kind, a.str = kindBinary, string(v.Bytes().AsRaw())
	case pcommon.ValueTypeStr:
		a.str = strings.Clone(v.Str())
	default: // maps, slices, empty; AsString allocates a fresh string
		a.str = v.AsString()
	}
	return a
}

// newSpan converts one span. The caller sets proc.
func newSpan(sp ptrace.Span, scope pcommon.InstrumentationScope) *span {
	s := &span{
		traceID:      traceID(sp.TraceID()),
		spanID:       spanID(sp.SpanID()),
		parentID:     spanID(sp.ParentSpanID()),
		name:         strings.Clone(sp.Name()),
		kind:         sp.Kind(),
		start:        uint64(sp.StartTimestamp()),
		end:          uint64(sp.EndTimestamp()),
		flags:        sp.Flags(),
		attrs:        newAttrs(sp.Attributes()),
		statusCode:   sp.Status().Code(),
		statusMsg:    strings.Clone(sp.Status().Message()),
		scopeName:    strings.Clone(scope.Name()),
		scopeVersion: strings.Clone(scope.Version()),
		traceState:   strings.Clone(sp.TraceState().AsRaw()),
	}
	if evs := sp.Events(); evs.Len() > 0 {
		s.events = make([]event, evs.Len())
		for i := range evs.Len() {
			e := evs.At(i)
			s.events[i] = event{name: strings.Clone(e.Name()), time: uint64(e.Timestamp()), attrs: newAttrs(e.Attributes())}
		}
	}
	if ls := sp.Links(); ls.Len() > 0 {
		s.links = make([]link, ls.Len())
		for i := range ls.Len() {
			l := ls.At(i)
			rt, ok := l.Attributes().Get(refTypeKey)
			s.links[i] = link{
				traceID: traceID(l.TraceID()),
				spanID:  spanID(l.SpanID()),
				childOf: ok && rt.Str() == refTypeChildOf,
			}
		}
	}
	s.size = s.computeSize()
	return s
}
