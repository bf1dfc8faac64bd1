package resync

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
	"github.com/hrsync/hrsync/sources/sqlsrc"
)

// Options for one resync.
type Options struct {
	Config *config.Config
	// Source to re-read; may be empty when the config has only one.
	Source string
	Filter Filter
	// From and To are days (YYYY-MM-DD) in the source's time zone,
	// inclusive; To defaults to From.
	From, To string
	// Profile names the operator profile whose scope applies (resync.profiles).
	Profile string
	// OSUser is who runs it, for resync.profiles' os_users ("" for the
	// current OS user); User is the name the history records ("" for the
	// OS user, or a console account).
	OSUser, User string
	DryRun       bool
	Prune        bool
	ReportPath   string
	ReportFormat string
	Log          *slog.Logger
	Args         string
	Now          func() time.Time
	// Progress, when set, is told how far the read of the source has got.
	Progress func(importer.Progress)

	// wrapStore lets tests put a failing store between the engine and the
	// HR database.
	wrapStore func(Store) Store
}

// Store is what resync needs of the HR punch table.
type Store interface {
	ReadPunches(ctx context.Context, employeeIDs []string, from, to time.Time, fn func(sqlsink.StoredPunch) error) error
	ApplyChanges(ctx context.Context, c sqlsink.EmployeeChanges) error
	HasPunchColumn(field string) bool
	// Identity is the table's punch identity: the plan matches by it.
	Identity() mapping.Identity
}

// usage is a resync refused before anything was read: a bad filter,
// window or profile scope.
func usage(format string, args ...any) error { return exitcode.Usagef(format, args...) }

// EmployeeSummary is the plan, or what was done, for one employee.
type EmployeeSummary struct {
	Employee *mapping.Employee
	Counts   map[mapping.Code]int
}

// Result is what a resync did (or, dry, would do).
type Result struct {
	RunID      int64
	ReportPath string
	Source     string
	From, To   time.Time // UTC, To exclusive
	DryRun     bool
	Employees  []EmployeeSummary
	// Counts are per report row: the mapping's rejects plus inserted,
	// unchanged, updated, removed, extra, differs (or would_*).
	Counts report.Counts
	// Failures are files that could not be read.
	Failures []string
	// Applied is how many employees were reconciled before a failure.
	Applied int
}

// Outcome is nil when every row was placed; otherwise unreadable files
// (exit 1) come before rejected rows (3).
func (r *Result) Outcome() error {
	switch {
	case len(r.Failures) > 0:
		return exitcode.Incomplete(exitcode.Failed, "%d files could not be read", len(r.Failures))
	case r.Rejected() > 0:
		return exitcode.Incomplete(exitcode.Rejected, "%d rows were rejected", r.Rejected())
	}
	return nil
}

// Rejected counts the rows that could not be placed (the mapping's rejects).
func (r *Result) Rejected() int64 {
	var n int64
	for code, v := range r.Counts {
		if !code.Placed() && !resyncOutcome(code) {
			n += v
		}
	}
	return n
}

func resyncOutcome(c mapping.Code) bool {
	switch c {
	case Inserted, Unchanged, Updated, Removed, Extra, Differs, WouldInsert, WouldUpdate, WouldRemove:
		return true
	}
	return false
}

