package commands

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
)

type importOptions struct {
	Sources      []string
	DryRun       bool
	ReportPath   string
	ReportFormat string
	Output       string
	Pull         bool
	Args         string // the command as typed, for the run history
}

func newImportCmd(app *App) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Read the sources, match punches to employees and write them into the HR system",
		Example: `  hrsync import --config examples/quickstart/hrsync.yaml
  hrsync import --source gate --dry-run --report today.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = commandLine(cmd)
			return runImport(cmd.Context(), app, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Sources, "source", nil, "import only this source (repeatable; default: every source)")
	f.BoolVar(&o.DryRun, "dry-run", false, "map and report, write nothing to the HR system")
	f.StringVar(&o.ReportPath, "report", "", "write the per-row report here (default: a new file in the data dir's reports folder); - also streams it to stdout, as JSON lines, for a log collector")
	f.StringVar(&o.ReportFormat, "report-format", "", "csv (default) or jsonl")
	addJSONOutputFlag(cmd, &o.Output, "json: print the summary as JSON on stdout")
	f.BoolVar(&o.Pull, "pull", false, "run hrsync pull first (sources with pull:), then import")
	return cmd
}

func runImport(ctx context.Context, app *App, o importOptions) error {
	var reportCopy io.Writer
	if o.ReportPath == "-" {
		// stdout carries the report alone, so a collector reads one JSON
		// object a line; the summary stays on stderr.
		if o.Output == "json" {
			return exitcode.Usagef("--report - and --output json would both print on stdout: choose one")
		}
		o.ReportPath, o.ReportFormat, reportCopy = "", cmp.Or(o.ReportFormat, report.JSONL), app.Out
	}
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	var pulled error // the pull's outcome
	if o.Pull {
		if pulled, err = pullBeforeImport(ctx, app, cfg, o); err != nil {
			return err
		}
	}
	if !o.DryRun {
		tuneForServerImport(cfg)
	}
	opts := importer.Options{Config: cfg, Sources: o.Sources, DryRun: o.DryRun, ReportPath: o.ReportPath,
		ReportFormat: o.ReportFormat, ReportCopy: reportCopy, Log: app.Log, Args: o.Args}
	bar := newProgress(app, "importing")
	opts.Progress = bar.callback()
	app.Log.Info("import started", "config", cfg.Path, "sources", strings.Join(o.Sources, ","), "dry_run", o.DryRun)
	res, err := importer.Import(ctx, opts)
	bar.finish()
	if err != nil {
		return err
	}
	outcome := res.Outcome()
	if pulled != nil && exitcode.For(outcome) != exitcode.Failed {
		outcome = pulled // a failed pull outranks rejected rows: something was not brought in
	}
	code := exitcode.For(outcome)
	app.Log.Info("import finished", "run", res.RunID, "exit", code, "counts", countsText(res.Counts), "report", res.ReportPath)
	if o.Output == "json" {
		return cmp.Or(printSummaryJSON(app, res, code), outcome)
	}
	app.say("%s", countsText(res.Counts))
	for _, f := range res.Failures {
		app.say("could not read: %s", f)
	}
	if res.StoredNote != "" {
		app.say("note: %s", res.StoredNote)
	}
	printInboxMoves(app, res.Inbox)
	if res.ReportPath != "" {
		app.say("report: %s", res.ReportPath)
	} else {
		app.say("no rows read: no report written")
	}
	return outcome
}

func countsText(c report.Counts) string {
	parts := []string{fmt.Sprintf("%d rows", c.Total())}
	for _, k := range c.Sorted() {
		parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
	}
	return strings.Join(parts, ", ")
}

// printSummaryJSON prints the import's summary with the code the process
// exits with (which a failed pull before it may have set).
func printSummaryJSON(app *App, res importer.Result, code exitcode.Code) error {
	out := struct {
		RunID    int64            `json:"run_id"`
		Total    int64            `json:"total"`
		Counts   map[string]int64 `json:"counts"`
		Report   string           `json:"report"`
		Failures []string         `json:"failures,omitempty"`
		ExitCode exitcode.Code    `json:"exit_code"`
	}{RunID: res.RunID, Total: res.Counts.Total(), Counts: map[string]int64{}, Report: res.ReportPath, Failures: res.Failures, ExitCode: code}
	for k, v := range res.Counts {
		out.Counts[string(k)] = v
	}
	enc := json.NewEncoder(app.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
