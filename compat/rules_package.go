package compat

import (
	"slices"
)

// Package-level rules: an element may move between the files of a package
// without breaking anyone; only leaving the package breaks.

func checkPackageNoDelete(pr *pair) {
	for _, pkg := range pr.prev.pkgOrder {
		if _, ok := pr.cur.packages[pkg]; ok {
			continue
		}
		files := pr.prev.packages[pkg]
		first := slices.MinFunc(files, func(a, b *fileNode) int {
			switch {
			case a.path < b.path:
				return -1
			case a.path > b.path:
				return 1
			}
			return 0
		})
		pr.report(place{}, place{file: first}, `Previously present package %q was deleted.`, pkg)
	}
}

// where says how a deletion from a package is placed when the previous
// file is still there.
type where int

const (
	// inFile: at the file itself (services).
	inFile where = iota
	// viaFileMessage: at the closest enclosing message in that file (enums,
	// extensions).
	viaFileMessage
	// viaPackageMessage: at the closest enclosing message that the package
	// still has, in whichever file (messages), as buf does.
	viaPackageMessage
)

// packageDeleted reports elements of a package that the package no longer
// has. elems lists, per file, the nested names and places of its elements.
func (pr *pair) packageDeleted(kind string, elems func(*fileNode) []packageElement, how where) {
	for _, pkg := range pr.prev.pkgOrder {
		curFiles, ok := pr.cur.packages[pkg]
		if !ok {
			continue
		}
		cur := map[string]bool{}
		for _, f := range curFiles {
			for _, e := range elems(f) {
				cur[e.nested] = true
			}
		}
		// Like buf, a package is only compared for messages, enums or
		// extensions when it still has at least one of that kind.
		if len(cur) == 0 && how != inFile {
			continue
		}
		var pkgMsgs map[string]*messageNode
		if how == viaPackageMessage {
			pkgMsgs = map[string]*messageNode{}
			for _, f := range curFiles {
				for _, m := range f.messages {
					pkgMsgs[m.nested] = m
				}
			}
		}
		for _, pf := range pr.prev.packages[pkg] {
			var cf *fileNode
			var msgs map[string]*messageNode
			for _, e := range elems(pf) {
				if cur[e.nested] {
					continue
				}
				if cf == nil {
					cf = pr.cur.byPath[pf.path]
				}
				var loc place
				switch {
				case cf == nil:
				case how == viaPackageMessage:
					loc = deletedElementPlace(cf, e.nested, pkgMsgs)
				case how == viaFileMessage:
					if msgs == nil {
						msgs = fileMessagesByNested(cf)
					}
					loc = deletedElementPlace(cf, e.nested, msgs)
				default:
					loc = place{file: cf}
				}
				pr.report(loc, at(pf, e.path), `Previously present %s %q was deleted from package %q.`, kind, e.nested, pkg)
			}
		}
	}
}

type packageElement struct {
	nested string
	path   []int32
}

func checkPackageMessageNoDelete(pr *pair) {
	pr.packageDeleted("message", func(f *fileNode) []packageElement {
		out := make([]packageElement, len(f.messages))
		for i, m := range f.messages {
			out[i] = packageElement{m.nested, m.path}
		}
		return out
	}, viaPackageMessage)
}

func checkPackageEnumNoDelete(pr *pair) {
	pr.packageDeleted("enum", func(f *fileNode) []packageElement {
		out := make([]packageElement, len(f.enums))
		for i, e := range f.enums {
			out[i] = packageElement{e.nested, e.path}
		}
		return out
	}, viaFileMessage)
}

func checkPackageExtensionNoDelete(pr *pair) {
	pr.packageDeleted("extension", func(f *fileNode) []packageElement {
		out := make([]packageElement, len(f.extensions))
		for i, x := range f.extensions {
			out[i] = packageElement{x.nested, x.path}
		}
		return out
	}, viaFileMessage)
}

func checkPackageServiceNoDelete(pr *pair) {
	pr.packageDeleted("service", func(f *fileNode) []packageElement {
		out := make([]packageElement, len(f.services))
		for i, s := range f.services {
			out[i] = packageElement{s.p.GetName(), s.path}
		}
		return out
	}, inFile)
}
