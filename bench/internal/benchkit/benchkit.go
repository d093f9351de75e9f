// Package benchkit holds what the benchmark programs share: building the
// ktrdr binary, free loopback ports, and waiting for a service's health.
package benchkit

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// Workspace makes a temporary directory and builds ./cmd/ktrdr into it; the
// returned cleanup removes it.
func Workspace(prefix string) (dir, bin string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if bin, err = BuildBinary(dir); err != nil {
		cleanup()
		return "", "", nil, err
	}
	return dir, bin, cleanup, nil
}

// BuildBinary builds ./cmd/ktrdr into dir and returns its path.
func BuildBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "ktrdr")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ktrdr").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// WaitHealthy polls u until it answers 200, for up to 20 s.
func WaitHealthy(u string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not healthy", u)
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL is http://127.0.0.1:port.
func URL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }

// Itoa is strconv.Itoa, for flag values.
func Itoa(i int) string { return strconv.Itoa(i) }
