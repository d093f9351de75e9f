package collector

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/tracepage"
)

// defaultSearchLimit is the number of traces /api/traces returns without a
// limit, the Jaeger UI's default.
const defaultSearchLimit = 20

// QueryHandler serves Jaeger's HTTP query API under /api, the HTML pages
// (/ and /trace/{id}) and GET /health.
func QueryHandler(s *Store) http.Handler {
	q := &queryAPI{store: s, now: time.Now}
	page := tracepage.Handler(storeSource{store: s, now: time.Now}, tracepage.Options{Footer: pageFooter(s), JSONLink: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/services", q.services)
	mux.HandleFunc("GET /api/services/{service}/operations", q.serviceOperations)
	mux.HandleFunc("GET /api/operations", q.operations)
	mux.HandleFunc("GET /api/traces", q.search)
	mux.HandleFunc("GET /api/traces/{traceID}", q.trace)
	mux.HandleFunc("GET /health", q.health)
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /trace/{traceID}", page)
	return mux
}

type queryAPI struct {
	store *Store
	now   func() time.Time
}

func (q *queryAPI) services(w http.ResponseWriter, _ *http.Request) {
	names := q.store.services()
	writeJSON(w, http.StatusOK, jaegerapi.Response[[]string]{Data: names, Total: len(names)})
}

// serviceOperations is Jaeger's legacy operations endpoint: span names only.
func (q *queryAPI) serviceOperations(w http.ResponseWriter, r *http.Request) {
	ops := q.store.operations(r.PathValue("service"), "")
	names := make([]string, 0, len(ops))
	for _, op := range ops {
		if len(names) == 0 || names[len(names)-1] != op.Name { // ops are sorted by name
			names = append(names, op.Name)
		}
	}
	writeJSON(w, http.StatusOK, jaegerapi.Response[[]string]{Data: names, Total: len(names)})
}

func (q *queryAPI) operations(w http.ResponseWriter, r *http.Request) {
	service := r.URL.Query().Get("service")
	if service == "" {
		writeError(w, http.StatusBadRequest, errServiceRequired.Error())
		return
	}
	ops := q.store.operations(service, r.URL.Query().Get("spanKind"))
	writeJSON(w, http.StatusOK, jaegerapi.Response[[]jaegerapi.Operation]{Data: ops, Total: len(ops)})
}

// search answers /api/traces: either the traces named by traceID
// parameters, or a search. Like Jaeger, it leaves total at 0.
func (q *queryAPI) search(w http.ResponseWriter, r *http.Request) {
	query, ids, err := parseTraceQuery(r.URL.RawQuery, q.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var (
		traces []jaegerapi.Trace
		errs   []jaegerapi.Error
	)
	if len(ids) > 0 {
		// Jaeger reports unknown ids as errors next to the traces found.
		for _, id := range ids {
			if v, ok := q.store.get(id); ok {
				traces = append(traces, toJaegerTrace(v))
			} else {
				errs = append(errs, jaegerapi.Error{Msg: "trace not found", TraceID: hexTraceID(id)})
			}
		}
	} else {
		for _, v := range q.store.find(query) {
			traces = append(traces, toJaegerTrace(v))
		}
	}
	if traces == nil {
		traces = []jaegerapi.Trace{}
	}
	writeJSON(w, http.StatusOK, jaegerapi.Response[[]jaegerapi.Trace]{Data: traces, Errors: errs})
}

func (q *queryAPI) trace(w http.ResponseWriter, r *http.Request) {
	id, err := parseTraceID(r.PathValue("traceID"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	v, ok := q.store.get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "trace not found")
		return
	}
	writeJSON(w, http.StatusOK, jaegerapi.Response[[]jaegerapi.Trace]{Data: []jaegerapi.Trace{toJaegerTrace(v)}})
}

// health is not part of Jaeger's API: `ktrdr up` polls it for readiness.
func (q *queryAPI) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Status  string `json:"status"`
		Service string `json:"service"`
		Stats
	}{"ok", "ktrdr-collector", q.store.Stats()})
}

var (
	errServiceRequired  = errors.New("parameter 'service' is required")
	errDurationMinAbove = errors.New("'maxDuration' should be greater than 'minDuration'")
)

func paramError(name string, err error) error {
	return fmt.Errorf("unable to parse param '%s': %w", name, err)
}

