package commands

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hrsync/hrsync/importer/resync"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

type resyncOptions struct {
	filters      map[string]*[]string
	From, To     string
	Source       string
	List         bool
	DryRun       bool
	Prune        bool
	Profile      string
	ReportPath   string
	ReportFormat string
	Output       string
	Args         string // the command as typed, for the run history
}

func newResyncCmd(app *App) *cobra.Command {
	o := resyncOptions{filters: map[string]*[]string{}}
	cmd := &cobra.Command{
		Use:   "resync",
		Short: "Re-read some employees and days from a source and make the HR system match",
		Long: `resync re-reads one source for the days and employees you pick, maps the rows as import does and
compares them with the HR system: missing punches are inserted, punches whose direction or device
differ are corrected, and with --prune punches of this source that the source no longer has are
removed (without it they are reported as extra). Each employee is reconciled in one transaction.

Filters combine: AND across kinds, OR within one kind; each is repeatable and takes comma lists,
matched without regard to case or spaces. Run with --list first to see who is selected.`,
		Example: `  hrsync resync --department Production --status active --from 2025-12-01 --to 2025-12-15 --list
  hrsync resync --department Production --status active --from 2025-12-01 --to 2025-12-15 --dry-run
  hrsync resync --employee E100231,E100232 --from 2025-12-03 --prune`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = commandLine(cmd)
			return runResync(cmd.Context(), app, o)
		},
	}
	f := cmd.Flags()
	for _, kind := range resync.Kinds {
		v := new([]string)
		o.filters[kind] = v
		name := strings.ReplaceAll(kind, "_", "-")
		help := fmt.Sprintf("only employees with this %s (repeatable, comma list)", strings.ReplaceAll(kind, "_", " "))
		if kind == "employee" {
			help = "only this employee, by id or punch key (repeatable, comma list)"
		}
		f.StringArrayVar(v, name, nil, help)
	}
	f.StringVar(&o.From, "from", "", "first day, YYYY-MM-DD in the source's time zone")
	f.StringVar(&o.To, "to", "", "last day, inclusive (default: --from)")
	f.StringVar(&o.Source, "source", "", "the source to re-read (required when the config has several)")
	f.BoolVar(&o.List, "list", false, "list the selected employees and stop")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the plan per employee and change nothing")
	f.BoolVar(&o.Prune, "prune", false, "remove this source's punches for these employees and days that the source no longer has")
	f.StringVar(&o.Profile, "profile", "", "operator profile whose scope applies (resync.profiles in the config)")
	f.StringVar(&o.ReportPath, "report", "", "write the per-row report here (default: a new file in the data dir's reports folder)")
	f.StringVar(&o.ReportFormat, "report-format", "", "csv (default) or jsonl")
	addJSONOutputFlag(cmd, &o.Output, "json: print the result as JSON on stdout")
	return cmd
}

func (o resyncOptions) filter() resync.Filter {
	f := resync.Filter{}
	for kind, v := range o.filters {
		f.Add(kind, *v...)
	}
	return f
}

func runResync(ctx context.Context, app *App, o resyncOptions) error {
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	if o.List {
		emps, err := resync.List(ctx, cfg, o.filter(), o.Profile)
		if err != nil {
			return err
		}
		if o.Output == "json" {
			return printResyncValue(app.Out, emps)
		}
		return printEmployeeList(app, emps)
	}
	tuneForResync()
	bar := newProgress(app, "reading")
	res, err := resync.Run(ctx, resync.Options{Config: cfg, Source: o.Source, Filter: o.filter(), From: o.From, To: o.To,
		Profile: o.Profile, DryRun: o.DryRun, Prune: o.Prune, ReportPath: o.ReportPath, ReportFormat: o.ReportFormat,
		Log: app.Log, Args: o.Args, Progress: bar.callback()})
	bar.finish()
	if err != nil {
		return err
	}
	outcome := res.Outcome()
	code := exitcode.For(outcome)
	app.Log.Info("resync finished", "run", res.RunID, "exit", code, "counts", countsText(res.Counts), "report", res.ReportPath)
	if o.Output == "json" {
		return cmp.Or(printResyncJSON(app.Out, res, code), outcome)
	}
	if o.DryRun && !app.Quiet {
		printResyncPlan(app.Out, res)
	}
	app.say("%d employees, %s", len(res.Employees), countsText(res.Counts))
	for _, f := range res.Failures {
		app.say("could not read: %s", f)
	}
	app.say("report: %s", res.ReportPath)
	return outcome
}

