package input

import (
	"path"
	"reflect"
	"slices"
	"strings"
)

// BreakingGroup is a set of modules that share one breaking configuration;
// the rules run once per group, and each group reports the findings in its
// own modules. The first group also reports findings outside every module
// (a deleted file, which has no path in the current image). `protoctl
// breaking` and `protoctl release` both judge changes this way.
type BreakingGroup struct {
	Breaking Breaking
	modules  []string // workspace-relative module roots; nil owns all
	others   []string // every module root of the workspace
	first    bool
}

// BreakingGroups splits the input's modules by breaking configuration.
// Without a buf.yaml there is one group with buf's defaults.
func (r *Resolved) BreakingGroups() []*BreakingGroup {
	if r.Config == nil {
		return []*BreakingGroup{{first: true}}
	}
	if len(r.Config.Modules) == 0 {
		return []*BreakingGroup{{Breaking: r.Config.Breaking, first: true}}
	}
	var groups []*BreakingGroup
	var all []string
	for _, m := range r.Config.Modules {
		root := path.Clean(m.Path)
		all = append(all, root)
		i := slices.IndexFunc(groups, func(g *BreakingGroup) bool { return reflect.DeepEqual(g.Breaking, m.Breaking) })
		if i < 0 {
			groups = append(groups, &BreakingGroup{Breaking: m.Breaking, first: len(groups) == 0})
			i = len(groups) - 1
		}
		groups[i].modules = append(groups[i].modules, root)
	}
	if len(groups) == 1 {
		groups[0].modules = nil
	}
	for _, g := range groups {
		g.others = all
	}
	return groups
}

// Owns reports whether a finding at a workspace-relative path ("" for a
// file that is not in the current image) is this group's to report.
func (g *BreakingGroup) Owns(p string) bool {
	if g.modules == nil {
		return true
	}
	if p != "" && slices.ContainsFunc(g.modules, func(m string) bool { return underModule(p, m) }) {
		return true
	}
	return g.first && (p == "" || !slices.ContainsFunc(g.others, func(m string) bool { return underModule(p, m) }))
}

func underModule(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}
