package conformance

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"
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
	// Origin is the runtime a round-trip case starts in (empty for the
	// others); Return is the origin's answer to the other runtime's output.
	Origin string
	Return Reply
	// InputSize is the size of the input payload; a large one is kept only
	// in part once judged (see Reply.Size).
	InputSize int
	Problems  []Problem
	Status    Status
}

// Run is one differential run.
type Run struct {
	// Go and Python are the testees; Run does not close them.
	Go, Python *Process
	// Types resolves the message types of the cases in the driver.
	Types Resolver
	// Expectations are the known divergences; nil is none. Only the
	// entries active for Versions apply.
	Expectations *Expectations
	// Versions are what the testees report (runtime -> package ->
	// version); they decide which expectations are active.
	Versions map[string]map[string]string
}

// Report is what a run found.
type Report struct {
	Results  []Result
	Duration time.Duration
	// Restarts counts testee restarts per runtime.
	Restarts map[string]int
	// Drift is the result of the drift check, when it ran.
	Drift *Drift
	// Inactive are the expectations that did not apply, because the
	// running versions are outside their ranges.
	Inactive []Expectation
	// PeakRSS is the largest resident set in bytes of the driver and of
	// each runtime's testees, when known.
	PeakRSS map[string]int64
}

// chunkBytes bounds the payload bytes of the requests in flight at once: a
// run holds the replies of one chunk before judging them, so a suite with
// messages above 64 MiB does not hold them all at once.
const chunkBytes = 16 << 20

// Execute sends every request of the suites to both testees at once and
// judges each pair of replies. Requests go in chunks of at most chunkBytes
// of payload (a larger request is a chunk of its own); a round-trip case
// takes three legs (origin, both runtimes, back to the origin), each leg
// pipelined over the whole chunk.
func (r *Run) Execute(ctx context.Context, suites ...*Suite) (*Report, error) {
	var reqs []Request
	for _, s := range suites {
		reqs = append(reqs, s.Requests()...)
	}
	active, inactive := r.Expectations.Active(r.Versions)
	rep := &Report{Inactive: inactive}
	start := time.Now()
	for len(reqs) > 0 {
		n, size := 0, 0
		for n < len(reqs) && (n == 0 || size+proto.Size(reqs[n].Req) <= chunkBytes) {
			size += proto.Size(reqs[n].Req)
			n++
		}
		big := large(reqs[:n])
		results, err := r.chunk(ctx, reqs[:n], active)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, results...)
		clear(reqs[:n]) // the results keep what they need
		reqs = reqs[n:]
		if big {
			debug.FreeOSMemory() // give a large chunk's memory back
		}
	}
	rep.Duration = time.Since(start)
	rep.Restarts = map[string]int{RuntimeGo: r.Go.Restarts, RuntimePython: r.Python.Restarts}
	return rep, nil
}

// leg is one request of a round trip's first or last leg, and the indexes
// in the chunk of the requests its reply is for.
type leg struct {
	runtime string
	req     *pb.ConformanceRequest
	for_    []int
}

