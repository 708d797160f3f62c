package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Drift is what the drift check found: the descriptors the Go and the Python
// generated code actually loaded, compared message by message, before any
// payload is sent. A difference means one side was generated from another
// version of the contract (one language regenerated, the other stale).
type Drift struct {
	// Checked counts the messages and enums compared.
	Checked int
	// Findings are the differences, sorted by element.
	Findings []DriftFinding
}

// DriftFinding is one difference between the runtimes' descriptors.
type DriftFinding struct {
	// Element is the full name of the message, field or enum.
	Element string `json:"element"`
	// Message says how the two sides differ.
	Message string `json:"message"`
}

// DumpDescriptors writes every file registered in the Go runtime as a
// serialized FileDescriptorSet: the Go testee's -dump_descriptors.
func DumpDescriptors() ([]byte, error) {
	set := &descriptorpb.FileDescriptorSet{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
		return true
	})
	sort.Slice(set.File, func(i, j int) bool { return set.File[i].GetName() < set.File[j].GetName() })
	return proto.MarshalOptions{Deterministic: true}.Marshal(set)
}

// LoadedDescriptors runs a testee command with its descriptor-dump flag
// (-dump_descriptors for Go, --dump-descriptors for Python) and returns the
// files its runtime loaded.
func LoadedDescriptors(ctx context.Context, c Command, flag string) (*descriptorpb.FileDescriptorSet, error) {
	out, err := c.once(ctx, flag)
	if err != nil {
		return nil, fmt.Errorf("%s testee %s: %v", c.Name, flag, err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(out, set); err != nil {
		return nil, fmt.Errorf("%s testee %s: not a FileDescriptorSet: %v", c.Name, flag, err)
	}
	return set, nil
}

// CompareDescriptors compares the files the two runtimes loaded, for the
// file paths in files (the workspace's files), and reports every message,
// field, enum and enum value that is missing on one side or declared
// differently.
func CompareDescriptors(goSet, pySet *descriptorpb.FileDescriptorSet, files []string) *Drift {
	d := &Drift{}
	goFiles, pyFiles := byName(goSet), byName(pySet)
	for _, name := range files {
		g, p := goFiles[name], pyFiles[name]
		switch {
		case g == nil && p == nil:
			d.add(name, "neither runtime has generated code for this file")
		case g == nil:
			d.add(name, "only the python code has this file: the go code is stale")
		case p == nil:
			d.add(name, "only the go code has this file: the python code is stale")
		default:
			prefix := ""
			if g.GetPackage() != "" {
				prefix = g.GetPackage() + "."
			}
			d.messages(prefix, g.GetMessageType(), p.GetMessageType())
			d.enums(prefix, g.GetEnumType(), p.GetEnumType())
		}
	}
	sort.SliceStable(d.Findings, func(i, j int) bool { return d.Findings[i].Element < d.Findings[j].Element })
	return d
}

func byName(set *descriptorpb.FileDescriptorSet) map[string]*descriptorpb.FileDescriptorProto {
	m := map[string]*descriptorpb.FileDescriptorProto{}
	for _, f := range set.GetFile() {
		m[f.GetName()] = f
	}
	return m
}

func (d *Drift) add(element, format string, args ...any) {
	d.Findings = append(d.Findings, DriftFinding{Element: element, Message: fmt.Sprintf(format, args...)})
}

func (d *Drift) messages(prefix string, goMsgs, pyMsgs []*descriptorpb.DescriptorProto) {
	py := map[string]*descriptorpb.DescriptorProto{}
	for _, m := range pyMsgs {
		py[m.GetName()] = m
	}
	seen := map[string]bool{}
	for _, g := range goMsgs {
		name := prefix + g.GetName()
		seen[g.GetName()] = true
		d.Checked++
		p := py[g.GetName()]
		if p == nil {
			d.add(name, "message only in the go code: the python code is stale")
			continue
		}
		d.fields(name, g.GetField(), p.GetField())
		d.messages(name+".", g.GetNestedType(), p.GetNestedType())
		d.enums(name+".", g.GetEnumType(), p.GetEnumType())
	}
	for _, p := range pyMsgs {
		if !seen[p.GetName()] {
			d.Checked++
			d.add(prefix+p.GetName(), "message only in the python code: the go code is stale")
		}
	}
}

func (d *Drift) fields(msg string, goFields, pyFields []*descriptorpb.FieldDescriptorProto) {
	py := map[int32]*descriptorpb.FieldDescriptorProto{}
	for _, f := range pyFields {
		py[f.GetNumber()] = f
	}
	seen := map[int32]bool{}
	for _, g := range goFields {
		seen[g.GetNumber()] = true
		name := fmt.Sprintf("%s.%s", msg, g.GetName())
		p := py[g.GetNumber()]
		if p == nil {
			d.add(name, "field %d only in the go code", g.GetNumber())
			continue
		}
		var diffs []string
		if g.GetName() != p.GetName() {
			diffs = append(diffs, fmt.Sprintf("name %s vs %s", g.GetName(), p.GetName()))
		}
		if g.GetType() != p.GetType() || g.GetTypeName() != p.GetTypeName() {
			diffs = append(diffs, fmt.Sprintf("type %s vs %s", fieldType(g), fieldType(p)))
		}
		if g.GetLabel() != p.GetLabel() {
			diffs = append(diffs, fmt.Sprintf("label %s vs %s", g.GetLabel(), p.GetLabel()))
		}
		if g.GetProto3Optional() != p.GetProto3Optional() {
			diffs = append(diffs, fmt.Sprintf("proto3 optional %v vs %v", g.GetProto3Optional(), p.GetProto3Optional()))
		}
		if g.JsonName != nil && p.JsonName != nil && g.GetJsonName() != p.GetJsonName() {
			diffs = append(diffs, fmt.Sprintf("json name %s vs %s", g.GetJsonName(), p.GetJsonName()))
		}
		if len(diffs) > 0 {
			d.add(name, "field %d differs (go vs python): %s", g.GetNumber(), strings.Join(diffs, ", "))
		}
	}
	for _, p := range pyFields {
		if !seen[p.GetNumber()] {
			d.add(fmt.Sprintf("%s.%s", msg, p.GetName()), "field %d only in the python code", p.GetNumber())
		}
	}
}

func fieldType(f *descriptorpb.FieldDescriptorProto) string {
	t := strings.ToLower(strings.TrimPrefix(f.GetType().String(), "TYPE_"))
	if f.GetTypeName() != "" {
		t += " " + strings.TrimPrefix(f.GetTypeName(), ".")
	}
	return t
}

func (d *Drift) enums(prefix string, goEnums, pyEnums []*descriptorpb.EnumDescriptorProto) {
	py := map[string]*descriptorpb.EnumDescriptorProto{}
	for _, e := range pyEnums {
		py[e.GetName()] = e
	}
	seen := map[string]bool{}
	for _, g := range goEnums {
		name := prefix + g.GetName()
		seen[g.GetName()] = true
		d.Checked++
		p := py[g.GetName()]
		if p == nil {
			d.add(name, "enum only in the go code: the python code is stale")
			continue
		}
		pv := map[string]int32{}
		for _, v := range p.GetValue() {
			pv[v.GetName()] = v.GetNumber()
		}
		gv := map[string]bool{}
		for _, v := range g.GetValue() {
			gv[v.GetName()] = true
			n, ok := pv[v.GetName()]
			switch {
			case !ok:
				d.add(name+"."+v.GetName(), "enum value %d only in the go code", v.GetNumber())
			case n != v.GetNumber():
				d.add(name+"."+v.GetName(), "enum value number %d vs %d (go vs python)", v.GetNumber(), n)
			}
		}
		for _, v := range p.GetValue() {
			if !gv[v.GetName()] {
				d.add(name+"."+v.GetName(), "enum value %d only in the python code", v.GetNumber())
			}
		}
	}
	for _, p := range pyEnums {
		if !seen[p.GetName()] {
			d.Checked++
			d.add(prefix+p.GetName(), "enum only in the python code: the go code is stale")
		}
	}
}

// once runs the testee command with one more flag, not as a long-lived
// testee, and returns its standard output; a failure carries its stderr.
func (c Command) once(ctx context.Context, flag string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Path, append(append([]string(nil), c.Args...), flag)...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Dir = c.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
