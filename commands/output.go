package commands

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// outputFormat is the value of --output. It checks the value as the flag
// is parsed, so a bad one is refused by cobra before the command opens
// anything: a usage error.
type outputFormat struct {
	p       *string
	allowed []string // "" among them: the flag may be left out
}

func (f *outputFormat) String() string { return *f.p }

func (f *outputFormat) Set(s string) error {
	if !slices.Contains(f.allowed, s) {
		return fmt.Errorf("want %s", strings.Join(f.choices(), " or "))
	}
	*f.p = s
	return nil
}

// Type is "string", as when --output was a plain string flag, so help
// reads as before.
func (f *outputFormat) Type() string { return "string" }

// choices are the values a person types (and completion offers).
func (f *outputFormat) choices() []string {
	var c []string
	for _, v := range f.allowed {
		if v != "" {
			c = append(c, v)
		}
	}
	return c
}

// addOutputFlag adds --output, one of allowed, with def as its default, and
// completes its values.
func addOutputFlag(cmd *cobra.Command, p *string, def, usage string, allowed ...string) {
	*p = def
	f := &outputFormat{p: p, allowed: allowed}
	cmd.Flags().Var(f, "output", usage)
	// It fails only for a flag missing or registered twice: not here.
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return f.choices(), cobra.ShellCompDirectiveNoFileComp
	})
}

// addTableOutputFlag is --output of a listing command: a table by default
// (for a person at a terminal), json for scripts.
func addTableOutputFlag(cmd *cobra.Command, p *string) {
	addOutputFlag(cmd, p, "table", "table (for people) or json (for scripts)", "table", "json")
}

// addJSONOutputFlag is --output of a command that prints lines for people
// unless asked for json.
func addJSONOutputFlag(cmd *cobra.Command, p *string, usage string) {
	addOutputFlag(cmd, p, "", usage, "", "json")
}

func (a *App) printJSON(v any) error {
	enc := json.NewEncoder(a.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns to stdout.
func (a *App) table(header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	return tw
}

// redactArgs hides secrets in a recorded command line once more before it
// is shown: passwords in URLs, and values of flags named like secrets
// (runs recorded by older versions, or typed as --flag value).
func redactArgs(args string) string {
	words := splitWords(args)
	hideNext := false
	for i, w := range words {
		switch {
		case hideNext:
			words[i], hideNext = "******", false
		case strings.HasPrefix(w, "--") && isSecretName(strings.TrimLeft(strings.SplitN(w, "=", 2)[0], "-")):
			if name, _, ok := strings.Cut(w, "="); ok {
				words[i] = name + "=******"
			} else {
				hideNext = true
			}
		case strings.Contains(w, "://"):
			words[i] = sqldb.Redact(w)
		}
	}
	return strings.Join(words, " ")
}
