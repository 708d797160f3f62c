package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// changeOneFile adds a commented field to the first message of the file
// that carries changeMarker under dir, and returns that file's path.
func changeOneFile(dir string) (string, error) {
	root := filepath.Join(dir, moduleDir)
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return "", fmt.Errorf("%s: not a synthesized workspace: no %s directory", dir, moduleDir)
	}
	var target string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || target != "" {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".proto") {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(data, []byte(changeMarker)) {
				target = p
				return fs.SkipAll
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if target == "" {
		return "", fmt.Errorf("%s: no file carries the -change-one marker; was it written by bench/synth?", root)
	}
	data, err := os.ReadFile(target)
	if err != nil {
		return "", err
	}
	out, err := changeOne(target, data)
	if err != nil {
		return "", err
	}
	return target, os.WriteFile(target, out, 0o644)
}

// changeOne adds field bench_change_<k> to the first top-level message.
func changeOne(path string, data []byte) ([]byte, error) {
	s, err := parseSource(path, data)
	if err != nil {
		return nil, err
	}
	for _, b := range s.blocks {
		if b.kind != "message" || b.parent != nil {
			continue
		}
		taken := s.names(b)
		name := "bench_change_1"
		for k := 2; taken[name]; k++ {
			name = fmt.Sprintf("bench_change_%d", k)
		}
		e := &element{indent: "  ", typ: "string", name: name, number: s.maxNumber(b) + 1}
		s.splice(b.close, b.close, "", "  // Added by bench/synth -change-one.", e.fieldLine())
		return s.text(), nil
	}
	return nil, fmt.Errorf("%s: no top-level message to change", path)
}
