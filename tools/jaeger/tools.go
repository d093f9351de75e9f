//go:build tools

// Package jaeger pins the real Jaeger that tests and users run beside ktrdr.
// It is its own module so Jaeger's many dependencies stay out of ktrdr's go.mod.
package jaeger

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
