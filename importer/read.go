package importer

import (
	"context"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/sqlsrc"
)

// Mapped is one input row after mapping and the directory lookup, as
// import would settle it before writing: OK with a punch for the HR
// system, or a reject whose Line says why.
type Mapped struct {
	Line  report.Line
	Punch mapping.Punch
	OK    bool
}

// ReadOptions says what ReadMapped reads.
type ReadOptions struct {
	// Files replaces the files the source's path names (resync also reads
	// the inbox and the archive). Empty: the configured path.
	Files []string
	// Window narrows a database source: the time range and the source-side
	// employee keys go into the SQL as bound parameters.
	Window sqlsrc.Window
	// Employees, when set, says which employees' rows to hand over: a row
	// whose key is another known employee's is passed over unparsed (it
	// would map to a punch, or a reject, of someone not asked for). Rows
	// whose key is no employee's are handed over as import settles them.
	Employees func(employeeID string) bool
	Now       func() time.Time
	// Progress, when set, is told every few thousand rows how many have
	// been read, and how many bytes of the files.
	Progress func(Progress)
}

// progressRows is how often ReadMapped tells its progress, in rows.
const progressRows = 4096

// ReadMapped reads one source and maps every row exactly as import
// does, handing each to fn in file order. Files that cannot be read are
// handed over as failed lines and listed in failures. fn may keep m only
// for the length of the call.
func ReadMapped(ctx context.Context, cfg *config.Config, src *config.Source, dir *Directory, opts ReadOptions, fn func(m *Mapped) error) (failures []string, err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rm, err := newRowMapper(src, dir, cfg.HR.Employees.Inactive, opts.Now, Options{})
	if err != nil {
		return nil, err
	}
	rm.wants = opts.Employees
	var m Mapped
	var rows int64
	emit := func(it item) error {
		m = Mapped{Line: it.line, Punch: it.punch, OK: it.ok}
		if rows++; opts.Progress != nil && rows%progressRows == 0 {
			opts.Progress(rm.meter.progress(rows))
		}
		return fn(&m)
	}
	if opts.Progress != nil {
		rm.meter = newMeter(cfg, []*config.Source{src}, opts.Files, 0)
		defer func() { opts.Progress(rm.meter.progress(rows)) }()
	}
	if src.IsDatabase() {
		return readDatabase(ctx, cfg, src, rm, nil, opts.Window, emit)
	}
	if len(opts.Files) == 0 {
		return readSource(ctx, cfg, src, rm, nil, emit)
	}
	return readFiles(ctx, src, opts.Files, rm, emit)
}
