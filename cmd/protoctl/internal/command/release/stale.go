package release

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/protoctl/protoctl/bufconfig"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/gen"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/workspace"
	"github.com/protoctl/protoctl/codegen"
	"github.com/protoctl/protoctl/compile"
)

// staleGenerated runs the check of `protoctl gen --check` on the
// workspace that holds dir and returns the files that would be added,
// changed or removed. A workspace without buf.gen.yaml generates nothing
// and is never stale.
func staleGenerated(ctx context.Context, dir string, log io.Writer) ([]string, error) {
	ws, err := workspace.Find(dir)
	if err != nil {
		return nil, err
	}
	root := os.DirFS(ws.Root)
	const template = "buf.gen.yaml"
	if _, err := os.Stat(filepath.Join(ws.Root, template)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	tmpl, err := bufconfig.ReadBufGenYAML(root, template)
	if err != nil {
		return nil, err
	}
	settings, err := bufconfig.ReadProtoctlYAML(root, "protoctl.yaml")
	if err != nil {
		return nil, err
	}
	cfg, err := gen.Config(tmpl, settings, ws.Buf.Modules...)
	if err != nil {
		return nil, err
	}
	tc, err := ws.Toolchain(log)
	if err != nil {
		return nil, err
	}
	res, err := codegen.Generate(ctx, cfg, tc, codegen.Options{
		Root:  ws.Root,
		Check: true,
		Log:   log,
		Compile: func(ctx context.Context) (*compile.Encoded, error) {
			return compile.CompileEncoded(ctx, compile.Workspace{FS: root, Modules: ws.Modules(), Name: ws.Root}, &compile.Cache{})
		},
	})
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, l := range [][]string{res.Added, res.Changed, res.Removed} {
		stale = append(stale, l...)
	}
	return stale, nil
}
