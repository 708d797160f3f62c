package compile

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Image is a linked set of files in dependency order: every file comes
// after the files it imports. It holds the workspace's files (the targets)
// and everything they import, the well-known types included.
type Image struct {
	// Files are the linked descriptors.
	Files []protoreflect.FileDescriptor
	// Protos are the same files as descriptor protos, with source info
	// when the image has it. Callers must not modify them.
	Protos []*descriptorpb.FileDescriptorProto
	// local maps the import path of each target to its workspace-relative
	// path. Files that are not targets (imports from outside the
	// workspace) are absent.
	local map[string]string
}

// IsTarget reports whether the file at import path p belongs to the
// workspace (as opposed to an import such as a well-known type).
func (im *Image) IsTarget(p string) bool {
	_, ok := im.local[p]
	return ok
}

// LocalPath returns the workspace-relative path of the file at import path
// p, or p itself when the file is not part of the workspace.
func (im *Image) LocalPath(p string) string {
	if l, ok := im.local[p]; ok {
		return l
	}
	return p
}

// Targets lists the import paths of the workspace's files, sorted.
func (im *Image) Targets() []string {
	out := make([]string, 0, len(im.local))
	for p := range im.local {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Proto returns the descriptor proto of the file at import path p.
func (im *Image) Proto(p string) *descriptorpb.FileDescriptorProto {
	for _, fdp := range im.Protos {
		if fdp.GetName() == p {
			return fdp
		}
	}
	return nil
}

// FileDescriptorSet returns the image as a FileDescriptorSet, the format
// `buf build -o x.binpb` and `protoc --descriptor_set_out
// --include_imports` write.
func (im *Image) FileDescriptorSet() *descriptorpb.FileDescriptorSet {
	return &descriptorpb.FileDescriptorSet{File: slices.Clone(im.Protos)}
}

// Marshal encodes the image as a FileDescriptorSet, deterministically.
func (im *Image) Marshal() ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(im.FileDescriptorSet())
}

// ErrNoSourceInfo is wrapped by ReadImage's error when the caller asks for
// source info and the image has none.
var ErrNoSourceInfo = errors.New("image has no source info")

// ReadImage decodes and links a binary FileDescriptorSet (or a buf image,
// which has the same encoding). Every file of the set is a target unless
// the set marks it as an import (buf images do; a protoc descriptor set
// does not, so files under google/protobuf/ from the well-known types are
// treated as imports).
func ReadImage(data []byte) (*Image, error) {
	var set descriptorpb.FileDescriptorSet
	if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a FileDescriptorSet: %w", err)
	}
	if len(set.GetFile()) == 0 {
		return nil, errors.New("not a FileDescriptorSet: no files")
	}
	imports := bufImportFlags(data)
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("invalid descriptors: %w", err)
	}
	img := &Image{local: map[string]string{}}
	seen := map[string]bool{}
	var visit func(fdp *descriptorpb.FileDescriptorProto) error
	byName := map[string]*descriptorpb.FileDescriptorProto{}
	for _, f := range set.GetFile() {
		if _, dup := byName[f.GetName()]; dup {
			return nil, fmt.Errorf("invalid descriptors: file %q appears twice", f.GetName())
		}
		byName[f.GetName()] = f
	}
	visit = func(fdp *descriptorpb.FileDescriptorProto) error {
		if seen[fdp.GetName()] {
			return nil
		}
		seen[fdp.GetName()] = true
		for _, dep := range fdp.GetDependency() {
			if d, ok := byName[dep]; ok {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		fd, err := files.FindFileByPath(fdp.GetName())
		if err != nil {
			return err
		}
		img.Files = append(img.Files, fd)
		img.Protos = append(img.Protos, fdp)
		return nil
	}
	for i, f := range set.GetFile() {
		if err := visit(f); err != nil {
			return nil, fmt.Errorf("invalid descriptors: %w", err)
		}
		isImport, marked := imports[i]
		if !marked {
			_, err := protoregistry.GlobalFiles.FindFileByPath(f.GetName())
			isImport = err == nil && len(f.GetName()) > len("google/protobuf/") && f.GetName()[:len("google/protobuf/")] == "google/protobuf/"
		}
		if !isImport {
			img.local[f.GetName()] = f.GetName()
		}
	}
	return img, nil
}

// HasSourceInfo reports whether every target file carries source info.
func (im *Image) HasSourceInfo() bool {
	for _, fdp := range im.Protos {
		if im.IsTarget(fdp.GetName()) && len(fdp.GetSourceCodeInfo().GetLocation()) == 0 {
			return false
		}
	}
	return true
}

// bufImportFlags reads buf's image extension (field 8042 of each file, a
// message whose field 1 is is_import) without depending on buf's schema.
// It returns, for each file index that carries the extension, whether the
// file is an import.
func bufImportFlags(data []byte) map[int]bool {
	out := map[int]bool{}
	idx := 0
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return out
		}
		data = data[n:]
		if num == 1 && typ == protowire.BytesType {
			file, m := protowire.ConsumeBytes(data)
			if m < 0 {
				return out
			}
			if v, ok := findImportFlag(file); ok {
				out[idx] = v
			}
			idx++
			data = data[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, data)
		if m < 0 {
			return out
		}
		data = data[m:]
	}
	return out
}

func findImportFlag(file []byte) (bool, bool) {
	for len(file) > 0 {
		num, typ, n := protowire.ConsumeTag(file)
		if n < 0 {
			return false, false
		}
		file = file[n:]
		if num == 8042 && typ == protowire.BytesType {
			ext, m := protowire.ConsumeBytes(file)
			if m < 0 {
				return false, false
			}
			for len(ext) > 0 {
				en, et, k := protowire.ConsumeTag(ext)
				if k < 0 {
					return false, false
				}
				ext = ext[k:]
				if en == 1 && et == protowire.VarintType {
					v, j := protowire.ConsumeVarint(ext)
					if j < 0 {
						return false, false
					}
					return v != 0, true
				}
				j := protowire.ConsumeFieldValue(en, et, ext)
				if j < 0 {
					return false, false
				}
				ext = ext[j:]
			}
			return false, true
		}
		m := protowire.ConsumeFieldValue(num, typ, file)
		if m < 0 {
			return false, false
		}
		file = file[m:]
	}
	return false, false
}
