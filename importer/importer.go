// Package importer is hrsync's engine. A run wires sources, the mapping, the
// employee directory and the HR sink, streams rows through them in batches,
// writes one report line per input row and records itself in the state store.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sources"
	"github.com/hrsync/hrsync/sources/sqlsrc"
)

// Options for one import run.
type Options struct {
	Config       *config.Config
	Sources      []string // empty = all
	DryRun       bool
	ReportPath   string // empty = a new file under the config's report dir
	ReportFormat string
	// ReportCopy, when set, also receives the report as it is written
	// (--report -: JSON lines on stdout for a log collector).
	ReportCopy io.Writer
	Log        *slog.Logger
	Now        func() time.Time
	// Progress, when set, is told after each batch how many rows have
	// been settled and how many bytes of the files have been read.
	Progress func(Progress)
	// Args is the command line as typed, for the run history (secrets redacted by the caller).
	Args string
	// Observer, when set, sees every file and every settled row (map-check).
	Observer Observer
	// Sample stops each source after this many rows (0 = all).
	Sample int
	// PushRows bounds what a push source reads in one run (0: all it
	// has); serve imports in batches of this many.
	PushRows int
	// NoState leaves the run state alone: no lock, no run record (map-check).
	NoState bool
	// Writer, when set, takes the punches instead of the configured HR
	// target (benchmarks compare writers through the same pipeline).
	Writer sinks.PunchSink

	// writers, in tests, replace the sink and its twin.
	writers []sinks.PunchSink
	// afterCommit, in tests, runs after a batch is committed in the sink
	// and before its watermark is saved (an error stands for a crash).
	afterCommit func() error
}

// Observer watches a run. File is called when a file opens, Row after a row's
// outcome is final, with the row as read and its mapped punch (nil when it was
// rejected before mapping finished). File is called on the reading goroutine
// and Row on the writing one, so an Observer that shares state between the
// two must lock; a file's File call comes before any of its rows' Row calls.
type Observer interface {
	File(sources.Detection, *mapping.Binding, error)
	Row(row *mapping.Row, punch *mapping.Punch, line *report.Line)
}

// DirectoryObserver is an Observer that also wants the employee directory
// the run matches against (map-check: near matches, coverage). Directory is
// called once, before the first row.
type DirectoryObserver interface {
	Directory(*Directory)
}

// IdentityObserver is an Observer that also wants the punch identity the
// run settles repeats by (map-check: its duplicates finding and the note on
// in-and-out pairs). PunchIdentity is called once, before the first row.
type IdentityObserver interface {
	PunchIdentity(mapping.Identity)
}

// Result is what a run did.
type Result struct {
	RunID      int64
	Counts     report.Counts
	ReportPath string
	// Failures are files or sources that could not be read at all; they
	// have report lines too.
	Failures []string
	// Inbox lists the inbox files the run moved to archive/ or error/.
	Inbox []InboxMove
	// StoredNote, for a dry run, says why punches already in the HR
	// database could not be told apart (no database or punch table yet).
	StoredNote string
	// Identity is which punches the run held to be one (the sink's, or for
	// a dry run the HR table's): with the direction, an in and an out of
	// one employee in one second are two punches.
	Identity mapping.Identity

	read []*sourceRead // what each source read, for settleInbox
}

// Outcome is how a completed run ended: nil when every row was placed;
// otherwise the files that could not be read (exit 1) come before rejected
// rows (3), and those before rows queued for an HTTP target that has not
// taken them yet (4). Later runs, or `hrsync retry`, send the queued rows;
// `hrsync events list --status failed` shows why they wait.
func (r *Result) Outcome() error {
	switch {
	case len(r.Failures) > 0:
		return exitcode.Incomplete(exitcode.Failed, "%d of the sources or files could not be read", len(r.Failures))
	case r.Counts.Rejected() > 0:
		return exitcode.Incomplete(exitcode.Rejected, "%d rows were rejected", r.Counts.Rejected())
	case r.Counts[mapping.Queued] > 0:
		return exitcode.Incomplete(exitcode.Queued, "%d rows wait in the outbox", r.Counts[mapping.Queued])
	}
	return nil
}

// item is one input row on its way through the pipeline.
type item struct {
	line   report.Line
	punch  mapping.Punch
	ok     bool         // a punch to write; otherwise line.Outcome is final
	mapped bool         // punch holds the mapping's result, even if rejected later
	row    *mapping.Row // kept only when an Observer wants it
	cursor string       // the source's watermark once this row is settled
	skip   bool         // a row of an employee the reader does not want (ReadOptions.Employees)
}

