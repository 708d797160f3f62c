package release

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const userPath = "proto/acme/user/v1/user.proto"

// TestPlanBump releases one change after a tag and checks the bump.
func TestPlanBump(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tag      string
		light    bool
		buf      string // buf.yaml of the change; bufYAML when empty
		files    func(t *testing.T) map[string]string
		want     Bump
		wantNext string
		wantKind []string // change+" "+kind+" "+name of the non-breaking changes
	}{
		{
			name: "field removed is major", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "  string email = 2;\n", "")}
			},
			want: BumpMajor, wantNext: "v2.0.0",
			wantKind: []string{"removed field acme.user.v1.User.email"},
		},
		{
			name: "field added is minor", tag: "v1.2.0", light: true,
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "  Status status = 3;\n", "  Status status = 3;\n  string phone = 4;\n")}
			},
			want: BumpMinor, wantNext: "v1.3.0",
			wantKind: []string{"added field acme.user.v1.User.phone"},
		},
		{
			name: "enum value added is minor", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "  STATUS_ACTIVE = 1;\n", "  STATUS_ACTIVE = 1;\n  STATUS_BANNED = 2;\n")}
			},
			want: BumpMinor, wantNext: "v1.3.0",
			wantKind: []string{"added enum_value acme.user.v1.Status.STATUS_BANNED"},
		},
		{
			name: "rpc and message added is minor", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t,
					"service UserService {\n", "message DeleteUserRequest {\n  string id = 1;\n}\n\nservice UserService {\n  rpc DeleteUser(DeleteUserRequest) returns (User);\n")}
			},
			want: BumpMinor, wantNext: "v1.3.0",
			wantKind: []string{"added rpc acme.user.v1.UserService.DeleteUser", "added message acme.user.v1.DeleteUserRequest"},
		},
		{
			name: "new file with a service is minor", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{"proto/acme/billing/v1/billing.proto": "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Invoice { string id = 1; }\nservice BillingService { rpc Get(Invoice) returns (Invoice); }\n"}
			},
			want: BumpMinor, wantNext: "v1.3.0",
			wantKind: []string{"added file acme/billing/v1/billing.proto"},
		},
		{
			name: "service removed is major, its rpcs implied", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "service UserService {\n  rpc GetUser(GetUserRequest) returns (User);\n}\n", "")}
			},
			want: BumpMajor, wantNext: "v2.0.0",
			wantKind: []string{"removed service acme.user.v1.UserService"},
		},
		{
			name: "comment changed is patch", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "// User is an account.", "// User is an account of a person.")}
			},
			want: BumpPatch, wantNext: "v1.2.1",
			wantKind: []string{"changed message acme.user.v1.User"},
		},
		{
			name: "field deprecated is patch", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "string email = 2;", "string email = 2 [deprecated = true];")}
			},
			want: BumpPatch, wantNext: "v1.2.1",
			wantKind: []string{"changed field acme.user.v1.User.email"},
		},
		{
			name: "whitespace only is no release", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "message GetUserRequest {", "\n\nmessage GetUserRequest {"), "README.md": "docs\n"}
			},
			want: BumpNone, wantNext: "v1.2.0",
		},
		{
			name: "field renamed is major under FILE", tag: "v1.2.0",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "string email = 2;", "string mail = 2;")}
			},
			want: BumpMajor, wantNext: "v2.0.0",
			wantKind: []string{"changed field acme.user.v1.User.mail"},
		},
		{
			name: "field renamed is patch under WIRE", tag: "v1.2.0",
			buf: bufYAML + "breaking:\n  use:\n    - WIRE\n",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "string email = 2;", "string mail = 2;")}
			},
			want: BumpPatch, wantNext: "v1.2.1",
			wantKind: []string{"changed field acme.user.v1.User.mail"},
		},
		{
			name: "breaking before 1.0 is minor", tag: "v0.4.2",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "  string email = 2;\n", "")}
			},
			want: BumpMinor, wantNext: "v0.5.0",
			wantKind: []string{"removed field acme.user.v1.User.email"},
		},
		{
			name: "additive before 1.0 is patch", tag: "v0.4.2", light: true,
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "  Status status = 3;\n", "  Status status = 3;\n  string phone = 4;\n")}
			},
			want: BumpPatch, wantNext: "v0.4.3",
			wantKind: []string{"added field acme.user.v1.User.phone"},
		},
		{
			name: "comment before 1.0 is patch", tag: "v0.4.2",
			files: func(t *testing.T) map[string]string {
				return map[string]string{userPath: edit(t, "// User is an account.", "// User is an account of a person.")}
			},
			want: BumpPatch, wantNext: "v0.4.3",
			wantKind: []string{"changed message acme.user.v1.User"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
			r.tag(tt.tag, tt.light)
			files := tt.files(t)
			if tt.buf != "" {
				files["buf.yaml"] = tt.buf
			}
			r.commit("change", files)
			rel, err := r.plan(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rel.Previous == nil || rel.Previous.Name != tt.tag || rel.Previous.Annotated == tt.light {
				t.Errorf("previous = %+v, want tag %s (annotated %v)", rel.Previous, tt.tag, !tt.light)
			}
			if rel.Bump != tt.want || rel.Next.String() != tt.wantNext || rel.TagName != tt.wantNext {
				t.Errorf("bump %s to %s (tag %s), want %s to %s", rel.Bump, rel.Next, rel.TagName, tt.want, tt.wantNext)
			}
			var kinds []string
			breaking := 0
			for _, c := range rel.Changes {
				if c.Change == ChangeBreaking {
					breaking++
					if c.Rule == "" || c.Message == "" {
						t.Errorf("breaking change without a why: %+v", c)
					}
					continue
				}
				kinds = append(kinds, c.Change+" "+c.Kind+" "+c.Name)
				if c.Package == "" {
					t.Errorf("change without a package: %+v", c)
				}
			}
			if diff := cmp.Diff(tt.wantKind, kinds); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if wantBreaking := tt.want == BumpMajor || strings.HasPrefix(tt.name, "breaking"); (breaking > 0) != wantBreaking {
				t.Errorf("%d breaking changes, want some: %v", breaking, wantBreaking)
			}
		})
	}
}

