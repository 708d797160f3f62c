// Command protoctl is the contract tool for Go services that call Python
// gRPC services through one .proto repository.
//
// It works in a buf workspace (buf.yaml, buf.gen.yaml, proto/) and reads
// the same files buf does:
//
//	protoctl gen                 generate Go and Python code with pinned generators
//	protoctl gen --check         fail when generated code is out of date (CI)
//	protoctl breaking --against  detect breaking changes, as buf breaking does
//	protoctl conformance         prove the Go and Python runtimes agree on the contract
//	protoctl bench               measure the Go client against the Python reference server
//	protoctl toolchain list      show the pinned generators and their install state
//	protoctl release             derive the next version and changelog from the contract's change
//	protoctl doctor              check the toolchain and the Go and Python runtimes for skew
//
// Exit codes are the same for every command: 0 success, 1 failure (bad
// input, compile error, tool error), 100 findings printed (breaking
// changes, drift).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/bench"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/breaking"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/conformance"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/doctor"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/gen"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/release"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/toolchain"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	root := &cobra.Command{
		Use:           "protoctl",
		Short:         "Generate, check and release a Go/Python gRPC contract",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		gen.NewCommand(),
		breaking.NewCommand(),
		conformance.NewCommand(),
		bench.NewCommand(),
		toolchain.NewCommand(),
		release.NewCommand(),
		doctor.NewCommand(),
	)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var e *exit.Error
		if !errors.As(err, &e) || e.Err != nil {
			fmt.Fprintln(os.Stderr, "protoctl: "+err.Error())
		}
	}
	return exit.Code(err)
}
