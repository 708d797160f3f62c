package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// spec is what the harness runs: scenarios, each a set of commands that run
// alternately, each run after an untimed prepare step.
type spec struct {
	// Dir is the working directory of every command; default the current
	// directory.
	Dir string `json:"dir,omitempty"`
	// Runs is the number of counted runs of each command (default 5).
	Runs int `json:"runs,omitempty"`
	// Warmup is the number of uncounted runs of each command before the
	// counted ones (default 1; -1 for none).
	Warmup int `json:"warmup,omitempty"`
	// Env is added to the harness's environment for every command.
	Env map[string]string `json:"env,omitempty"`
	// Timeout bounds one run, as a Go duration ("10m"; default 30m).
	Timeout   string     `json:"timeout,omitempty"`
	Scenarios []scenario `json:"scenarios"`
}

// scenario is one situation (cold output, no-op, one file changed) in
// which every command is measured; the first command is the baseline the
// others' ratios refer to.
type scenario struct {
	Name string `json:"name"`
	// Prepare runs (untimed, with sh -c) before every run of every command.
	Prepare  string    `json:"prepare,omitempty"`
	Commands []command `json:"commands"`
}

// command is one measured command line, run with sh -c.
type command struct {
	Name string `json:"name"`
	Run  string `json:"run"`
	// Prepare runs after the scenario's prepare, before each run of this
	// command only.
	Prepare string `json:"prepare,omitempty"`
}

// readSpec loads and checks a JSON spec file.
func readSpec(path string) (*spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s spec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + strings.Count(string(data[:se.Offset]), "\n")
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// check fills in defaults and rejects specs that cannot run.
func (s *spec) check() error {
	if s.Runs == 0 {
		s.Runs = 5
	}
	switch {
	case s.Warmup == 0:
		s.Warmup = 1
	case s.Warmup < 0:
		s.Warmup = 0
	}
	if s.Runs < 1 {
		return fmt.Errorf("runs must be at least 1, not %d", s.Runs)
	}
	if s.Timeout == "" {
		s.Timeout = "30m"
	}
	if d, err := time.ParseDuration(s.Timeout); err != nil || d <= 0 {
		return fmt.Errorf("timeout %q is not a positive duration", s.Timeout)
	}
	if len(s.Scenarios) == 0 {
		return fmt.Errorf("no scenarios")
	}
	seen := map[string]bool{}
	for i, sc := range s.Scenarios {
		if sc.Name == "" {
			return fmt.Errorf("scenario %d has no name", i+1)
		}
		if seen[sc.Name] {
			return fmt.Errorf("scenario %q is listed twice", sc.Name)
		}
		seen[sc.Name] = true
		if len(sc.Commands) == 0 {
			return fmt.Errorf("scenario %q has no commands", sc.Name)
		}
		names := map[string]bool{}
		for j, c := range sc.Commands {
			if c.Name == "" || c.Run == "" {
				return fmt.Errorf("scenario %q: command %d needs a name and a run", sc.Name, j+1)
			}
			if names[c.Name] {
				return fmt.Errorf("scenario %q: command %q is listed twice", sc.Name, c.Name)
			}
			names[c.Name] = true
		}
	}
	return nil
}

func (s *spec) timeout() time.Duration {
	d, _ := time.ParseDuration(s.Timeout)
	return d
}
