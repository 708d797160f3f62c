package compat

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/diag"
)

// claims is what an explanation says about wire and JSON: "breaks",
// "safe" or "" (neither).
func claims(e Explanation, audience string) string {
	if slices.ContainsFunc(e.Breaks, func(i Impact) bool { return i.Audience == audience }) {
		if slices.Contains(e.Safe, audience) {
			return "both"
		}
		return "breaks"
	}
	if slices.Contains(e.Safe, audience) {
		return "safe"
	}
	return ""
}

// specific are the rules whose message decides wire and JSON; the other
// rules follow their categories.
var specific = map[string]bool{
	"FIELD_SAME_TYPE": true, "FIELD_WIRE_COMPATIBLE_TYPE": true, "FIELD_WIRE_JSON_COMPATIBLE_TYPE": true,
	"FIELD_SAME_CARDINALITY": true, "FIELD_WIRE_COMPATIBLE_CARDINALITY": true, "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY": true,
}

// TestImpactsFollowCategories checks, for every rule, that the wire and
// JSON claims agree with buf's categories: a rule in WIRE breaks the wire,
// a rule in WIRE_JSON breaks JSON, a rule in neither (generated code only)
// leaves both alone; and that every rule breaks someone. The rules whose
// message decides are checked by TestExplainTypes and TestExplainCardinality,
// except that their WIRE member always breaks the wire.
func TestImpactsFollowCategories(t *testing.T) {
	t.Parallel()
	for _, r := range Rules() {
		t.Run(r.ID, func(t *testing.T) {
			t.Parallel()
			e := Explain(diag.Finding{Type: r.ID, Message: `Field "1" with name "a" on message "M" changed something.`})
			if len(e.Breaks) == 0 {
				t.Errorf("breaks nobody")
			}
			wire, json := slices.Contains(r.Categories, catWire), slices.Contains(r.Categories, catWireJSON)
			if wire && claims(e, AudienceWire) != "breaks" {
				t.Errorf("in WIRE but wire is %q", claims(e, AudienceWire))
			}
			for _, a := range audienceOrder {
				if claims(e, a) == "both" {
					t.Errorf("%s both broken and safe", a)
				}
			}
			if specific[r.ID] {
				return
			}
			want := map[bool]string{true: "breaks", false: "safe"}
			if got := claims(e, AudienceWire); got != want[wire] {
				t.Errorf("categories %v: wire is %q, want %q", r.Categories, got, want[wire])
			}
			if got := claims(e, AudienceJSON); got != want[json] {
				t.Errorf("categories %v: JSON is %q, want %q", r.Categories, got, want[json])
			}
			// The table itself carries no wire or JSON text that the
			// categories contradict.
			for _, i := range impacts[r.ID] {
				if i.Audience == AudienceWire && !wire || i.Audience == AudienceJSON && !json {
					t.Errorf("impacts table has %s text for a rule not in its category: %q", i.Audience, i.Detail)
				}
			}
		})
	}
}

// TestExplainTypes checks the claims for type changes, from the two types
// in the message, for the three type rules.
func TestExplainTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to             string
		wire, json, goC, pyC string // "breaks" or "safe"
	}{
		{"string", "int32", "breaks", "breaks", "breaks", "breaks"},
		{"int32", "int64", "safe", "breaks", "breaks", "safe"},
		{"int32", "uint64", "safe", "breaks", "breaks", "safe"},
		{"int64", "uint64", "safe", "safe", "breaks", "safe"},
		{"uint32", "bool", "safe", "breaks", "breaks", "breaks"},
		{"int32", "sint32", "breaks", "safe", "safe", "safe"},
		{"sint32", "sint64", "safe", "breaks", "breaks", "safe"},
		{"fixed32", "sfixed32", "safe", "safe", "breaks", "safe"},
		{"fixed64", "sfixed64", "safe", "safe", "breaks", "safe"},
		{"fixed32", "fixed64", "breaks", "breaks", "breaks", "safe"},
		{"float", "double", "breaks", "safe", "breaks", "safe"},
		{"string", "bytes", "safe", "breaks", "breaks", "breaks"},
		{"bytes", "string", "breaks", "breaks", "breaks", "breaks"},
		{"message", "bytes", "safe", "breaks", "breaks", "breaks"},
		{"bytes", "message", "safe", "breaks", "breaks", "breaks"},
		{"string", "message", "breaks", "breaks", "breaks", "breaks"},
		{"enum", "int32", "safe", "breaks", "breaks", "safe"},
		{"enum", "bool", "breaks", "breaks", "breaks", "breaks"},
		{"message", "message (delimited encoding)", "breaks", "safe", "breaks", "breaks"},
		{"acme.v1.A", "acme.v1.B", "breaks", "breaks", "breaks", "breaks"},
	}
	for _, rule := range []string{"FIELD_SAME_TYPE", "FIELD_WIRE_COMPATIBLE_TYPE", "FIELD_WIRE_JSON_COMPATIBLE_TYPE"} {
		for _, tt := range tests {
			msg := `Field "1" with name "a" on message "M" changed type from "` + tt.from + `" to "` + tt.to + `".`
			if rule != "FIELD_SAME_TYPE" {
				msg += " See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules."
			}
			e := Explain(diag.Finding{Type: rule, Message: msg})
			want := []string{tt.wire, tt.json, tt.goC, tt.pyC}
			if rule == "FIELD_WIRE_COMPATIBLE_TYPE" {
				want[0] = "breaks" // the rule is in WIRE: buf found a wire break
			}
			got := []string{claims(e, AudienceWire), claims(e, AudienceJSON), claims(e, AudienceGo), claims(e, AudiencePython)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s -> %s: [wire json go python] (-want +got):\n%s", rule, tt.from, tt.to, diff)
			}
			for _, i := range e.Breaks {
				if strings.Contains(i.Detail, "{") || strings.Contains(i.Detail, "%!") {
					t.Errorf("%s %s -> %s: unfilled detail %q", rule, tt.from, tt.to, i.Detail)
				}
			}
		}
	}
}