// rowsTo maps every row of one source onto emit, batching as it goes.
type rowMapper struct {
	src       *config.Source
	mapper    *mapping.Mapper
	dir       *Directory
	importOff bool // import inactive employees too
	observer  Observer
	sample    int
	seen      int
	read      *sourceRead // which files were read or failed (nil: not tracked)
	rows      int64       // rows read so far, for the progress lines
	log       *slog.Logger
	meter     *meter // bytes read, for progress (nil: not measured)
	pushRows  int    // a push source reads at most this many (0: all)
	// wants, when set, passes over the rows whose key is a known employee
	// it does not want, before their time is parsed (ReadOptions.Employees).
	wants func(employeeID string) bool
	// kept keeps the rows an Observer wants, in the batch being filled.
	kept *rowStore
}

// rowStore keeps the rows an Observer wants in the batch they travel
// with, one copy each into a slice the batch reuses: a copy of its own per
// row was most of what map-check's reader allocated (1M rows: 150 MB), and
// the collector then chased each one.
type rowStore struct{ rows *[]mapping.Row }

// keep copies r into the batch and returns where it is. (A method of a
// concrete type, so that r itself stays on the caller's stack.)
func (s *rowStore) keep(r *mapping.Row) *mapping.Row {
	if s == nil || s.rows == nil {
		kept := *r
		return &kept
	}
	*s.rows = append(*s.rows, *r)
	return &(*s.rows)[len(*s.rows)-1]
}

func (m *rowMapper) mapRow(b *mapping.Binding, bindErr error, row mapping.Row) item {
	it := item{line: report.Line{Source: row.Origin.Source, File: row.Origin.File, Sheet: row.Origin.Sheet, Line: row.Origin.Line}, cursor: row.Cursor}
	reject := func(code mapping.Code, reason string) item {
		it.line.Outcome, it.line.Reason = code, reason
		it.line.Raw = append([]string(nil), row.Fields...)
		if len(it.line.Raw) == 0 && row.Text != "" {
			it.line.Raw = []string{row.Text} // a line that could not be split, as it was written
		}
		return it
	}
	if row.Err != nil {
		return reject(mapping.InvalidRow, row.Err.Error())
	}
	if bindErr != nil {
		return reject(mapping.InvalidRow, bindErr.Error())
	}
	if m.wants != nil {
		if key, ok := b.Key(&row); ok {
			if e := m.dir.find(key); e.employee != nil && !m.wants(e.id) {
				return item{skip: true}
			}
		}
	}
	p, rej := b.Map(row)
	if rej != nil {
		it.line.Key, it.line.Time, it.line.Field = p.SourceKey, p.Time, rej.Field
		return reject(rej.Code, rej.Reason)
	}
	it.punch, it.mapped = p, true
	it.line.Key, it.line.Time, it.line.Direction, it.line.Device = p.SourceKey, p.Time, string(p.Direction), p.DeviceID
	e := m.dir.find(p.SourceKey)
	if e.employee == nil {
		return reject(mapping.Unmapped, fmt.Sprintf("no employee has key %q (matched on %s)", p.SourceKey, m.dir.matchDesc))
	}
	it.line.EmployeeID = e.id
	if !e.active && !m.importOff {
		return reject(mapping.Inactive, fmt.Sprintf("employee %s is %s", e.id, e.employee.Status))
	}
	it.punch.EmployeeID, it.punch.Source = e.id, m.src.Name
	it.ok = true
	return it
}

// readSource streams one source's rows as items, file by file, in name order.
// Files that cannot be read become a failed report line and an entry in failures.
func readSource(ctx context.Context, cfg *config.Config, src *config.Source, m *rowMapper, marks watermarks, emit func(item) error) (failures []string, err error) {
	if src.Push {
		return readPush(ctx, cfg, src, m, marks, m.pushRows, emit)
	}
	if src.IsDatabase() && !src.ReadsInbox() {
		return readDatabase(ctx, cfg, src, m, marks, sqlsrc.Window{}, emit)
	}
	files, err := sourceFiles(cfg, src)
	if err != nil {
		it := item{line: report.Line{Source: src.Name, File: src.Path, Outcome: mapping.Failed, Reason: err.Error()}}
		return []string{err.Error()}, emit(it)
	}
	return readFiles(ctx, src, files, m, emit)
}

