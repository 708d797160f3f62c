package grpcconf

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/protoctl/protoctl/internal/pyserver"
)

// TestKeepaliveNoticesStrictServer runs the keepalive case against a
// server whose keepalive enforcement is grpcio's default (a ping per 5
// minutes at most, none without calls): the server answers the client's
// pings with GOAWAY too_many_pings and the case must fail. A sitecustomize
// module patches the server's settings before it starts.
func TestKeepaliveNoticesStrictServer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("idles for 45s")
	}
	root := repoRoot(t)
	py, err := pyserver.TestPython(root)
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	dir := t.TempDir()
	patch := "import protoctl_server.config as c\nc.MIN_PING_INTERVAL_WITHOUT_DATA_MS = 300000\nc.PERMIT_WITHOUT_CALLS = 0\n"
	if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), []byte(patch), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := pyserver.Start(context.Background(), pyserver.Config{
		Python: py, Root: root, Workers: 1, Mode: "sync", Args: []string{"--log-level", "warning"},
		Env: []string{"PYTHONPATH=" + dir + string(os.PathListSeparator) + filepath.Join(root, "python", "src")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	r := &Runner{Targets: map[Profile]string{ProfileDefault: s.Addr}}
	rep, err := r.Run(context.Background(), []Case{keepaliveCase(45 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Results[0]
	if res.Passed {
		t.Fatalf("keepalive case passed against a server that refuses idle pings (notes %q)", res.Notes)
	}
	if !strings.Contains(res.Message, "went") {
		t.Errorf("failure %q does not say the connection left READY", res.Message)
	}
	t.Logf("strict server: %s", res.Message)
}
