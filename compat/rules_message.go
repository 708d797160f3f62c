package compat

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"
)

// Message-level rules: fields, oneofs, reserved and extension ranges.

// messages calls f for every message of the previous image that the
// current image still has, matched by full name.
func (pr *pair) messages(f func(cur, prev *messageNode)) {
	for _, pf := range pr.prev.files {
		for _, pm := range pf.messages {
			if cm, ok := pr.cur.messages[string(pm.d.FullName())]; ok {
				f(cm, pm)
			}
		}
	}
}

// fieldDescription names a field the way buf's messages do:
// Field "1" with name "foo" on message "Bar".
func fieldDescription(fl *fieldNode) string {
	name := fl.p.GetName()
	if fl.parent == nil {
		name = string(fl.d.FullName())
	}
	return fieldDescriptionWithName(fl, name)
}

func fieldDescriptionWithName(fl *fieldNode, name string) string {
	if name != "" {
		name = fmt.Sprintf(" with name %q", name)
	}
	kind, owner := "Field", ""
	if fl.parent == nil {
		kind, owner = "Extension", strings.TrimPrefix(fl.p.GetExtendee(), ".")
	} else {
		owner = fl.parent.p.GetName()
	}
	return fmt.Sprintf("%s %q%s on message %q", kind, strconv.Itoa(int(fl.p.GetNumber())), name, owner)
}

func (pr *pair) fieldNoDelete(unlessNumber, unlessName bool) {
	pr.messages(func(cm, pm *messageNode) {
		for _, pfl := range pm.fields {
			if _, ok := cm.byNum[pfl.p.GetNumber()]; ok {
				continue
			}
			if unlessNumber && inReservedRanges(cm.p.GetReservedRange(), pfl.p.GetNumber()) {
				continue
			}
			if unlessName && slices.Contains(cm.p.GetReservedName(), pfl.p.GetName()) {
				continue
			}
			suffix := ""
			switch {
			case unlessNumber:
				suffix = fmt.Sprintf(` without reserving the number "%d"`, pfl.p.GetNumber())
			case unlessName:
				suffix = fmt.Sprintf(` without reserving the name %q`, pfl.p.GetName())
			}
			desc := fieldDescription(pfl)
			desc = strings.ToLower(desc[:1]) + desc[1:]
			pr.report(at(cm.file, cm.path), at(pm.file, pm.path), `Previously present %s was deleted%s.`, desc, suffix)
		}
	})
}

func inReservedRanges(ranges []*descriptorpb.DescriptorProto_ReservedRange, n int32) bool {
	for _, r := range ranges {
		if n >= r.GetStart() && n < r.GetEnd() {
			return true
		}
	}
	return false
}

func checkFieldNoDelete(pr *pair)                     { pr.fieldNoDelete(false, false) }
func checkFieldNoDeleteUnlessNameReserved(pr *pair)   { pr.fieldNoDelete(false, true) }
func checkFieldNoDeleteUnlessNumberReserved(pr *pair) { pr.fieldNoDelete(true, false) }

func checkOneofNoDelete(pr *pair) {
	pr.messages(func(cm, pm *messageNode) {
		cur := map[string]bool{}
		for _, o := range cm.p.GetOneofDecl() {
			cur[o.GetName()] = true
		}
		ods := pm.d.Oneofs()
		for i, o := range pm.p.GetOneofDecl() {
			if cur[o.GetName()] {
				continue
			}
			if i < ods.Len() && ods.Get(i).IsSynthetic() {
				continue
			}
			pr.report(at(cm.file, cm.path), at(pm.file, pm.path),
				`Previously present oneof %q on message %q was deleted.`, o.GetName(), cm.p.GetName())
		}
	})
}

func checkMessageNoRemoveStandardDescriptorAccessor(pr *pair) {
	path := func(m *messageNode) []int32 { return child(m.path, messageOptions, messageOptNoStdAccessor) }
	pr.messages(func(cm, pm *messageNode) {
		before := pm.p.GetOptions().GetNoStandardDescriptorAccessor()
		after := cm.p.GetOptions().GetNoStandardDescriptorAccessor()
		if !before && after {
			pr.report(at(cm.file, path(cm)), at(pm.file, path(pm)),
				`Message option "no_standard_descriptor_accessor" changed from %q to %q.`, "false", "true")
		}
	})
}

func checkMessageSameJSONFormat(pr *pair) {
	path := func(m *messageNode) []int32 {
		return child(m.path, messageOptions, messageOptFeatures, featureJSONFormat)
	}
	pr.messages(func(cm, pm *messageNode) {
		before, after := jsonFormat(pm.file, pm.d), jsonFormat(cm.file, cm.d)
		if before == descriptorpb.FeatureSet_ALLOW && after != descriptorpb.FeatureSet_ALLOW {
			pr.report(at(cm.file, path(cm), cm.path), at(pm.file, path(pm), pm.path),
				`Message %q JSON format support changed from %v to %v.`, cm.p.GetName(), before, after)
		}
	})
}

