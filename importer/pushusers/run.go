package pushusers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// Options for one push-users run.
type Options struct {
	Config *config.Config
	// Target is where the accounts go; nil opens the configured one once
	// the run has begun.
	Target            Target
	DryRun            bool
	DeactivateMissing bool
	AllowMass         bool
	// ReportPath is where the per-employee report goes; "" picks a new
	// file in report.dir.
	ReportPath   string
	ReportFormat string // csv or jsonl; "" follows the path or report.format
	Args         string
	Log          *slog.Logger
	Now          func() time.Time
}

// Result is what a run did.
type Result struct {
	RunID      int64           `json:"run_id"`
	DryRun     bool            `json:"dry_run"`
	Counts     map[Outcome]int `json:"counts"`
	Source     SourceStats     `json:"source"`
	ReportPath string          `json:"report"`
	Brake      string          `json:"brake,omitempty"`
	// Notes say what a dry run assumed (a table the real run creates).
	Notes []string `json:"notes,omitempty"`
	Plan  *Plan    `json:"-"`
}

// BrakeError is the safety brake: the run stopped before changing anything.
type BrakeError struct{ Msg string }

func (e *BrakeError) Error() string { return e.Msg }

// Outcome is nil when everything was applied (or would be); failed changes
// (exit 1) come before employees rejected or needing a manual change (3).
// The brake is not an outcome but the run's error.
func (r *Result) Outcome() error {
	switch {
	case r.Counts[Failed] > 0:
		return exitcode.Incomplete(exitcode.Failed, "%d changes failed", r.Counts[Failed])
	case r.Counts[Rejected] > 0 || r.Counts[NeedsManualChange] > 0:
		return exitcode.Incomplete(exitcode.Rejected, "%d employees rejected, %d need a manual change", r.Counts[Rejected], r.Counts[NeedsManualChange])
	}
	return nil
}

// Run reads the source and the target, plans, applies (unless dry run or
// the brake trips) and writes the report.
func Run(ctx context.Context, o Options) (res Result, err error) {
	if o.Config == nil || o.Config.PushUsers == nil {
		return res, &config.Error{File: pathOf(o.Config), Key: "push_users", Msg: "the config has no push_users section"}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	format, err := report.FormatFor(o.ReportPath, cmp.Or(o.ReportFormat, o.Config.Report.Format))
	if err != nil {
		return res, exitcode.AsUsage(err)
	}
	endCtx := ctx // End records the run even when its deadline has passed
	ctx, stop := importer.RunDeadline(ctx, o.Config)
	defer stop()
	defer func() { err = importer.DeadlineCause(ctx, err) }()
	run, err := importer.BeginRun(ctx, o.Config, importer.RunSpec{Command: "push-users", Args: o.Args, DryRun: o.DryRun,
		Report: o.ReportPath, ReportFormat: format, Started: o.Now(), Log: o.Log})
	if err != nil {
		return res, err
	}
	o.Log = run.Log // with the run id
	res.RunID, res.DryRun, res.ReportPath = run.ID, o.DryRun, run.ReportPath
	defer func() {
		counts := report.Counts{}
		for k, v := range res.Counts {
			counts[mapping.Code(k)] = int64(v)
		}
		run.End(endCtx, counts, cmp.Or(importer.DeadlineCause(ctx, err), res.Outcome()))
	}()
	if o.Target == nil {
		target, closeTarget, err := OpenTarget(ctx, o.Config, !o.DryRun, o.Log)
		if err != nil {
			return res, err
		}
		defer closeTarget()
		o.Target = target
	}
	o.Log.Info("push-users started", "config", o.Config.Path, "target", o.Config.PushUsers.Target.Kind, "dry_run", o.DryRun,
		"deactivate_missing", o.DeactivateMissing)
	p := o.Config.PushUsers
	n := NewNormalizer(p)
	records, stats, err := ReadSource(ctx, o.Config, n)
	res.Source = stats
	if err != nil {
		return res, err
	}
	if o.Config.PushUsers.Target.Kind == config.TargetDevices {
		DevicePINs(o.Config, records) // device PINs are the keys punches match
	}
	o.Log.Info("push-users source read", "rows", stats.Rows, "unreadable", stats.Unreadable, "no_id", stats.NoID)
	target, err := o.Target.Employees(ctx)
	if err != nil && o.DryRun && sqldb.Classify(err) == sqldb.MissingTable && createsTables(o.Config) {
		// The real run creates the table, so a dry run (which creates
		// nothing) plans what that run would do: every employee is new.
		target, err = nil, nil
		res.Notes = append(res.Notes, "the HR database has no employees table yet; the real run creates it, so this dry run planned against an empty directory")
	}
	if err != nil {
		return res, fmt.Errorf("reading the target's employees: %w", err)
	}
	o.Log.Info("push-users target read", "employees", len(target))
	rules := RulesFrom(p)
	rules.DeactivateMissing, rules.AllowMass = o.DeactivateMissing, o.AllowMass
	if l, ok := o.Target.(FieldLimiter); ok && l.Fields() != nil {
		rules.Compared = keepOnly(rules.Compared, l.Fields())
	}
	plan := MakePlan(records, stats, target, n, rules)
	res.Plan, res.Brake = plan, plan.Brake
	var applyErr error
	switch {
	case plan.Brake != "":
		applyErr = &BrakeError{Msg: plan.Brake}
		o.Log.Warn("push-users safety brake", "deactivations", plan.Deactivations, "active", plan.ActiveInTarget)
	case !o.DryRun:
		applyErr = Apply(ctx, plan, o.Target)
	}
	res.Counts = plan.Counts()
	if werr := writeReport(res.ReportPath, format, plan); werr != nil {
		return res, errors.Join(applyErr, werr)
	}
	if applyErr != nil {
		return res, applyErr
	}
	o.Log.Info("push-users finished", "dry_run", o.DryRun, "counts", fmt.Sprint(res.Counts))
	return res, nil
}

func writeReport(path, format string, p *Plan) error {
	w, err := CreateReport(path, format)
	if err != nil {
		return err
	}
	for _, d := range p.Decisions {
		if err := w.Write(d); err != nil {
			w.Close()
			return fmt.Errorf("report %s: %w", path, err)
		}
	}
	return w.Close()
}

func keepOnly(list, allowed []string) []string {
	var out []string
	for _, f := range list {
		if contains(allowed, f) {
			out = append(out, f)
		}
	}
	return out
}

// createsTables says whether a real run creates a missing employees
// table: the database target, with create_tables on (SQLite's default).
func createsTables(c *config.Config) bool {
	if c.PushUsers.Target.Kind != config.TargetDatabase {
		return false
	}
	if c.HR.CreateTables != nil {
		return *c.HR.CreateTables
	}
	d, _ := sqldb.DialectOf(c.HR.URL)
	return d == sqldb.SQLite
}

func pathOf(c *config.Config) string {
	if c == nil {
		return ""
	}
	return c.Path
}
