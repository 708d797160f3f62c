package breaking

import (
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/protoctl/protoctl/input"
)

// configGroup is a set of modules that share one breaking configuration;
// the rules run once per group, and each group reports the findings in its
// own modules. The first group also reports findings outside every module
// (a deleted file, which has no path in the current image).
type configGroup struct {
	breaking input.Breaking
	modules  []string // workspace-relative module roots; nil owns all
	others   []string // every module root of the workspace
	first    bool
}

// configGroups splits the input's modules by configuration. Without a
// buf.yaml there is one group with buf's defaults.
func configGroups(r *input.Resolved) []*configGroup {
	if r.Config == nil {
		return []*configGroup{{first: true}}
	}
	if len(r.Config.Modules) == 0 {
		return []*configGroup{{breaking: r.Config.Breaking, first: true}}
	}
	var groups []*configGroup
	var all []string
	for _, m := range r.Config.Modules {
		root := path.Clean(m.Path)
		all = append(all, root)
		i := slices.IndexFunc(groups, func(g *configGroup) bool { return reflect.DeepEqual(g.breaking, m.Breaking) })
		if i < 0 {
			groups = append(groups, &configGroup{breaking: m.Breaking, first: len(groups) == 0})
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

// owns reports whether a finding at a workspace-relative path is this
// group's to report.
func (g *configGroup) owns(p string) bool {
	if g.modules == nil {
		return true
	}
	if p != "" && slices.ContainsFunc(g.modules, func(m string) bool { return under(p, m) }) {
		return true
	}
	return g.first && (p == "" || !slices.ContainsFunc(g.others, func(m string) bool { return under(p, m) }))
}

func under(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}
