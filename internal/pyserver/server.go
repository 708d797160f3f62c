// Package pyserver starts and stops the Python reference server
// (python -m protoctl_server) for the commands and tests that drive it from
// Go: `protoctl conformance --grpc`, `protoctl bench` and the client's
// fault tests.
//
// A Server is one process group: the launcher process and its worker
// processes, which share one port on 127.0.0.1 with SO_REUSEPORT. Start
// picks a free port below 32768 (connection-per-call benchmarks fill the
// ephemeral range above it with TIME_WAIT sockets), waits until the
// standard health service answers SERVING, and returns; Stop sends SIGTERM,
// waits for the drain and kills what is left. Every wait is bounded.
package pyserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Config says how to run the server.
type Config struct {
	// Python is the interpreter of an environment with grpcio and the
	// server's other dependencies.
	Python string
	// Root is the workspace root; Root/python/src goes on PYTHONPATH.
	Root string
	// Workers is the number of server processes (--workers); 0 leaves the
	// server's default (one per core).
	Workers int
	// Mode is "sync" or "aio" (--mode); empty leaves the server's default.
	Mode string
	// Args are more server flags, e.g. "--max-recv-bytes", "8388608".
	Args []string
	// Env are more environment variables, "KEY=value".
	Env []string
	// Log, when set, receives the server's stderr.
	Log io.Writer
	// StartTimeout bounds Start (default 60s).
	StartTimeout time.Duration
	// Grace is the drain the server gets on Stop before it is killed
	// (default 5s).
	Grace time.Duration
	// Security, when set, serves TLS (mTLS with a client CA) and JWT
	// auth; nil serves plaintext (--plaintext).
	Security *Security
}

// Security is the server's TLS and auth files. A server with Security
// also gets a plaintext health listener (--health-listen), which Start
// polls for readiness as a Kubernetes probe would.
type Security struct {
	// CertFile and KeyFile are the server's certificate chain and key
	// (--tls-cert, --tls-key).
	CertFile, KeyFile string
	// ClientCAFile, when set, makes the server require client
	// certificates signed by it (--tls-client-ca).
	ClientCAFile string
	// AuthConfig, when set, is the JWT auth config (--auth-config).
	AuthConfig string
}

// args are the server flags of s; nil s is --plaintext.
func (s *Security) args() []string {
	if s == nil {
		return []string{"--plaintext"}
	}
	a := []string{"--tls-cert", s.CertFile, "--tls-key", s.KeyFile}
	if s.ClientCAFile != "" {
		a = append(a, "--tls-client-ca", s.ClientCAFile)
	}
	if s.AuthConfig != "" {
		a = append(a, "--auth-config", s.AuthConfig)
	}
	return a
}

// Server is a running reference server.
type Server struct {
	// Addr is "127.0.0.1:PORT".
	Addr string
	// PID is the launcher process's id.
	PID int
	// Mode is the mode the server says it runs in ("sync" or "aio").
	Mode string
	// TLS and Auth are what the server says it serves: "off", "tls" or
	// "mtls"; "off" or "jwt".
	TLS, Auth string
	// HealthAddr is where the health service answers in plaintext: Addr,
	// or the extra health listener of a server with Security.
	HealthAddr string

	cmd   *exec.Cmd
	grace time.Duration
	done  chan struct{}
	err   error // the process's exit status, once done is closed
	log   *tailBuffer
	once  sync.Once
}

// Start runs the server on a free port and returns once it serves.
// Port races with other processes are retried.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Python == "" {
		return nil, errors.New("pyserver: no python interpreter given")
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	var lastErr error
	for range 3 {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		s, err := start(ctx, cfg, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errExited) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

var errExited = errors.New("exited before serving")

func start(ctx context.Context, cfg Config, port int) (*Server, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"-m", "protoctl_server", "--listen", addr, "--metrics-port", "0"}
	if cfg.Workers > 0 {
		args = append(args, "--workers", strconv.Itoa(cfg.Workers))
	}
	if cfg.Mode != "" {
		args = append(args, "--mode", cfg.Mode)
	}
	args = append(args, cfg.Security.args()...)
	health := addr
	if cfg.Security != nil {
		hp, err := FreePort()
		if err != nil {
			return nil, err
		}
		health = "127.0.0.1:" + strconv.Itoa(hp)
		args = append(args, "--health-listen", health)
	}
	args = append(args, cfg.Args...)
	cmd := exec.Command(cfg.Python, args...)
	cmd.Dir = cfg.Root
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pythonPath(cfg.Root), "PYTHONUNBUFFERED=1")
	cmd.Env = append(cmd.Env, cfg.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log := &tailBuffer{max: 64 << 10}
	var stderr io.Writer = log
	if cfg.Log != nil {
		stderr = io.MultiWriter(log, cfg.Log)
	}
	cmd.Stderr = stderr
	cmd.Stdout = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start python server %s: %w", cfg.Python, err)
	}
	s := &Server{Addr: addr, PID: cmd.Process.Pid, cmd: cmd, grace: cfg.Grace, done: make(chan struct{}), log: log, HealthAddr: health}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	wctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	if err := s.waitServing(wctx); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// pythonPath puts the workspace's python/src first, keeping the caller's.
