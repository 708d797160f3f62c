package input

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "image.data")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		raw     string
		want    Ref
		wantErr string
	}{
		{raw: "", want: Ref{Raw: ".", Kind: Dir, Path: "."}},
		{raw: "proto", want: Ref{Raw: "proto", Kind: Dir, Path: "proto"}},
		{raw: dir, want: Ref{Raw: dir, Kind: Dir, Path: dir}},
		{raw: "image.binpb", want: Ref{Raw: "image.binpb", Kind: ImageFile, Path: "image.binpb"}},
		{raw: "out/image.pb", want: Ref{Raw: "out/image.pb", Kind: ImageFile, Path: "out/image.pb"}},
		{raw: file, want: Ref{Raw: file, Kind: ImageFile, Path: file}},
		{raw: "proto#format=binpb", want: Ref{Raw: "proto#format=binpb", Kind: ImageFile, Path: "proto"}},
		{raw: ".git", want: Ref{Raw: ".git", Kind: Git, Path: "."}},
		{raw: ".git#branch=main", want: Ref{Raw: ".git#branch=main", Kind: Git, Path: ".", Branch: "main"}},
		{raw: "../repo/.git#tag=v1.0.0", want: Ref{Raw: "../repo/.git#tag=v1.0.0", Kind: Git, Path: "../repo", Tag: "v1.0.0"}},
		{raw: "bare.git#ref=HEAD~1", want: Ref{Raw: "bare.git#ref=HEAD~1", Kind: Git, Path: "bare.git", Rev: "HEAD~1"}},
		{raw: ".git#ref=abc123,subdir=proto/", want: Ref{Raw: ".git#ref=abc123,subdir=proto/", Kind: Git, Path: ".", Rev: "abc123", Subdir: "proto"}},
		{raw: ".git#branch=main,subdir=proto,depth=50", want: Ref{Raw: ".git#branch=main,subdir=proto,depth=50", Kind: Git, Path: ".", Branch: "main", Subdir: "proto"}},
		{raw: "repo#format=git,branch=dev", want: Ref{Raw: "repo#format=git,branch=dev", Kind: Git, Path: "repo", Branch: "dev"}},

		{raw: "#branch=main", wantErr: "no path before '#'"},
		{raw: ".git#branch", wantErr: `invalid option "branch": want key=value`},
		{raw: ".git#branch=a,branch=b", wantErr: `option "branch" given twice`},
		{raw: ".git#tag=a,ref=b", wantErr: "give only one of branch, tag and ref"},
		{raw: ".git#subdir=../up", wantErr: `subdir "../up" is outside the repository`},
		{raw: "proto#format=zip", wantErr: `unsupported format "zip": use dir, git or binpb`},
		{raw: "proto#format=dir,branch=main", wantErr: `branch, tag, ref and subdir apply to git inputs only, and "proto" is a dir input`},
		{raw: "git@github.com:x/y.git", wantErr: "remote inputs are not supported: clone the repository and give its local path, such as path/to/repo/.git#branch=main"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.raw)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.raw, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.raw, diff)
			}
		})
	}
}
