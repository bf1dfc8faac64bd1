package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
)

func newRunsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "The audit trail: every run of hrsync on this config",
		Example: `  hrsync runs list
  hrsync runs show 42`}
	cmd.AddCommand(newRunsListCmd(app), newRunsShowCmd(app))
	return cmd
}

type runsListOptions struct {
	Limit  int
	Output string
}

func newRunsListCmd(app *App) *cobra.Command {
	var o runsListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List recent runs, newest first",
		Example: `  hrsync runs list
  hrsync runs list --limit 100 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRunsList(cmd.Context(), app, o)
		},
	}
	cmd.Flags().IntVar(&o.Limit, "limit", 20, "show at most this many runs")
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

func runRunsList(ctx context.Context, app *App, o runsListOptions) error {
	sess, err := app.readSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	runs, err := sess.State.Runs(ctx, o.Limit)
	if err != nil {
		return err
	}
	for i := range runs {
		runs[i].Args = redactArgs(runs[i].Args)
	}
	if o.Output == "json" {
		if runs == nil {
			runs = []state.Run{}
		}
		return app.printJSON(runs)
	}
	tw := app.table("ID", "STARTED", "COMMAND", "BY", "DURATION", "EXIT", "COUNTS")
	for _, r := range runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s@%s\t%s\t%s\t%s\n", r.ID, r.StartedAt.Local().Format("2006-01-02 15:04:05"),
			r.Command, r.User, r.Host, runDuration(r), exitText(r.ExitCode), countsLine(r.Counts))
	}
	return tw.Flush()
}

type runsShowOptions struct {
	ID     string // as typed; checked by runRunsShow
	Output string
	// Report, when set, is where the report stored in the state goes,
	// decompressed ("-": stdout), instead of the run's description.
	Report string
}

func newRunsShowCmd(app *App) *cobra.Command {
	var o runsShowOptions
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one run: who, where, when, the command, the config checksum, counts, exit code, report",
		Example: `  hrsync runs show 42
  hrsync runs show 42 --output json
  hrsync runs show 42 --report run-42.csv`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: app.completeRunIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return runRunsShow(cmd.Context(), app, o)
		},
	}
	addTableOutputFlag(cmd, &o.Output)
	cmd.Flags().StringVar(&o.Report, "report", "", "write the report stored in the state (report.store: state) to this file, - for stdout")
	return cmd
}

func runRunsShow(ctx context.Context, app *App, o runsShowOptions) error {
	id, err := strconv.ParseInt(o.ID, 10, 64)
	if err != nil {
		return exitcode.AsUsage(fmt.Errorf("run id %q is not a number", o.ID))
	}
	sess, err := app.readSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	r, err := sess.State.GetRun(ctx, id)
	if err != nil {
		return err
	}
	if o.Report != "" {
		return app.writeStoredReport(ctx, sess.State, id, o.Report)
	}
	stored, err := sess.State.Report(ctx, id)
	if err != nil && !errors.Is(err, state.ErrNoReport) {
		return err
	}
	var storedReport *state.StoredReport
	if err == nil {
		storedReport = &stored
	}
	r.Args = pasteLine(redactArgs(r.Args), r.ConfigPath)
	// A report removed since (by hand, or a cleanup) is not named as if
	// it were there; a run that wrote none names none.
	reportGone := false
	if r.ReportPath != "" {
		if _, err := os.Stat(r.ReportPath); errors.Is(err, fs.ErrNotExist) {
			reportGone = true
		}
	}
	if o.Output == "json" {
		return app.printJSON(struct {
			state.Run
			ReportDeleted bool                `json:"report_deleted,omitempty"`
			StoredReport  *state.StoredReport `json:"stored_report,omitempty"`
		}{r, reportGone, storedReport})
	}
	tw := app.table("run", strconv.FormatInt(r.ID, 10))
	fmt.Fprintf(tw, "command\t%s\n", r.Command)
	fmt.Fprintf(tw, "command line\t%s\n", r.Args)
	fmt.Fprintf(tw, "by\t%s on %s\n", r.User, r.Host)
	fmt.Fprintf(tw, "started\t%s\n", r.StartedAt.Local().Format(time.RFC3339))
	if r.FinishedAt != nil {
		fmt.Fprintf(tw, "finished\t%s\n", r.FinishedAt.Local().Format(time.RFC3339))
	}
	fmt.Fprintf(tw, "duration\t%s\n", runDuration(r))
	fmt.Fprintf(tw, "exit code\t%s\n", exitText(r.ExitCode))
	fmt.Fprintf(tw, "config\t%s\n", r.ConfigPath)
	fmt.Fprintf(tw, "config sha256\t%s\n", r.ConfigSHA256)
	fmt.Fprintf(tw, "counts\t%s\n", countsLine(r.Counts))
	switch {
	case reportGone && completed(r):
		fmt.Fprintf(tw, "report\t%s (deleted)\n", r.ReportPath)
	case reportGone: // a failed or killed run may have stopped before writing it
		fmt.Fprintf(tw, "report\t%s (not there: never written, or deleted)\n", r.ReportPath)
	case r.ReportPath != "":
		fmt.Fprintf(tw, "report\t%s\n", r.ReportPath)
	}
	if storedReport != nil {
		fmt.Fprintf(tw, "stored report\t%s, %d rows, %s (%s compressed); hrsync runs show %d --report FILE\n",
			storedReport.Format, storedReport.Rows, byteSize(storedReport.Bytes), byteSize(storedReport.Compressed), r.ID)
	} else {
		fmt.Fprintf(tw, "stored report\tnone\n")
	}
	if r.Error != "" {
		fmt.Fprintf(tw, "error\t%s\n", r.Error)
	}
	return tw.Flush()
}

// writeStoredReport writes the run's stored report, decompressed, to path
// ("-": stdout). A file is written whole or not at all: it is written
// beside its name and renamed when complete.
func (a *App) writeStoredReport(ctx context.Context, st *state.Store, id int64, path string) error {
	if path == "-" {
		_, err := st.WriteReport(ctx, id, a.Out)
		return err
	}
	if _, err := st.Report(ctx, id); err != nil {
		return fmt.Errorf("run %d: %w (report.store: state keeps reports in the state)", id, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	rep, err := st.WriteReport(ctx, id, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	a.say("report of run %d: %s, %d rows, %s", id, path, rep.Rows, byteSize(rep.Bytes))
	return nil
}

// byteSize is n as people read sizes: 512 B, 12.3 KiB, 4.0 MiB.
func byteSize(n int64) string {
	const k = 1024
	if n < k {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/k, "KiB"
	for _, u := range []string{"MiB", "GiB"} {
		if v < k {
			break
		}
		v, unit = v/k, u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

// readSession opens the run state without the lock: reading the history
// or the outbox never waits for a running import.
func (a *App) readSession(ctx context.Context) (*importer.Session, error) {
	cfg, err := a.loadConfigForReading()
	if err != nil {
		return nil, err
	}
	return importer.OpenState(ctx, cfg, a.Log)
}

// completed says whether the run ended with an outcome (0, 3, 4), so it
// wrote its report.
func completed(r state.Run) bool {
	if r.ExitCode == nil {
		return false
	}
	switch exitcode.Code(*r.ExitCode) {
	case exitcode.OK, exitcode.Rejected, exitcode.Queued:
		return true
	}
	return false
}

func runDuration(r state.Run) string {
	if r.FinishedAt == nil {
		return "running (or killed)"
	}
	return (time.Duration(r.DurationMS) * time.Millisecond).String()
}

func exitText(code *int) string {
	if code == nil {
		return "-"
	}
	return strconv.Itoa(*code)
}

func countsLine(c map[string]int64) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, c[k])
	}
	return strings.Join(parts, ", ")
}
