package pushusers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/mapping"
)

// History records runs (importer.Session does).
type History interface {
	StartRun(ctx context.Context, command, args, reportPath string, started time.Time) int64
	FinishRun(ctx context.Context, id int64, exit int, counts report.Counts, reportPath string, runErr error)
}

// Options for one push-users run.
type Options struct {
	Config            *config.Config
	Target            Target
	DryRun            bool
	DeactivateMissing bool
	AllowMass         bool
	// ReportPath is where the per-employee report goes; "" writes none.
	ReportPath   string
	ReportFormat string // csv or jsonl
	History      History
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
	Plan       *Plan           `json:"-"`
}

// BrakeError is the safety brake: the run stopped before changing anything.
type BrakeError struct{ Msg string }

func (e *BrakeError) Error() string { return e.Msg }

// ExitCode is 0 when everything was applied (or would be), 3 when some
// employees were rejected or need a manual change, 1 when changes failed.
func (r *Result) ExitCode() int {
	switch {
	case r.Brake != "" || r.Counts[Failed] > 0:
		return 1
	case r.Counts[Rejected] > 0 || r.Counts[NeedsManualChange] > 0:
		return 3
	}
	return 0
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
	res.DryRun, res.ReportPath = o.DryRun, o.ReportPath
	started := o.Now()
	if o.History != nil {
		cmd := "push-users"
		if o.DryRun {
			cmd += " --dry-run"
		}
		res.RunID = o.History.StartRun(ctx, cmd, o.Args, o.ReportPath, started)
		defer func() {
			exit := 1
			if err == nil {
				exit = res.ExitCode()
			}
			counts := report.Counts{}
			for k, v := range res.Counts {
				counts[mapping.Code(k)] = int64(v)
			}
			o.History.FinishRun(ctx, res.RunID, exit, counts, res.ReportPath, err)
		}()
	}
	p := o.Config.PushUsers
	n := NewNormalizer(p)
	records, stats, err := ReadSource(ctx, o.Config, n)
	res.Source = stats
	if err != nil {
		return res, err
	}
	o.Log.Info("push-users source read", "rows", stats.Rows, "unreadable", stats.Unreadable, "no_id", stats.NoID)
	target, err := o.Target.Employees(ctx)
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
	if o.ReportPath != "" {
		format, ferr := report.FormatFor(o.ReportPath, o.ReportFormat)
		if ferr != nil {
			return res, ferr
		}
		if werr := writeReport(o.ReportPath, format, plan); werr != nil {
			return res, errors.Join(applyErr, werr)
		}
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

func pathOf(c *config.Config) string {
	if c == nil {
		return ""
	}
	return c.Path
}