// TestPlanTags checks which tag is the previous release.
func TestPlanTags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tags   []string // "name" annotated, "name!" lightweight
		prefix string
		want   string // previous tag; "" for a first release
	}{
		{name: "highest version, not the newest tag", tags: []string{"v1.10.0", "v1.9.0!"}, want: "v1.10.0"},
		{name: "non-semver tags ignored", tags: []string{"v1.0.0", "latest!", "v2", "v3.0.0-rc.1", "v04.0.0!", "release-9", "vx.y.z!"}, want: "v1.0.0"},
		{name: "lightweight only", tags: []string{"v0.3.0!"}, want: "v0.3.0"},
		{name: "prefix selects its own tags", tags: []string{"v7.0.0", "proto/v1.1.0!", "proto/v1.0.0", "other/v9.0.0"}, prefix: "proto/", want: "proto/v1.1.0"},
		{name: "prefix without matching tags", tags: []string{"v7.0.0"}, prefix: "proto/"},
		{name: "no tags", tags: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
			for _, tag := range tt.tags {
				name, light := strings.CutSuffix(tag, "!")
				r.tag(name, light)
			}
			r.commit("change", map[string]string{userPath: edit(t, "  Status status = 3;\n", "  Status status = 3;\n  string phone = 4;\n")})
			rel, err := r.plan(Options{TagPrefix: tt.prefix})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if rel.Previous != nil {
				got = rel.Previous.Name
			}
			if got != tt.want {
				t.Errorf("previous = %q, want %q", got, tt.want)
			}
			if tt.want == "" && (rel.Bump != BumpInitial || rel.TagName != tt.prefix+"v0.1.0") {
				t.Errorf("first release: bump %s tag %s, want initial %sv0.1.0", rel.Bump, rel.TagName, tt.prefix)
			}
		})
	}
}

