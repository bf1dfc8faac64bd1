package commands

import (
	"fmt"

	"github.com/spf13/cobra"

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
	Output string
}

func newConfigCheckCmd(app *App) *cobra.Command {
	var o configCheckOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the config without touching any source or database",
		Long: `check reads the config as every command does (unknown keys, missing keys, bad values, ${ENV}
secrets, *_file secrets) and prints the paths resolved against the file's folder. It connects
to nothing. Exit code 0 when the config is valid, 2 with the file, line and key when it is not.`,
		Example: `  hrsync config check --config examples/quickstart/hrsync.yaml
  hrsync config check --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfigCheck(app, o)
		},
	}
	addJSONOutputFlag(cmd, &o.Output, "json: print the resolved config summary as JSON on stdout")
	return cmd
}

// configSummary is what config check prints: where things are, resolved.
type configSummary struct {
	Config  string          `json:"config"`
	Valid   bool            `json:"valid"`
	HR      string          `json:"hr"` // redacted
	DataDir string          `json:"data_dir"`
	Sources []sourceSummary `json:"sources"`
}

type sourceSummary struct {
	Name     string `json:"name"`
	Path     string `json:"path,omitempty"`
	Format   string `json:"format,omitempty"`
	Timezone string `json:"timezone,omitempty"`
}

func runConfigCheck(app *App, o configCheckOptions) error {
	c, err := app.loadConfig()
	if err != nil {
		return err
	}
	sum := configSummary{Config: c.Path, Valid: true, HR: sqldb.Redact(c.HR.URL), DataDir: c.DataDir, Sources: []sourceSummary{}}
	for _, name := range c.SourceNames() {
		s := c.Sources[name]
		sum.Sources = append(sum.Sources, sourceSummary{Name: name, Path: s.Path, Format: s.Format.Type, Timezone: s.Timezone})
	}
	if o.Output == "json" {
		return app.printJSON(sum)
	}
	if app.Quiet {
		return nil
	}
	fmt.Fprintf(app.Out, "config %s is valid\n", sum.Config)
	fmt.Fprintf(app.Out, "  hr: %s\n", sum.HR)
	fmt.Fprintf(app.Out, "  data dir: %s\n", sum.DataDir)
	for _, s := range sum.Sources {
		fmt.Fprintf(app.Out, "  source %s: %s (format %s, zone %s)\n", s.Name, s.Path, s.Format, s.Timezone)
	}
	return nil
}
