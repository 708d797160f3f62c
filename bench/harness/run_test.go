package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExecCountsDescendants(t *testing.T) {
	t.Parallel()
	r := &runner{env: os.Environ(), timeout: time.Minute, log: io.Discard}
	// The busy loop runs in a subshell: a descendant of the measured child.
	s, err := r.exec(context.Background(), `(i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done); true`)
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU() < 10*time.Millisecond {
		t.Errorf("cpu %s for a busy subshell, want at least 10ms", s.CPU())
	}
	if s.Wall <= 0 || s.MaxRSS <= 0 {
		t.Errorf("wall %s, max rss %d; want both positive", s.Wall, s.MaxRSS)
	}
}

func TestExecReportsFailure(t *testing.T) {
	t.Parallel()
	r := &runner{env: os.Environ(), timeout: time.Minute, log: io.Discard}
	_, err := r.exec(context.Background(), "echo boom >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("got %v, want exit status 3 with the stderr text", err)
	}
	r.timeout = 50 * time.Millisecond
	_, err = r.exec(context.Background(), "sleep 5")
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("got %v, want a timeout", err)
	}
}

func TestRunAlternatesWithPrepare(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	specPath := filepath.Join(dir, "spec.json")
	spec := `{"dir": "` + dir + `", "runs": 2, "scenarios": [{"name": "s", "prepare": "echo p >> order",
	  "commands": [{"name": "a", "run": "echo a >> order"}, {"name": "b", "run": "echo b >> order", "prepare": "echo q >> order"}]}]}`
	if err := os.WriteFile(specPath, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	jsonPath := filepath.Join(dir, "out.json")
	if err := run(context.Background(), []string{"-spec", specPath, "-json", jsonPath}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	order, err := os.ReadFile(filepath.Join(dir, "order"))
	if err != nil {
		t.Fatal(err)
	}
	// One warm-up round, then two counted rounds.
	want := strings.Repeat("p\na\np\nq\nb\n", 3)
	if string(order) != want {
		t.Errorf("order of runs:\n%s\nwant:\n%s", order, want)
	}
	if !strings.Contains(out.String(), "× a") {
		t.Errorf("table has no ratio against a:\n%s", out.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"ratio_to": "a"`)) || bytes.Count(data, []byte(`"wall_s"`)) != 4 {
		t.Errorf("json report lacks the ratio or has the wrong number of samples:\n%s", data)
	}
}
