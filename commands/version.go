package commands

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

type versionOptions struct {
	Output string
}

func newVersionCmd(app *App) *cobra.Command {
	var o versionOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Example: `  hrsync version
  hrsync version --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(app, o)
		},
	}
	addJSONOutputFlag(cmd, &o.Output, "json: print the version as JSON on stdout")
	return cmd
}

func runVersion(app *App, o versionOptions) error {
	if o.Output == "json" {
		return app.printJSON(struct {
			Version string `json:"version"`
			Go      string `json:"go"`
			OS      string `json:"os"`
			Arch    string `json:"arch"`
		}{Version, runtime.Version(), runtime.GOOS, runtime.GOARCH})
	}
	fmt.Fprintf(app.Out, "hrsync %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