func pythonPath(root string) string {
	p := filepath.Join(root, "python", "src")
	if old := os.Getenv("PYTHONPATH"); old != "" {
		p += string(os.PathListSeparator) + old
	}
	return p
}

// readyPrefix starts the line the server prints once every worker serves.
const readyPrefix = "protoctl-server: serving on "

// waitServing waits until the server has printed its ready line (after
// every worker started) and its health service answers SERVING, the
// process exits or ctx ends.
func (s *Server) waitServing(ctx context.Context) error {
	conn, err := grpc.NewClient(s.HealthAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := health.Check(cctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			if line, ok := s.log.line(readyPrefix); ok {
				s.Mode = field(line, "mode=")
				s.TLS, s.Auth = field(line, "tls="), field(line, "auth=")
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("python server on %s %w (%v): %s", s.Addr, errExited, s.err, s.log.tail())
		case <-ctx.Done():
			return fmt.Errorf("python server on %s not serving after the start timeout: %s", s.Addr, s.log.tail())
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM to the server's process group, waits for the drain
// (the grace period plus 5s) and kills the group if it is still there.
// It returns nil when the server exited 0 on SIGTERM.
func (s *Server) Stop() error {
	s.once.Do(func() {
		_ = syscall.Kill(-s.PID, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(s.grace + 5*time.Second):
			s.kill()
			s.err = fmt.Errorf("python server on %s did not exit within %v of SIGTERM: killed", s.Addr, s.grace+5*time.Second)
		}
		// Workers left behind by a launcher that died go too.
		_ = syscall.Kill(-s.PID, syscall.SIGKILL)
	})
	if s.err != nil {
		var ee *exec.ExitError
		if errors.As(s.err, &ee) {
			return fmt.Errorf("python server on %s: %v: %s", s.Addr, s.err, s.log.tail())
		}
		return s.err
	}
	return nil
}

// Done is closed when the server's launcher process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Log returns the end of the server's stderr.
func (s *Server) Log() string { return s.log.tail() }

// Output returns the server's stderr kept so far (its last 64 KiB).
func (s *Server) Output() string {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return string(s.log.buf)
}

// Written counts the bytes the server has written to stderr so far: a
// mark for OutputSince.
func (s *Server) Written() int64 {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.written
}

// OutputSince returns what the server wrote after mark (a Written value),
// as far as it is still kept.
func (s *Server) OutputSince(mark int64) string {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	n := s.log.written - mark
	if n < 0 || n > int64(len(s.log.buf)) {
		n = int64(len(s.log.buf))
	}
	return string(s.log.buf[int64(len(s.log.buf))-n:])
}

func (s *Server) kill() {
	_ = syscall.Kill(-s.PID, syscall.SIGKILL)
	<-s.done
}

// FreePort returns a port below 32768 that nothing listens on at
// 127.0.0.1 right now.
func FreePort() (int, error) {
	for range 200 {
		port := 20000 + rand.IntN(32768-20000)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, errors.New("no free port between 20000 and 32767 on 127.0.0.1")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu      sync.Mutex
	buf     []byte
	max     int
	written int64
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	b.written += int64(len(p))
	if len(b.buf) > b.max {
		b.buf = b.buf[len(b.buf)-b.max:]
	}
	return len(p), nil
}

func (b *tailBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := string(bytes.TrimSpace(b.buf))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	if s == "" {
		return "(no output)"
	}
	return strings.ReplaceAll(s, "\n", "\n  ")
}

// line returns the first line of the kept output that starts with prefix.
func (b *tailBuffer) line(prefix string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range strings.Split(string(b.buf), "\n") {
		if strings.HasPrefix(l, prefix) {
			return l, true
		}
	}
	return "", false
}

// field returns the value of a "key=value" word of line.
func field(line, key string) string {
	for _, w := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(w, key); ok {
			return v
		}
	}
	return ""
}
