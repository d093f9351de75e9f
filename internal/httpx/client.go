package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// StatusError is a non-2xx answer of a ktrdr service, decoded from its
// ErrorBody (or, for a foreign answer, its raw text with code http_error).
type StatusError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// CallJSON sends body as JSON (nil: no body) with the given headers and
// decodes a 2xx answer into out (nil: discarded). A non-2xx answer is a
// *StatusError. The span name comes from ctx (telemetry.WithRoute).
func CallJSON(ctx context.Context, c *http.Client, method, url string, header http.Header, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var eb ErrorBody
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
			return &StatusError{Status: resp.StatusCode, Code: "http_error", Message: strings.TrimSpace(string(raw))}
		}
		return &StatusError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