func checkMessageSameRequiredFields(pr *pair) {
	required := func(m *messageNode) map[int32]*fieldNode {
		out := map[int32]*fieldNode{}
		for _, f := range m.fields {
			if f.p.GetLabel() == descriptorpb.FieldDescriptorProto_LABEL_REQUIRED {
				out[f.p.GetNumber()] = f
			}
		}
		return out
	}
	pr.messages(func(cm, pm *messageNode) {
		before, after := required(pm), required(cm)
		for _, f := range pm.fields {
			n := f.p.GetNumber()
			if _, ok := before[n]; ok {
				if _, ok := after[n]; !ok {
					pr.report(at(cm.file, cm.path), at(pm.file, pm.path),
						`Message %q had required field "%d" deleted. Required fields must always be sent, so if one side does not know about the required field, this will result in a breakage.`,
						pm.p.GetName(), n)
				}
			}
		}
		for _, f := range cm.fields {
			n := f.p.GetNumber()
			if _, ok := after[n]; ok {
				if _, ok := before[n]; !ok {
					pr.report(at(cm.file, f.path), place{},
						`Message %q had required field "%d" added. Required fields must always be sent, so if one side does not know about the required field, this will result in a breakage.`,
						cm.p.GetName(), n)
				}
			}
		}
	})
}

// tagRange is an inclusive range of field or enum numbers.
type tagRange struct{ start, end int64 }

const (
	messageMaxTag    = 536870911
	messageSetMaxTag = 2147483646
	enumMaxTag       = 2147483647
)

func messageMax(m *messageNode) int64 {
	if m.p.GetOptions().GetMessageSetWireFormat() {
		return messageSetMaxTag
	}
	return messageMaxTag
}

func messageRanges[R interface {
	GetStart() int32
	GetEnd() int32
}](rs []R) []tagRange {
	out := make([]tagRange, len(rs))
	for i, r := range rs {
		out[i] = tagRange{int64(r.GetStart()), int64(r.GetEnd()) - 1}
	}
	return out
}

func rangeString(r tagRange, maxTag int64) string {
	switch {
	case r.start == r.end:
		return fmt.Sprintf("[%d]", r.start)
	case r.end == maxTag:
		return fmt.Sprintf("[%d,max]", r.start)
	}
	return fmt.Sprintf("[%d,%d]", r.start, r.end)
}

// missingRanges returns the parts of r that ranges do not cover.
func missingRanges(r tagRange, ranges []tagRange) []tagRange {
	sorted := slices.Clone(ranges)
	slices.SortFunc(sorted, func(a, b tagRange) int {
		if a.start != b.start {
			if a.start < b.start {
				return -1
			}
			return 1
		}
		if a.end < b.end {
			return -1
		} else if a.end > b.end {
			return 1
		}
		return 0
	})
	var merged []tagRange
	for _, x := range sorted {
		if n := len(merged); n > 0 && x.start <= merged[n-1].end+1 {
			merged[n-1].end = max(merged[n-1].end, x.end)
			continue
		}
		merged = append(merged, x)
	}
	var out []tagRange
	start := r.start
	for _, m := range merged {
		if m.end < start {
			continue
		}
		if m.start > r.end {
			break
		}
		if m.start > start {
			out = append(out, tagRange{start, m.start - 1})
		}
		start = m.end + 1
		if start > r.end {
			return out
		}
	}
	if start <= r.end {
		out = append(out, tagRange{start, r.end})
	}
	return out
}

// tagRanges reports each previous range that the current ranges no longer
// cover in full.
func (pr *pair) tagRanges(kind, elemKind, name string, maxTag, prevMax int64, cur, prev place, before, after []tagRange) {
	for _, r := range before {
		missing := missingRanges(r, after)
		if len(missing) == 0 {
			continue
		}
		parts := make([]string, len(missing))
		for i, m := range missing {
			parts[i] = rangeString(m, maxTag)
		}
		pr.report(cur, prev, `Previously present %s range %q on %s %q is missing values: %s were removed.`,
			kind, rangeString(r, prevMax), elemKind, name, strings.Join(parts, ", "))
	}
}

func checkExtensionMessageNoDelete(pr *pair) {
	pr.messages(func(cm, pm *messageNode) {
		if len(pm.p.GetExtensionRange()) == 0 {
			return
		}
		pr.tagRanges("extension", "message", cm.p.GetName(), messageMax(cm), messageMax(pm),
			at(cm.file, cm.path), at(pm.file, pm.path),
			messageRanges(pm.p.GetExtensionRange()), messageRanges(cm.p.GetExtensionRange()))
	})
}

func checkReservedMessageNoDelete(pr *pair) {
	pr.messages(func(cm, pm *messageNode) {
		if len(pm.p.GetReservedRange()) == 0 && len(pm.p.GetReservedName()) == 0 {
			return
		}
		cur, prev := at(cm.file, cm.path), at(pm.file, pm.path)
		pr.tagRanges("reserved", "message", cm.p.GetName(), messageMax(cm), messageMax(pm), cur, prev,
			messageRanges(pm.p.GetReservedRange()), messageRanges(cm.p.GetReservedRange()))
		seen := map[string]bool{}
		for _, n := range pm.p.GetReservedName() {
			if seen[n] {
				continue
			}
			seen[n] = true
			if !slices.Contains(cm.p.GetReservedName(), n) {
				pr.report(cur, prev, `Previously present reserved name %q on message %q was deleted.`, n, cm.p.GetName())
			}
		}
	})
}