// TestExplainCardinality checks the claims for cardinality changes.
func TestExplainCardinality(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to   string
		wire, json string
	}{
		{"optional with implicit presence", "optional with explicit presence", "safe", "safe"},
		{"optional with explicit presence", "required", "breaks", "breaks"},
		{"optional with implicit presence", "repeated", "breaks", "breaks"},
		{"repeated", "map", "safe", "breaks"},
	}
	for _, rule := range []string{"FIELD_SAME_CARDINALITY", "FIELD_WIRE_COMPATIBLE_CARDINALITY", "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"} {
		for _, tt := range tests {
			msg := `Field "2" with name "age" on message "User" changed cardinality from "` + tt.from + `" to "` + tt.to + `".`
			e := Explain(diag.Finding{Type: rule, Message: msg})
			want := []string{tt.wire, tt.json, "breaks", "breaks"}
			if rule == "FIELD_WIRE_COMPATIBLE_CARDINALITY" {
				want[0] = "breaks"
			}
			got := []string{claims(e, AudienceWire), claims(e, AudienceJSON), claims(e, AudienceGo), claims(e, AudiencePython)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s -> %s: [wire json go python] (-want +got):\n%s", rule, tt.from, tt.to, diff)
			}
		}
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		finding   diag.Finding
		audiences []string
		mentions  string
		safe      []string
	}{
		{
			finding:   diag.Finding{Type: "FIELD_SAME_NAME", Message: `Field "13" on message "Order" changed name from "renamed" to "renamed_now".`},
			audiences: []string{"json", "go", "python"},
			safe:      []string{"wire"},
		},
		{
			finding:   diag.Finding{Type: "FIELD_SAME_TYPE", Message: `Field "2" with name "order_id" on message "Order" changed type from "int32" to "int64".`},
			audiences: []string{"json", "go"},
			mentions:  "GetOrderId() returns int64 instead of int32",
			safe:      []string{"wire", "python"},
		},
		{
			// The case that was wrong: string to int32 is no wire change.
			finding:   diag.Finding{Type: "FIELD_SAME_TYPE", Message: `Field "1" with name "a" on message "Extra" changed type from "string" to "int32".`},
			audiences: []string{"wire", "json", "go", "python"},
			mentions:  "string and int32 are encoded differently",
			safe:      []string{},
		},
		{
			finding:   diag.Finding{Type: "FIELD_WIRE_COMPATIBLE_TYPE", Message: `Field "3" with name "zig" on message "Order" changed type from "int32" to "sint32". See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules.`},
			audiences: []string{"wire"},
			mentions:  "msg.zig",
			safe:      []string{"json", "go", "python"},
		},
		{
			finding:   diag.Finding{Type: "FILE_SAME_JAVA_PACKAGE", Message: `File option "java_package" changed from "a" to "b".`},
			audiences: []string{"other"},
			safe:      []string{"wire", "json", "go", "python"},
		},
		{
			finding:   diag.Finding{Type: "MESSAGE_NO_DELETE", Message: `Previously present message "Order.Line" was deleted from file.`},
			audiences: []string{"go", "python"},
			mentions:  "Order_Line",
			safe:      []string{"wire", "json"},
		},
		{
			finding:   diag.Finding{Type: "FIELD_NO_DELETE", Message: `Previously present field "3" with name "email" on message "User" was deleted.`},
			audiences: []string{"go", "python"},
			mentions:  "GetEmail()",
			safe:      []string{"wire", "json"},
		},
		{
			finding:   diag.Finding{Type: "ENUM_VALUE_SAME_NAME", Message: `Enum value "1" on enum "Level" changed name from "LEVEL_LOW" to "LEVEL_MIN".`},
			audiences: []string{"json", "go", "python"},
			mentions:  "Level.LEVEL_LOW",
		},
		{
			finding:   diag.Finding{Type: "NOT_A_RULE"},
			audiences: []string{},
			safe:      []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.finding.Type, func(t *testing.T) {
			t.Parallel()
			e := Explain(tt.finding)
			got := []string{}
			text := ""
			for _, i := range e.Breaks {
				got = append(got, i.Audience)
				text += i.Detail + "\n"
			}
			if diff := cmp.Diff(tt.audiences, got); diff != "" {
				t.Errorf("audiences (-want +got):\n%s", diff)
			}
			if !strings.Contains(text, tt.mentions) {
				t.Errorf("details %q do not mention %q", text, tt.mentions)
			}
			if tt.safe != nil {
				if diff := cmp.Diff(tt.safe, e.Safe); diff != "" {
					t.Errorf("safe (-want +got):\n%s", diff)
				}
			}
		})
	}
}
