// Package e2e holds ktrdr's end-to-end tests: real ktrdr processes on free
// loopback ports, real trace backends, assertions made through the same
// HTTP APIs users and Jaeger clients use. It has no non-test code.
package e2e
