package conformance

import (
	"errors"
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	// The generated code under test: linking it registers every message of
	// the contract and of the all-types protos in protoregistry.GlobalTypes.
	_ "github.com/protoctl/protoctl/gen/acme/common/v1"
	_ "github.com/protoctl/protoctl/gen/acme/inference/v1"
	_ "github.com/protoctl/protoctl/gen/acme/user/v1"
	_ "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// Types resolves generated types first and then the dynamic types of a
// descriptor set, for messages the generated code does not have (for example
// the upstream conformance suite's test messages).
type Types struct {
	dynamic *protoregistry.Types
}

// GeneratedTypes resolves only the generated code linked into this binary.
func GeneratedTypes() *Types { return &Types{dynamic: new(protoregistry.Types)} }

// LoadTypes reads a serialized FileDescriptorSet from path and returns a
// resolver for the generated types plus every message and extension of the
// set. Files the generated code already registered keep their generated
// types.
func LoadTypes(path string) (*Types, error) {
	t := GeneratedTypes()
	if path == "" {
		return t, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(data, set); err != nil {
		return nil, fmt.Errorf("%s: not a FileDescriptorSet: %v", path, err)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var regErr error
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if _, err := protoregistry.GlobalFiles.FindFileByPath(fd.Path()); err == nil {
			return true
		}
		regErr = t.register(fd)
		return regErr == nil
	})
	if regErr != nil {
		return nil, fmt.Errorf("%s: %v", path, regErr)
	}
	return t, nil
}

type descriptorContainer interface {
	Messages() protoreflect.MessageDescriptors
	Extensions() protoreflect.ExtensionDescriptors
}

func (t *Types) register(c descriptorContainer) error {
	for i := 0; i < c.Messages().Len(); i++ {
		md := c.Messages().Get(i)
		if md.IsMapEntry() {
			continue
		}
		if err := t.dynamic.RegisterMessage(dynamicpb.NewMessageType(md)); err != nil {
			return err
		}
		if err := t.register(md); err != nil {
			return err
		}
	}
	for i := 0; i < c.Extensions().Len(); i++ {
		if err := t.dynamic.RegisterExtension(dynamicpb.NewExtensionType(c.Extensions().Get(i))); err != nil {
			return err
		}
	}
	return nil
}

// FindMessageByName implements Resolver.
func (t *Types) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(name)
	if errors.Is(err, protoregistry.NotFound) {
		return t.dynamic.FindMessageByName(name)
	}
	return mt, err
}

// FindMessageByURL implements Resolver.
func (t *Types) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if errors.Is(err, protoregistry.NotFound) {
		return t.dynamic.FindMessageByURL(url)
	}
	return mt, err
}

// FindExtensionByName implements Resolver.
func (t *Types) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	xt, err := protoregistry.GlobalTypes.FindExtensionByName(name)
	if errors.Is(err, protoregistry.NotFound) {
		return t.dynamic.FindExtensionByName(name)
	}
	return xt, err
}

// FindExtensionByNumber implements Resolver.
func (t *Types) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	xt, err := protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
	if errors.Is(err, protoregistry.NotFound) {
		return t.dynamic.FindExtensionByNumber(message, field)
	}
	return xt, err
}
