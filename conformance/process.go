package conformance

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
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
	// Size is the full size of a payload the run kept only in part (0:
	// kept whole).
	Size int
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
	// PeakRSS is the largest resident set, in bytes, of any testee process
	// that has exited (0 where the platform does not say).
	PeakRSS int64

	proc   *exec.Cmd
	stdin  io.WriteCloser
	frames chan frameOrError
	stderr *tail
	fresh  bool
	live   int64
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
	p.sample()
	_ = p.stdin.Close()
	_ = p.proc.Process.Kill()
	for range p.frames {
	}
	_ = p.proc.Wait()
	p.exited()
	return strings.TrimSpace(p.stderr.String())
}

// sample records the peak memory of the running testee, where the
// platform can tell while it runs.
func (p *Process) sample() {
	p.live = livePeakRSS(p.proc.Process.Pid)
	p.PeakRSS = max(p.PeakRSS, p.live)
}

// exited records the resource use of the testee that just ended: the
// exit status's figure where sample had none.
func (p *Process) exited() {
	if p.live == 0 {
		p.PeakRSS = max(p.PeakRSS, peakRSS(p.proc.ProcessState))
	}
	p.proc, p.live = nil, 0
}

// Close ends the testee: it closes stdin, so a healthy testee exits on EOF,
// and kills it if it does not within a second.
func (p *Process) Close() error {
	if p.proc == nil {
		return nil
	}
	p.sample()
	_ = p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.proc.Wait() }()
	select {
	case err := <-done:
		p.exited()
		return err
	case <-time.After(time.Second):
		_ = p.proc.Process.Kill()
		<-done
		p.exited()
		return fmt.Errorf("%s testee did not exit on EOF", p.cmd.Name)
	}
}

// Do sends every request and returns one Reply per request, in order. A
// testee that fails on a request is restarted and the batch goes on with the
// next request. Do returns an error only when ctx ends or the testee cannot
// start. Requests are encoded as they are written, so a batch of large
// requests is not held twice in memory.
func (p *Process) Do(ctx context.Context, reqs []*pb.ConformanceRequest) ([]Reply, error) {
	for i, r := range reqs {
		if !utf8.ValidString(r.GetMessageType()) || !utf8.ValidString(r.GetJsonPayload()) || !utf8.ValidString(r.GetTextPayload()) {
			return nil, fmt.Errorf("request %d (%s): a string of the request is not valid UTF-8", i+1, r.GetMessageType())
		}
	}
	replies := make([]Reply, len(reqs))
	for i := 0; i < len(reqs); {
		if p.proc == nil {
			if err := p.start(); err != nil {
				return nil, err
			}
		}
		n, failure, err := p.batch(ctx, reqs[i:], replies[i:])
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
func (p *Process) batch(ctx context.Context, reqs []*pb.ConformanceRequest, replies []Reply) (int, string, error) {
	tokens := make(chan struct{}, p.window())
	done := make(chan struct{})
	defer close(done)
	go p.write(reqs, tokens, done)
	timeout := p.timeoutFor(reqs[0])
	timer := time.NewTimer(timeout)
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
			resp, err := parseResponse(f.frame)
			if err != nil {
				return i, fmt.Sprintf("%s testee wrote garbage: not a ConformanceResponse: %v", p.cmd.Name, err), nil
			}
			replies[i] = Reply{Response: resp}
			p.fresh = false
			<-tokens
			if i+1 < len(reqs) {
				timeout = p.timeoutFor(reqs[i+1])
				timer.Reset(timeout)
			}
		case <-timer.C:
			return i, fmt.Sprintf("%s testee timed out after %v", p.cmd.Name, timeout), nil
		case <-ctx.Done():
			return i, "", ctx.Err()
		}
	}
	return len(reqs), "", nil
}

// SizeAllowance is how many request bytes add a second to the per-case
// timeout: moving and parsing a 65 MiB message takes longer than a small
// one, on a loaded machine too.
const SizeAllowance = 8 << 20

// timeoutFor is the wait for the response to req: Timeout (plus
// StartTimeout for a fresh testee), plus a second per SizeAllowance bytes.
func (p *Process) timeoutFor(req *pb.ConformanceRequest) time.Duration {
	d := p.Timeout
	if p.fresh {
		d += p.StartTimeout
	}
	return d + time.Duration(proto.Size(req)/SizeAllowance)*time.Second
}

// write sends reqs, at most Window ahead of the responses, encoding each
// request as it goes and coalescing the requests it may send at once into
// one write.
func (p *Process) write(reqs []*pb.ConformanceRequest, tokens chan struct{}, done chan struct{}) {
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
		if pl := r.GetProtobufPayload(); len(pl) >= bigPayload {
			// A large payload is written from the request itself rather
			// than copied into the frame.
			buf = appendFrameHead(buf, r)
			if !flush() {
				return
			}
			if _, err := p.stdin.Write(pl); err != nil {
				return
			}
			buf = nil
			continue
		}
		var err error
		if buf, err = appendRequest(buf, r); err != nil {
			// Not encodable: send an empty request, which the testee
			// answers with a runtime error naming no payload.
			buf, _ = appendRequest(buf, &pb.ConformanceRequest{})
		}
		if len(buf) >= 256<<10 {
			if !flush() {
				return
			}
			if cap(buf) > 1<<20 {
				buf = nil // do not keep a large request's buffer
			}
		}
	}
	flush()
}

// bigPayload is the size from which a binary payload is written and read
// in place rather than copied.
const bigPayload = 1 << 20

// appendFrameHead appends the frame of req up to its binary payload: the
// length, the other fields, the payload's tag and length. The payload
// itself follows (field order does not matter on the wire).
func appendFrameHead(dst []byte, req *pb.ConformanceRequest) []byte {
	head := &pb.ConformanceRequest{
		RequestedOutputFormat: req.GetRequestedOutputFormat(),
		MessageType:           req.GetMessageType(),
		TestCategory:          req.GetTestCategory(),
		JspbEncodingOptions:   req.GetJspbEncodingOptions(),
		PrintUnknownFields:    req.GetPrintUnknownFields(),
	}
	pl := req.GetProtobufPayload()
	size := proto.Size(head) + protowire.SizeTag(1) + protowire.SizeBytes(len(pl))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(size))
	dst, _ = proto.MarshalOptions{}.MarshalAppend(dst, head)
	dst = protowire.AppendTag(dst, 1, protowire.BytesType)
	return protowire.AppendVarint(dst, uint64(len(pl)))
}

// parseResponse reads a response frame. A large frame holding only a
// binary payload keeps the payload in the frame instead of copying it.
func parseResponse(frame []byte) (*pb.ConformanceResponse, error) {
	if len(frame) >= bigPayload {
		if num, typ, n := protowire.ConsumeTag(frame); n > 0 && num == 3 && typ == protowire.BytesType {
			if v, m := protowire.ConsumeBytes(frame[n:]); m > 0 && n+m == len(frame) {
				return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: v}}, nil
			}
		}
	}
	resp := &pb.ConformanceResponse{}
	return resp, proto.Unmarshal(frame, resp)
}

// appendRequest appends req as a frame to dst.
func appendRequest(dst []byte, req *pb.ConformanceRequest) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, req)
	if err != nil {
		return dst[:start], err
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst, nil
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
