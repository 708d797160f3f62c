package grpcconf

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/internal/pyserver"
)

// golden compares got with testdata/name, rewriting the file when
// PROTOCTL_GOLDEN_UPDATE=1.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("PROTOCTL_GOLDEN_UPDATE") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with PROTOCTL_GOLDEN_UPDATE=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// startServers starts one reference server per profile of cases, with the
// given extra flags for each, and stops them when the test ends.
func startServers(t *testing.T, mode string, cases []Case, args map[Profile][]string) map[Profile]string {
	t.Helper()
	targets, _ := startSecure(t, mode, cases, args, nil)
	return targets
}

// startSecure is startServers with each profile's server security from
// sec (nil: plaintext); it also returns each server's log.
func startSecure(t *testing.T, mode string, cases []Case, args map[Profile][]string, sec func(Profile) *pyserver.Security) (map[Profile]string, map[Profile]ServerLog) {
	t.Helper()
	root := repoRoot(t)
	py, err := pyserver.TestPython(root)
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	targets := map[Profile]string{}
	logs := map[Profile]ServerLog{}
	for _, p := range Profiles(cases) {
		cfg := pyserver.Config{Python: py, Root: root, Workers: 1, Mode: mode, Args: append([]string{"--log-level", "warning"}, args[p]...)}
		if sec != nil {
			cfg.Security = sec(p)
		}
		s, err := pyserver.Start(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Stop(); err != nil {
				t.Errorf("stop server: %v", err)
			}
		})
		targets[p] = s.Addr
		logs[p] = s
	}
	return targets, logs
}
