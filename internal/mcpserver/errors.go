package mcpserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/httpx"
)

// toolNames replaces the API routes the API names in its messages with the
// tools an agent calls instead.
var toolNames = strings.NewReplacer(
	"GET /api/v1/strategies", "list_strategies",
	"GET /api/v1/symbols", "list_symbols",
	"GET /api/v1/models", "list_models",
	"POST /api/v1/data/load", "start_data_load",
	"GET /api/v1/operations", "list_operations",
)

// apiError turns an API call's error into a tool error: the API's own
// answer with the field it names, or a clear word that the API is not
// reachable.
func apiError(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		msg := toolNames.Replace(se.Message)
		switch {
		case se.Field != "":
			return fieldError(se.Field, "%s", msg)
		case se.Status == 404:
			return errors.New(msg)
		case se.Status == 409:
			return fmt.Errorf("conflict: %s", msg)
		default:
			return fmt.Errorf("the ktrdr API answered %d (%s): %s", se.Status, se.Code, msg)
		}
	}
	var ae *apiclient.Error
	if errors.As(err, &ae) {
		return fmt.Errorf("cannot reach the ktrdr API at %s (%s): %v; is it running (ktrdr up)?", ae.BaseURL, ae.Route, ae.Err)
	}
	return err
}

// The SDK validates arguments against the input schema before a handler
// runs and reports the jsonschema error as it is, e.g.
//
//	validating "arguments": validating root: validating /properties/limit: maximum: 5000 is greater than 1000.000000
//
// clarifySchemaError rewrites such a message into one sentence naming the
// argument: "invalid limit: must be at most 1000, got 5000".
var (
	schemaPath   = regexp.MustCompile(`validating (/[^:\s]*|root):`)
	numberSuffix = regexp.MustCompile(`(\d+)\.0+\b`)
	typeMismatch = regexp.MustCompile(`^(.*) has type "([^"]+)", want (?:one of )?(.*)$`)
	rational     = regexp.MustCompile(`-?\d+/\d+\b`)
	quotedList   = regexp.MustCompile(`"([^"]*)"`)
)

func clarifySchemaError(msg string, tool *mcp.Tool) (string, bool) {
	const prefix = `validating "arguments": `
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	rest := strings.TrimPrefix(msg, prefix)
	field := ""
	if m := schemaPath.FindAllStringSubmatchIndex(rest, -1); len(m) > 0 {
		last := m[len(m)-1]
		field = pointerField(rest[last[2]:last[3]])
		rest = strings.TrimSpace(rest[last[1]:])
	}
	// Numbers print as 1000.000000 (limits) and 5000/1 (values).
	rest = numberSuffix.ReplaceAllString(rest, "$1")
	rest = rational.ReplaceAllStringFunc(rest, func(q string) string {
		r, ok := new(big.Rat).SetString(q)
		if !ok {
			return q
		}
		if r.IsInt() {
			return r.Num().String()
		}
		f, _ := r.Float64()
		return strconv.FormatFloat(f, 'g', -1, 64)
	})
	keyword, detail, _ := strings.Cut(rest, ": ")
	switch {
	case keyword == "required":
		var names []string
		for _, m := range quotedList.FindAllStringSubmatch(detail, -1) {
			names = append(names, prefixField(field, m[1]))
		}
		if len(names) == 0 {
			break
		}
		return fmt.Sprintf("missing required argument %s", strings.Join(names, ", ")) + argumentList(tool, field), true
	case strings.HasPrefix(rest, "unexpected additional properties"):
		var names []string
		for _, m := range quotedList.FindAllStringSubmatch(rest, -1) {
			names = append(names, strconv.Quote(prefixField(field, m[1])))
		}
		return fmt.Sprintf("unknown argument %s", strings.Join(names, ", ")) + argumentList(tool, field), true
	case field == "":
		return "invalid arguments: " + rest, true
	case keyword == "maximum":
		if got, limit, ok := strings.Cut(detail, " is greater than "); ok {
			return fieldError(field, "must be at most %s, got %s", limit, got).Error(), true
		}
	case keyword == "minimum":
		if got, limit, ok := strings.Cut(detail, " is less than "); ok {
			return fieldError(field, "must be at least %s, got %s", limit, got).Error(), true
		}
	case keyword == "enum":
		if got, values, ok := strings.Cut(detail, " does not equal any of: "); ok {
			return fieldError(field, "must be one of %s, got %q", strings.Join(strings.Fields(strings.Trim(values, "[]")), ", "), got).Error(), true
		}
	case keyword == "type":
		if m := typeMismatch.FindStringSubmatch(detail); m != nil {
			want := strings.Fields(strings.NewReplacer("[", "", "]", "", `"`, "", ",", " ", "null", "").Replace(m[3]))
			return fieldError(field, "must be %s, got %s %s", strings.Join(want, " or "), m[2], m[1]).Error(), true
		}
		return fieldError(field, "wrong type: %s", detail).Error(), true
	case keyword == "pattern":
		if v := quotedList.FindStringSubmatch(detail); v != nil {
			return fieldError(field, "%q is not well formed%s", v[1], patternHint(tool, field)).Error(), true
		}
	case keyword == "minLength":
		return fieldError(field, "must not be empty").Error(), true
	}
	if field == "" {
		return "invalid arguments: " + rest, true
	}
	return fieldError(field, "%s", rest).Error(), true
}

// pointerField turns a schema path (/properties/symbols/items) into an
// argument name (symbols[]).
func pointerField(p string) string {
	if p == "root" {
		return ""
	}
	var b strings.Builder
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i := 0; i < len(parts); i++ {
		switch parts[i] {
		case "properties":
			if i+1 < len(parts) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(parts[i+1])
				i++
			}
		case "items":
			b.WriteString("[]")
		}
	}
	return b.String()
}

func prefixField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// argumentList names the arguments a tool takes, for a missing or unknown one.
func argumentList(tool *mcp.Tool, field string) string {
	if tool == nil || field != "" {
		return ""
	}
	s, ok := tool.InputSchema.(*jsonschema.Schema)
	if !ok || len(s.Properties) == 0 {
		return fmt.Sprintf(" (%s takes no arguments)", tool.Name)
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	if len(s.PropertyOrder) == len(names) {
		names = slices.Clone(s.PropertyOrder)
	} else {
		slices.Sort(names)
	}
	for i, n := range names {
		if slices.Contains(s.Required, n) {
			names[i] = n + " (required)"
		}
	}
	return fmt.Sprintf(" (%s takes %s)", tool.Name, strings.Join(names, ", "))
}

// patternHint is the description of a field, which says its form.
func patternHint(tool *mcp.Tool, field string) string {
	if tool == nil {
		return ""
	}
	s, ok := tool.InputSchema.(*jsonschema.Schema)
	if !ok {
		return ""
	}
	if p := s.Properties[field]; p != nil && p.Description != "" {
		return ": want " + p.Description
	}
	return ""
}

// rawJSON decodes an API's free-form JSON for a structured result.
func rawJSON(b json.RawMessage) any {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}
