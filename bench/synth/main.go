// Command synth writes a synthetic buf v2 workspace shaped like googleapis,
// for benchmarking protoctl gen and protoctl breaking against buf.
//
//	go run ./bench/synth -out DIR [-files 1400] [-dirs 130] [-seed 1] [-giant-mb 4]
//	go run ./bench/synth -out DIR -mutate N -from SRC [-seed 1]
//	go run ./bench/synth -out DIR -change-one
//
// The first form writes DIR/buf.yaml (one module, proto) and about -files
// .proto files in -dirs directories acme/<area>/<service>/v1 (a few
// v1beta1), each directory one package. Files hold 2-8 messages of 5-40
// fields (scalars, enums, messages, maps, repeated and proto3 optional
// fields, oneofs, nested types, comments) and a quarter of them a service
// of 2-10 methods with request and response messages. Files import files
// of their own directory and of earlier directories, and the well-known
// types they use, so neither files nor packages form cycles. One file,
// acme/compute/v1/compute.proto, is about -giant-mb MB, like googleapis'
// compute.proto. The same flags always give the same bytes.
//
// -mutate copies the workspace SRC to DIR and applies N mixed changes:
// fields deleted, renamed, retyped, renumbered, given a json_name, moved into
// a oneof, added; messages added and removed; enum values added; methods
// removed. It prints one line per change. The result still compiles.
//
// -change-one edits, in place, the one mid-size file the synthesizer marked:
// it adds a commented field to its first message, so that generated code for
// that file, and only that file, changes. Each call adds another field.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("synth", flag.ContinueOnError)
	out := fl.String("out", "", "workspace directory to write (or to edit, with -change-one)")
	cfg := config{}
	fl.IntVar(&cfg.Files, "files", 1400, "number of .proto files, the giant one included")
	fl.IntVar(&cfg.Dirs, "dirs", 130, "number of directories (packages)")
	fl.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fl.Float64Var(&cfg.GiantMB, "giant-mb", 4, "size of the giant file in MB; 0 for none")
	mutations := fl.Int("mutate", 0, "copy -from to -out and apply this many changes")
	from := fl.String("from", "", "workspace to copy with -mutate")
	changeOne := fl.Bool("change-one", false, "edit the marked file of the workspace -out in place")
	if err := fl.Parse(args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return fmt.Errorf("-out is required")
	case fl.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	case *changeOne && (*mutations > 0 || *from != ""):
		return fmt.Errorf("-change-one cannot be combined with -mutate or -from")
	case *changeOne:
		path, err := changeOneFile(*out)
		if err != nil {
			return err
		}
		fmt.Println(path)
		return nil
	case *mutations > 0 || *from != "":
		if *from == "" || *mutations <= 0 {
			return fmt.Errorf("-mutate N needs -from DIR and N > 0")
		}
		ws, err := readWorkspace(*from)
		if err != nil {
			return err
		}
		log, err := mutate(ws, *mutations, cfg.Seed)
		if err != nil {
			return err
		}
		if err := ws.write(*out); err != nil {
			return err
		}
		for _, l := range log {
			fmt.Println(l)
		}
		return nil
	}
	ws, err := synthesize(cfg)
	if err != nil {
		return err
	}
	return ws.write(*out)
}
