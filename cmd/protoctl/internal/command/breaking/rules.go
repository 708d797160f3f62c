package breaking

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// listRules prints the rule table as `buf config ls-breaking-rules` does:
// ID, categories, whether the rule is on by default, and its purpose; or
// one JSON object per line.
func listRules(w io.Writer, c checker, format string) error {
	rules := c.Rules()
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range rules {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCATEGORIES\tDEFAULT\tPURPOSE")
	for _, r := range rules {
		def := ""
		if r.Default {
			def = "*"
		}
		purpose := r.Purpose
		if r.Deprecated {
			purpose = "(deprecated) " + purpose
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, strings.Join(r.Categories, ", "), def, purpose)
	}
	return tw.Flush()
}
