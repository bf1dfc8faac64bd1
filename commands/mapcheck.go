package commands

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/mapcheck"
	"github.com/hrsync/hrsync/internal/exitcode"
)

type mapCheckOptions struct {
	Sources     []string
	Sample      int
	Output      string
	Report      string
	Suggest     bool
	Files       []string
	MaxUnmapped string
	// DevicesDirectory matches against the users the configured punch
	// machines hold instead of hr.employees.
	DevicesDirectory bool
}

func newMapCheckCmd(app *App) *cobra.Command {
	var o mapCheckOptions
	cmd := &cobra.Command{
		Use:   "map-check",
		Short: "Dry-run the mapping over a source and explain what would not match, and why",
		Long: `map-check reads a source (all of it, or --sample N rows), applies the mapping and the
employee directory exactly as import does, and writes nothing to the HR system or the run state.

Exit codes: 0 every row would be placed; 3 some rows would be rejected; 2 a mapped
field cannot be bound to any column (or a usage/config error); 1 a file could not be read.
With --max-unmapped P, unmapped rows are judged by their share: above P percent is exit 3,
at or below it they do not count against the run (other rejects still give 3).

--suggest proposes a mapping from header names and content, as YAML to paste, for
sources whose mapping is empty and for files given with --file.`,
		Example: `  hrsync map-check --source gate --sample 5000
  hrsync map-check --output json --max-unmapped 2
  hrsync map-check --report onboarding.xlsx
  hrsync map-check --suggest --file sample-export.csv
  hrsync map-check --directory-from-devices`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMapCheck(cmd.Context(), app, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Sources, "source", nil, "check only this source (repeatable; default: every source)")
	f.IntVar(&o.Sample, "sample", 0, "read at most N rows of each source (default: all)")
	addJSONOutputFlag(cmd, &o.Output, "json: print one JSON document on stdout instead of tables")
	f.StringVar(&o.Report, "report", "", "also write a report for the customer: PATH.xlsx, PATH.csv or PATH.jsonl")
	f.BoolVar(&o.Suggest, "suggest", false, "propose a mapping from header names and content, as config YAML")
	f.StringSliceVar(&o.Files, "file", nil, "with --suggest: an export file that is not in the config yet (repeatable)")
	f.BoolVar(&o.DevicesDirectory, "directory-from-devices", false, "match against the users on the configured punch machines (hrsync devices users) instead of hr.employees")
	f.StringVar(&o.MaxUnmapped, "max-unmapped", "", "fail (exit 3) when more than PERCENT of rows are unmapped; at or below it, unmapped rows do not fail the check")
	return cmd
}

func runMapCheck(ctx context.Context, app *App, o mapCheckOptions) error {
	if o.Sample < 0 {
		return exitcode.AsUsage(fmt.Errorf("--sample %d: want 0 (all) or a row count", o.Sample))
	}
	var maxUnmapped *float64
	if o.MaxUnmapped != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(o.MaxUnmapped, "%"), 64)
		if err != nil || v < 0 || v > 100 {
			return exitcode.AsUsage(fmt.Errorf("--max-unmapped %q: want a percentage between 0 and 100", o.MaxUnmapped))
		}
		maxUnmapped = &v
	}
	if len(o.Files) > 0 && !o.Suggest {
		return exitcode.AsUsage(fmt.Errorf("--file is for --suggest; to check a mapping, configure the source"))
	}
	if o.Suggest {
		if o.DevicesDirectory {
			return exitcode.Usagef("--directory-from-devices is for a check of a mapping, not --suggest")
		}
		return runSuggest(ctx, app, o)
	}
	// A source still without a mapping does not stop the others being checked.
	cfg, draft, err := mapcheck.LoadDraft(app.configPath())
	if err != nil {
		return exitcode.AsUsage(err)
	}
	if len(draft) > 0 {
		isDraft := map[string]bool{}
		for _, n := range draft {
			isDraft[n] = true
			app.say("source %s has no mapping yet; propose one with: hrsync map-check --suggest --source %s", n, n)
		}
		for _, n := range o.Sources {
			if isDraft[n] {
				return exitcode.AsUsage(fmt.Errorf("source %s has no mapping to check; run hrsync map-check --suggest --source %s", n, n))
			}
		}
		if len(o.Sources) == 0 {
			for _, n := range cfg.SourceNames() {
				if !isDraft[n] {
					o.Sources = append(o.Sources, n)
				}
			}
			if len(o.Sources) == 0 {
				return exitcode.AsUsage(fmt.Errorf("no source has a mapping yet; run hrsync map-check --suggest"))
			}
		}
	}
	if o.DevicesDirectory {
		tmp, err := os.MkdirTemp("", "hrsync-device-users-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		n, err := importer.DeviceUsersDirectory(ctx, cfg, tmp)
		if err != nil {
			return err
		}
		app.say("directory: %d users read from the configured devices (their PINs are the ids)", n)
	}
	bar := newProgress(app, "checking")
	doc, err := mapcheck.Run(ctx, mapcheck.RunOptions{Config: cfg, Sources: o.Sources, Sample: o.Sample,
		MaxUnmappedPercent: maxUnmapped, ReportPath: o.Report, Log: app.Log, Progress: bar.callback()})
	bar.finish()
	if err != nil {
		return err
	}
	app.Log.Info("map-check finished", "exit", doc.ExitCode, "rows", doc.Total, "rejected", doc.Rejected, "unmapped", doc.Unmapped)
	switch {
	case o.Output == "json":
		err = mapcheck.WriteJSON(app.Out, doc)
	case app.Quiet:
		err = mapcheck.WriteVerdict(app.Out, doc) // -q: the one line a script or a person needs
	default:
		err = mapcheck.WriteText(app.Out, doc)
	}
	if err != nil {
		return err
	}
	if o.Report != "" {
		app.say("report: %s", o.Report)
	}
	return doc.Outcome()
}

func runSuggest(ctx context.Context, app *App, o mapCheckOptions) error {
	res, err := mapcheck.Suggest(ctx, mapcheck.SuggestOptions{ConfigPath: app.configPath(),
		ConfigGiven: app.ConfigPath != "", Sources: o.Sources, Files: o.Files, Sample: o.Sample})
	if err != nil {
		return exitcode.AsUsage(err)
	}
	if o.Output == "json" {
		return mapcheck.WriteJSON(app.Out, res)
	}
	_, err = fmt.Fprint(app.Out, res.YAML)
	return err
}
