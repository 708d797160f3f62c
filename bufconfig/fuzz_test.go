package bufconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input panics and that every failure is an
// *Error naming the file.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "*.yaml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: v2\nmodules: a: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsers := map[string]func(string, []byte) error{
			"buf.yaml":      func(n string, d []byte) error { _, err := ParseBufYAML(n, d); return err },
			"buf.gen.yaml":  func(n string, d []byte) error { _, err := ParseBufGenYAML(n, d); return err },
			"protoctl.yaml": func(n string, d []byte) error { _, err := ParseProtoctlYAML(n, d); return err },
		}
		for name, parse := range parsers {
			err := parse(name, data)
			var e *Error
			if err != nil && (!errors.As(err, &e) || e.File != name || e.Message == "") {
				t.Errorf("%s: error %v (%T) is not an *Error naming the file", name, err, err)
			}
		}
	})
}
