package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// batchRows is how many rows travel together from the reader to the writer.
const batchRows = 5000

// ReportPath picks where a command's report goes: the explicit path, or a
// new file named after the command and the time in the report folder (with
// -2, -3 ... when two runs start within the same second).
func ReportPath(cfg *config.Config, explicit, command, format string, started time.Time) string {
	if explicit != "" {
		return explicit
	}
	ext := ".csv"
	if format == report.JSONL {
		ext = ".jsonl"
	}
	return freshPath(filepath.Join(cfg.Report.Dir, fmt.Sprintf("%s-%s%s", command, started.Format("20060102-150405"), ext)))
}

// freshPath returns path, or path with -2, -3 ... before its extension
// when a file is already there.
func freshPath(path string) string {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for n := 2; ; n++ {
		if _, err := os.Lstat(path); err != nil {
			return path
		}
		path = fmt.Sprintf("%s-%d%s", stem, n, ext)
	}
}

// Import runs an import of the selected sources.
func Import(ctx context.Context, opts Options) (res Result, err error) {
	cfg := opts.Config
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	srcs, err := selectSources(cfg, opts.Sources)
	if err != nil {
		return res, err
	}
	if len(srcs) == 0 {
		// A config for push-users alone has no punch sources: nothing to
		// import is a mistake in the command or the config, not an empty day.
		return res, &config.Error{File: cfg.Path, Key: "sources", Msg: "none configured: import needs at least one punch source (see the README's Configuration)"}
	}
	endCtx := ctx // End records the run even when its deadline has passed
	ctx, stop := RunDeadline(ctx, cfg)
	defer stop()
	defer func() { err = DeadlineCause(ctx, err) }()
	started := opts.Now()
	format, err := report.FormatFor(opts.ReportPath, firstNonEmpty(opts.ReportFormat, cfg.Report.Format))
	if err != nil {
		return res, err
	}
	var run *Run
	var marks watermarks
	if !opts.NoState {
		run, err = BeginRun(ctx, cfg, RunSpec{Command: "import", Args: opts.Args, DryRun: opts.DryRun,
			Report: opts.ReportPath, ReportFormat: format, Started: started, Log: opts.Log})
		if err != nil {
			return res, err
		}
		defer func() { run.End(endCtx, res.Counts, cmp.Or(DeadlineCause(ctx, err), res.Outcome())) }()
		opts.Log = run.Log // with the run id
		marks = run.State
		res.RunID, res.ReportPath = run.ID, run.ReportPath
	} else {
		res.ReportPath = opts.ReportPath
	}

	// A dry run with the directory in a file needs nothing from the HR
	// database, so it does not open it (map-check before the HR side exists).
	var hr *sqlsink.Sink
	var lister employeeLister
	if !cfg.HRIsHTTP() && (!opts.DryRun || cfg.HR.Employees.File == "") {
		if hr, err = OpenHR(ctx, cfg, !opts.DryRun); err != nil {
			return res, err
		}
		defer hr.Close()
		lister = hr
	}
	dir, err := LoadDirectory(ctx, cfg, lister)
	if err != nil {
		return res, err
	}
	if do, ok := opts.Observer.(DirectoryObserver); ok {
		do.Directory(dir)
	}
	var rep *report.Writer
	if res.ReportPath != "" {
		if rep, err = report.CreateCopy(res.ReportPath, format, srcs[0].Location(), opts.ReportCopy); err != nil {
			return res, err
		}
	} else {
		rep = report.CountOnly()
	}
	var sink sinks.PunchSink = hr
	switch {
	case opts.DryRun:
		sink = nil
	case opts.Writer != nil:
		sink = opts.Writer
	case cfg.HRIsHTTP():
		if run == nil {
			return res, errors.New("an import to an HTTP target needs the run state (its outbox)")
		}
		if sink, err = newOutboxWriter(run.Session, res.RunID, opts.Now); err != nil {
			return res, err
		}
	}
	writers := []writer{newWriter(sink)}
	if opts.DryRun && opts.Writer == nil && !cfg.HRIsHTTP() {
		// What the HR table holds already is duplicate, not would_import.
		if hr != nil {
			writers[0].stored = hr
		} else if ro, err := openStoredReader(ctx, cfg); err != nil {
			res.StoredNote = fmt.Sprintf("punches already in the HR database are counted as would_import: %v", err)
			opts.Log.Info("dry run without the HR punch table", "err", err)
		} else {
			defer ro.Close()
			writers[0].stored = ro
		}
	}
	switch {
	case opts.writers != nil:
		writers = writers[:0]
		for _, w := range opts.writers {
			writers = append(writers, newWriter(w))
		}
	case writers[0].Twinner != nil:
		// A second connection loads one batch while the first loads the
		// batch before it.
		twin, err := writers[0].Twinner.Twin(ctx)
		switch {
		case err != nil:
			opts.Log.Info("writing through one connection", "err", err)
		case twin != nil:
			defer twin.Close()
			writers = append(writers, newWriter(twin))
		}
	}
	var mt *meter
	if opts.Progress != nil {
		mt = newMeter(cfg, srcs, nil, opts.Sample)
	}
	pipeErr := runPipeline(ctx, cfg, srcs, dir, writers, marks, rep, mt, opts, &res)
	closeErr := rep.Close()
	res.Counts = rep.Counts
	if run != nil && opts.ReportPath == "" && closeErr == nil && rep.Counts.Total() == 0 {
		// A scheduled run with nothing new to read leaves no empty report
		// behind; one asked for by name is still written.
		if err := os.Remove(res.ReportPath); err != nil {
			opts.Log.Warn("removing the empty report", "file", res.ReportPath, "err", err)
		} else {
			res.ReportPath, run.ReportPath = "", ""
		}
	}
	if pipeErr != nil {
		return res, pipeErr
	}
	if closeErr != nil {
		return res, closeErr
	}
	if !opts.DryRun && !opts.NoState && opts.Sample == 0 {
		// Every batch is committed and reported: the inbox files are done.
		res.Inbox, err = settleInbox(cfg, res.read)
		// The ledger learns it too: a pulled file is then not pulled again
		// even where the data folder does not outlive the run.
		for _, m := range res.Inbox {
			if serr := run.State.Ledger().Settle(context.WithoutCancel(ctx), m.Source, m.From); serr != nil {
				err = errors.Join(err, fmt.Errorf("ledger: settle %s: %w", m.From, serr))
			}
		}
		if serr := recordSpans(context.WithoutCancel(ctx), run.State.DB, res.read, res.Inbox); serr != nil {
			opts.Log.Warn("could not record the archived files' time spans (resync will read them whole)", "err", serr)
		}
	}
	return res, err
}

