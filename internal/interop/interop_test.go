// Package interop runs grpc-go's interop client (pinned in tools/go.mod)
// against the Python reference server's grpc.testing.TestService, in both
// server modes. Every core case of the gRPC interop test descriptions that
// needs no TLS, auth or compression must pass.
package interop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/protoctl/protoctl/internal/pki"
	"github.com/protoctl/protoctl/internal/pyserver"
)

// cases are the interop cases the server must pass.
var cases = []string{
	"empty_unary",
	"large_unary",
	"client_streaming",
	"server_streaming",
	"ping_pong",
	"empty_stream",
	"timeout_on_sleeping_server",
	"cancel_after_begin",
	"cancel_after_first_response",
	"status_code_and_message",
	"special_status_message",
	"custom_metadata",
	"unimplemented_method",
	"unimplemented_service",
}

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var (
	clientOnce sync.Once
	clientPath string
	clientErr  error
)

// interopClient builds google.golang.org/grpc/interop/client from
// tools/go.mod once, cached by the hash of tools/go.mod and go.sum under
// $PROTOCTL_TEST_CACHE or the user cache directory.
func interopClient() (string, error) {
	clientOnce.Do(func() { clientPath, clientErr = buildClient() })
	return clientPath, clientErr
}

func buildClient() (string, error) {
	tools := filepath.Join(root(), "tools")
	mod, err := os.ReadFile(filepath.Join(tools, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("reading tools/go.mod: %w", err)
	}
	sum, err := os.ReadFile(filepath.Join(tools, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("reading tools/go.sum: %w", err)
	}
	h := sha256.Sum256(append(mod, sum...))
	dir := os.Getenv("PROTOCTL_TEST_CACHE")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "protoctl-test")
	}
	out := filepath.Join(dir, "interop-client-"+hex.EncodeToString(h[:6]))
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go is not on PATH to build the interop client: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "interop-client-build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	cmd := exec.Command(goBin, "build", "-o", tmp.Name(), "google.golang.org/grpc/interop/client")
	cmd.Dir = tools
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("building the interop client from tools/go.mod: %v\n%s", err, b)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return out, nil
}

func TestInterop(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: cannot build the interop client")
	}
	client, err := interopClient()
	if err != nil {
		t.Fatal(err)
	}
	python, err := pyserver.TestPython(root())
	if err != nil {
		t.Fatalf("no python for the reference server: %v", err)
	}
	// Over TLS too: the server with a certificate of a PKI made here, the
	// client trusting its CA (the interop client has no client
	// certificate flag, so no mTLS).
	set, err := pki.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		name, mode string
		tls        bool
	}{{"aio", "aio", false}, {"sync", "sync", false}, {"aio-tls", "aio", true}, {"sync-tls", "sync", true}} {
		t.Run(v.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := pyserver.Config{Python: python, Root: root(), Workers: 1, Mode: v.mode}
			var tlsArgs []string
			if v.tls {
				cfg.Security = &pyserver.Security{CertFile: set.ServerCert, KeyFile: set.ServerKey}
				// -use_test_ca makes the client read -ca_file instead of the
				// system roots.
				tlsArgs = []string{"-use_tls", "-use_test_ca", "-ca_file", set.CA, "-server_host_override", pki.ServerName}
			}
			srv, err := pyserver.Start(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := srv.Stop(); err != nil {
					t.Errorf("server did not stop cleanly: %v", err)
				}
			})
			host, port, _ := net.SplitHostPort(srv.Addr)
			for _, tc := range cases {
				t.Run(tc, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
					defer cancel()
					args := append([]string{"-server_host", host, "-server_port", port, "-test_case", tc}, tlsArgs...)
					cmd := exec.CommandContext(ctx, client, args...)
					cmd.Env = append(os.Environ(), "GRPC_GO_LOG_SEVERITY_LEVEL=error")
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Errorf("interop client -test_case %s: %v\n%s\nserver log:\n%s", tc, err, strings.TrimSpace(string(out)), srv.Log())
					}
				})
			}
		})
	}
}