// parseTraceQuery parses the parameters of /api/traces as Jaeger does:
// start and end in unix microseconds, durations as Go duration strings, tags
// as a JSON object or repeated key:value tag parameters. Without start, the
// search starts lookback ago (the Jaeger UI sends lookback=1h, 2d, ... or
// "custom"); without either, it is unbounded.
func parseTraceQuery(rawQuery string, now time.Time) (traceQuery, []traceID, error) {
	q := traceQuery{startMax: math.MaxUint64, limit: defaultSearchLimit}
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return q, nil, fmt.Errorf("malformed query string: %w", err)
	}
	q.service, q.operation = vals.Get("service"), vals.Get("operation")

	var ids []traceID
	for _, s := range vals["traceID"] {
		id, err := parseTraceID(s)
		if err != nil {
			return q, nil, paramError("traceID", err)
		}
		ids = append(ids, id)
	}

	if v := vals.Get("start"); v != "" {
		us, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return q, nil, paramError("start", err)
		}
		q.startMin = microsToNanos(us)
	}
	if v := vals.Get("end"); v != "" {
		us, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return q, nil, paramError("end", err)
		}
		q.startMax = microsToNanos(us)
	}
	if v := vals.Get("lookback"); v != "" && v != "custom" {
		d, err := parseLookback(v)
		if err != nil {
			return q, nil, paramError("lookback", err)
		}
		if vals.Get("start") == "" {
			q.startMin = uint64(max(0, now.UnixNano()-int64(d)))
		}
	}

	if q.tags, err = parseTags(vals["tag"], vals["tags"]); err != nil {
		return q, nil, err
	}

	if v := vals.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil && n < 0 {
			err = errors.New("must not be negative")
		}
		if err != nil {
			return q, nil, paramError("limit", err)
		}
		if n > 0 { // 0 keeps the default rather than returning everything
			q.limit = n
		}
	}

	for _, p := range []struct {
		name string
		dst  *time.Duration
	}{{"minDuration", &q.durMin}, {"maxDuration", &q.durMax}} {
		if v := vals.Get(p.name); v != "" {
			if *p.dst, err = time.ParseDuration(v); err != nil {
				return q, nil, paramError(p.name, err)
			}
		}
	}

	if len(ids) == 0 && q.service == "" {
		return q, nil, errServiceRequired
	}
	if q.durMin != 0 && q.durMax != 0 && q.durMax < q.durMin {
		return q, nil, errDurationMinAbove
	}
	return q, ids, nil
}

// parseTags merges repeated tag=key:value parameters and tags={JSON object}
// parameters, with Jaeger's error messages.
func parseTags(simple, jsonTags []string) (map[string]string, error) {
	tags := make(map[string]string)
	for _, t := range simple {
		k, v, ok := strings.Cut(t, ":")
		if !ok {
			return nil, fmt.Errorf("malformed 'tag' parameter, expecting key:value, received: %s", t)
		}
		tags[k] = v
	}
	for _, t := range jsonTags {
		var m map[string]string
		if err := json.Unmarshal([]byte(t), &m); err != nil {
			return nil, fmt.Errorf("malformed 'tags' parameter, cannot unmarshal JSON: %w", err)
		}
		for k, v := range m {
			tags[k] = v
		}
	}
	return tags, nil
}

// parseLookback accepts Go durations plus whole days and weeks ("2d", "1w"),
// which the Jaeger UI's lookback menu uses.
func parseLookback(s string) (time.Duration, error) {
	var unit time.Duration
	switch {
	case strings.HasSuffix(s, "d"):
		unit = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		unit = 7 * 24 * time.Hour
	default:
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid lookback %q", s)
	}
	if n < 0 || n > int64(math.MaxInt64/unit) {
		return 0, fmt.Errorf("lookback %q out of range", s)
	}
	return time.Duration(n) * unit, nil
}

// microsToNanos converts a microsecond timestamp, clamped to what span times
// (unsigned nanoseconds) can hold.
func microsToNanos(us int64) uint64 {
	switch {
	case us <= 0:
		return 0
	case uint64(us) > math.MaxUint64/1000:
		return math.MaxUint64
	}
	return uint64(us) * 1000
}

// parseTraceID accepts 1 to 32 hex digits: Jaeger clients may drop leading
// zeros, so shorter ids are padded on the left.
func parseTraceID(s string) (traceID, error) {
	var id traceID
	if len(s) == 0 || len(s) > 32 {
		return id, fmt.Errorf("trace ID %q must have 1 to 32 hex digits", s)
	}
	b, err := hex.DecodeString(strings.Repeat("0", 32-len(s)) + s)
	if err != nil {
		return id, fmt.Errorf("trace ID %q is not hexadecimal", s)
	}
	copy(id[:], b)
	return id, nil
}

// writeJSON encodes v before writing, so an encoding failure becomes a 500
// rather than a truncated 200.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(jaegerapi.Response[any]{Errors: []jaegerapi.Error{{Code: code, Msg: err.Error()}}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// writeError answers with Jaeger's error envelope: data null, one error.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, jaegerapi.Response[any]{Errors: []jaegerapi.Error{{Code: code, Msg: msg}}})
}
