package commands

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/pushusers"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/sqldb"
)

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the config file"}
	cmd.AddCommand(newConfigCheckCmd(app))
	return cmd
}

// configCheckOptions: the path is the global --config.
type configCheckOptions struct {
	// Connect opens every source and target as well, writing nothing.
	Connect bool
}

func newConfigCheckCmd(app *App) *cobra.Command {
	var o configCheckOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the config without touching any source or database (--connect: open them too)",
		Long: `Validate the config: every key, value and rule a run would refuse, with the file, line and key.
With --connect, also open every source and target as a run would (files exist, databases answer
and have their tables, credentials work, SFTP host keys match) and say what was found; nothing is
written. Exit code 2 for a config error, 1 when something could not be opened.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfigCheck(cmd.Context(), app, o)
		},
	}
	cmd.Flags().BoolVar(&o.Connect, "connect", false, "open every source and target too (reads a listing, a probe, the directory; writes nothing)")
	return cmd
}

func runConfigCheck(ctx context.Context, app *App, o configCheckOptions) error {
	c, err := app.loadConfig()
	if err != nil {
		return err
	}
	if !app.Quiet {
		fmt.Fprintf(app.Out, "config %s is valid\n", c.Path)
		fmt.Fprintf(app.Out, "  hr: %s\n", sqldb.Redact(c.HR.URL))
		fmt.Fprintf(app.Out, "  data dir: %s\n", c.DataDir)
		for _, name := range c.SourceNames() {
			s := c.Sources[name]
			fmt.Fprintf(app.Out, "  source %s: %s (format %s, zone %s)\n", name, s.Path, s.Format.Type, s.Timezone)
		}
	}
	if o.Connect {
		return printConnect(app, append(importer.Connect(ctx, c), pushusers.Connect(ctx, c, app.Log)...))
	}
	return nil
}

// printConnect prints what --connect found, a line per source or target;
// when something could not be opened the run failed (exit 1).
func printConnect(app *App, checks []importer.Check) error {
	failed := 0
	if !app.Quiet {
		fmt.Fprintln(app.Out, "connect:")
	}
	for _, c := range checks {
		switch {
		case c.Failed():
			failed++
			fmt.Fprintf(app.Out, "  FAIL %s: %s\n", c.What, c.Err) // failures show even with --quiet
		case !app.Quiet:
			fmt.Fprintf(app.Out, "  ok   %s: %s\n", c.What, c.Found)
		}
	}
	if failed > 0 {
		return exitcode.Incomplete(exitcode.Failed, "%d of %d could not be opened", failed, len(checks))
	}
	return nil
}
