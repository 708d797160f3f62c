// Package toolchain is `protoctl toolchain`: list the pinned generators and
// their install state, install them, and move the pins.
package toolchain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/workspace"
	"github.com/protoctl/protoctl/codegen"
)

const (
	flagForce  = "force"
	flagGo     = "go"
	flagPython = "python"
)

// NewCommand returns `protoctl toolchain` and its subcommands.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "toolchain",
		Short: "List, install and upgrade the pinned code generators",
		Long: "The generators protoctl runs are pinned in protoctl.lock by exact version and hash.\n" +
			"They are installed into protoctl's cache (PROTOCTL_CACHE_DIR, else $XDG_CACHE_HOME/protoctl)\n" +
			"on first use and verified on every use; nothing is taken from PATH.",
	}
	cmd.AddCommand(newList(), newInstall(), newUpgrade(), newBin())
	return cmd
}

func newList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the pins and whether each is installed and verified",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws, err := workspace.Find(".")
			if err != nil {
				return err
			}
			tc, err := ws.Toolchain(nil)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tKIND\tVERSION\tSTATE")
			for _, s := range tc.Status(cmd.Context()) {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.Name, s.Kind, s.Version, s.State)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cache: %s\n", tc.Dir)
			return nil
		},
	}
}

func newInstall() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install every pinned generator into the cache (for offline use later)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws, err := workspace.Find(".")
			if err != nil {
				return err
			}
			tc, err := ws.Toolchain(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if force {
				if err := tc.Uninstall(); err != nil {
					return err
				}
			}
			if err := tc.InstallAll(cmd.Context()); err != nil {
				return err
			}
			for _, s := range tc.Status(cmd.Context()) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s\n", s.Name, s.Version, s.State)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, flagForce, false, "remove the cached installs of these pins first")
	return cmd
}

func newUpgrade() *cobra.Command {
	var goSpecs []string
	var python []string
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Move the pins and rewrite protoctl.lock",
		Long: "Resolves the requested versions, records their integrity data (Go module sums checked by\n" +
			"the Go checksum database; sha256 of every published file of each Python package) and\n" +
			"rewrites protoctl.lock. Without flags on a repo without a lock, pins protoctl's defaults.",
		Example: "  protoctl toolchain upgrade --go protoc-gen-go=google.golang.org/protobuf/cmd/protoc-gen-go@latest\n" +
			"  protoctl toolchain upgrade --python grpcio-tools==1.85.1 --python mypy-protobuf==5.1.0",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := workspace.Root(".")
			if err != nil {
				return err
			}
			lockPath := filepath.Join(root, codegen.LockFileName)
			cur, err := codegen.ReadLock(lockPath)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) && !isMissingLock(lockPath) {
					return err
				}
				cur = nil
			}
			dir, err := codegen.CacheDir()
			if err != nil {
				return err
			}
			tc := &codegen.Toolchain{Dir: dir, Log: cmd.ErrOrStderr()}
			next, err := tc.UpgradeLock(cmd.Context(), cur, codegen.Upgrade{Go: goSpecs, Python: python})
			if err != nil {
				return err
			}
			data, err := next.Marshal()
			if err != nil {
				return err
			}
			if err := os.WriteFile(lockPath, data, 0o644); err != nil {
				return err
			}
			for _, p := range next.Go {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s)\n", p.Name, p.Version, p.Sum)
			}
			if next.Python != nil {
				for _, p := range next.Python.Packages {
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%d hashes)\n", p.Name, p.Version, len(p.Hashes))
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", codegen.LockFileName)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&goSpecs, flagGo, nil, "pin a Go plugin: name=package@version (version may be latest); repeatable")
	cmd.Flags().StringArrayVar(&python, flagPython, nil, "pin the Python generator environment: requirement specs resolved together (grpcio-tools==VERSION, mypy-protobuf==VERSION); repeatable")
	return cmd
}

func isMissingLock(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

func newBin() *cobra.Command {
	return &cobra.Command{
		Use:   "bin",
		Short: "Print a directory holding exactly the pinned generators, for PATH",
		Long: "Installs the pins and prints a directory with each Go plugin, `protoc` (the pinned\n" +
			"grpcio-tools protoc) and protoc-gen-grpc_python, so that other tools run the same\n" +
			"generators protoctl runs.",
		Example: "  PATH=\"$(protoctl toolchain bin):$PATH\" buf generate",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws, err := workspace.Find(".")
			if err != nil {
				return err
			}
			tc, err := ws.Toolchain(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			dir, err := tc.BinDir(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), dir)
			return nil
		},
	}
}
