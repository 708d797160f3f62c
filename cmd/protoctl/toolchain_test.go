package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestToolchainListInstallBin(t *testing.T) {
	t.Parallel()
	dir, cache := workspace(t), testCache(t)
	r := runIn(t, dir, cache, "toolchain", "install")
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s", r.code, r.stderr)
	}
	r = runIn(t, dir, cache, "toolchain", "list")
	if r.code != 0 {
		t.Fatalf("list: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"protoc-gen-go ", "v1.36.12", "grpcio-tools", "1.85.1", "installed, verified"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runIn(t, dir, cache, "toolchain", "bin")
	bin := strings.TrimSpace(r.stdout)
	if r.code != 0 || bin == "" {
		t.Fatalf("bin: exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}
	for _, name := range []string{"protoc-gen-go", "protoc-gen-go-grpc", "protoc", "protoc-gen-grpc_python", "protoc-gen-mypy_grpc"} {
		info, err := os.Stat(filepath.Join(bin, name))
		if err != nil || info.Mode()&0o111 == 0 {
			t.Errorf("%s in %s: %v", name, bin, err)
		}
	}
}

// TestToolchainRefusesTamperedBinary replaces a cached plugin binary: list
// reports it broken and gen refuses to run it, naming the fix.
func TestToolchainRefusesTamperedBinary(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	cache := t.TempDir() // a private install: this test breaks it
	if r := runIn(t, dir, cache, "toolchain", "install"); r.code != 0 {
		t.Fatalf("install: exit %d\n%s", r.code, r.stderr)
	}
	bins, _ := filepath.Glob(filepath.Join(cache, "tools", "go", "protoc-gen-go@*", "bin", "protoc-gen-go"))
	if len(bins) != 1 {
		t.Fatalf("cached protoc-gen-go: %v", bins)
	}
	if err := os.WriteFile(bins[0], []byte("#!/bin/sh\necho tampered\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, dir, cache, "toolchain", "list")
	if !strings.Contains(r.stdout, "BROKEN") {
		t.Errorf("list does not report the tampered binary:\n%s", r.stdout)
	}
	before := tree(t, dir)
	r = runIn(t, dir, cache, "gen")
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to run it") || !strings.Contains(r.stderr, "protoctl toolchain install --force") {
		t.Fatalf("gen with a tampered plugin: exit %d\n%s", r.code, r.stderr)
	}
	if len(tree(t, dir)) != len(before) {
		t.Errorf("gen wrote files with a tampered plugin")
	}
	if r := runIn(t, dir, cache, "toolchain", "install", "--force"); r.code != 0 {
		t.Fatalf("install --force: exit %d\n%s", r.code, r.stderr)
	}
	if r := runIn(t, dir, cache, "gen"); r.code != 0 {
		t.Fatalf("gen after repair: exit %d\n%s", r.code, r.stderr)
	}
}
