// Package release is the `protoctl release` command: derive the next
// version of the contract from its change since the last release tag,
// print it with the changelog, and with --tag create the annotated tag.
//
// The command wires package release (tags, classification, changelog)
// and, before tagging, the drift check of `protoctl gen --check`.
package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/protoctl/protoctl/release"
)

// Flag names.
const (
	flagTagPrefix = "tag-prefix"
	flagRef       = "ref"
	flagInitial   = "initial"
	flagTag       = "tag"
	flagJSON      = "json"
)

// flags are the command's options.
type flags struct {
	TagPrefix string
	Ref       string
	Initial   string
	Tag       bool
	JSON      bool
}

func (f *flags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.TagPrefix, flagTagPrefix, "", `prefix of release tags, for a contract in a subdirectory ("proto/" for proto/v1.2.0)`)
	fs.StringVar(&f.Ref, flagRef, "", "release this git revision instead of the work tree (tags at it are its own release)")
	fs.StringVar(&f.Initial, flagInitial, "v0.1.0", "the version of the first release, when no release tag exists")
	fs.BoolVar(&f.Tag, flagTag, false, "create the annotated release tag at HEAD, with the changelog as its message")
	fs.BoolVar(&f.JSON, flagJSON, false, "print the release as JSON")
}

func (f *flags) validate() (release.Version, error) {
	v, err := release.ParseVersion(f.Initial)
	if err != nil {
		return v, fmt.Errorf("--%s: %w", flagInitial, err)
	}
	if f.Tag && f.Ref != "" {
		return v, fmt.Errorf("--%s tags HEAD after checking the work tree: it cannot be combined with --%s", flagTag, flagRef)
	}
	return v, nil
}

// NewCommand returns `protoctl release`.
func NewCommand() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "release [DIR]",
		Short: "Derive the next version and changelog from the contract's change since the last release tag",
		Long: `Find the latest release tag (vMAJOR.MINOR.PATCH after --tag-prefix, annotated
or lightweight, reachable from HEAD; other tags are ignored), compare the
contract at that tag with the work tree (or --ref), and print the next
version with a changelog grouped by package.

A change that the breaking configuration of buf.yaml reports is breaking
(major); a new file, message, field, enum, enum value, service or RPC is
additive (minor); any other change to descriptors or comments is a patch.
Before v1.0.0, breaking changes bump the minor version and additive ones the
patch version. With no release tag yet, the release is --initial.

With --tag, the release is tagged at HEAD as an annotated tag whose message
is the changelog; it refuses a dirty work tree, a detached HEAD, generated
code that is out of date (protoctl gen --check) and an existing tag.

Exit status: 0 (also when nothing changed: no release), 1 on any failure.`,
		Example:       "  protoctl release\n  protoctl release --json\n  protoctl release --tag\n  protoctl release proto --tag-prefix proto/",
		Args:          cobra.MaximumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			initial, err := f.validate()
			if err != nil {
				return err
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), dir, initial, f)
		},
	}
	f.bind(cmd)
	return cmd
}

func run(ctx context.Context, stdout, stderr io.Writer, dir string, initial release.Version, f *flags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := release.Plan(ctx, release.Options{Dir: dir, TagPrefix: f.TagPrefix, Ref: f.Ref, Initial: initial})
	if err != nil {
		return err
	}
	tagged := false
	if f.Tag {
		if r.Bump == release.BumpNone {
			return errors.New("nothing to tag: " + r.Summary())
		}
		err := r.Tag(ctx, release.TagOptions{StaleGenerated: func(ctx context.Context) ([]string, error) {
			return staleGenerated(ctx, dir, stderr)
		}})
		if err != nil {
			return err
		}
		tagged = true
	}
	if f.JSON {
		return printJSON(stdout, r, tagged)
	}
	if r.Bump == release.BumpNone {
		fmt.Fprintln(stdout, r.Summary())
		return nil
	}
	fmt.Fprint(stdout, r.Changelog())
	if tagged {
		fmt.Fprintf(stderr, "protoctl: tagged %s; publish it with `git push origin %s`\n", r.TagName, r.TagName)
	}
	return nil
}

// report is the --json output.
type report struct {
	PreviousVersion *string          `json:"previous_version"`
	PreviousTag     *string          `json:"previous_tag"`
	NextVersion     string           `json:"next_version"`
	NextTag         string           `json:"next_tag"`
	Bump            release.Bump     `json:"bump"`
	Changes         []release.Change `json:"changes"`
	Changelog       string           `json:"changelog"`
	TagExists       bool             `json:"tag_exists"`
	Tagged          bool             `json:"tagged"`
}

func printJSON(w io.Writer, r *release.Release, tagged bool) error {
	out := report{
		NextVersion: r.Next.String(),
		NextTag:     r.TagName,
		Bump:        r.Bump,
		Changes:     r.Changes,
		Changelog:   r.Changelog(),
		TagExists:   r.TagExists || tagged,
		Tagged:      tagged,
	}
	if out.Changes == nil {
		out.Changes = []release.Change{}
	}
	if p := r.Previous; p != nil {
		v, name := p.Version.String(), p.Name
		out.PreviousVersion, out.PreviousTag = &v, &name
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
