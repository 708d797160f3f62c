package conformance

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// Status is a request's verdict.
type Status string

// Verdicts.
const (
	StatusPassed   Status = "passed"
	StatusFailed   Status = "failed"
	StatusExpected Status = "expected"
)

// Problem is one way a request went wrong: a runtime broke the case's
// expectation (Runtime go or python), or the runtimes disagree (go-python).
type Problem struct {
	Runtime string
	Message string
	// Expected is the expectation that covers the problem, if any.
	Expected *Expectation `json:"-"`
}

// Result is the verdict on one request.
type Result struct {
	ID, Suite, Group string
	Case             *Case
	Request          *pb.ConformanceRequest
	Go, Python       Reply
	Problems         []Problem
	Status           Status
}

// Run is one differential run.
type Run struct {
	// Go and Python are the testees; Run does not close them.
	Go, Python *Process
	// Types resolves the message types of the cases in the driver.
	Types Resolver
	// Expectations are the known divergences; nil is none.
	Expectations *Expectations
}

// Report is what a run found.
type Report struct {
	Results  []Result
	Duration time.Duration
	// Restarts counts testee restarts per runtime.
	Restarts map[string]int
	// Drift is the result of the drift check, when it ran.
	Drift *Drift
}

// Execute sends every request of the suites to both testees at once and
// judges each pair of replies.
func (r *Run) Execute(ctx context.Context, suites ...*Suite) (*Report, error) {
	var reqs []Request
	for _, s := range suites {
		reqs = append(reqs, s.Requests()...)
	}
	msgs := make([]*pb.ConformanceRequest, len(reqs))
	for i := range reqs {
		msgs[i] = reqs[i].Req
	}
	start := time.Now()
	var goReplies, pyReplies []Reply
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { goReplies, err = r.Go.Do(gctx, msgs); return err })
	g.Go(func() (err error) { pyReplies, err = r.Python.Do(gctx, msgs); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	rep := &Report{Restarts: map[string]int{RuntimeGo: r.Go.Restarts, RuntimePython: r.Python.Restarts}}
	for i, q := range reqs {
		rep.Results = append(rep.Results, r.judge(q, goReplies[i], pyReplies[i]))
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

func (r *Run) judge(q Request, goReply, pyReply Reply) Result {
	res := Result{ID: q.ID, Suite: q.Suite, Group: q.Case.Group, Case: q.Case, Request: q.Req, Go: goReply, Python: pyReply}
	var probs []Problem
	for _, rt := range []struct {
		name  string
		reply Reply
	}{{RuntimeGo, goReply}, {RuntimePython, pyReply}} {
		if msg := violation(q.Case.Want, rt.reply); msg != "" {
			probs = append(probs, Problem{Runtime: rt.name, Message: msg})
		}
	}
	if len(probs) == 0 {
		var mt protoreflect.MessageType
		if t, err := r.Types.FindMessageByName(protoreflect.FullName(q.Req.GetMessageType())); err == nil {
			mt = t
		}
		if d := Compare(mt, r.Types, goReply, pyReply, !q.MeaningOnly); d != "" {
			probs = append(probs, Problem{Runtime: RuntimeGoPython, Message: d})
		}
	}
	entries := r.Expectations.matching(q.ID)
	stale := false
	for _, e := range entries {
		hit := false
		for i := range probs {
			if probs[i].Runtime == e.Runtime {
				probs[i].Expected, hit = e, true
			}
		}
		if !hit {
			stale = true
			probs = append(probs, Problem{Runtime: e.Runtime, Message: fmt.Sprintf("expected divergence no longer happens (%q: %s); remove the entry from the expectations", e.Case, e.Reason)})
		}
	}
	res.Problems = probs
	switch {
	case len(probs) == 0:
		res.Status = StatusPassed
	case stale:
		res.Status = StatusFailed
	default:
		res.Status = StatusExpected
		for _, p := range probs {
			if p.Expected == nil {
				res.Status = StatusFailed
			}
		}
	}
	return res
}

// violation says how a reply breaks want, or returns "". Testee failures and
// runtime errors break every want.
func violation(want string, r Reply) string {
	k := KindOf(r)
	switch k {
	case KindFailure:
		return r.Failure
	case KindRuntimeError:
		return "runtime error: " + r.Response.GetRuntimeError()
	case KindNone:
		return "the response has no result"
	}
	ok := true
	switch want {
	case "ok":
		ok = k.IsPayload()
	case "parse_error":
		ok = k == KindParseError
	case "serialize_error":
		ok = k == KindSerializeError
	case "error":
		ok = k == KindParseError || k == KindSerializeError
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("want %s, got %s%s", want, k, errorText(r))
}

func errorText(r Reply) string {
	switch x := r.Response.GetResult().(type) {
	case *pb.ConformanceResponse_ParseError:
		return ": " + x.ParseError
	case *pb.ConformanceResponse_SerializeError:
		return ": " + x.SerializeError
	}
	return ""
}