// Run re-reads the source for the window and the selected employees,
// compares with the HR system and applies the differences one employee per
// transaction (or, dry, only reports them).
func Run(ctx context.Context, o Options) (res *Result, err error) {
	cfg := o.Config
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HRIsHTTP() {
		// Reconciling means reading the punches the HR system holds and
		// correcting or removing them in one transaction per employee; a
		// punch API only takes new batches.
		return nil, &config.Error{File: cfg.Path, Key: "hr.url", Msg: "is an HTTP API: resync needs a database HR target, because it reads the punches the HR system holds and corrects or removes them per employee, which a punch API does not offer (import sends new punches; --list works)"}
	}
	src, err := pickSource(cfg, o.Source)
	if err != nil {
		return nil, err
	}
	from, to, err := window(src, o.From, o.To)
	if err != nil {
		return nil, err
	}
	if o.Profile, err = ProfileFor(cfg, cmp.Or(o.OSUser, importer.CurrentUser()), o.Profile); err != nil {
		return nil, exitcode.AsUsage(err)
	}
	format, err := report.FormatFor(o.ReportPath, firstNonEmpty(o.ReportFormat, cfg.Report.Format))
	if err != nil {
		return nil, usage("%w", err)
	}
	res = &Result{Source: src.Name, From: from, To: to, DryRun: o.DryRun, Counts: report.Counts{}}
	endCtx := ctx // End records the run even when its deadline has passed
	ctx, stop := importer.RunDeadline(ctx, cfg)
	defer stop()
	defer func() { err = importer.DeadlineCause(ctx, err) }()
	started := o.Now()
	run, err := importer.BeginRun(ctx, cfg, importer.RunSpec{Command: "resync", Args: o.Args, DryRun: o.DryRun,
		Report: o.ReportPath, ReportFormat: format, Started: started, Log: o.Log, User: o.User})
	if err != nil {
		return nil, err
	}
	o.Log = run.Log // with the run id
	res.RunID, res.ReportPath = run.ID, run.ReportPath
	defer func() { run.End(endCtx, res.Counts, cmp.Or(importer.DeadlineCause(ctx, err), res.Outcome())) }()

	hr, err := importer.OpenHR(ctx, cfg, !o.DryRun)
	if err != nil {
		return res, err
	}
	defer hr.Close()
	dir, err := importer.LoadDirectory(ctx, cfg, hr)
	if err != nil {
		return res, err
	}
	selected, err := Select(dir.All, o.Filter, dir.Lookup)
	if err != nil {
		return res, exitcode.AsUsage(err)
	}
	if len(selected) == 0 {
		return res, usage("no employee matches %s", o.Filter)
	}
	if err := CheckScope(cfg, o.Profile, selected); err != nil {
		return res, exitcode.AsUsage(err)
	}
	var store Store = hr
	if o.wrapStore != nil {
		store = o.wrapStore(store)
	}
	if o.Prune && !store.HasPunchColumn("source") {
		return res, usage("--prune: the punch table has no source column, so resync cannot tell this source's punches from others'; run without --prune to see the extras")
	}

	rep, err := createReport(res.ReportPath, format, src.Location())
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := rep.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	write := func(r *Row) error {
		res.Counts[r.Outcome]++
		if err := rep.write(r); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		return nil
	}

	bySelected := make(map[string]*mapping.Employee, len(selected))
	ids := make([]string, len(selected))
	for i, e := range selected {
		bySelected[e.ID] = e
		ids[i] = e.ID
	}
	// The window's punches of the selection are held until the plan, as
	// punches only: the report line of a mapped punch is made from it again
	// (lineOf), so each costs half the memory, and the collector, kept under
	// commands' soft memory limit, does not run all the time.
	punches := map[string][]mapping.Punch{}
	inWindow := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	keep := func(m *importer.Mapped) error {
		if m.OK {
			if bySelected[m.Punch.EmployeeID] != nil && inWindow(m.Punch.Time) {
				punches[m.Punch.EmployeeID] = append(punches[m.Punch.EmployeeID], m.Punch)
			}
			return nil
		}
		if rejectInScope(&m.Line, bySelected, dir, inWindow) {
			return write(&Row{Line: m.Line})
		}
		return nil
	}
	// Rows of employees outside the selection are passed over before their
	// time is parsed: keep and rejectInScope would drop them anyway.
	wanted := func(id string) bool { return bySelected[id] != nil }
	if src.IsDatabase() {
		w := sqlsrc.Window{From: from, To: to, Keys: pushdownKeys(cfg, src, selected)}
		res.Failures, err = importer.ReadMapped(ctx, cfg, src, dir, importer.ReadOptions{Window: w, Employees: wanted, Now: o.Now, Progress: o.Progress}, keep)
	} else {
		var files []string
		var stateDB *sqldb.Bound
		if run.State != nil {
			stateDB = run.State.DB
		}
		if files, err = windowFiles(ctx, stateDB, cfg, src, from, to); err != nil {
			return res, fmt.Errorf("source %s: %w", src.Name, err)
		}
		if err := checkArchive(ctx, run.State, cfg, src); err != nil {
			return res, err
		}
		res.Failures, err = importer.ReadMapped(ctx, cfg, src, dir, importer.ReadOptions{Files: files, Employees: wanted, Now: o.Now, Progress: o.Progress}, keep)
	}
	if err != nil {
		return res, err
	}

	stored := map[string][]sqlsink.StoredPunch{}
	if err := store.ReadPunches(ctx, ids, from, to, func(sp sqlsink.StoredPunch) error {
		stored[sp.EmployeeID] = append(stored[sp.EmployeeID], sp)
		return nil
	}); err != nil {
		return res, err
	}

	var hist *history
	if !o.DryRun && res.RunID != 0 {
		if hist, err = openHistory(ctx, run.State.DB, res.RunID); err != nil {
			return res, err
		}
	}
	po := planOptions{source: src.Name, prune: o.Prune, updateChanged: cfg.ResyncUpdatesChanged(), hasSource: store.HasPunchColumn("source"), ident: store.Identity()}
	done := func(p *EmployeePlan) error {
		for i := range p.Rows {
			if err := write(&p.Rows[i]); err != nil {
				return err
			}
		}
		res.Employees = append(res.Employees, EmployeeSummary{Employee: p.Employee, Counts: p.Counts})
		return nil
	}
	ap := &applier{store: store, hist: hist, log: o.Log, res: res, total: len(selected), done: done}
	for _, e := range selected {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		epo := po
		if !e.Active() && cfg.HR.Employees.Inactive != mapping.InactiveImport {
			// Import rejects this employee's punches, so the source having
			// none in the HR table's sense proves nothing: never prune them.
			epo.prune = false
		}
		p := planEmployee(e, sourcePunches(punches[e.ID]), stored[e.ID], epo)
		delete(punches, e.ID)
		delete(stored, e.ID)
		if o.DryRun {
			p.asDryRun()
			if err := done(p); err != nil {
				return res, err
			}
			continue
		}
		if err := ap.add(ctx, p); err != nil {
			return res, err
		}
	}
	return res, ap.flush(ctx)
}

