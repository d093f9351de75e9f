package e2e

import (
	"bytes"
	"encoding/json"
	goversion "go/version"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// No container engine runs where these tests run, so the deployment files
// are checked statically: the Compose file through `docker compose config`
// (Compose's own loader, interpolation and schema), the Dockerfile as text.

// composeKtrdrServices are the compose services that run the ktrdr image.
var composeKtrdrServices = []string{"api", "ib-host", "training-worker", "backtest-worker"}

var composeWorkerServices = []string{"training-worker", "backtest-worker"}

// composeService is the part of `docker compose config --format json` the
// tests look at.
type composeService struct {
	Image         string             `json:"image"`
	ContainerName string             `json:"container_name"`
	Command       []string           `json:"command"`
	Environment   map[string]*string `json:"environment"`
	Build         *struct {
		Context    string `json:"context"`
		Dockerfile string `json:"dockerfile"`
	} `json:"build"`
	Ports []struct {
		Published string `json:"published"`
		Target    int    `json:"target"`
	} `json:"ports"`
	Healthcheck *struct {
		Test    []string `json:"test"`
		Disable bool     `json:"disable"`
	} `json:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `json:"condition"`
	} `json:"depends_on"`
}

func TestComposeConfig(t *testing.T) {
	t.Parallel()
	root := deployRepoRoot(t)
	requireCompose(t)
	file := filepath.Join(root, "deploy", "docker-compose.yml")

	// --quiet: the file loads and validates, nothing else.
	runCompose(t, root, "-f", file, "config", "--quiet")

	var cfg struct {
		Services map[string]composeService `json:"services"`
	}
	out := runCompose(t, root, "-f", file, "config", "--format", "json")
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("decode config: %v\n%s", err, out)
	}

	for _, name := range append([]string{"jaeger"}, composeKtrdrServices...) {
		if _, ok := cfg.Services[name]; !ok {
			t.Errorf("service %q missing", name)
		}
	}
	if t.Failed() {
		return
	}

	image := cfg.Services["api"].Image
	for _, name := range composeKtrdrServices {
		s := cfg.Services[name]
		if s.Image != image {
			t.Errorf("%s: image %q, want the shared %q", name, s.Image, image)
		}
		if s.Build == nil {
			t.Errorf("%s: not built from the Dockerfile", name)
		} else if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: build: %v", name, err)
		}
		for _, key := range []string{"OTLP_ENDPOINT", "ENVIRONMENT", "APP_VERSION"} {
			if v := s.Environment[key]; v == nil || *v == "" {
				t.Errorf("%s: environment %s not set", name, key)
			}
		}
		if v := s.Environment["OTLP_ENDPOINT"]; v != nil && *v != "http://jaeger:4317" {
			t.Errorf("%s: OTLP_ENDPOINT=%q, want http://jaeger:4317", name, *v)
		}
		// Services bind loopback unless told otherwise, which no other
		// container could reach.
		if !hasArgPair(s.Command, "--host", "0.0.0.0") {
			t.Errorf("%s: command %q lacks --host 0.0.0.0", name, s.Command)
		}
		if s.Healthcheck == nil || s.Healthcheck.Disable || len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s: no health check", name)
		}
	}

	// Scalable workers: replicas cannot share a host port or a container
	// name, and a fixed WORKER_ID would give every replica the same
	// service.name.
	for _, name := range composeWorkerServices {
		s := cfg.Services[name]
		if s.ContainerName != "" {
			t.Errorf("%s: container_name %q prevents scaling", name, s.ContainerName)
		}
		for _, p := range s.Ports {
			if p.Published != "" {
				t.Errorf("%s: host port %s published for %d prevents scaling", name, p.Published, p.Target)
			}
		}
		if _, ok := s.Environment["WORKER_ID"]; ok {
			t.Errorf("%s: WORKER_ID set; every replica would share it", name)
		}
	}

	api := cfg.Services["api"]
	if d, ok := api.DependsOn["jaeger"]; !ok {
		t.Error("api does not depend on jaeger")
	} else if d.Condition != "service_healthy" {
		t.Errorf("api depends on jaeger with %q, want service_healthy", d.Condition)
	}
	// Services find each other by URL flags; a renamed service must not
	// leave a dangling URL behind, and every worker must register with the
	// API and fetch bars from the host service.
	for name, s := range cfg.Services {
		for i, arg := range s.Command {
			if strings.HasSuffix(arg, "-url") && arg != "--jaeger-ui-url" && i+1 < len(s.Command) {
				u, err := url.Parse(s.Command[i+1])
				if err != nil {
					t.Errorf("%s %s: %v", name, arg, err)
					continue
				}
				if _, ok := cfg.Services[u.Hostname()]; !ok {
					t.Errorf("%s %s %s: no service %q", name, arg, u, u.Hostname())
				}
			}
		}
	}
	for _, name := range composeWorkerServices {
		cmd := cfg.Services[name].Command
		if !hasArgPair(cmd, "--backend-url", "http://api:8000") || !hasArgPair(cmd, "--ib-host-url", "http://ib-host:5001") {
			t.Errorf("%s: command %q does not reach the API and the host service", name, cmd)
		}
	}
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	root := deployRepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := dockerfileStages(string(b))
	if len(stages) < 2 {
		t.Fatalf("%d stage(s), want a multi-stage build", len(stages))
	}
	var build string
	for _, st := range stages {
		for _, in := range st {
			if strings.HasPrefix(in, "RUN ") && strings.Contains(in, "go build") {
				build = in
			}
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") {
		t.Errorf("go build without CGO_ENABLED=0: %q", build)
	}
	// The golang image sets GOTOOLCHAIN=local: a toolchain older than
	// go.mod's go line fails the build instead of downloading a newer one.
	want := goModGoVersion(t, root)
	image := ""
	for _, f := range strings.Fields(stages[0][0])[1:] {
		if !strings.HasPrefix(f, "--") { // --platform=...
			image = f
			break
		}
	}
	if tag, ok := strings.CutPrefix(image, "golang:"); !ok || !goversion.IsValid("go"+tag) || goversion.Compare("go"+tag, want) < 0 {
		t.Errorf("build stage FROM %s: want golang:%s (go.mod's go line) or newer", image, strings.TrimPrefix(want, "go"))
	}

	final := stages[len(stages)-1]
	user := ""
	for _, in := range final {
		if v, ok := strings.CutPrefix(in, "USER "); ok {
			user = strings.TrimSpace(v)
		}
	}
	if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "root" || uid == "0" {
		t.Errorf("final stage runs as %q, want a non-root USER", user)
	}
	if !slices.Contains(final, `ENTRYPOINT ["/ktrdr"]`) {
		t.Errorf(`final stage has no ENTRYPOINT ["/ktrdr"]: %q`, final)
	}
}

// dockerfileStages splits a Dockerfile into stages of instructions, with
// continuation lines joined and comments dropped. Enough for the checks
// above; not a Dockerfile parser.
func dockerfileStages(text string) [][]string {
	var stages [][]string
	var cur strings.Builder
	flush := func() {
		in := strings.Join(strings.Fields(cur.String()), " ")
		cur.Reset()
		if in == "" {
			return
		}
		if strings.HasPrefix(strings.ToUpper(in), "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], in)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func hasArgPair(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

// requireCompose skips when `docker compose` is not installed, except in CI,
// where a missing tool must not pass silently as a skipped test.
func requireCompose(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "compose", "version").CombinedOutput()
	if err == nil {
		return
	}
	msg := "docker compose unavailable (scripts/ensure-compose.sh installs it): " + err.Error() + "\n" + string(out)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func runCompose(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("docker", append([]string{"compose"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker compose %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// goModGoVersion is the go line of the main module's go.mod, as "go1.x.y".
func goModGoVersion(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return "go" + strings.TrimSpace(v)
		}
	}
	t.Fatal("go.mod has no go line")
	return ""
}

// deployRepoRoot is the main module's directory, found the way testkit finds it.
func deployRepoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod)
}
