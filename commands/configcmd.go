package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/sqldb"
)

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the config file"}
	cmd.AddCommand(newConfigCheckCmd(app))
	return cmd
}

// configCheckOptions is empty (the path is the global --config); it is
// where a flag of config check's own would go.
type configCheckOptions struct{}

func newConfigCheckCmd(app *App) *cobra.Command {
	var o configCheckOptions
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the config without touching any source or database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfigCheck(app, o)
		},
	}
}

func runConfigCheck(app *App, _ configCheckOptions) error {
	c, err := app.loadConfig()
	if err != nil {
		return err
	}
	if app.Quiet {
		return nil
	}
	fmt.Fprintf(app.Out, "config %s is valid\n", c.Path)
	fmt.Fprintf(app.Out, "  hr: %s\n", sqldb.Redact(c.HR.URL))
	fmt.Fprintf(app.Out, "  data dir: %s\n", c.DataDir)
	for _, name := range c.SourceNames() {
		s := c.Sources[name]
		fmt.Fprintf(app.Out, "  source %s: %s (format %s, zone %s)\n", name, s.Path, s.Format.Type, s.Timezone)
	}
	return nil
}
