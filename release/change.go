package release

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
	"github.com/protoctl/protoctl/input"
)

// What a Change is.
const (
	ChangeBreaking = "breaking"
	ChangeAdded    = "added"
	ChangeRemoved  = "removed"
	ChangeChanged  = "changed"
)

// Change is one line of the changelog. A breaking change is a finding of
// the breaking rules (Rule and Message say why); the others are elements
// of the contract that were added, removed or changed.
type Change struct {
	// Package is the proto package of the file that holds the element.
	Package string `json:"package"`
	// Change is breaking, added, removed or changed.
	Change string `json:"change"`
	// Kind is file, message, field, oneof, extension, enum, enum_value,
	// service or rpc; empty for a breaking change.
	Kind string `json:"kind,omitempty"`
	// Name is the element's fully-qualified name (the import path of a
	// file).
	Name string `json:"name,omitempty"`
	// Path is the workspace-relative file, with the line and column of a
	// breaking change.
	Path   string `json:"path,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Rule is the breaking rule that fired.
	Rule string `json:"rule,omitempty"`
	// Message is the rule's explanation of a breaking change, or what
	// changed about a changed element ("comments").
	Message string `json:"message,omitempty"`
}

var changeOrder = []string{ChangeBreaking, ChangeAdded, ChangeRemoved, ChangeChanged}

// kindOrder lists a file before what it declares, and containers before
// their members.
var kindOrder = []string{"file", "service", "rpc", "message", "oneof", "field", "extension", "enum", "enum_value"}

func compareChanges(a, b Change) int {
	return cmp.Or(
		cmp.Compare(a.Package, b.Package),
		cmp.Compare(slices.Index(changeOrder, a.Change), slices.Index(changeOrder, b.Change)),
		cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
		cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)), cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message),
	)
}

// Compare classifies the change of the contract from previous to current
// and lists it. Breaking changes are those the breaking configuration of
// current (its buf.yaml, module by module) reports.
func Compare(ctx context.Context, previous, current *input.Resolved) (Level, []Change, error) {
	findings, err := breakingFindings(ctx, previous, current)
	if err != nil {
		return LevelNone, nil, err
	}
	pkgs := newPackages(previous.Image, current.Image)
	var changes []Change
	for _, f := range findings {
		changes = append(changes, Change{
			Package: pkgs.ofFinding(f), Change: ChangeBreaking,
			Path: f.Path, Line: f.StartLine, Column: f.StartColumn,
			Rule: f.Type, Message: f.Message,
		})
	}
	s := compat.Summarize(previous.Image, current.Image)
	changed := map[string]bool{}
	add := func(list []compat.Change, what string) {
		for _, c := range list {
			if !current.Contains(c.Path) {
				continue
			}
			changes = append(changes, Change{Package: pkgs.of(c.Path), Change: what, Kind: c.Kind, Name: c.Name, Path: c.Path})
			if what == ChangeChanged {
				changed[c.Kind+" "+c.Name] = true
			}
		}
	}
	add(s.Added, ChangeAdded)
	add(s.Removed, ChangeRemoved)
	add(s.Changed, ChangeChanged)
	for _, c := range commentChanges(previous.Image, current.Image) {
		if changed[c.Kind+" "+c.Name] || !current.Contains(c.Path) {
			continue
		}
		c.Package = pkgs.of(c.Path)
		changes = append(changes, c)
	}
	changes = collapse(changes)
	slices.SortFunc(changes, compareChanges)
	changes = slices.CompactFunc(changes, func(a, b Change) bool { return compareChanges(a, b) == 0 })

	level := LevelNone
	for _, c := range changes {
		l := LevelPatch
		switch c.Change {
		case ChangeBreaking:
			l = LevelBreaking
		case ChangeAdded:
			l = LevelAdditive
		}
		level = max(level, l)
	}
	return level, changes, nil
}

// collapse drops what an added or removed container implies: the
// elements of an added file, the fields of an added message, the RPCs of
// a removed service. The changelog names the container alone.
func collapse(changes []Change) []Change {
	files := map[string]bool{}
	names := map[string]bool{}
	for _, c := range changes {
		if c.Change != ChangeAdded && c.Change != ChangeRemoved {
			continue
		}
		switch c.Kind {
		case "file":
			files[c.Change+" "+c.Path] = true
		case "message", "enum", "service":
			names[c.Change+" "+c.Name] = true
		}
	}
	inside := func(c Change) bool {
		if c.Kind != "file" && files[c.Change+" "+c.Path] {
			return true
		}
		for n := c.Name; ; {
			i := strings.LastIndexByte(n, '.')
			if i < 0 {
				return false
			}
			n = n[:i]
			if names[c.Change+" "+n] {
				return true
			}
		}
	}
	return slices.DeleteFunc(changes, func(c Change) bool {
		return (c.Change == ChangeAdded || c.Change == ChangeRemoved) && inside(c)
	})
}

// Initial lists the files of a first release.
func Initial(current *input.Resolved) []Change {
	pkgs := newPackages(nil, current.Image)
	var changes []Change
	for _, t := range current.Image.Targets() {
		local := current.Image.LocalPath(t)
		if !current.Contains(local) {
			continue
		}
		changes = append(changes, Change{Package: pkgs.of(local), Change: ChangeAdded, Kind: "file", Name: t, Path: local})
	}
	slices.SortFunc(changes, compareChanges)
	return changes
}

// breakingFindings runs the breaking rules once per configuration group
// (input.BreakingGroups), as `protoctl breaking` does. Paths are
// workspace-relative.
func breakingFindings(ctx context.Context, previous, current *input.Resolved) (diag.Set, error) {
	var out []diag.Finding
	for _, g := range current.BreakingGroups() {
		if g.Breaking.Disabled || g.Breaking.DisableBuiltin {
			continue
		}
		set, _, err := compat.Check(ctx, previous.Image, current.Image, compat.Config{
			Use: g.Breaking.Use, Except: g.Breaking.Except, Ignore: g.Breaking.Ignore, IgnoreOnly: g.Breaking.IgnoreOnly,
			IgnoreUnstablePackages: g.Breaking.IgnoreUnstablePackages,
		})
		if err != nil {
			name := "breaking configuration"
			if current.Config != nil {
				name = current.Config.File
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, f := range set {
			local := f.Path
			if local != "" && current.Image.IsTarget(local) {
				local = current.Image.LocalPath(local)
			}
			if local != "" && !current.Contains(local) {
				continue
			}
			if !g.Owns(local) {
				continue
			}
			f.Path = local
			out = append(out, f)
		}
	}
	return diag.NewSet(out...), nil
}

// packages finds the proto package of a file, by workspace-relative path
// or import path, in either image (the current one wins).
type packages map[string]string

func newPackages(images ...*compile.Image) packages {
	p := packages{}
	for _, img := range images {
		if img == nil {
			continue
		}
		for _, fd := range img.Files {
			pkg := string(fd.Package())
			p[fd.Path()] = pkg
			p[img.LocalPath(fd.Path())] = pkg
		}
	}
	return p
}

func (p packages) of(file string) string { return p[file] }

var (
	deletedFileRE    = regexp.MustCompile(`^Previously present file "([^"]+)" was deleted\.$`)
	deletedPackageRE = regexp.MustCompile(`^Previously present package "([^"]+)" was deleted\.$`)
)

// ofFinding is the package a breaking change is in: its file's, or the
// deleted file's or package's its message names.
func (p packages) ofFinding(f diag.Finding) string {
	if f.Path != "" {
		return p[f.Path]
	}
	if m := deletedFileRE.FindStringSubmatch(f.Message); m != nil {
		return p[m[1]]
	}
	if m := deletedPackageRE.FindStringSubmatch(f.Message); m != nil {
		return m[1]
	}
	return ""
}