// groupApplier is a store that applies several employees' changes in one
// transaction (sqlsink.Sink), each employee's still all or nothing.
type groupApplier interface {
	ApplyChangesGroup(ctx context.Context, cs []sqlsink.EmployeeChanges) error
}

// applyGroup is how many employees' changes share a transaction: a commit
// waits for the disk (the HR server's log, the state database's sync), and
// one per employee was most of a real resync's time.
const applyGroup = 50

// applier applies the plans of a real resync: a group of employees in one
// transaction when the store can, and their changes in the history in one
// more. A group that fails is applied again one employee per transaction,
// so what is reconciled, and the error, are what they are without groups.
type applier struct {
	store   Store
	hist    *history
	log     *slog.Logger
	res     *Result
	total   int
	done    func(*EmployeePlan) error
	pending []*EmployeePlan
}

func (a *applier) add(ctx context.Context, p *EmployeePlan) error {
	a.pending = append(a.pending, p)
	if len(a.pending) < applyGroup {
		return nil
	}
	return a.flush(ctx)
}

func (a *applier) flush(ctx context.Context) error {
	group := a.pending
	a.pending = nil
	if len(group) == 0 {
		return nil
	}
	if g, ok := a.store.(groupApplier); ok && len(group) > 1 {
		var cs []sqlsink.EmployeeChanges
		for _, p := range group {
			if !p.Changes.Empty() {
				cs = append(cs, p.Changes)
			}
		}
		if err := g.ApplyChangesGroup(ctx, cs); err == nil {
			a.res.Applied += len(group)
			if err := a.hist.record(ctx, group...); err != nil {
				a.log.Warn("could not record the changes in the run history", "employees", len(group), "err", err)
			}
			for _, p := range group {
				if err := a.done(p); err != nil {
					return err
				}
			}
			return nil
		}
	}
	for _, p := range group {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := a.store.ApplyChanges(ctx, p.Changes); err != nil {
			return fmt.Errorf("%w; %d of %d employees were reconciled before it, the rest are untouched: run the same resync again to finish", err, a.res.Applied, a.total)
		}
		a.res.Applied++
		if err := a.hist.record(ctx, p); err != nil {
			a.log.Warn("could not record the changes in the run history", "employee", p.Employee.ID, "err", err)
		}
		if err := a.done(p); err != nil {
			return err
		}
	}
	return nil
}

