package gitfs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// catFile is one `git cat-file --batch` process, shared by every read of
// an FS and its sub-trees. Requests are serialized: one object id in, one
// header and the object's bytes out.
type catFile struct {
	repo repo

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	closed bool
	err    error // a start or protocol failure; every later read returns it
}

// read returns the content of the blob oid.
func (c *catFile) read(oid string, size int64) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("git tree is closed")
	}
	if c.err != nil {
		return nil, c.err
	}
	if c.cmd == nil {
		if err := c.start(); err != nil {
			c.err = err
			return nil, err
		}
	}
	data, err := c.request(oid, size)
	if err != nil {
		c.err = err
		c.cmd.Process.Kill() // it may be blocked writing a reply no one reads
		c.stop()
	}
	return data, err
}

func (c *catFile) start() error {
	// Not tied to a context: the process lives as long as the FS.
	cmd := c.repo.command(context.Background(), "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting git cat-file: %w", err)
	}
	c.cmd, c.stdin, c.stdout = cmd, stdin, bufio.NewReaderSize(stdout, 64<<10)
	return nil
}

func (c *catFile) request(oid string, size int64) ([]byte, error) {
	if _, err := io.WriteString(c.stdin, oid+"\n"); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	header, err := c.stdout.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("git cat-file: reading object %s: %w", oid, err)
	}
	fields := strings.Fields(header)
	if len(fields) == 2 && fields[1] == "missing" {
		return nil, fmt.Errorf("git object %s is missing from the repository (a partial or shallow clone?)", oid)
	}
	if len(fields) != 3 || fields[0] != oid {
		return nil, fmt.Errorf("git cat-file: unexpected reply %q for object %s", strings.TrimSpace(header), oid)
	}
	n, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil || n < 0 || (size >= 0 && n != size) {
		return nil, fmt.Errorf("git cat-file: unexpected size in %q for object %s", strings.TrimSpace(header), oid)
	}
	data := make([]byte, n+1) // the content and a trailing newline
	if _, err := io.ReadFull(c.stdout, data); err != nil {
		return nil, fmt.Errorf("git cat-file: reading object %s: %w", oid, err)
	}
	return data[:n], nil
}

// close ends the process; later reads fail.
func (c *catFile) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.stop()
}

func (c *catFile) stop() error {
	if c.cmd == nil {
		return nil
	}
	c.stdin.Close() // cat-file exits at end of input
	err := c.cmd.Wait()
	c.cmd = nil
	if err != nil && c.err == nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	return nil
}
