package codegen

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoctl/protoctl/compile"
)

// genFile is one file a plugin produced, named relative to its out.
type genFile struct {
	plugin  int // index into Config.Plugins
	name    string
	content []byte
}

// PluginError is a plugin that failed: it crashed, timed out, answered
// with an error, or answered with something that is not a valid response.
type PluginError struct {
	Plugin string
	Job    string
	Msg    string
	Stderr string
}

func (e *PluginError) Error() string {
	s := fmt.Sprintf("plugin %s failed (%s): %s", e.Plugin, e.Job, e.Msg)
	if e.Stderr != "" {
		s += "\n" + indent(e.Stderr)
	}
	return s
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  | " + l
	}
	return strings.Join(lines, "\n")
}

// request encodes a CodeGeneratorRequest from already-encoded descriptors,
// without decoding or re-encoding them.
func (im *image) request(files []string, parameter string) []byte {
	deps := im.deps(files)
	size := 0
	for _, i := range deps {
		size += len(im.encoded[i]) + 8
	}
	b := make([]byte, 0, size*2)
	for _, f := range files {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, f)
	}
	if parameter != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, parameter)
	}
	for _, i := range deps {
		b = protowire.AppendTag(b, 15, protowire.BytesType)
		b = protowire.AppendBytes(b, im.encoded[i])
	}
	for _, f := range files {
		b = protowire.AppendTag(b, 17, protowire.BytesType)
		b = protowire.AppendBytes(b, im.encoded[im.index[f]])
	}
	return b
}

// descriptorSet encodes the import closure of files as a FileDescriptorSet
// for protoc's builtin generators. Only files carry source info: the
// builtins read comments of the files they generate and nothing of the
// others, and parsing the others' source info made up most of each protoc
// run (on 1,400 files: 70% of the bytes, half the time, three quarters of
// the memory of loading the set). With servicesOnly, files keep only the
// source info of their services and methods, all that the python, pyi and
// grpc_python builtins read: on the same 1,400 files that took protoc's
// generation from 11.4 s to 6.5 s, with byte-identical output.
func (im *image) descriptorSet(files []string, servicesOnly bool) []byte {
	target := make(map[int]bool, len(files))
	for _, f := range files {
		target[im.index[f]] = true
	}
	var b []byte
	for _, i := range im.deps(files) {
		e := im.encoded[i]
		switch {
		case !target[i]:
			e = compile.StripSourceInfo(e)
		case servicesOnly:
			e = compile.ServiceSourceInfo(e)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, e)
	}
	return b
}

// readZip reads the files of a zip archive protoc wrote. A missing
// archive means the generator wrote nothing.
func readZip(path string) ([]genFile, error) {
	zr, err := zip.OpenReader(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the generator's output: %v", err)
	}
	defer zr.Close()
	out := make([]genFile, 0, len(zr.File))
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("read the generator's output %s: %v", zf.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("read the generator's output %s: %v", zf.Name, err)
		}
		out = append(out, genFile{name: zf.Name, content: data})
	}
	return out, nil
}

// runCommand runs a generator process with a deadline, killing its whole
// process group when the deadline passes.
func runCommand(ctx context.Context, timeout time.Duration, stdin []byte, dir string, name string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errb bytes.Buffer
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s", timeout)
		} else {
			err = ctx.Err()
		}
	}
	return out.Bytes(), errb.Bytes(), err
}

