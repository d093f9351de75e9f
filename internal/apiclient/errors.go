package apiclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/ktrdr/ktrdr/internal/httpx"
)

// ErrorLine renders any error of the client as one clear line for humans, e.g.
//
//	API: invalid_argument (field strategy): unknown strategy "x" (GET /api/v1/strategies lists them)
//	cannot reach the ktrdr API at http://127.0.0.1:8000: connection refused (is it running? try: ktrdr up)
//
// Other errors are their own text, on one line.
func ErrorLine(err error) string {
	if err == nil {
		return ""
	}
	return oneLine(errorLine(err))
}

func errorLine(err error) string {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		return statusLine(se)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		if errors.Is(err, context.Canceled) {
			return "interrupted"
		}
		return err.Error()
	}
	base := ce.BaseURL
	switch {
	case errors.Is(ce.Err, context.Canceled):
		return "interrupted"
	case isTimeout(ce.Err):
		return "the ktrdr API at " + base + " did not answer in time (" + ce.Route + ")"
	case strings.HasPrefix(ce.Err.Error(), "decode answer"):
		return "unexpected answer from " + base + " to " + ce.Route + " (is it the ktrdr API?): " + ce.Err.Error()
	}
	if reason, ok := dialReason(ce.Err); ok {
		return "cannot reach the ktrdr API at " + base + ": " + reason + " (is it running? try: ktrdr up)"
	}
	if errors.Is(ce.Err, io.EOF) || errors.Is(ce.Err, io.ErrUnexpectedEOF) || errors.Is(ce.Err, syscall.ECONNRESET) {
		return "the ktrdr API at " + base + " closed the connection (" + ce.Route + ")"
	}
	return ce.Route + " at " + base + ": " + ce.Err.Error()
}

// statusLine is an API answer: "API: code (field f): message".
func statusLine(se *httpx.StatusError) string {
	if se.Code == "http_error" || se.Code == "" {
		msg := se.Message
		if msg == "" {
			msg = http.StatusText(se.Status)
		}
		return "API answered " + http.StatusText(se.Status) + " (" + strconv.Itoa(se.Status) + "): " + msg
	}
	s := "API: " + se.Code
	if se.Field != "" {
		s += " (field " + se.Field + ")"
	}
	return s + ": " + se.Message
}

// dialReason tells why no connection was made, if none was.
func dialReason(err error) (string, bool) {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.As(err, &dns):
		return dns.Err + " " + dns.Name, true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable", true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return op.Err.Error(), true
	}
	return "", false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
