package diag

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// findings has what breaking produces (a finding without a file, two
// rules at one place with different ends) and what gen --check produces
// (a file without a position). The expected output of the first four
// lines is buf v1.75's for the same findings (the breaking command's
// TestBufParity checks it against buf live).
var findings = []Finding{
	{Path: "a/b.proto", StartLine: 8, StartColumn: 5, EndLine: 8, EndColumn: 19, Type: "FIELD_SAME_TYPE", Message: `Field "2" changed type.`},
	{Path: "a/b.proto", StartLine: 8, StartColumn: 5, EndLine: 9, EndColumn: 2, Type: "FIELD_SAME_JSON_NAME", Message: `Field "2" changed "json_name".`},
	{StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1, Type: "FILE_NO_DELETE", Message: `Previously present file "c.proto" was deleted.`},
	{Path: "a/b.proto", StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1, Type: "MESSAGE_NO_DELETE", Message: `Previously present message "Gone" was deleted from file.`},
	{Path: "gen/x.go", Type: "CHANGED", Message: "generated file is out of date"},
}

func TestPrint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		set    Set
		want   string
	}{
		{format: "text", set: NewSet(findings...), want: `<input>:1:1:Previously present file "c.proto" was deleted.
a/b.proto:1:1:Previously present message "Gone" was deleted from file.
a/b.proto:8:5:Field "2" changed "json_name".
a/b.proto:8:5:Field "2" changed type.
gen/x.go:generated file is out of date
`},
		{format: "json", set: NewSet(findings...), want: `{"start_line":1,"start_column":1,"end_line":1,"end_column":1,"type":"FILE_NO_DELETE","message":"Previously present file \"c.proto\" was deleted."}
{"path":"a/b.proto","start_line":1,"start_column":1,"end_line":1,"end_column":1,"type":"MESSAGE_NO_DELETE","message":"Previously present message \"Gone\" was deleted from file."}
{"path":"a/b.proto","start_line":8,"start_column":5,"end_line":9,"end_column":2,"type":"FIELD_SAME_JSON_NAME","message":"Field \"2\" changed \"json_name\"."}
{"path":"a/b.proto","start_line":8,"start_column":5,"end_line":8,"end_column":19,"type":"FIELD_SAME_TYPE","message":"Field \"2\" changed type."}
{"path":"gen/x.go","type":"CHANGED","message":"generated file is out of date"}
`},
		{format: "github-actions", set: NewSet(findings...), want: `::error file=<input>::Previously present file "c.proto" was deleted.
::error file=a/b.proto,line=1,col=1,endLine=1,endColumn=1::Previously present message "Gone" was deleted from file.
::error file=a/b.proto,line=8,col=5,endLine=9,endColumn=2::Field "2" changed "json_name".
::error file=a/b.proto,line=8,col=5,endLine=8,endColumn=19::Field "2" changed type.
::error file=gen/x.go::generated file is out of date
`},
		{format: "github-actions", set: Set{{Path: "a.proto", StartLine: 2, Type: "COMPILE", Message: "one\r\ntwo: 100%"}},
			want: "::error file=a.proto,line=2::one%0D%0Atwo: 100%\n"},
		{format: "junit", set: NewSet(findings...), want: `<testsuites>
  <testsuite name="&lt;input&gt;" tests="1" failures="1" errors="0">
    <testcase name="FILE_NO_DELETE">
      <failure message="&lt;input&gt;:1:1:Previously present file &#34;c.proto&#34; was deleted." type="FILE_NO_DELETE"></failure>
    </testcase>
  </testsuite>
  <testsuite name="a/b" tests="3" failures="3" errors="0">
    <testcase name="MESSAGE_NO_DELETE_1_1">
      <failure message="a/b.proto:1:1:Previously present message &#34;Gone&#34; was deleted from file." type="MESSAGE_NO_DELETE"></failure>
    </testcase>
    <testcase name="FIELD_SAME_JSON_NAME_8_5">
      <failure message="a/b.proto:8:5:Field &#34;2&#34; changed &#34;json_name&#34;." type="FIELD_SAME_JSON_NAME"></failure>
    </testcase>
    <testcase name="FIELD_SAME_TYPE_8_5">
      <failure message="a/b.proto:8:5:Field &#34;2&#34; changed type." type="FIELD_SAME_TYPE"></failure>
    </testcase>
  </testsuite>
  <testsuite name="gen/x.go" tests="1" failures="1" errors="0">
    <testcase name="CHANGED">
      <failure message="gen/x.go:generated file is out of date" type="CHANGED"></failure>
    </testcase>
  </testsuite>
</testsuites>
`},
		{format: "text", set: nil, want: ""},
		{format: "json", set: nil, want: ""},
		{format: "github-actions", set: nil, want: ""},
		{format: "junit", set: nil, want: ""},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Print(&b, tt.format, tt.set); err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if diff := cmp.Diff(tt.want, b.String()); diff != "" {
			t.Errorf("%s, %d findings (-want +got):\n%s", tt.format, len(tt.set), diff)
		}
	}
}

func TestPrintUnknownFormat(t *testing.T) {
	t.Parallel()
	err := Print(&bytes.Buffer{}, "xml", nil)
	want := "unknown error format \"xml\": use one of text, json, github-actions, junit"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

// TestNewSet checks buf's order (ends last, after type and message) and
// that duplicates go.
func TestNewSet(t *testing.T) {
	t.Parallel()
	a := Finding{Path: "a.proto", StartLine: 3, StartColumn: 1, EndLine: 9, EndColumn: 1, Type: "A", Message: "m"}
	b := Finding{Path: "a.proto", StartLine: 3, StartColumn: 1, EndLine: 3, EndColumn: 5, Type: "B", Message: "m"}
	c := Finding{Path: "a.proto", StartLine: 3, StartColumn: 1, EndLine: 3, EndColumn: 5, Type: "B", Message: "n"}
	d := Finding{Path: "a.proto", StartLine: 3, StartColumn: 1, EndLine: 2, EndColumn: 1, Type: "B", Message: "n"}
	none := Finding{Type: "Z", Message: "no file"}
	got := NewSet(c, d, b, a, none, a, c)
	want := Set{none, a, b, d, c}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewSet (-want +got):\n%s", diff)
	}
}
