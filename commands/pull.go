package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/sources/fetch"
)

type pullOptions struct {
	Sources    []string
	ReportPath string
	Output     string
	Args       string // the command as typed, for the run history
}

func newPullCmd(app *App) *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Bring new export files (network drive, SFTP, FTP) or punch machines' new records into each source's inbox",
		Long: `pull copies each source's new remote files into its inbox, each exactly once
and never half a file: a file still being written is left for the next run,
downloads are checked and synced before they appear in the inbox, and a
ledger skips files already pulled. A source with devices: is read from the
punch machines themselves (port 4370): each device's new log records become
one CSV in the inbox, its clock drift is reported, and a device that fails is
one failed line while the others are still pulled. Schedule
"hrsync pull && hrsync import".

Exit codes: 0 every file pulled or rightly skipped, 1 a file or a source
failed (safe to run again), 2 configuration error.`,
		Example: `  hrsync pull
  hrsync pull --source gate && hrsync import --source gate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = commandLine(cmd)
			return runPull(cmd.Context(), app, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Sources, "source", nil, "pull only this source (repeatable; default: every source with pull:)")
	f.StringVar(&o.ReportPath, "report", "", "write the per-file report here (default: a new pull-*.csv in the reports folder)")
	addJSONOutputFlag(cmd, &o.Output, "json: print the per-file lines and counts as JSON on stdout")
	return cmd
}

func runPull(ctx context.Context, app *App, o pullOptions) error {
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	res, err := importer.Pull(ctx, importer.PullOptions{Config: cfg, Sources: o.Sources,
		ReportPath: o.ReportPath, Log: app.Log, Args: o.Args})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		for _, w := range res.Warnings {
			fmt.Fprintf(app.Err, "warning: %s\n", w) // a security warning shows on every run
		}
		return cmp.Or(printPullJSON(app, res), res.Outcome())
	}
	printPull(app, res)
	return res.Outcome()
}

// printPullJSON prints what printPull says, for scripts, with the exit code.
func printPullJSON(app *App, res importer.PullResult) error {
	type device struct {
		Name         string  `json:"name"`
		Serial       string  `json:"serial,omitempty"`
		Records      int     `json:"records"`
		New          int     `json:"new"`
		DriftSeconds float64 `json:"clock_drift_seconds"`
		Cleared      bool    `json:"cleared"`
	}
	type file struct {
		Source    string    `json:"source"`
		Remote    string    `json:"remote"`
		Outcome   string    `json:"outcome"`
		Reason    string    `json:"reason,omitempty"`
		LocalPath string    `json:"local_path,omitempty"`
		Bytes     int64     `json:"bytes,omitempty"`
		SHA256    string    `json:"sha256,omitempty"`
		Size      int64     `json:"remote_size,omitempty"`
		ModTime   time.Time `json:"remote_time,omitzero"`
		Device    *device   `json:"device,omitempty"`
	}
	out := struct {
		RunID    int64            `json:"run_id"`
		Total    int64            `json:"total"`
		Counts   map[string]int64 `json:"counts"`
		Files    []file           `json:"files"`
		Report   string           `json:"report"`
		Warnings []string         `json:"warnings,omitempty"`
		ExitCode exitcode.Code    `json:"exit_code"`
	}{RunID: res.RunID, Total: res.Counts.Total(), Counts: map[string]int64{}, Files: []file{}, Report: res.ReportPath,
		Warnings: res.Warnings, ExitCode: exitcode.For(res.Outcome())}
	for k, v := range res.Counts {
		out.Counts[string(k)] = v
	}
	for _, l := range res.Lines {
		f := file{Source: l.Source, Remote: l.Remote, Outcome: string(l.Outcome), Reason: l.Reason,
			LocalPath: l.LocalPath, Bytes: l.Bytes, SHA256: l.SHA256, Size: l.Size, ModTime: l.ModTime}
		if d := l.Device; d != nil {
			f.Device = &device{Name: d.Device, Serial: d.Serial, Records: d.Records, New: d.New, DriftSeconds: d.Drift.Seconds(), Cleared: d.Cleared}
		}
		out.Files = append(out.Files, f)
	}
	return app.printJSON(out)
}

// printPull prints one line per file, then the counts and the report's path.
func printPull(app *App, res importer.PullResult) {
	for _, w := range res.Warnings {
		fmt.Fprintf(app.Err, "warning: %s\n", w)
	}
	for _, l := range res.Lines {
		line := fmt.Sprintf("%s %s: %s", l.Source, printable(l.Remote), l.Outcome)
		if l.Outcome == fetch.Pulled {
			line += fmt.Sprintf(" -> %s (%d bytes)", l.LocalPath, l.Bytes)
		}
		if l.Reason != "" {
			line += " (" + l.Reason + ")"
		}
		if l.Outcome == fetch.Failed {
			fmt.Fprintln(app.Err, line) // failures show even with --quiet
			continue
		}
		app.say("%s", line)
	}
	app.say("%s", pullCountsText(res))
	app.say("report: %s", res.ReportPath)
}

func pullCountsText(res importer.PullResult) string {
	parts := []string{fmt.Sprintf("%d files", res.Counts.Total())}
	for _, k := range res.Counts.Sorted() {
		parts = append(parts, fmt.Sprintf("%s %d", k, res.Counts[k]))
	}
	return strings.Join(parts, ", ")
}

// pullBeforeImport is import --pull: pull the selected sources that have
// pull:, print the per-file lines, and let the import go on whatever
// happened, so the files already in the inbox are imported. It returns the
// pull's outcome, or the error that stopped it.
func pullBeforeImport(ctx context.Context, app *App, cfg *config.Config, o importOptions) (outcome, err error) {
	var names []string
	for _, n := range cfg.SourceNames() {
		if (len(o.Sources) == 0 || slices.Contains(o.Sources, n)) && importer.Pulled(cfg.Sources[n]) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	res, err := importer.Pull(ctx, importer.PullOptions{Config: cfg, Sources: names, Log: app.Log, Args: o.Args})
	if err != nil {
		return nil, err
	}
	printPull(app, res)
	return res.Outcome(), nil
}

// printInboxMoves says which inbox files import archived or set aside.
func printInboxMoves(app *App, moves []importer.InboxMove) {
	archived := 0
	for _, m := range moves {
		if m.Reason == "" {
			archived++
			continue
		}
		app.say("moved to error: %s (%s)", m.To, m.Reason)
	}
	if archived > 0 {
		app.say("archived %d inbox file(s)", archived)
	}
}

// printable is a name from a remote server as it can be printed: quoted
// with Go's escapes when it holds a control character (a newline in a file
// name would forge a line of its own), as it is otherwise.
func printable(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}
