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
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the config file",
		Example: `  hrsync config check
  hrsync config check --config "D:\HR Sync\hrsync.yaml"`,
	}
	cmd.AddCommand(newConfigCheckCmd(app))
	return cmd
}

// configCheckOptions: the path is the global --config.
type configCheckOptions struct {
	// Connect opens every source and target as well, writing nothing.
	Connect bool
	Output  string
}

func newConfigCheckCmd(app *App) *cobra.Command {
	var o configCheckOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the config without touching any source or database (--connect: open them too)",
		Long: `check reads the config as every command does (unknown keys, missing keys, bad values, ${ENV}
secrets, *_file secrets: every value a run would refuse, with the file, line and key) and prints
the paths resolved against the file's folder. It connects to nothing, unless --connect: then it
also opens every source and target as a run would (files exist, databases answer and have their
tables, credentials work, SFTP host keys match) and says what it found; nothing is written.
Exit code 0 when all is well, 2 for a config error, 1 when something could not be opened.`,
		Example: `  hrsync config check --config examples/quickstart/hrsync.yaml
  hrsync config check --connect
  hrsync config check --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfigCheck(cmd.Context(), app, o)
		},
	}
	cmd.Flags().BoolVar(&o.Connect, "connect", false, "open every source and target too (reads a listing, a probe, the directory; writes nothing)")
	addJSONOutputFlag(cmd, &o.Output, "json: print the resolved config summary as JSON on stdout")
	return cmd
}

// configSummary is what config check prints: where things are, resolved,
// and with --connect what was found there.
type configSummary struct {
	Config  string           `json:"config"`
	Valid   bool             `json:"valid"`
	HR      string           `json:"hr"` // redacted
	DataDir string           `json:"data_dir"`
	Sources []sourceSummary  `json:"sources"`
	Connect []importer.Check `json:"connect,omitempty"`
	// Deprecated: settings read in an old spelling, with the new one.
	Deprecated []string `json:"deprecated,omitempty"`
}

type sourceSummary struct {
	Name     string `json:"name"`
	Path     string `json:"path,omitempty"`
	Format   string `json:"format,omitempty"`
	Timezone string `json:"timezone,omitempty"`
}

func runConfigCheck(ctx context.Context, app *App, o configCheckOptions) error {
	c, err := app.loadConfig()
	if err != nil {
		return err
	}
	sum := configSummary{Config: c.Path, Valid: true, HR: sqldb.Redact(c.HR.URL), DataDir: c.DataDir, Sources: []sourceSummary{}, Deprecated: c.Deprecations()}
	for _, name := range c.SourceNames() {
		s := c.Sources[name]
		path := s.Path
		for i, d := range s.DeviceConns() {
			if i > 0 {
				path += ", "
			}
			path += d.Name + " " + d.Endpoint.Addr
			if d.Endpoint.UDP {
				path += " (udp)"
			}
		}
		sum.Sources = append(sum.Sources, sourceSummary{Name: name, Path: path, Format: s.Format.Type, Timezone: s.Timezone})
	}
	if o.Connect {
		sum.Connect = append(importer.Connect(ctx, c), pushusers.Connect(ctx, c, app.Log)...)
	}
	outcome := connectOutcome(sum.Connect)
	if o.Output == "json" {
		if err := app.printJSON(sum); err != nil {
			return err
		}
		return outcome
	}
	if !app.Quiet {
		fmt.Fprintf(app.Out, "config %s is valid\n", sum.Config)
		fmt.Fprintf(app.Out, "  hr: %s\n", sum.HR)
		fmt.Fprintf(app.Out, "  data dir: %s\n", sum.DataDir)
		for _, s := range sum.Sources {
			fmt.Fprintf(app.Out, "  source %s: %s (format %s, zone %s)\n", s.Name, s.Path, s.Format, s.Timezone)
		}
		for _, d := range sum.Deprecated {
			fmt.Fprintf(app.Out, "  deprecated: %s\n", d)
		}
	}
	if o.Connect {
		printConnect(app, sum.Connect)
	}
	return outcome
}

// printConnect prints what --connect found, a line per source or target;
// failures show even with --quiet.
func printConnect(app *App, checks []importer.Check) {
	if !app.Quiet {
		fmt.Fprintln(app.Out, "connect:")
	}
	for _, c := range checks {
		switch {
		case c.Failed():
			fmt.Fprintf(app.Out, "  FAIL %s: %s\n", c.What, c.Err)
		case !app.Quiet:
			fmt.Fprintf(app.Out, "  ok   %s: %s\n", c.What, c.Found)
		}
	}
}

// connectOutcome: when something could not be opened the check failed (exit 1).
func connectOutcome(checks []importer.Check) error {
	failed := 0
	for _, c := range checks {
		if c.Failed() {
			failed++
		}
	}
	if failed > 0 {
		return exitcode.Incomplete(exitcode.Failed, "%d of %d could not be opened", failed, len(checks))
	}
	return nil
}