// rejectInScope says whether a rejected row concerns the resync: its
// employee is selected (or, when the key found no employee, its time is in
// the window, since it may be a selected employee's punch under a key the
// directory lacks). File failures always do.
func rejectInScope(l *report.Line, selected map[string]*mapping.Employee, dir *importer.Directory, inWindow func(time.Time) bool) bool {
	if l.Outcome == mapping.Failed {
		return true
	}
	id := l.EmployeeID
	if id == "" && l.Key != "" {
		if e := dir.Lookup(l.Key); e != nil {
			id = e.ID
		}
	}
	if id != "" {
		return selected[id] != nil && (l.Time.IsZero() || inWindow(l.Time))
	}
	return !l.Time.IsZero() && inWindow(l.Time)
}

// pushdownKeys lists the values the source's key column may hold for the
// selected employees, for the SQL to filter on: every match field of each.
// When the mapping transforms the key (beyond trimming) the stored values
// cannot be known from the directory, so it returns nil and the rows are
// filtered after mapping instead; the time window is pushed down either way.
func pushdownKeys(cfg *config.Config, src *config.Source, selected []*mapping.Employee) []string {
	for _, t := range src.Mapping.EmployeeKey.Transform {
		if t.Kind != mapping.TransformTrim {
			return nil
		}
	}
	seen := map[string]bool{}
	var keys []string
	for _, e := range selected {
		for _, field := range cfg.HR.Employees.Match {
			if v := strings.TrimSpace(e.Field(field)); v != "" && !seen[v] {
				seen[v] = true
				keys = append(keys, v)
			}
		}
	}
	return keys
}

// List returns the employees the filter selects, checked against the
// profile's scope, reading the directory without writing anything.
func List(ctx context.Context, cfg *config.Config, f Filter, profile string) ([]*mapping.Employee, error) {
	profile, err := ProfileFor(cfg, importer.CurrentUser(), profile)
	if err != nil {
		return nil, exitcode.AsUsage(err)
	}
	dir, err := Directory(ctx, cfg)
	if err != nil {
		return nil, err
	}
	selected, err := Select(dir.All, f, dir.Lookup)
	if err != nil {
		return nil, exitcode.AsUsage(err)
	}
	if err := CheckScope(cfg, profile, selected); err != nil {
		return nil, exitcode.AsUsage(err)
	}
	return selected, nil
}

// Directory reads every employee of the HR directory, writing nothing.
func Directory(ctx context.Context, cfg *config.Config) (*importer.Directory, error) {
	var lister interface {
		Employees(ctx context.Context) ([]mapping.Employee, error)
	}
	if cfg.HR.Employees.File == "" {
		hr, err := importer.OpenHR(ctx, cfg, false)
		if err != nil {
			return nil, err
		}
		defer hr.Close()
		lister = hr
	}
	return importer.LoadDirectory(ctx, cfg, lister)
}

func pickSource(cfg *config.Config, name string) (*config.Source, error) {
	names := cfg.SourceNames()
	if name == "" {
		if len(names) == 1 {
			return cfg.Sources[names[0]], nil
		}
		return nil, usage("--source is required: the config has %d sources (%v)", len(names), names)
	}
	src, ok := cfg.Sources[name]
	if !ok {
		return nil, usage("--source %q: no such source (have: %v)", name, names)
	}
	return src, nil
}

// window turns inclusive days in the source's zone into [from, to) in UTC.
func window(src *config.Source, fromDay, toDay string) (time.Time, time.Time, error) {
	if fromDay == "" {
		return time.Time{}, time.Time{}, usage("--from is required (a day, YYYY-MM-DD)")
	}
	if toDay == "" {
		toDay = fromDay
	}
	loc := src.Location()
	from, err := time.ParseInLocation("2006-01-02", fromDay, loc)
	if err != nil {
		return time.Time{}, time.Time{}, usage("--from %q: want a day like 2025-12-01", fromDay)
	}
	to, err := time.ParseInLocation("2006-01-02", toDay, loc)
	if err != nil {
		return time.Time{}, time.Time{}, usage("--to %q: want a day like 2025-12-15", toDay)
	}
	if to.Before(from) {
		return time.Time{}, time.Time{}, usage("--to %s is before --from %s", toDay, fromDay)
	}
	end := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	return from.UTC(), end.UTC(), nil
}

// SortedCodes lists the outcomes of counts in a stable order.
func SortedCodes(c map[mapping.Code]int) []mapping.Code {
	keys := make([]mapping.Code, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
