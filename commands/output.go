package commands

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// addOutputFlag adds --output to a listing command: a table by default (for
// a person at a terminal), json for scripts.
func addOutputFlag(cmd *cobra.Command, output *string) {
	cmd.Flags().StringVar(output, "output", "table", "table (for people) or json (for scripts)")
}

func checkOutput(output string) error {
	if output != "table" && output != "json" {
		return usageError(fmt.Errorf("--output %q: want table or json", output))
	}
	return nil
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
	words := strings.Fields(args)
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