// printPlan prints, per employee, what the resync would do.
func printResyncPlan(out io.Writer, res *resync.Result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EMPLOYEE\tNAME\tINSERT\tUPDATE\tREMOVE\tUNCHANGED\tEXTRA\tDIFFERS")
	for _, e := range res.Employees {
		c := e.Counts
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", e.Employee.ID, e.Employee.Name, c[resync.WouldInsert], c[resync.WouldUpdate],
			c[resync.WouldRemove], c[resync.Unchanged], c[resync.Extra], c[resync.Differs])
	}
	tw.Flush()
}

// printEmployeeList prints the selection, a screen at a time on a terminal.
func printEmployeeList(app *App, emps []*mapping.Employee) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDEPARTMENT\tDESIGNATION\tSTATUS")
	for _, e := range emps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Name, e.Department, e.Designation, e.Status)
	}
	tw.Flush()
	lines := strings.SplitAfter(strings.TrimSuffix(b.String(), "\n"), "\n")
	page := 0
	if f, ok := app.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if _, h, err := term.GetSize(int(f.Fd())); err == nil && h > 3 {
			page = h - 2
		}
	}
	in := bufio.NewReader(app.In)
	for i, l := range lines {
		if page > 0 && i > 0 && i%page == 0 {
			fmt.Fprintf(app.Out, "-- %d of %d, Enter for more, q to stop -- ", i, len(lines)-1)
			answer, err := in.ReadString('\n')
			if err != nil || strings.TrimSpace(strings.ToLower(answer)) == "q" {
				break
			}
		}
		fmt.Fprint(app.Out, strings.TrimSuffix(l, "\n")+"\n")
	}
	fmt.Fprintf(app.Out, "%d employees selected\n", len(emps))
	return nil
}

func printResyncJSON(out io.Writer, res *resync.Result, code exitcode.Code) error {
	type emp struct {
		ID     string         `json:"id"`
		Name   string         `json:"name,omitempty"`
		Counts map[string]int `json:"counts"`
	}
	v := struct {
		RunID     int64            `json:"run_id"`
		Source    string           `json:"source"`
		From      string           `json:"from"`
		To        string           `json:"to"`
		DryRun    bool             `json:"dry_run"`
		Counts    map[string]int64 `json:"counts"`
		Employees []emp            `json:"employees"`
		Report    string           `json:"report"`
		Failures  []string         `json:"failures,omitempty"`
		ExitCode  exitcode.Code    `json:"exit_code"`
	}{RunID: res.RunID, Source: res.Source, From: res.From.Format("2006-01-02T15:04:05Z"), To: res.To.Format("2006-01-02T15:04:05Z"),
		DryRun: res.DryRun, Counts: map[string]int64{}, Report: res.ReportPath, Failures: res.Failures, ExitCode: code}
	for k, n := range res.Counts {
		v.Counts[string(k)] = n
	}
	for _, e := range res.Employees {
		c := map[string]int{}
		for k, n := range e.Counts {
			c[string(k)] = n
		}
		v.Employees = append(v.Employees, emp{ID: e.Employee.ID, Name: e.Employee.Name, Counts: c})
	}
	return printResyncValue(out, v)
}

func printResyncValue(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// tuneForResync raises the soft memory limit for a resync (GOMEMLIMIT,
// when set, wins): it holds the window's punches of the selection until
// the plan, some 40 MB for 1,000 employees over 31 days, and under 48 MiB
// the collector ran all the time (half the CPU of a dry run; see
// importer/resync/bench).
func tuneForResync() { setMemoryLimit(serverImportMemoryLimit) }
