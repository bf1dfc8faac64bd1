package commands

import (
	"slices"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// wantsJSON says whether the command line asked for --output json: the
// parsed flag, or the words themselves when cobra refused the line before
// parsing that far (a script reading stdout still gets JSON).
func wantsJSON(cmd *cobra.Command, args []string) bool {
	if cmd != nil {
		if f := cmd.Flags().Lookup("output"); f != nil && f.Changed {
			return f.Value.String() == "json"
		}
	}
	i := slices.Index(args, "--output")
	return slices.Contains(args, "--output=json") || (i >= 0 && i+1 < len(args) && args[i+1] == "json")
}

// printJSONError is a failure or usage error as a script reads it on
// stdout; stderr has the same message for people and logs.
func printJSONError(a *App, err error, code exitcode.Code) {
	_ = a.printJSON(struct {
		Error    string        `json:"error"`
		ExitCode exitcode.Code `json:"exit_code"`
	}{err.Error(), code})
}
