package commands

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// version has no flags, so no options struct.
func newVersionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(app)
		},
	}
}

func runVersion(app *App) error {
	fmt.Fprintf(app.Out, "hrsync %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
