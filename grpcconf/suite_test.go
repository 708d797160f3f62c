package grpcconf

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

// TestSuitePasses runs the whole suite against the Python reference
// server in both of its modes at once (goroutines, not parallel subtests,
// so that the keepalive idle periods overlap); every case must pass or be
// an expected failure.
func TestSuitePasses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the python server for about 35s")
	}
	modes := []string{"sync", "aio"}
	cases := Cases(Options{})
	targets := make([]map[Profile]string, len(modes))
	for i, mode := range modes {
		targets[i] = startServers(t, mode, cases, ServerArgs)
	}
	reports := make([]*Report, len(modes))
	errs := make([]error, len(modes))
	var wg sync.WaitGroup
	for i, mode := range modes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &Runner{Targets: targets[i], Mode: mode, Expectations: Expectations}
			reports[i], errs[i] = r.Run(context.Background(), cases)
		}()
	}
	wg.Wait()
	for i, mode := range modes {
		rep, err := reports[i], errs[i]
		if err != nil {
			t.Errorf("%s: %v", mode, err)
			continue
		}
		if len(rep.Results) != len(cases) {
			t.Errorf("%s: %d results for %d cases", mode, len(rep.Results), len(cases))
		}
		if rep.Failed() > 0 {
			var b bytes.Buffer
			_ = rep.PrintText(&b, Header{Server: mode}, nil)
			t.Errorf("%d of %d cases failed against the %s server:\n%s", rep.Failed(), len(cases), mode, b.String())
		}
	}
}

// TestSuiteNoticesBrokenServer starts the "default limits" server with
// raised limits, and the raised-limits server with the defaults: the
// limit cases must fail, each saying what it got.
func TestSuiteNoticesBrokenServer(t *testing.T) {
	t.Parallel()
	cases, err := Select(Cases(Options{}), "limits")
	if err != nil {
		t.Fatal(err)
	}
	swapped := map[Profile][]string{ProfileDefault: ServerArgs[ProfileRaised], ProfileRaised: ServerArgs[ProfileDefault]}
	targets := startServers(t, "sync", cases, swapped)
	rep, err := (&Runner{Targets: targets}).Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"limits/request_over_default": "call succeeded, want ResourceExhausted",
		"limits/raised_request":       "ResourceExhausted",
		"limits/raised_response":      "ResourceExhausted",
	}
	for _, r := range rep.Results {
		msg, shouldFail := want[r.Name]
		switch {
		case shouldFail && r.Passed:
			t.Errorf("%s passed against a server with swapped limits, want a failure", r.Name)
		case shouldFail && !strings.Contains(r.Message, msg):
			t.Errorf("%s failed with %q, want it to mention %q", r.Name, r.Message, msg)
		}
	}
	if rep.Failed() < len(want) {
		t.Errorf("Failed() = %d, want at least %d", rep.Failed(), len(want))
	}
}
