package strategy

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file holds the small yaml.Node toolkit the parser is built on: every
// accessor takes the YAML path of the node it reads, records a Problem there
// when the node has the wrong shape, and never panics.

// maxWork bounds the mapping entries visited (merge keys can multiply them)
// and the nodes copied out of free-form sections, so a hostile file with
// nested anchors cannot make parsing slow.
const maxWork = 1 << 20

// maxDepth bounds merge chains and free-form nesting: YAML aliases can make
// a node contain itself.
const maxDepth = 64

type parser struct {
	problems []Problem
	warnings []Warning
	work     int
	tooBig   bool
}

func (p *parser) fail(path, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) warn(path, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{Path: path, Message: fmt.Sprintf(format, args...)})
}

// spend charges n units of work and reports whether the budget still holds.
func (p *parser) spend(n int, path string) bool {
	p.work += n
	if p.work > maxWork {
		if !p.tooBig {
			p.tooBig = true
			p.fail(path, "document too large or too deeply aliased")
		}
		return false
	}
	return true
}

// join appends a mapping key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// at appends a sequence index to a path.
func at(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// resolve follows alias nodes to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// isNull reports whether n is absent or an explicit null ("key:" or "~").
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node is, for "got ..." in messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case isNull(n):
		return "nothing (null)"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind != yaml.ScalarNode:
		return "an unsupported YAML node"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	switch n.ShortTag() {
	case "!!str":
		return "string " + strconv.Quote(v)
	case "!!int", "!!float":
		return "number " + v
	case "!!bool":
		return "boolean " + v
	}
	return strconv.Quote(v)
}

type entry struct {
	key string
	val *yaml.Node
}

// entries returns the key/value pairs of the mapping n in file order. Merge
// keys ("<<: *anchor") are expanded in place, explicit keys winning as YAML
// specifies. Duplicate keys and non-scalar keys are problems. ok is false
// when n is not a mapping (a problem is recorded unless n is null).
func (p *parser) entries(n *yaml.Node, path string) (out []entry, ok bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		p.fail(path, "must be a mapping, got %s", describe(n))
		return nil, false
	}
	return p.mappingEntries(n, path, true, 0), true
}

func (p *parser) mappingEntries(n *yaml.Node, path string, report bool, depth int) []entry {
	if depth > maxDepth {
		p.fail(path, "merge keys (<<) nested too deeply")
		return nil
	}
	if !p.spend(len(n.Content)/2+1, path) {
		return nil
	}
	explicit := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && !isMerge(k) {
			explicit[k.Value] = true
		}
	}
	var out []entry
	seen := make(map[string]bool, len(explicit))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		switch {
		case k == nil || k.Kind != yaml.ScalarNode:
			if report {
				p.fail(path, "keys must be plain strings, got %s as a key", describe(k))
			}
		case isMerge(k):
			for _, e := range p.mergeEntries(v, path, depth+1) {
				if !explicit[e.key] && !seen[e.key] {
					seen[e.key] = true
					out = append(out, e)
				}
			}
		case seen[k.Value]:
			if report {
				p.fail(join(path, k.Value), "duplicate key")
			}
		default:
			seen[k.Value] = true
			out = append(out, entry{k.Value, v})
		}
	}
	return out
}

func isMerge(k *yaml.Node) bool { return k.ShortTag() == "!!merge" }