// TestPlanSubdirModule releases a contract in a subdirectory with its own
// buf.yaml and prefixed tags, while the root has tags of its own.
func TestPlanSubdirModule(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("contract", map[string]string{
		"go.mod":                      "module example.com/x\n",
		"api/buf.yaml":                "version: v2\n",
		"api/acme/user/v1/user.proto": userProto,
	})
	r.tag("api/v1.0.0", false)
	r.tag("v3.0.0", false)
	r.commit("change", map[string]string{"api/acme/user/v1/user.proto": edit(t, "  string email = 2;\n", "")})
	rel, err := r.plan(Options{Dir: "api", TagPrefix: "api/"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Previous.Name != "api/v1.0.0" || rel.TagName != "api/v2.0.0" || rel.Bump != BumpMajor {
		t.Errorf("previous %s, next tag %s, bump %s; want api/v1.0.0, api/v2.0.0, major", rel.Previous.Name, rel.TagName, rel.Bump)
	}
	if len(rel.Changes) == 0 || rel.Changes[0].Path != "acme/user/v1/user.proto" {
		t.Errorf("changes = %+v, want paths relative to the module", rel.Changes)
	}
}

// TestPlanInitial: no release tag yet.
func TestPlanInitial(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
	rel, err := r.plan(Options{Initial: Version{1, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Package: "acme.user.v1", Change: ChangeAdded, Kind: "file", Name: "acme/user/v1/user.proto", Path: userPath}}
	if rel.Bump != BumpInitial || rel.TagName != "v1.0.0" || rel.Previous != nil {
		t.Errorf("bump %s tag %s previous %v, want initial v1.0.0 none", rel.Bump, rel.TagName, rel.Previous)
	}
	if diff := cmp.Diff(want, rel.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestPlanRef releases a given revision: the work tree is ignored, and a
// tag at the revision is its own release, not the previous one.
func TestPlanRef(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
	r.tag("v1.0.0", false)
	r.commit("add", map[string]string{userPath: edit(t, "  Status status = 3;\n", "  Status status = 3;\n  string phone = 4;\n")})
	r.tag("v1.1.0", false)
	r.write(map[string]string{userPath: "syntax = \"proto3\"; this does not compile"})

	rel, err := r.plan(Options{Ref: "v1.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Previous.Name != "v1.0.0" || rel.TagName != "v1.1.0" || rel.Bump != BumpMinor || !rel.TagExists {
		t.Errorf("previous %s, tag %s, bump %s, exists %v; want v1.0.0, v1.1.0, minor, true", rel.Previous.Name, rel.TagName, rel.Bump, rel.TagExists)
	}
	if !strings.Contains(rel.Summary(), "already tagged") {
		t.Errorf("summary %q does not say the tag exists", rel.Summary())
	}
	rel, err = r.plan(Options{Ref: "HEAD~1"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Previous != nil || rel.Bump != BumpInitial {
		t.Errorf("HEAD~1: previous %v bump %s, want a first release", rel.Previous, rel.Bump)
	}
}

// TestPlanErrors: each failure names its cause.
func TestPlanErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T) (*testRepo, Options)
		wantErr error
		wantMsg []string
	}{
		{
			name: "shallow clone without tags",
			setup: func(t *testing.T) (*testRepo, Options) {
				src := newTestRepo(t)
				src.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
				src.tag("v1.0.0", false)
				src.commit("more", map[string]string{"README.md": "x\n"})
				clone := newTestRepo(t)
				clone.git("clone", "--quiet", "--depth=1", "--no-tags", "file://"+src.dir, "c")
				clone.dir += "/c"
				return clone, Options{}
			},
			wantErr: ErrShallow,
			wantMsg: []string{"git fetch --unshallow --tags", "fetch-depth: 0"},
		},
		{
			name: "tag before the module existed",
			setup: func(t *testing.T) (*testRepo, Options) {
				r := newTestRepo(t)
				r.commit("docs", map[string]string{"README.md": "x\n"})
				r.tag("v1.0.0", false)
				r.commit("contract", map[string]string{"api/buf.yaml": "version: v2\n", "api/acme/user/v1/user.proto": userProto})
				return r, Options{Dir: "api"}
			},
			wantErr: ErrOutsideModule,
			wantMsg: []string{"tag v1.0.0 has no directory api", "--tag-prefix"},
		},
		{
			name: "ref does not compile",
			setup: func(t *testing.T) (*testRepo, Options) {
				r := newTestRepo(t)
				r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
				r.tag("v1.0.0", false)
				r.commit("broken", map[string]string{userPath: edit(t, "string id = 1;\n  string email", "strin id = 1;\n  string email")})
				return r, Options{Ref: "main"}
			},
			wantMsg: []string{"ref main does not compile:", "proto/acme/user/v1/user.proto:7:3:"},
		},
		{
			name: "work tree does not compile",
			setup: func(t *testing.T) (*testRepo, Options) {
				r := newTestRepo(t)
				r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
				r.write(map[string]string{userPath: "syntax = \"proto3\";\nmessage {"})
				return r, Options{}
			},
			wantMsg: []string{"the work tree does not compile:", "user.proto:2:9:"},
		},
		{
			name: "unknown ref",
			setup: func(t *testing.T) (*testRepo, Options) {
				r := newTestRepo(t)
				r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto})
				return r, Options{Ref: "nope"}
			},
			wantMsg: []string{`ref "nope" does not name a commit`},
		},
		{
			name: "no commit",
			setup: func(t *testing.T) (*testRepo, Options) {
				return newTestRepo(t), Options{}
			},
			wantMsg: []string{"has no commit yet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, opts := tt.setup(t)
			_, err := r.plan(opts)
			if err == nil {
				t.Fatal("Plan succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
		})
	}
}
