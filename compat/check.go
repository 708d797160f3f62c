package compat

import (
	"context"
	"fmt"

	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
)

// Check compares the current image with the previous one and returns the
// breaking changes that cfg selects, with buf's messages and locations, in
// the order buf prints them (path, start, rule, message, end). Warnings report configuration that still works but should
// change (deprecated rule IDs). The error is for a bad configuration or a
// cancelled context; findings are never returned as an error.
func Check(ctx context.Context, previous, current *compile.Image, cfg Config) (diag.Set, []Warning, error) {
	if previous == nil || current == nil {
		return nil, nil, fmt.Errorf("breaking: both a previous and a current image are needed")
	}
	p, warnings, err := cfg.plan()
	if err != nil {
		return nil, nil, err
	}
	prev, cur := newIndex(previous), newIndex(current)
	var findings []diag.Finding
	for _, r := range p.rules {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		pr := &pair{prev: prev, cur: cur, rule: r}
		r.check(pr)
		for _, a := range pr.out {
			if p.ignored(r.ID, a) {
				continue
			}
			findings = append(findings, a.finding(r.ID))
		}
	}
	// diag.NewSet sorts in buf's order.
	return diag.NewSet(findings...), warnings, nil
}

// pair is what a rule sees: both indexes, and where to put annotations.
type pair struct {
	prev, cur *index
	rule      *Rule
	out       []annotation
}

// place is a location in a file: the file (nil when the element has no
// file in the current image) and the span, when the source info has one.
type place struct {
	file *fileNode
	span []int32
}

// annotation is a rule's report before filtering: where the change shows
// in the current image, where the element was in the previous one, and
// the message.
type annotation struct {
	at      place
	against place
	message string
}

// at returns the place of the first path that has a span in f, or f
// without a span when none has (buf then points at the file's first line).
func at(f *fileNode, paths ...[]int32) place {
	if f == nil {
		return place{}
	}
	for _, p := range paths {
		if p == nil {
			continue
		}
		if s, ok := f.span(p); ok {
			return place{file: f, span: s}
		}
	}
	return place{file: f}
}

func (pr *pair) report(cur, prev place, format string, args ...any) {
	pr.out = append(pr.out, annotation{at: cur, against: prev, message: fmt.Sprintf(format, args...)})
}

func (a annotation) finding(rule string) diag.Finding {
	f := diag.Finding{StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1, Type: rule, Message: a.message}
	if a.at.file == nil {
		return f
	}
	f.Path = a.at.file.local
	switch s := a.at.span; len(s) {
	case 3:
		f.StartLine, f.StartColumn, f.EndLine, f.EndColumn = int(s[0])+1, int(s[1])+1, int(s[0])+1, int(s[2])+1
	case 4:
		f.StartLine, f.StartColumn, f.EndLine, f.EndColumn = int(s[0])+1, int(s[1])+1, int(s[2])+1, int(s[3])+1
	}
	return f
}

// ignored applies ignore, ignore_only and ignore_unstable_packages to both
// the current and the previous file of an annotation, as buf does.
func (p *plan) ignored(rule string, a annotation) bool {
	for _, f := range []*fileNode{a.at.file, a.against.file} {
		if f == nil {
			continue
		}
		if covers(p.ignore, f.local) || covers(p.ignoreOnly[rule], f.local) {
			return true
		}
		if p.unstable && unstablePackage(f.p.GetPackage()) {
			return true
		}
	}
	return false
}
