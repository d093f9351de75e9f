package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// DefaultMaxBody bounds request bodies unless a handler says otherwise.
const DefaultMaxBody = 1 << 20

// RequestError is a bad request: its status, a code, a message and the
// field it is about (when one is).
type RequestError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *RequestError) Error() string { return e.Message }

// BadField returns a 400 invalid_argument about a field.
func BadField(field, format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Code: "invalid_argument", Message: fmt.Sprintf(format, args...), Field: field}
}

// WriteRequestError answers e in the shared error shape.
func WriteRequestError(w http.ResponseWriter, e *RequestError) {
	WriteError(w, e.Status, e.Code, e.Message, e.Field)
}

// DecodeJSON reads one JSON object from r's body into dst, strictly:
// at most maxBytes, no unknown fields, nothing after the object. Errors name
// the field when there is one, so a client can fix its request.
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, dst any) *RequestError {
	body := http.MaxBytesReader(w, r.Body, maxBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if dec.More() || dec.Decode(&struct{}{}) != io.EOF {
			return &RequestError{Status: http.StatusBadRequest, Code: "invalid_argument", Message: "request body must hold one JSON object and nothing after it"}
		}
		return nil
	}
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &RequestError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, io.EOF):
		return &RequestError{Status: http.StatusBadRequest, Code: "invalid_argument", Message: "request body is empty: send a JSON object"}
	case errors.As(err, &syntax):
		return &RequestError{Status: http.StatusBadRequest, Code: "invalid_argument", Message: fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, err)}
	case errors.As(err, &typ):
		return BadField(typ.Field, "%s must be a JSON %s, not %s", fieldName(typ.Field), typ.Type.Kind(), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return BadField(f, "unknown field %q", f)
	default:
		return &RequestError{Status: http.StatusBadRequest, Code: "invalid_argument", Message: "malformed JSON: " + err.Error()}
	}
}

func fieldName(f string) string {
	if f == "" {
		return "the body"
	}
	return f
}