func (g *generator) runLocal(ctx context.Context, j *job) ([]genFile, error) {
	p := g.cfg.Plugins[j.plugins[0]]
	bin, err := g.tc.PluginPath(ctx, p.Local)
	if err != nil {
		return nil, err
	}
	req := j.im.request(j.files, strings.Join(p.Opt, ","))
	stdout, stderr, err := runCommand(ctx, g.cfg.Timeout, req, "", bin)
	perr := func(msg string) error {
		return &PluginError{Plugin: p.Name(), Job: j.label, Msg: msg, Stderr: tail(string(stderr), 4000)}
	}
	if err != nil {
		return nil, perr(err.Error())
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(stdout, &resp); err != nil {
		return nil, perr(fmt.Sprintf("invalid CodeGeneratorResponse (%d bytes): %v", len(stdout), err))
	}
	if resp.Error != nil {
		return nil, perr(resp.GetError())
	}
	for _, f := range j.files {
		if j.im.editions[f] && resp.GetSupportedFeatures()&uint64(pluginpb.CodeGeneratorResponse_FEATURE_SUPPORTS_EDITIONS) == 0 {
			return nil, perr(fmt.Sprintf("%s uses editions, which the plugin does not support", f))
		}
	}
	out := make([]genFile, 0, len(resp.GetFile()))
	for _, f := range resp.GetFile() {
		if f.GetInsertionPoint() != "" {
			return nil, perr(fmt.Sprintf("file %q: insertion points are not supported", f.GetName()))
		}
		if f.GetName() == "" {
			return nil, perr("a file without a name (continuation of an earlier file) is not supported")
		}
		out = append(out, genFile{plugin: j.plugins[0], name: f.GetName(), content: []byte(f.GetContent())})
	}
	return out, nil
}

// serviceCommentBuiltins are the protoc builtins that read no comments but
// those of services and methods (TestServiceSourceInfoSameOutput checks
// them against full source info).
var serviceCommentBuiltins = map[string]bool{"python": true, "pyi": true, "grpc_python": true}

// protocMain runs grpcio-tools' protoc as a library call, so that nothing
// is read from its bundled include directory: every descriptor comes from
// the image.
const protocMain = "import sys\nfrom grpc_tools import protoc\nsys.exit(protoc.main(['protoc'] + sys.argv[1:]))\n"

func (g *generator) runBuiltins(ctx context.Context, j *job) ([]genFile, error) {
	names := make([]string, len(j.plugins))
	for i, pi := range j.plugins {
		names[i] = g.cfg.Plugins[pi].Name()
	}
	label := strings.Join(names, ", ")
	env, err := g.tc.Python(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "protoctl-protoc-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	set := filepath.Join(tmp, "image.binpb")
	servicesOnly := !g.opts.FullSourceInfo
	for _, pi := range j.plugins {
		servicesOnly = servicesOnly && serviceCommentBuiltins[g.cfg.Plugins[pi].Builtin]
	}
	if err := os.WriteFile(set, j.im.descriptorSet(j.files, servicesOnly), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-c", protocMain, "--descriptor_set_in=" + set}
	// Each builtin writes one zip archive (protoc does so for an output
	// path ending in .zip): one file to create and read back instead of
	// three per .proto, which on a large workspace was most of the run's
	// system time.
	for i, pi := range j.plugins {
		p := g.cfg.Plugins[pi]
		args = append(args, "--"+p.Builtin+"_out="+filepath.Join(tmp, fmt.Sprintf("out%d.zip", i)))
		if len(p.Opt) > 0 {
			args = append(args, "--"+p.Builtin+"_opt="+strings.Join(p.Opt, ","))
		}
	}
	args = append(args, j.files...)
	_, stderr, err := runCommand(ctx, g.cfg.Timeout, nil, tmp, env.Python, args...)
	if err != nil {
		return nil, &PluginError{Plugin: label, Job: j.label, Msg: err.Error(), Stderr: tail(string(stderr), 4000)}
	}
	var out []genFile
	for i, pi := range j.plugins {
		files, err := readZip(filepath.Join(tmp, fmt.Sprintf("out%d.zip", i)))
		if err != nil {
			return nil, &PluginError{Plugin: g.cfg.Plugins[pi].Name(), Job: j.label, Msg: err.Error(), Stderr: tail(string(stderr), 4000)}
		}
		for _, f := range files {
			f.plugin = pi
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b genFile) int { return strings.Compare(a.name, b.name) })
	return out, nil
}