func selectSources(cfg *config.Config, names []string) ([]*config.Source, error) {
	if len(names) == 0 {
		names = cfg.SourceNames()
	}
	var out []*config.Source
	for _, n := range names {
		s, ok := cfg.Sources[n]
		if !ok {
			return nil, &config.Error{File: cfg.Path, Key: "sources", Msg: fmt.Sprintf("no source named %q (have: %v)", n, cfg.SourceNames())}
		}
		out = append(out, s)
	}
	return out, nil
}

// runPipeline streams batches through four goroutines, so that the two
// cores and the database each always have work: read and map; prepare
// (settle repeats within the batch, encode it for the database); write;
// report.
//
// writers are the sink and its twins (see writeInOrder); a dry run has one,
// with no sink.
func runPipeline(ctx context.Context, cfg *config.Config, srcs []*config.Source, dir *Directory, writers []writer, marks watermarks, rep *report.Writer, mt *meter, opts Options, res *Result) error {
	first := writers[0]
	res.Identity = identityOf(cfg, first)
	if io, ok := opts.Observer.(IdentityObserver); ok {
		io.PunchIdentity(res.Identity)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The stages hand batches on unbuffered: each stage holds the one it
	// works on and the next waits ready in the stage before. Every batch
	// held is live heap, and the collector, under its 48 MiB soft limit,
	// runs the more often the less room that leaves: a buffer of one
	// between stages held three batches more (1M-punch import into SQLite:
	// 92 → 40 collections, 5.6–6.3 → 3.9–4.5 CPU-s; map-check of 1M rows:
	// 19% of its CPU against 27% with two more batches in flight).
	mapped := make(chan *batch)
	// Batches the report is done with come back for the reader to fill
	// again: a batch is a few MB, and making one per 5,000 rows was the
	// import's largest allocation.
	free := make(chan *batch, 4)
	store := &rowStore{}
	newBatch := func() *batch {
		var b *batch
		select {
		case b = <-free:
			clear(b.items)
			b.items = b.items[:0]
			clear(b.rows)
			b.rows = b.rows[:0]
		default:
			b = &batch{items: make([]item, 0, batchRows)}
			if opts.Observer != nil {
				b.rows = make([]mapping.Row, 0, batchRows)
			}
		}
		store.rows = &b.rows
		return b
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(mapped)
		defer func() { // each file's read is guarded; this is for the rest of the stage
			if p := recover(); p != nil {
				readErr <- noPanic("reading and mapping", func() error { panic(p) })
			}
		}()
		b := newBatch()
		emit := func(it item) error {
			b.items = append(b.items, it)
			if len(b.items) == batchRows {
				select {
				case mapped <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
				b = newBatch()
			}
			return nil
		}
		for _, src := range srcs {
			m, err := newRowMapper(src, dir, cfg.HR.Employees.Inactive, opts.Now, opts)
			if err != nil {
				readErr <- err
				return
			}
			m.read, m.meter, m.kept = newSourceRead(src), mt, store
			failures, err := readSource(ctx, cfg, src, m, marks, emit)
			res.Failures = append(res.Failures, failures...)
			res.read = append(res.read, m.read)
			if err != nil {
				readErr <- err
				return
			}
		}
		if len(b.items) > 0 {
			select {
			case mapped <- b:
			case <-ctx.Done():
			}
		}
		readErr <- nil
	}()

	// Preparing has a goroutine of its own, so the database loads one
	// batch while the next is encoded.
	prepared := make(chan *batch)
	prepareErr := make(chan error, 1)
	go func() {
		defer close(prepared)
		prepareErr <- noPanic("preparing a batch", func() error {
			p := preparer{seen: map[mapping.Key]int{}, encoder: first.Encoder, ident: res.Identity}
			for b := range mapped {
				p.prepare(b)
				select {
				case prepared <- b:
				case <-ctx.Done():
					for range mapped {
					}
					return nil
				}
			}
			return nil
		})
	}()

	// The report has a goroutine of its own, so writing lines never holds
	// up the database.
	written := make(chan *batch)
	reportErr := make(chan error, 1)
	go func() {
		err := noPanic("writing the report", func() error { return reportBatches(written, free, rep, mt, opts) })
		for range written { // after a panic: the writer must not block on a reader gone
		}
		reportErr <- err
	}()
	writeErr := writeInOrder(ctx, writers, prepared, written, marks, opts.afterCommit)
	if writeErr != nil {
		cancel()
		for range prepared {
		}
	}
	if err := <-prepareErr; err != nil && writeErr == nil {
		// The prepare stage stopped short: what it never handed on was not written.
		cancel()
		writeErr = err
	}
	if err := <-reportErr; err != nil {
		cancel()
		for range prepared {
		}
		<-readErr
		return err
	}
	if writeErr != nil {
		<-readErr
		return writeErr
	}
	return <-readErr
}

// reportBatches writes the report lines of written batches, in order, and
// tells the observer and the progress bar. After an error it keeps draining
// so the writer never blocks. Finished batches go back to free.
func reportBatches(written <-chan *batch, free chan<- *batch, rep *report.Writer, mt *meter, opts Options) error {
	var (
		done int64
		err  error
	)
	for b := range written {
		if err != nil {
			continue
		}
		batch := b.items
		for i := range batch {
			if batch[i].mapped && batch[i].punch.Note != "" {
				withNote(&batch[i].line, batch[i].punch.Note)
			}
			if opts.Observer != nil {
				var p *mapping.Punch
				if batch[i].mapped {
					p = &batch[i].punch
				}
				opts.Observer.Row(batch[i].row, p, &batch[i].line)
			}
			if werr := rep.Write(&batch[i].line); werr != nil {
				err = fmt.Errorf("report: %w", werr)
				break
			}
		}
		done += int64(len(batch))
		if opts.Log.Enabled(context.Background(), slog.LevelDebug) {
			opts.Log.Debug("batch written", "rows", len(batch), "rows_so_far", done, "outcomes", batchOutcomes(batch))
		}
		if opts.Progress != nil {
			opts.Progress(mt.progress(done))
		}
		select {
		case free <- b:
		default:
		}
	}
	return err
}

// batchOutcomes is how many rows of a batch ended in each outcome, as
// "duplicate=2 imported=4998", for the --verbose progress lines.
func batchOutcomes(items []item) string {
	c := report.Counts{}
	for i := range items {
		c[items[i].line.Outcome]++
	}
	return countsText(c)
}

// saveCursors stores, per source, the last watermark of a batch whose
// punches the sink has committed. A crash before this leaves the old
// watermark: the next run reads the batch again and the sink's idempotent
// writes report its rows as duplicates.
func saveCursors(ctx context.Context, marks watermarks, batch []item, afterCommit func() error) error {
	last := map[string]string{}
	for i := range batch {
		if c := batch[i].cursor; c != "" {
			last[batch[i].line.Source] = c
		}
	}
	if len(last) == 0 {
		return nil
	}
	if afterCommit != nil {
		if err := afterCommit(); err != nil {
			return err
		}
	}
	for src, c := range last {
		if err := marks.SetWatermark(ctx, src, c); err != nil {
			return fmt.Errorf("saving the watermark of source %s: %w", src, err)
		}
	}
	return nil
}

// batch is the unit the pipeline moves: the items of up to batchRows input
// rows and, once prepared, the punches to write.
type batch struct {
	items   []item
	rows    []mapping.Row   // the rows of items, when an Observer wants them (rowStore)
	punches []mapping.Punch // the items to write, repeats within the batch left out
	owners  []int           // punches[j] is the punch of items[owners[j]]
	// encoded is punches made ready for the sink by its encoder; nil
	// when it has none.
	encoded  sinks.Encoded
	outcomes []sinks.Outcome // outcomes[j] is what the sink did with punches[j]
}

// writer is a sink and the abilities it was found to have when it opened.
// A dry run's writer has no sink.
type writer struct {
	sink sinks.PunchSink
	sinks.Abilities
	// stored, for a dry run, reads the punches the HR table holds (nil:
	// it could not be read, and every new punch is would_import).
	stored storedReader
}

func newWriter(s sinks.PunchSink) writer {
	if s == nil {
		return writer{}
	}
	return writer{sink: s, Abilities: sinks.Discover(s)}
}

// preparer settles the punches of a batch that repeat an earlier punch of
// the same batch, lists the others for writing and encodes them.
type preparer struct {
	seen    map[mapping.Key]int
	encoder sinks.BatchEncoder // nil: the sink takes plain punches, or there is none
	// ident is which punches are one (identityOf).
	ident mapping.Identity
}

// shortRun is the most punches of one second that prepare compares
// pairwise; a batch with more goes by map.
const shortRun = 32

func (p *preparer) prepare(b *batch) {
	b.punches, b.owners = b.punches[:0], b.owners[:0]
	repeatOf := p.repeatBySecond
	if !inShortRuns(b.items) {
		clear(p.seen)
		repeatOf = p.repeatByMap
	}
	for i := range b.items {
		it := &b.items[i]
		if !it.ok {
			continue
		}
		if first, dup := repeatOf(b, i); dup {
			it.line.Outcome = mapping.Duplicate
			it.line.Reason = fmt.Sprintf("same punch as line %d of this input", b.items[first].line.Line)
			continue
		}
		b.punches = append(b.punches, it.punch)
		b.owners = append(b.owners, i)
	}
	if p.encoder != nil {
		b.encoded = p.encoder.Encode(b.punches, b.encoded)
	}
}

// inShortRuns reports whether the punches of items come in time order
// with at most shortRun of them in any one second: input sorted by time,
// as punch exports are. A repeat then shares its second with the punches
// just listed, and is found among them without a map.
func inShortRuns(items []item) bool {
	var last int64
	run := 0
	for i := range items {
		if !items[i].ok {
			continue
		}
		switch t := items[i].punch.Time.Unix(); {
		case run > 0 && t < last:
			return false
		case run > 0 && t == last:
			run++
			if run > shortRun {
				return false
			}
		default:
			last, run = t, 1
		}
	}
	return true
}

// repeatBySecond finds the punch of items[i] among the punches listed so
// far that share its second (input in time order), returning the item it
// repeats.
func (p *preparer) repeatBySecond(b *batch, i int) (int, bool) {
	k := p.ident.Of(&b.items[i].punch)
	for j := len(b.punches) - 1; j >= 0 && b.punches[j].Time.Unix() == k.Unix; j-- {
		if p.ident.Of(&b.punches[j]) == k {
			return b.owners[j], true
		}
	}
	return 0, false
}

// repeatByMap finds the punch of items[i] among every punch seen in the
// batch so far, returning the item it repeats.
func (p *preparer) repeatByMap(b *batch, i int) (int, bool) {
	k := p.ident.Of(&b.items[i].punch)
	if first, dup := p.seen[k]; dup {
		return first, true
	}
	p.seen[k] = i
	return 0, false
}

// writeBatch writes the prepared punches of b through w and settles their
// outcomes. A writer with no sink is a dry run's.
func writeBatch(ctx context.Context, w writer, b *batch) error {
	if w.sink == nil {
		var stored []bool
		if w.stored != nil {
			stored = make([]bool, len(b.punches))
			if err := markStored(ctx, w.stored, b.punches, stored); err != nil {
				return err
			}
		}
		for j, i := range b.owners {
			if stored != nil && stored[j] {
				b.items[i].line.Outcome, b.items[i].line.Reason = mapping.Duplicate, alreadyStoredReason
				continue
			}
			b.items[i].line.Outcome = mapping.WouldImport
		}
		return nil
	}
	if len(b.punches) == 0 {
		return nil
	}
	b.outcomes = slices.Grow(b.outcomes[:0], len(b.punches))[:len(b.punches)]
	var err error
	if w.Encoder != nil && b.encoded != nil {
		err = w.Encoder.WriteEncoded(ctx, b.encoded, b.outcomes)
	} else {
		err = w.sink.WritePunches(ctx, b.punches, b.outcomes)
	}
	if err != nil {
		return fmt.Errorf("writing punches to the HR system: %w", err)
	}
	for j, i := range b.owners {
		b.items[i].line.Outcome, b.items[i].line.Reason = b.outcomes[j].Code, b.outcomes[j].Reason
	}
	return nil
}

// withNote adds what the mapping said of a punch's time (a rule it
// applied) to the reason its outcome has, so an imported row says it too.
func withNote(line *report.Line, note string) {
	if line.Reason == "" {
		line.Reason = note
		return
	}
	line.Reason += "; " + note
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
