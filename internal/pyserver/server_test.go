package pyserver

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func python(t *testing.T) string {
	t.Helper()
	py, err := TestPython(repoRoot(t))
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	return py
}

func TestFreePort(t *testing.T) {
	t.Parallel()
	for range 20 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if port < 20000 || port >= 32768 {
			t.Fatalf("FreePort() = %d, want 20000..32767", port)
		}
	}
}

func TestStartStop(t *testing.T) {
	t.Parallel()
	s, err := Start(context.Background(), Config{Python: python(t), Root: repoRoot(t), Workers: 2, Mode: "sync", Args: []string{"--log-level", "warning"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != "sync" {
		t.Errorf("Mode = %q, want sync (from the ready line)", s.Mode)
	}
	_, portText, _ := net.SplitHostPort(s.Addr)
	if port, _ := strconv.Atoi(portText); !strings.HasPrefix(s.Addr, "127.0.0.1:") || port >= 32768 {
		t.Errorf("Addr = %q, want 127.0.0.1 and a port below 32768", s.Addr)
	}
	// Two workers and their launcher have started Python: some CPU.
	cpu, err := s.CPU()
	if err != nil {
		t.Fatal(err)
	}
	if cpu <= 0 {
		t.Errorf("CPU() = %v, want more than 0 after starting", cpu)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop() = %v, want nil (exit 0 on SIGTERM)", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Stop returned before the server exited")
	}
	if err := syscall.Kill(-s.PID, 0); err == nil {
		t.Errorf("process group %d still exists after Stop", s.PID)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop() = %v, want nil", err)
	}
}

func TestStartFails(t *testing.T) {
	t.Parallel()
	start := time.Now()
	_, err := Start(context.Background(), Config{Python: python(t), Root: repoRoot(t), Workers: 1, Mode: "turbo", StartTimeout: 20 * time.Second})
	if err == nil {
		t.Fatal("Start with --mode turbo succeeded, want an error")
	}
	for _, want := range []string{"exited before serving", "turbo"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Start took %v to notice the exit", d)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	if err := Check(context.Background(), python(t), repoRoot(t)); err != nil {
		t.Errorf("Check(repo) = %v, want nil", err)
	}
	err := Check(context.Background(), python(t), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "protoctl_server") {
		t.Errorf("Check(empty dir) = %v, want an error naming protoctl_server", err)
	}
}