// chunk runs and judges one chunk of requests.
func (r *Run) chunk(ctx context.Context, reqs []Request, active *Expectations) ([]Result, error) {
	results := make([]Result, len(reqs))
	for i, q := range reqs {
		results[i] = Result{ID: q.ID, Suite: q.Suite, Group: q.Case.Group, Case: q.Case, Request: q.Req, Origin: q.Case.Origin, InputSize: payloadSize(q.Req)}
	}

	// First leg: the origin rewrites the seed of each round-trip case (once
	// per case: the requests of its outputs share it).
	var first []leg
	byCase := map[*Case]int{}
	for i, q := range reqs {
		if q.Case.Origin == "" {
			continue
		}
		if k, ok := byCase[q.Case]; ok {
			first[k].for_ = append(first[k].for_, i)
			continue
		}
		byCase[q.Case] = len(first)
		first = append(first, leg{runtime: q.Case.Origin, req: rewrite(q.Req), for_: []int{i}})
	}
	firstReplies, err := r.legs(ctx, first, len(reqs))
	if err != nil {
		return nil, err
	}
	send := make([]int, 0, len(reqs))
	failed := map[int]Problem{}
	for i := range reqs {
		rt := reqs[i].Case.Origin
		if rt == "" {
			send = append(send, i)
			continue
		}
		in, err := asInput(firstReplies[i])
		if err != nil {
			failed[i] = Problem{Runtime: rt, Message: fmt.Sprintf("the origin (%s) could not write the seed: %v", rt, err)}
			continue
		}
		req := withPayload(reqs[i].Req, in)
		req.RequestedOutputFormat = reqs[i].Req.GetRequestedOutputFormat()
		results[i].Request, results[i].InputSize = req, payloadSize(req)
		send = append(send, i)
	}

	// Second leg: every request to both runtimes.
	msgs := make([]*pb.ConformanceRequest, len(send))
	for k, i := range send {
		msgs[k] = results[i].Request
	}
	var goReplies, pyReplies []Reply
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { goReplies, err = r.Go.Do(gctx, msgs); return err })
	g.Go(func() (err error) { pyReplies, err = r.Python.Do(gctx, msgs); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for k, i := range send {
		results[i].Go, results[i].Python = goReplies[k], pyReplies[k]
	}
	if large(reqs) {
		runtime.GC() // drop the written frames before comparing large replies
	}

	// Last leg: the other runtime's output back to the origin.
	var last []leg
	for _, i := range send {
		rt := reqs[i].Case.Origin
		if rt == "" {
			continue
		}
		other := results[i].Python
		if rt == RuntimePython {
			other = results[i].Go
		}
		in, err := asInput(other)
		if err != nil {
			continue // the second leg's judgement reports it
		}
		req := withPayload(reqs[i].Req, in)
		req.RequestedOutputFormat = reqs[i].Req.GetRequestedOutputFormat()
		last = append(last, leg{runtime: rt, req: req, for_: []int{i}})
	}
	lastReplies, err := r.legs(ctx, last, len(reqs))
	if err != nil {
		return nil, err
	}
	for i := range lastReplies {
		results[i].Return = lastReplies[i]
	}

	for i, q := range reqs {
		if p, ok := failed[i]; ok {
			results[i].Problems = []Problem{p}
		} else {
			results[i].Problems = r.problems(q, &results[i])
		}
		expect(&results[i], active)
		compact(&results[i])
	}
	return results, nil
}

// legs sends the requests of a first or last leg to their runtimes, both
// runtimes at once, and returns the replies by request index (n of them).
func (r *Run) legs(ctx context.Context, legs []leg, n int) ([]Reply, error) {
	out := make([]Reply, n)
	if len(legs) == 0 {
		return out, nil
	}
	byRuntime := map[string][]leg{}
	for _, l := range legs {
		byRuntime[l.runtime] = append(byRuntime[l.runtime], l)
	}
	replies := map[string][]Reply{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for rt, ls := range byRuntime {
		proc := r.Go
		if rt == RuntimePython {
			proc = r.Python
		}
		msgs := make([]*pb.ConformanceRequest, len(ls))
		for k, l := range ls {
			msgs[k] = l.req
		}
		g.Go(func() error {
			rs, err := proc.Do(gctx, msgs)
			mu.Lock()
			replies[rt] = rs
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for rt, ls := range byRuntime {
		for k, l := range ls {
			for _, i := range l.for_ {
				out[i] = replies[rt][k]
			}
		}
	}
	return out, nil
}

// rewrite is the first-leg request for req: read the seed, write it back in
// the same format.
func rewrite(req *pb.ConformanceRequest) *pb.ConformanceRequest {
	out := withPayload(req, req)
	out.RequestedOutputFormat = pb.WireFormat_PROTOBUF
	if _, ok := req.GetPayload().(*pb.ConformanceRequest_JsonPayload); ok {
		out.RequestedOutputFormat = pb.WireFormat_JSON
	}
	return out
}

// withPayload is a copy of req's type and category with from's payload.
func withPayload(req, from *pb.ConformanceRequest) *pb.ConformanceRequest {
	out := &pb.ConformanceRequest{MessageType: req.GetMessageType(), TestCategory: req.GetTestCategory()}
	switch p := from.GetPayload().(type) {
	case *pb.ConformanceRequest_ProtobufPayload:
		out.Payload = p
		out.TestCategory = pb.TestCategory_BINARY_TEST
	case *pb.ConformanceRequest_JsonPayload:
		out.Payload = p
		if out.TestCategory != pb.TestCategory_JSON_IGNORE_UNKNOWN_PARSING_TEST {
			out.TestCategory = pb.TestCategory_JSON_TEST
		}
	}
	return out
}

// asInput turns a binary or JSON reply into a request payload.
func asInput(r Reply) (*pb.ConformanceRequest, error) {
	switch x := r.Response.GetResult().(type) {
	case *pb.ConformanceResponse_ProtobufPayload:
		return &pb.ConformanceRequest{Payload: &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: x.ProtobufPayload}}, nil
	case *pb.ConformanceResponse_JsonPayload:
		return &pb.ConformanceRequest{Payload: &pb.ConformanceRequest_JsonPayload{JsonPayload: x.JsonPayload}}, nil
	}
	return nil, fmt.Errorf("%s", strings.TrimPrefix(replyText(r), "testee failure: "))
}

// problems judges one request's replies: each runtime against the case's
// want, then the two runtimes against each other, then a round trip's
// return against the origin's own output.
func (r *Run) problems(q Request, res *Result) []Problem {
	var probs []Problem
	for _, rt := range []struct {
		name  string
		reply Reply
	}{{RuntimeGo, res.Go}, {RuntimePython, res.Python}} {
		if msg := violation(q.Case.Want, rt.reply); msg != "" {
			probs = append(probs, Problem{Runtime: rt.name, Message: msg})
		}
	}
	if len(probs) > 0 {
		return probs
	}
	var mt protoreflect.MessageType
	if t, err := r.Types.FindMessageByName(protoreflect.FullName(q.Req.GetMessageType())); err == nil {
		mt = t
	}
	if d := Compare(mt, r.Types, res.Go, res.Python, !q.MeaningOnly); d != "" {
		probs = append(probs, Problem{Runtime: RuntimeGoPython, Message: d})
	}
	if res.Origin != "" && (res.Return.Response != nil || res.Return.Failure != "") {
		own, other := res.Go, RuntimePython
		if res.Origin == RuntimePython {
			own, other = res.Python, RuntimeGo
		}
		// The same writer wrote both, so binary output must match byte
		// for byte.
		if d := Compare(mt, r.Types, own, res.Return, true); d != "" {
			probs = append(probs, Problem{Runtime: RuntimeGoPython, Message: fmt.Sprintf("round trip %s -> %s -> %s: what %s wrote after the trip differs from what it wrote itself: %s", res.Origin, other, res.Origin, res.Origin, d)})
		}
	}
	return probs
}

// expect marks the problems the active expectations cover, adds a problem
// for each expectation that no longer happens, and sets the status.
func expect(res *Result, active *Expectations) {
	stale := false
	for _, e := range active.matching(res.ID) {
		hit := false
		for i := range res.Problems {
			if res.Problems[i].Runtime == e.Runtime {
				res.Problems[i].Expected, hit = e, true
			}
		}
		if !hit {
			stale = true
			res.Problems = append(res.Problems, Problem{Runtime: e.Runtime, Message: fmt.Sprintf("expected divergence no longer happens (%q: %s); remove the entry from the expectations", e.Case, e.Reason)})
		}
	}
	switch {
	case len(res.Problems) == 0:
		res.Status = StatusPassed
	case stale:
		res.Status = StatusFailed
	default:
		res.Status = StatusExpected
		for _, p := range res.Problems {
			if p.Expected == nil {
				res.Status = StatusFailed
			}
		}
	}
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

// payloadSize is the size of a request's input payload.
func payloadSize(req *pb.ConformanceRequest) int {
	return len(req.GetProtobufPayload()) + len(req.GetJsonPayload()) + len(req.GetTextPayload())
}

// judge is the verdict on one request whose replies are known (no round
// trip).
func (r *Run) judge(q Request, goReply, pyReply Reply) Result {
	res := Result{ID: q.ID, Suite: q.Suite, Group: q.Case.Group, Case: q.Case, Request: q.Req, Go: goReply, Python: pyReply, InputSize: payloadSize(q.Req)}
	res.Problems = r.problems(q, &res)
	active, _ := r.Expectations.Active(r.Versions)
	expect(&res, active)
	return res
}

// large reports a chunk of one request above chunkBytes.
func large(reqs []Request) bool {
	return len(reqs) == 1 && proto.Size(reqs[0].Req) > chunkBytes
}
