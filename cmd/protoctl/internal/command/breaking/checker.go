package breaking

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
	"github.com/protoctl/protoctl/input"
)

// checker is what the command needs from the rule engine. compatChecker
// is the real one; tests may use a stand-in. This file is the only one
// that imports package compat.
type checker interface {
	Rules() []rule
	Check(ctx context.Context, previous, current *compile.Image, cfg input.Breaking) (diag.Set, []string, error)
	// Explain says who a finding breaks.
	Explain(f diag.Finding) explanation
	// Summarize returns the JSON summary of the change.
	Summarize(previous, current *compile.Image) ([]byte, error)
}

// rule is one line of --list-rules, with buf's JSON field names.
type rule struct {
	ID           string   `json:"id"`
	Categories   []string `json:"categories"`
	Default      bool     `json:"default"`
	Purpose      string   `json:"purpose"`
	Deprecated   bool     `json:"deprecated"`
	Replacements []string `json:"replacements"`
}

type compatChecker struct{}

func (compatChecker) Rules() []rule {
	var out []rule
	for _, r := range compat.Rules() {
		out = append(out, rule{
			ID:           r.ID,
			Categories:   r.Categories,
			Default:      slices.Contains(r.Categories, "FILE"),
			Purpose:      r.Purpose,
			Deprecated:   r.Deprecated,
			Replacements: r.ReplacedBy,
		})
	}
	return out
}

func (compatChecker) Check(ctx context.Context, previous, current *compile.Image, cfg input.Breaking) (diag.Set, []string, error) {
	set, warnings, err := compat.Check(ctx, previous, current, compat.Config{
		Use:                    cfg.Use,
		Except:                 cfg.Except,
		Ignore:                 cfg.Ignore,
		IgnoreOnly:             cfg.IgnoreOnly,
		IgnoreUnstablePackages: cfg.IgnoreUnstablePackages,
	})
	if err != nil {
		return nil, nil, err
	}
	msgs := make([]string, len(warnings))
	for i, w := range warnings {
		msgs[i] = w.Message
	}
	return set, msgs, nil
}

// explanation is who a finding breaks: impacts in audience order, and
// the audiences it leaves alone.
type explanation struct {
	breaks []impact
	safe   []string
}

type impact struct{ audience, detail string }

func (compatChecker) Explain(f diag.Finding) explanation {
	e := compat.Explain(f)
	var out explanation
	for _, b := range e.Breaks {
		out.breaks = append(out.breaks, impact{audienceName(b.Audience), b.Detail})
	}
	for _, a := range e.Safe {
		out.safe = append(out.safe, audienceName(a))
	}
	return out
}

func audienceName(a string) string {
	switch a {
	case compat.AudienceWire:
		return "wire"
	case compat.AudienceJSON:
		return "JSON"
	case compat.AudienceGo:
		return "Go"
	case compat.AudiencePython:
		return "Python"
	case compat.AudienceOther:
		return "other languages"
	}
	return a
}

func (compatChecker) Summarize(previous, current *compile.Image) ([]byte, error) {
	data, err := json.MarshalIndent(compat.Summarize(previous, current), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