// mergeEntries expands the value of a "<<" key: a mapping or a list of
// mappings, earlier ones winning.
func (p *parser) mergeEntries(v *yaml.Node, path string, depth int) []entry {
	v = resolve(v)
	switch {
	case v != nil && v.Kind == yaml.MappingNode:
		return p.mappingEntries(v, path, false, depth)
	case v != nil && v.Kind == yaml.SequenceNode:
		var out []entry
		seen := map[string]bool{}
		for _, m := range v.Content {
			m = resolve(m)
			if m == nil || m.Kind != yaml.MappingNode {
				p.fail(path, "<< must merge a mapping or a list of mappings, got %s in the list", describe(m))
				continue
			}
			for _, e := range p.mappingEntries(m, path, false, depth) {
				if !seen[e.key] {
					seen[e.key] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	p.fail(path, "<< must merge a mapping or a list of mappings, got %s", describe(v))
	return nil
}

// object is a mapping whose keys are known in advance.
type object struct {
	path    string
	vals    map[string]*yaml.Node
	present bool // the mapping exists (not absent or null)
	bad     bool // the node exists but is not a mapping
}

// object reads n as a mapping with the given known keys; any other key is
// a warning. Absent or null n gives an empty object.
func (p *parser) object(n *yaml.Node, path string, known ...string) object {
	o := object{path: path, vals: map[string]*yaml.Node{}}
	if isNull(n) {
		return o
	}
	es, ok := p.entries(n, path)
	if !ok {
		o.bad = true
		return o
	}
	o.present = true
	for _, e := range es {
		if !contains(known, e.key) {
			p.warn(join(path, e.key), "unknown key (ignored)")
			continue
		}
		o.vals[e.key] = e.val
	}
	return o
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// get returns the node for key, or nil when absent or null.
func (o object) get(key string) *yaml.Node {
	n := o.vals[key]
	if isNull(n) {
		return nil
	}
	return n
}

func (o object) at(key string) string { return join(o.path, key) }

// str reads a scalar as text. Numbers and booleans are taken as written
// (version: 1.0 is "1.0"); mappings and lists are problems.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		p.fail(path, "must be a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// number reads a finite YAML int or float. Quoted numbers are strings and
// refused: the type of a value is what the file says.
func (p *parser) number(n *yaml.Node, path string) (float64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.fail(path, "must be a number, got %s", describe(n))
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
	default:
		p.fail(path, "must be a number, got %s", describe(n))
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		p.fail(path, "must be a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail(path, "must be a finite number, got %s", n.Value)
		return 0, false
	}
	return f, true
}

// maxInt bounds integers so that converting them to int is exact.
const maxInt = 1 << 53

func (p *parser) integer(n *yaml.Node, path string) (int, bool) {
	f, ok := p.number(n, path)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > maxInt {
		p.fail(path, "must be an integer, got %s", resolve(n).Value)
		return 0, false
	}
	return int(f), true
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.fail(path, "must be true or false, got %s", describe(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.fail(path, "must be true or false, got %s", describe(n))
		return false, false
	}
	return b, true
}

// list returns the items of a sequence; ok is false (with a problem) when n
// is something else, and false without a problem when n is absent or null.
func (p *parser) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(path, "must be a list, got %s", describe(n))
		return nil, false
	}
	if !p.spend(len(n.Content)+1, path) {
		return nil, false
	}
	return n.Content, true
}

// Typed getters for optional keys of an object: the default when absent,
// the default plus a problem when the value has the wrong type.

func (p *parser) getString(o object, key, def string) string {
	if n := o.get(key); n != nil {
		if v, ok := p.str(n, o.at(key)); ok {
			return v
		}
	}
	return def
}

func (p *parser) getEnum(o object, key, def string, allowed ...string) string {
	n := o.get(key)
	if n == nil {
		return def
	}
	v, ok := p.str(n, o.at(key))
	if !ok {
		return def
	}
	if !contains(allowed, v) {
		p.fail(o.at(key), "must be one of %s, got %q", strings.Join(allowed, ", "), v)
		return def
	}
	return v
}

func (p *parser) getFloat(o object, key string, def float64) float64 {
	if n := o.get(key); n != nil {
		if v, ok := p.number(n, o.at(key)); ok {
			return v
		}
	}
	return def
}

func (p *parser) getInt(o object, key string, def int) int {
	if n := o.get(key); n != nil {
		if v, ok := p.integer(n, o.at(key)); ok {
			return v
		}
	}
	return def
}

func (p *parser) getBool(o object, key string, def bool) bool {
	if n := o.get(key); n != nil {
		if v, ok := p.boolean(n, o.at(key)); ok {
			return v
		}
	}
	return def
}

// check records msg at path unless cond holds.
func (p *parser) check(cond bool, path, format string, args ...any) {
	if !cond {
		p.fail(path, format, args...)
	}
}

// plain converts a free-form node (the deployment section) to Go values:
// map[string]any, []any, string, int, float64, bool or nil.
func (p *parser) plain(n *yaml.Node, path string, depth int) any {
	n = resolve(n)
	if isNull(n) || !p.spend(1, path) {
		return nil
	}
	if depth > maxDepth {
		p.fail(path, "nested too deeply (an alias that contains itself?)")
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, e := range p.mappingEntries(n, path, true, 0) {
			m[e.key] = p.plain(e.val, join(path, e.key), depth+1)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			l = append(l, p.plain(c, at(path, i), depth+1))
		}
		return l
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			var i int
			if n.Decode(&i) == nil {
				return i
			}
			var f float64
			if n.Decode(&f) == nil && !math.IsInf(f, 0) {
				return f
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f // non-finite values stay text: they have no JSON form
			}
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b
			}
		}
		return n.Value
	}
	return nil
}
