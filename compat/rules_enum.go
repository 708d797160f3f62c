package compat

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"
)

// Enum-level rules, over enums matched by full name.

func (pr *pair) enums(f func(cur, prev *enumNode)) {
	for _, pf := range pr.prev.files {
		for _, pe := range pf.enums {
			if ce, ok := pr.cur.enums[string(pe.d.FullName())]; ok {
				f(ce, pe)
			}
		}
	}
}

func (e *enumNode) at(paths ...[]int32) place { return at(e.file, paths...) }

// byNumber groups the enum's values by number (aliases share a number), in
// the order of first appearance.
func (e *enumNode) byNumber() ([]int32, map[int32][]*enumValueNode) {
	var order []int32
	m := map[int32][]*enumValueNode{}
	for _, v := range e.values {
		n := v.p.GetNumber()
		if _, ok := m[n]; !ok {
			order = append(order, n)
		}
		m[n] = append(m[n], v)
	}
	return order, m
}

func valueNames(vs []*enumValueNode) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if !slices.Contains(out, v.p.GetName()) {
			out = append(out, v.p.GetName())
		}
	}
	slices.Sort(out)
	return out
}

func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func inEnumReservedRanges(ranges []*descriptorpb.EnumDescriptorProto_EnumReservedRange, n int32) bool {
	for _, r := range ranges {
		if n >= r.GetStart() && n <= r.GetEnd() {
			return true
		}
	}
	return false
}

func (pr *pair) enumValueNoDelete(unlessNumber, unlessName bool) {
	pr.enums(func(ce, pe *enumNode) {
		_, cur := ce.byNumber()
		order, prev := pe.byNumber()
		for _, n := range order {
			if _, ok := cur[n]; ok {
				continue
			}
			names := valueNames(prev[n])
			if unlessNumber && inEnumReservedRanges(ce.p.GetReservedRange(), n) {
				continue
			}
			if unlessName && !slices.ContainsFunc(names, func(s string) bool { return !slices.Contains(ce.p.GetReservedName(), s) }) {
				continue
			}
			suffix := ""
			switch {
			case unlessNumber:
				suffix = fmt.Sprintf(` without reserving the number "%d"`, n)
			case unlessName:
				s := ""
				if len(names) > 1 {
					s = "s"
				}
				suffix = fmt.Sprintf(` without reserving the name%s %s`, s, quoteJoin(names))
			}
			pr.report(ce.at(ce.path), pe.at(pe.path), `Previously present enum value "%d" on enum %q was deleted%s.`, n, ce.p.GetName(), suffix)
		}
	})
}

func checkEnumValueNoDelete(pr *pair)                     { pr.enumValueNoDelete(false, false) }
func checkEnumValueNoDeleteUnlessNameReserved(pr *pair)   { pr.enumValueNoDelete(false, true) }
func checkEnumValueNoDeleteUnlessNumberReserved(pr *pair) { pr.enumValueNoDelete(true, false) }

func checkEnumValueSameName(pr *pair) {
	pr.enums(func(ce, pe *enumNode) {
		_, cur := ce.byNumber()
		order, prev := pe.byNumber()
		for _, n := range order {
			cvs, ok := cur[n]
			if !ok {
				continue
			}
			before, after := valueNames(prev[n]), valueNames(cvs)
			if !slices.ContainsFunc(before, func(s string) bool { return !slices.Contains(after, s) }) {
				continue
			}
			s := ""
			if len(before) > 1 && len(after) > 1 {
				s = "s"
			}
			for _, v := range cvs {
				var against place
				for _, pv := range prev[n] {
					if pv.p.GetName() == v.p.GetName() {
						against = at(pe.file, child(pv.path, enumValueNumber))
					}
				}
				pr.report(at(ce.file, child(v.path, enumValueNumber)), against,
					`Enum value "%d" on enum %q changed name%s from %s to %s.`, n, ce.p.GetName(), s, quoteJoin(before), quoteJoin(after))
			}
		}
	})
}

func checkEnumSameType(pr *pair) {
	pr.enums(func(ce, pe *enumNode) {
		if pe.d.IsClosed() == ce.d.IsClosed() {
			return
		}
		from, to := "closed", "open"
		if ce.d.IsClosed() {
			from, to = to, from
		}
		path := func(e *enumNode) place {
			return e.at(child(e.path, enumOptions, enumOptFeatures, featureEnumType), e.path)
		}
		pr.report(path(ce), path(pe), `Enum %q changed from %s to %s.`, ce.p.GetName(), from, to)
	})
}

func checkEnumSameJSONFormat(pr *pair) {
	pr.enums(func(ce, pe *enumNode) {
		before, after := jsonFormat(pe.file, pe.d), jsonFormat(ce.file, ce.d)
		if before == descriptorpb.FeatureSet_ALLOW && after != descriptorpb.FeatureSet_ALLOW {
			path := func(e *enumNode) place {
				return e.at(child(e.path, enumOptions, enumOptFeatures, featureJSONFormat), e.path)
			}
			pr.report(path(ce), path(pe), `Enum %q JSON format support changed from %v to %v.`, ce.p.GetName(), before, after)
		}
	})
}

func checkReservedEnumNoDelete(pr *pair) {
	ranges := func(e *enumNode) []tagRange {
		out := make([]tagRange, len(e.p.GetReservedRange()))
		for i, r := range e.p.GetReservedRange() {
			out[i] = tagRange{int64(r.GetStart()), int64(r.GetEnd())}
		}
		return out
	}
	pr.enums(func(ce, pe *enumNode) {
		if len(pe.p.GetReservedRange()) == 0 && len(pe.p.GetReservedName()) == 0 {
			return
		}
		cur, prev := ce.at(ce.path), pe.at(pe.path)
		pr.tagRanges("reserved", "enum", ce.p.GetName(), enumMaxTag, enumMaxTag, cur, prev, ranges(pe), ranges(ce))
		seen := map[string]bool{}
		for _, n := range pe.p.GetReservedName() {
			if seen[n] {
				continue
			}
			seen[n] = true
			if !slices.Contains(ce.p.GetReservedName(), n) {
				pr.report(cur, prev, `Previously present reserved name %q on enum %q was deleted.`, n, ce.p.GetName())
			}
		}
	})
}
