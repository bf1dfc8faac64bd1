package commands

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/pushusers"
	"github.com/hrsync/hrsync/internal/exitcode"
)

type pushUsersOptions struct {
	DryRun            bool
	DeactivateMissing bool
	AllowMass         bool
	ReportPath        string
	ReportFormat      string
	Output            string
	Args              string // the command as typed, for the run history
}

func newPushUsersCmd(app *App) *cobra.Command {
	var o pushUsersOptions
	cmd := &cobra.Command{
		Use:   "push-users",
		Short: "Create, update and deactivate employee accounts in the HR system from the customer's employee records",
		Long: `push-users reads the employee records named by push_users.source, compares them with the accounts in
push_users.target and, per employee: creates missing accounts (with every required field), updates only the
fields the policy allows, deactivates leavers (never deletes), and reports differences it may not write as
needs_manual_change. Accounts missing from the source are reported, and deactivated only with
--deactivate-missing. A run that would deactivate more than max_deactivate_share of the active accounts
stops before changing anything.

Exit codes: 0 every change applied; 3 some employees rejected or need a manual change; 1 a failure or the
safety brake; 2 a configuration error.`,
		Example: `  hrsync push-users --dry-run
  hrsync push-users --deactivate-missing --report leavers.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = commandLine(cmd)
			return runPushUsers(cmd.Context(), app, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.DryRun, "dry-run", false, "print the plan and report it; change nothing")
	f.BoolVar(&o.DeactivateMissing, "deactivate-missing", false, "deactivate active accounts that are not in the source")
	f.BoolVar(&o.AllowMass, "allow-mass-deactivation", false, "go ahead even when more than max_deactivate_share of the active accounts would be deactivated")
	f.StringVar(&o.ReportPath, "report", "", "write the per-employee report here (default: a new file in the data dir's reports folder)")
	f.StringVar(&o.ReportFormat, "report-format", "", "csv (default) or jsonl")
	addJSONOutputFlag(cmd, &o.Output, "json: print the summary as JSON on stdout")
	return cmd
}

func runPushUsers(ctx context.Context, app *App, o pushUsersOptions) error {
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	if cfg.PushUsers == nil {
		return exitcode.AsUsage(&config.Error{File: cfg.Path, Key: "push_users", Msg: "is missing: push-users needs a push_users section (see examples/push-users)"})
	}
	res, err := pushusers.Run(ctx, pushusers.Options{Config: cfg, DryRun: o.DryRun,
		DeactivateMissing: o.DeactivateMissing, AllowMass: o.AllowMass, ReportPath: o.ReportPath, ReportFormat: o.ReportFormat,
		Args: o.Args, Log: app.Log})
	var brake *pushusers.BrakeError
	if err != nil && !errors.As(err, &brake) {
		return err
	}
	outcome := cmp.Or(err, res.Outcome()) // the brake, or how the changes went
	code := exitcode.For(outcome)
	app.Log.Info("push-users finished", "run", res.RunID, "exit", code, "counts", pushCountsText(res), "report", res.ReportPath)
	if o.Output == "json" {
		return cmp.Or(printPushJSON(app, res, code), outcome)
	}
	if res.Plan != nil && (o.DryRun || app.Verbose) {
		printPlan(app, res)
	}
	app.say("%s", pushCountsText(res))
	for _, n := range res.Notes {
		app.say("note: %s", n)
	}
	if o.DryRun {
		app.say("dry run: nothing was changed")
	}
	app.say("report: %s", res.ReportPath)
	return outcome
}

// printPlan lists every decision that is not "unchanged", one per line.
func printPlan(app *App, res pushusers.Result) {
	for _, d := range res.Plan.Decisions {
		if d.Outcome == pushusers.Unchanged {
			continue
		}
		line := fmt.Sprintf("%-20s %s", d.Outcome, d.ID)
		if len(d.Set) > 0 {
			parts := make([]string, len(d.Set))
			for i, c := range d.Set {
				parts[i] = fmt.Sprintf("%s: %q → %q", c.Field, c.Old, c.New)
			}
			line += "  " + strings.Join(parts, "; ")
		}
		if d.Reason != "" {
			line += "  (" + d.Reason + ")"
		}
		app.say("%s", line)
	}
}

func pushCountsText(res pushusers.Result) string {
	total := 0
	for _, v := range res.Counts {
		total += v
	}
	parts := []string{fmt.Sprintf("%d employees", total)}
	for _, k := range pushusers.Outcomes {
		if n := res.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}

func printPushJSON(app *App, res pushusers.Result, code exitcode.Code) error {
	out := struct {
		pushusers.Result
		ExitCode exitcode.Code `json:"exit_code"`
	}{res, code}
	enc := json.NewEncoder(app.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func firstNonEmptyString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
