package conformance

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// filesWithPrefix returns the generated files whose package starts with prefix.
func filesWithPrefix(prefix string) []protoreflect.FileDescriptor {
	var out []protoreflect.FileDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), prefix) {
			out = append(out, fd)
		}
		return true
	})
	return out
}

func TestContractSuiteIsDeterministic(t *testing.T) {
	t.Parallel()
	msgs := MessagesOf(filesWithPrefix("acme."))
	if len(msgs) == 0 {
		t.Fatal("no acme messages linked")
	}
	a, err := ContractSuite(msgs, GeneratedTypes(), 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ContractSuite(msgs, GeneratedTypes(), 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.Requests(), b.Requests(), cmp.Comparer(func(x, y Request) bool {
		return x.ID == y.ID && x.Req.String() == y.Req.String()
	})); diff != "" {
		t.Errorf("same seed, different suites (-first +second):\n%s", diff)
	}
	c, err := ContractSuite(msgs, GeneratedTypes(), 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	ra, rc := a.Requests(), c.Requests()
	if len(rc) != len(ra) || ra[0].Req.String() == rc[0].Req.String() && ra[8].Req.String() == rc[8].Req.String() {
		t.Errorf("another seed should give other instances")
	}
	if want := 4 * 3 * len(msgs); len(a.Cases) != want {
		t.Errorf("got %d cases, want %d (binary and JSON input per instance, from each origin)", len(a.Cases), want)
	}
	origins := map[string]int{}
	for _, x := range a.Cases {
		origins[x.Origin]++
	}
	if diff := cmp.Diff(map[string]int{RuntimeGo: 2 * 3 * len(msgs), RuntimePython: 2 * 3 * len(msgs)}, origins); diff != "" {
		t.Errorf("cases by origin (-want +got):\n%s", diff)
	}
	if _, err := ContractSuite([]protoreflect.FullName{"no.such.Message"}, GeneratedTypes(), 1, 1); err == nil || !strings.Contains(err.Error(), "no.such.Message has no generated type") {
		t.Errorf("unknown message: got %v", err)
	}
}

// TestContractSuite runs random instances of every contract message and of
// the all-types messages through both runtimes.
func TestContractSuite(t *testing.T) {
	t.Parallel()
	g, p := NewProcess(goTestee(t)), NewProcess(pythonTestee(t))
	defer g.Close()
	defer p.Close()
	for _, prefix := range []string{"acme.", "protoctl.testing."} {
		s, err := ContractSuite(MessagesOf(filesWithPrefix(prefix)), GeneratedTypes(), 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := (&Run{Go: g, Python: p, Types: GeneratedTypes()}).Execute(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed() > 0 {
			var b strings.Builder
			_ = rep.PrintText(&b, Header{}, nil)
			t.Errorf("%s: %d of %d requests failed:\n%s", prefix, rep.Failed(), len(rep.Results), b.String())
		}
		t.Logf("%s: %d requests in %v", prefix, len(rep.Results), rep.Duration)
	}
}