// readFiles streams the rows of the given files of one source, in the order given.
func readFiles(ctx context.Context, src *config.Source, files []string, m *rowMapper, emit func(item) error) (failures []string, err error) {
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return failures, err
		}
		m.read.opened(path)
		m.log.Debug("file started", "source", src.Name, "file", path)
		var r sources.FileReader
		var det sources.Detection
		err := guard(path, func() (err error) {
			r, det, err = sources.OpenFile(path, src.Name, fileFormat(src))
			return err
		})
		if err != nil && m.observer != nil {
			m.observer.File(det, nil, err)
		}
		if err != nil {
			it := item{line: report.Line{Source: src.Name, File: path, Outcome: mapping.Failed, Reason: err.Error()}}
			failures = append(failures, err.Error())
			m.read.fail(path, err)
			m.log.Debug("file failed", "source", src.Name, "file", path, "err", err)
			if err := emit(it); err != nil {
				return failures, err
			}
			continue
		}
		before := m.rows
		ferr := guard(path, func() error { return readFile(ctx, r, det, m, emit) })
		r.Close()
		if ferr == nil && m.rows == before && !(m.sample > 0 && m.seen >= m.sample) {
			// A file with bytes and no row fails; a database source with
			// nothing past its watermark (read by readFile too) does not.
			ferr = noRows(det)
		}
		if ferr == nil {
			m.log.Debug("file finished", "source", src.Name, "file", path, "format", det.Format, "rows", m.rows-before)
		} else {
			m.log.Debug("file failed", "source", src.Name, "file", path, "format", det.Format, "rows", m.rows-before, "err", ferr)
		}
		m.meter.done(path)
		if ferr != nil {
			var emitErr *emitError
			if errors.As(ferr, &emitErr) || ctx.Err() != nil {
				return failures, ferr
			}
			it := item{line: report.Line{Source: src.Name, File: path, Outcome: mapping.Failed, Reason: ferr.Error()}}
			failures = append(failures, ferr.Error())
			m.read.fail(path, ferr)
			if err := emit(it); err != nil {
				return failures, err
			}
		}
	}
	return failures, nil
}

// guard runs one file's open or read and turns a panic in a reader (a bug
// a hostile file found) into that file's failure, so the other files are
// still read and the process never dies of it.
func guard(path string, fn func() error) error { return noPanic(path+": reading", fn) }

// noPanic runs fn and turns a panic in it into an error naming what
// failed. The run's goroutines go through it: a panic in one of them would
// end the process with the runtime's exit code 2 (the one for usage
// errors) and skip the run's history; as an error it is a failed run, exit 1.
func noPanic(what string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s failed (an internal error, please report it): %v", what, p)
		}
	}()
	return fn()
}

// noRows is why a file that has bytes but no row fails: a header alone
// (an export cut short, or a byte-order mark that hid the line breaks) must
// not pass as "0 rows" and be archived.
func noRows(det sources.Detection) error {
	if len(det.Columns) > 0 {
		return fmt.Errorf("no rows: the file holds a header (%d columns) and nothing under it", len(det.Columns))
	}
	return errors.New("no rows: the file holds nothing to read")
}

type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

func readFile(ctx context.Context, r sources.FileReader, det sources.Detection, m *rowMapper, emit func(item) error) error {
	var (
		binding *mapping.Binding
		bindErr error
		bound   bool
	)
	if m.observer != nil && det.Columns != nil {
		binding, bindErr = m.mapper.Bind(det.Columns)
		bound = true
		m.observer.File(det, binding, bindErr)
	}
	for n := 0; ; n++ {
		if m.sample > 0 && m.seen >= m.sample {
			return nil
		}
		m.seen++
		if n%4096 == 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			m.meter.reading(r)
		}
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !bound {
			binding, bindErr = m.mapper.Bind(row.Header)
			bound = true
			if m.observer != nil {
				m.observer.File(det, binding, bindErr)
			} else if bindErr != nil {
				// A mapping that no longer fits (a renamed column) fails the
				// file as a whole, naming what is missing and what is there,
				// instead of rejecting every row for the same reason.
				return fmt.Errorf("the mapping does not fit this file: %w", bindErr)
			}
		}
		m.rows++
		it := m.mapRow(binding, bindErr, row)
		if it.skip {
			continue
		}
		m.read.saw(&it)
		if m.observer != nil {
			it.row = m.kept.keep(&row)
		}
		if err := emit(it); err != nil {
			return &emitError{err}
		}
	}
}

func fileFormat(s *config.Source) sources.FileFormat {
	return s.Format.FileFormat(s.Mapping.ColumnNames())
}

func newRowMapper(src *config.Source, dir *Directory, inactive string, now func() time.Time, opts Options) (*rowMapper, error) {
	opt := mapping.Options{Location: src.Location(), FutureTolerance: time.Duration(src.Clock.FutureTolerance), Now: now}
	if src.Clock.Floor != "" && src.Clock.Floor != "none" {
		floor, _ := time.ParseInLocation("2006-01-02", src.Clock.Floor, src.Location())
		opt.Floor = floor
	}
	mp, err := src.Mapping.Compile(opt)
	if err != nil {
		return nil, fmt.Errorf("sources.%s.mapping: %w", src.Name, err)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &rowMapper{src: src, mapper: mp, dir: dir, importOff: inactive == mapping.InactiveImport, observer: opts.Observer, sample: opts.Sample, log: log, pushRows: opts.PushRows}, nil
}
