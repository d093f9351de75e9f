package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

// startMCP runs `ktrdr mcp` as a child process exporting to b and connects
// the SDK's client to it over stdio.
func startMCP(t *testing.T, b testkit.Backend, apiURL string) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(testkit.Binary(t), "mcp", "--url", apiURL, "--query", b.QueryURL)
	cmd.Env = append(append(os.Environ(), b.Env()...), testkit.FastExport...)
	stderr := &testkit.Buffer{}
	cmd.Stderr = stderr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "ktrdr-e2e", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connecting to ktrdr mcp: %v\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		_ = cs.Close()
		if t.Failed() {
			t.Logf("stderr of ktrdr mcp:\n%s", stderr.String())
		}
	})
	return cs
}

// callMCP calls a tool that must succeed and decodes its structured output.
func callMCP(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var text []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	if res.IsError {
		t.Fatalf("%s %v: tool error: %s", tool, args, strings.Join(text, "\n"))
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured content %s: %v", tool, b, err)
		}
	}
	return strings.Join(text, "\n")
}

// TestMCPStartTrainingIsOneTrace: an MCP client's start_training call to
// `ktrdr mcp` (a real child process on stdio) is one trace from the tool
// call's root span through the API and the training worker to the
// market-data host, on every backend; get_operation_trace shows it.
func TestMCPStartTrainingIsOneTrace(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1})
			cs := startMCP(t, b, s.APIURL)

			var start struct {
				OperationID string `json:"operation_id"`
				Status      string `json:"status"`
				TraceID     string `json:"trace_id"`
			}
			callMCP(t, cs, "start_training", map[string]any{"strategy": "rsi_mean_reversion"}, &start)
			if start.OperationID == "" || len(start.TraceID) != 32 {
				t.Fatalf("start_training answered %+v", start)
			}
			deadline := time.Now().Add(120 * time.Second)
			for {
				var op struct {
					Status string `json:"status"`
					Error  string `json:"error"`
				}
				text := callMCP(t, cs, "get_operation", map[string]any{"operation_id": start.OperationID}, &op)
				if op.Status == "completed" {
					break
				}
				if op.Status == "failed" || op.Status == "cancelled" || time.Now().After(deadline) {
					t.Fatalf("training: %s", text)
				}
				time.Sleep(500 * time.Millisecond)
			}

			tr := waitTraceWith(t, b, start.TraceID, "mcp.tool.start_training", "POST /api/v1/training/start", "training.run",
				"training.load_data", "data.fetch", "training.save_model")
			services := map[string]bool{}
			for _, sp := range tr.Spans {
				services[tr.Processes[sp.ProcessID].ServiceName] = true
			}
			for _, svc := range []string{"ktrdr-mcp-server", "ktrdr-api", "ktrdr-training-worker-t0", "ktrdr-ib-host-service"} {
				if !services[svc] {
					t.Errorf("trace lacks service %s: %v", svc, services)
				}
			}
			root := findByName(tr, "mcp.tool.start_training")
			if root.ParentSpanID() != "" || tr.Processes[root.ProcessID].ServiceName != "ktrdr-mcp-server" {
				t.Errorf("mcp.tool.start_training: parent %q, service %s", root.ParentSpanID(), tr.Processes[root.ProcessID].ServiceName)
			}
			if v, _ := jaegerapi.Tag(root.Tags, "mcp.tool"); v != "start_training" {
				t.Errorf("mcp.tool = %v", v)
			}
			if v, _ := jaegerapi.Tag(root.Tags, "operation.id"); v != start.OperationID {
				t.Errorf("operation.id = %v, want %s", v, start.OperationID)
			}
			// data.fetch's ancestors: host → worker → api → mcp, root last.
			c := chain(tr, findByName(tr, "data.fetch"))
			got := strings.Join(c, " < ")
			if !strings.HasPrefix(got, "ktrdr-ib-host-service:data.fetch") || !strings.HasSuffix(got, "ktrdr-mcp-server:mcp.tool.start_training") ||
				!strings.Contains(got, "ktrdr-training-worker-t0:training.run") || !strings.Contains(got, "ktrdr-api:POST /api/v1/training/start") {
				t.Errorf("data.fetch chain: %s", got)
			}
			var order []string
			for _, link := range c {
				svc, _, _ := strings.Cut(link, ":")
				if len(order) == 0 || order[len(order)-1] != svc {
					order = append(order, svc)
				}
			}
			if want := "ktrdr-ib-host-service < ktrdr-training-worker-t0 < ktrdr-api < ktrdr-mcp-server"; strings.Join(order, " < ") != want {
				t.Errorf("service order %s, want %s", strings.Join(order, " < "), want)
			}

			text := callMCP(t, cs, "get_operation_trace", map[string]any{"operation_id": start.OperationID}, nil)
			t.Logf("get_operation_trace:\n%s", text)
			for _, w := range []string{start.TraceID, "ktrdr-mcp-server", "mcp.tool.start_training", "ktrdr-api", "ktrdr-training-worker-t0", "ktrdr-ib-host-service", "data.fetch"} {
				if !strings.Contains(text, w) {
					t.Errorf("get_operation_trace text lacks %q:\n%s", w, text)
				}
			}
		})
	}
}
