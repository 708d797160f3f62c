package conformance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// Command says how to start a testee.
type Command struct {
	// Name names the runtime in reports: "go", "python".
	Name string
	// Path is the executable; Args its arguments.
	Path string
	Args []string
	// Env is added to the inherited environment.
	Env []string
	// Dir is the working directory; empty is the current one.
	Dir string
}

// String is the command as a shell line, for reports and reproduction.
func (c Command) String() string {
	var b strings.Builder
	for _, e := range c.Env {
		b.WriteString(e + " ")
	}
	b.WriteString(c.Path)
	for _, a := range c.Args {
		b.WriteString(" " + a)
	}
	return b.String()
}

// Defaults of a Process.
const (
	DefaultTimeout      = 5 * time.Second
	DefaultStartTimeout = 30 * time.Second
	DefaultWindow       = 256
)

// Reply is a testee's answer to one request: a response, or a Failure when
// the testee crashed, hung or wrote garbage on this request.
type Reply struct {
	Response *pb.ConformanceResponse
	// Failure says what went wrong with the testee, with its stderr.
	Failure string
}

// Process is one long-lived testee. It is not safe for concurrent use.
type Process struct {
	cmd Command
	// Timeout bounds the wait for each response; StartTimeout the wait for
	// the first response of a freshly started testee.
	Timeout, StartTimeout time.Duration
	// Window is how many requests may be in flight ahead of the responses.
	Window int
	// Restarts counts the restarts after a failure.
	Restarts int

	proc   *exec.Cmd
	stdin  io.WriteCloser
	frames chan frameOrError
	stderr *tail
	fresh  bool
}

type frameOrError struct {
	frame []byte
	err   error
}

// NewProcess returns a Process for cmd; it starts on first use.
func NewProcess(cmd Command) *Process {
	return &Process{cmd: cmd, Timeout: DefaultTimeout, StartTimeout: DefaultStartTimeout, Window: DefaultWindow}
}

// Name is the runtime's name.
func (p *Process) Name() string { return p.cmd.Name }

func (p *Process) start() error {
	c := exec.Command(p.cmd.Path, p.cmd.Args...)
	c.Env = append(os.Environ(), p.cmd.Env...)
	c.Dir = p.cmd.Dir
	p.stderr = &tail{max: 16 << 10}
	c.Stderr = p.stderr
	stdin, err := c.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := c.StdoutPipe()
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("start %s testee: %w", p.cmd.Name, err)
	}
	frames := make(chan frameOrError, p.window())
	go func() {
		r := bufio.NewReaderSize(stdout, 64<<10)
		for {
			f, err := ReadFrame(r)
			frames <- frameOrError{f, err}
			if err != nil {
				close(frames)
				return
			}
		}
	}()
	p.proc, p.stdin, p.frames, p.fresh = c, stdin, frames, true
	return nil
}

func (p *Process) window() int { return max(1, p.Window) }

// stop kills the testee and returns what it wrote to stderr.
func (p *Process) stop() string {
	if p.proc == nil {
		return ""
	}
	_ = p.stdin.Close()
	_ = p.proc.Process.Kill()
	for range p.frames {
	}
	_ = p.proc.Wait()
	p.proc = nil
	return strings.TrimSpace(p.stderr.String())
}

// Close ends the testee: it closes stdin, so a healthy testee exits on EOF,
// and kills it if it does not within a second.
func (p *Process) Close() error {
	if p.proc == nil {
		return nil
	}
	_ = p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.proc.Wait() }()
	select {
	case err := <-done:
		p.proc = nil
		return err
	case <-time.After(time.Second):
		_ = p.proc.Process.Kill()
		<-done
		p.proc = nil
		return fmt.Errorf("%s testee did not exit on EOF", p.cmd.Name)
	}
}

// Do sends every request and returns one Reply per request, in order. A
// testee that fails on a request is restarted and the batch goes on with the
// next request. Do returns an error only when ctx ends or the testee cannot
// start.
func (p *Process) Do(ctx context.Context, reqs []*pb.ConformanceRequest) ([]Reply, error) {
	enc := make([][]byte, len(reqs))
	for i, r := range reqs {
		b, err := proto.Marshal(r)
		if err != nil {
			return nil, err
		}
		enc[i] = AppendFrame(nil, b)
	}
	replies := make([]Reply, len(reqs))
	for i := 0; i < len(enc); {
		if p.proc == nil {
			if err := p.start(); err != nil {
				return nil, err
			}
		}
		n, failure, err := p.batch(ctx, enc[i:], replies[i:])
		i += n
		if err != nil {
			p.stop()
			return nil, err
		}
		if failure != "" {
			stderr := p.stop()
			if stderr != "" {
				failure += "\nstderr:\n" + stderr
			}
			replies[i] = Reply{Failure: failure}
			p.Restarts++
			i++
		}
	}
	return replies, nil
}

// batch pipelines reqs to the running testee. It returns how many replies it
// filled before the testee failed (failure is then non-empty and describes
// the failure on the next request).
func (p *Process) batch(ctx context.Context, reqs [][]byte, replies []Reply) (int, string, error) {
	tokens := make(chan struct{}, p.window())
	done := make(chan struct{})
	defer close(done)
	go p.write(reqs, tokens, done)
	timer := time.NewTimer(p.timeout())
	defer timer.Stop()
	for i := range reqs {
		select {
		case f, ok := <-p.frames:
			if !ok || f.err != nil {
				if !ok || errors.Is(f.err, io.EOF) {
					return i, p.cmd.Name + " testee exited", nil
				}
				return i, fmt.Sprintf("%s testee wrote garbage: %v", p.cmd.Name, f.err), nil
			}
			resp := &pb.ConformanceResponse{}
			if err := proto.Unmarshal(f.frame, resp); err != nil {
				return i, fmt.Sprintf("%s testee wrote garbage: not a ConformanceResponse: %v", p.cmd.Name, err), nil
			}
			replies[i] = Reply{Response: resp}
			p.fresh = false
			<-tokens
			timer.Reset(p.timeout())
		case <-timer.C:
			return i, fmt.Sprintf("%s testee timed out after %v", p.cmd.Name, p.timeout()), nil
		case <-ctx.Done():
			return i, "", ctx.Err()
		}
	}
	return len(reqs), "", nil
}

func (p *Process) timeout() time.Duration {
	if p.fresh {
		return p.StartTimeout + p.Timeout
	}
	return p.Timeout
}

// write sends reqs, at most Window ahead of the responses, coalescing the
// requests it may send at once into one write.
func (p *Process) write(reqs [][]byte, tokens chan struct{}, done chan struct{}) {
	var buf []byte
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		_, err := p.stdin.Write(buf)
		buf = buf[:0]
		return err == nil
	}
	for _, r := range reqs {
		select {
		case tokens <- struct{}{}:
		default:
			if !flush() {
				return
			}
			select {
			case tokens <- struct{}{}:
			case <-done:
				return
			}
		}
		buf = append(buf, r...)
		if len(buf) >= 256<<10 && !flush() {
			return
		}
	}
	flush()
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
