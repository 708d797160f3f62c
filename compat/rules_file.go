package compat

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"
)

// File-level rules: deletions of files and of top-level and nested
// elements within a file, and file options.

// files calls f for every file of the previous image that the current
// image still has.
func (pr *pair) files(f func(cur, prev *fileNode)) {
	for _, pf := range pr.prev.files {
		if cf, ok := pr.cur.byPath[pf.path]; ok {
			f(cf, pf)
		}
	}
}

func checkFileNoDelete(pr *pair) {
	for _, pf := range pr.prev.files {
		if _, ok := pr.cur.byPath[pf.path]; !ok {
			pr.report(place{}, place{file: pf}, `Previously present file %q was deleted.`, pf.path)
		}
	}
}

// deletedElementPlace is where buf points a deletion of the element with
// the given nested name from file: the closest enclosing message that is
// still there, or the file itself.
func deletedElementPlace(file *fileNode, nested string, messages map[string]*messageNode) place {
	if strings.Contains(nested, ".") {
		parts := strings.Split(nested, ".")
		for i := len(parts) - 1; i > 0; i-- {
			if m, ok := messages[strings.Join(parts[:i], ".")]; ok {
				return at(m.file, m.path)
			}
		}
	}
	return place{file: file}
}

func fileMessagesByNested(f *fileNode) map[string]*messageNode {
	m := make(map[string]*messageNode, len(f.messages))
	for _, x := range f.messages {
		m[x.nested] = x
	}
	return m
}

func checkMessageNoDelete(pr *pair) {
	pr.files(func(cf, pf *fileNode) {
		cur := fileMessagesByNested(cf)
		for _, pm := range pf.messages {
			if _, ok := cur[pm.nested]; !ok {
				pr.report(deletedElementPlace(cf, pm.nested, cur), at(pf, pm.path),
					`Previously present message %q was deleted from file.`, pm.nested)
			}
		}
	})
}

func checkEnumNoDelete(pr *pair) {
	pr.files(func(cf, pf *fileNode) {
		cur := make(map[string]bool, len(cf.enums))
		for _, e := range cf.enums {
			cur[e.nested] = true
		}
		var msgs map[string]*messageNode
		for _, pe := range pf.enums {
			if !cur[pe.nested] {
				if msgs == nil {
					msgs = fileMessagesByNested(cf)
				}
				pr.report(deletedElementPlace(cf, pe.nested, msgs), at(pf, pe.path),
					`Previously present enum %q was deleted from file.`, pe.nested)
			}
		}
	})
}

func checkExtensionNoDelete(pr *pair) {
	pr.files(func(cf, pf *fileNode) {
		cur := make(map[string]bool, len(cf.extensions))
		for _, x := range cf.extensions {
			cur[x.nested] = true
		}
		var msgs map[string]*messageNode
		for _, px := range pf.extensions {
			if !cur[px.nested] {
				if msgs == nil {
					msgs = fileMessagesByNested(cf)
				}
				pr.report(deletedElementPlace(cf, px.nested, msgs), at(pf, px.path),
					`Previously present extension %q was deleted from file.`, px.nested)
			}
		}
	})
}

func checkServiceNoDelete(pr *pair) {
	pr.files(func(cf, pf *fileNode) {
		cur := make(map[string]bool, len(cf.services))
		for _, s := range cf.services {
			cur[s.p.GetName()] = true
		}
		for _, ps := range pf.services {
			if !cur[ps.p.GetName()] {
				pr.report(place{file: cf}, at(pf, ps.path),
					`Previously present service %q was deleted from file.`, ps.p.GetName())
			}
		}
	})
}

// sameFileValue reports a change of a file-level value (an option, the
// package, the syntax) at the value in the current file.
func (pr *pair) sameFileValue(name string, value func(*descriptorpb.FileDescriptorProto) string, paths ...[]int32) {
	pr.files(func(cf, pf *fileNode) {
		before, after := value(pf.p), value(cf.p)
		if before != after {
			pr.report(at(cf, paths...), at(pf, paths...), `File %s changed from %q to %q.`, name, before, after)
		}
	})
}

func fileOption(name string, number int32, value func(*descriptorpb.FileOptions) string) func(*pair) {
	return func(pr *pair) {
		pr.sameFileValue(`option "`+name+`"`, func(p *descriptorpb.FileDescriptorProto) string {
			return value(p.GetOptions())
		}, []int32{fileOptions, number})
	}
}

var (
	checkFileSameCcEnableArenas = fileOption("cc_enable_arenas", 31, func(o *descriptorpb.FileOptions) string {
		return strconv.FormatBool(o.GetCcEnableArenas())
	})
	checkFileSameCcGenericServices = fileOption("cc_generic_services", 16, func(o *descriptorpb.FileOptions) string {
		return strconv.FormatBool(o.GetCcGenericServices())
	})
	checkFileSameCsharpNamespace     = fileOption("csharp_namespace", 37, (*descriptorpb.FileOptions).GetCsharpNamespace)
	checkFileSameGoPackage           = fileOption("go_package", 11, (*descriptorpb.FileOptions).GetGoPackage)
	checkFileSameJavaGenericServices = fileOption("java_generic_services", 17, func(o *descriptorpb.FileOptions) string {
		return strconv.FormatBool(o.GetJavaGenericServices())
	})
	checkFileSameJavaMultipleFiles = fileOption("java_multiple_files", 10, func(o *descriptorpb.FileOptions) string {
		return strconv.FormatBool(o.GetJavaMultipleFiles())
	})
	checkFileSameJavaOuterClassname = fileOption("java_outer_classname", 8, (*descriptorpb.FileOptions).GetJavaOuterClassname)
	checkFileSameJavaPackage        = fileOption("java_package", 1, (*descriptorpb.FileOptions).GetJavaPackage)
	checkFileSameObjcClassPrefix    = fileOption("objc_class_prefix", 36, (*descriptorpb.FileOptions).GetObjcClassPrefix)
	checkFileSameOptimizeFor        = fileOption("optimize_for", 9, func(o *descriptorpb.FileOptions) string {
		return o.GetOptimizeFor().String()
	})
	checkFileSamePhpClassPrefix       = fileOption("php_class_prefix", 40, (*descriptorpb.FileOptions).GetPhpClassPrefix)
	checkFileSamePhpMetadataNamespace = fileOption("php_metadata_namespace", 44, (*descriptorpb.FileOptions).GetPhpMetadataNamespace)
	checkFileSamePhpNamespace         = fileOption("php_namespace", 41, (*descriptorpb.FileOptions).GetPhpNamespace)
	checkFileSamePyGenericServices    = fileOption("py_generic_services", 18, func(o *descriptorpb.FileOptions) string {
		return strconv.FormatBool(o.GetPyGenericServices())
	})
	checkFileSameRubyPackage = fileOption("ruby_package", 45, (*descriptorpb.FileOptions).GetRubyPackage)
	checkFileSameSwiftPrefix = fileOption("swift_prefix", 39, (*descriptorpb.FileOptions).GetSwiftPrefix)
)

func checkFileSamePackage(pr *pair) {
	pr.sameFileValue("package", (*descriptorpb.FileDescriptorProto).GetPackage, []int32{filePackage})
}

func checkFileSameSyntax(pr *pair) {
	pr.sameFileValue("syntax", func(p *descriptorpb.FileDescriptorProto) string {
		if s := p.GetSyntax(); s != "" {
			return s
		}
		return "proto2"
	}, []int32{fileSyntax}, []int32{fileEdition})
}
