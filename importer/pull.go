package importer

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/fetch"
)

// PullOptions for one `hrsync pull` run.
type PullOptions struct {
	Config     *config.Config
	Sources    []string // empty: every source with pull:
	ReportPath string   // empty: a new pull-*.csv in the report dir
	Log        *slog.Logger
	Now        func() time.Time
	Args       string // the command line, for the run history
	// Dial replaces the network backends (tests); nil: the real ones.
	Dial func(context.Context, fetch.Location) (fetch.Remote, error)
}

// PullLine is the fate of one remote file, or of a source that could not be
// reached at all (then Remote is the location and Outcome failed).
type PullLine struct {
	Source    string
	Remote    string
	Outcome   fetch.Outcome
	Reason    string
	LocalPath string
	Bytes     int64
	SHA256    string
	Size      int64
	ModTime   time.Time
	Device    *DeviceLine // a punch machine's line (pullzk.go)
}

// PullResult is what a pull run did.
type PullResult struct {
	RunID      int64
	Lines      []PullLine
	Counts     report.Counts // per outcome: pulled, skipped_already_pulled, skipped_changing, failed
	ReportPath string
	// Warnings are for the operator: plain FTP sends secrets in clear text.
	Warnings []string
	// DriftWarnings counts the devices whose clock is off beyond the
	// tolerance; the run history keeps it beside the counts.
	DriftWarnings int64
}

// Outcome is nil when every file was pulled or rightly skipped, and an
// exit-1 outcome when a file or a whole source failed.
func (r *PullResult) Outcome() error {
	if n := r.Counts[mapping.Code(fetch.Failed)]; n > 0 {
		return exitcode.Incomplete(exitcode.Failed, "%d files or sources could not be pulled", n)
	}
	return nil
}

// Pull brings every selected source's new remote files into its inbox,
// under the run lock, recording the run and one report line per file.
func Pull(ctx context.Context, opts PullOptions) (res PullResult, err error) {
	cfg := opts.Config
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	srcs, err := pullSources(cfg, opts.Sources)
	if err != nil {
		return res, err
	}
	locs := make([]fetch.Location, len(srcs))
	for i, src := range srcs {
		if src.Pull == nil {
			continue // a database source
		}
		if locs[i], err = cfg.PullLocation(src); err != nil {
			return res, err
		}
	}
	endCtx := ctx // End records the run even when its deadline has passed
	ctx, stop := RunDeadline(ctx, cfg)
	defer stop()
	defer func() { err = DeadlineCause(ctx, err) }()
	started := opts.Now()
	run, err := BeginRun(ctx, cfg, RunSpec{Command: "pull", Args: opts.Args, Report: opts.ReportPath,
		ReportFormat: report.CSV, Started: started, Log: opts.Log})
	if err != nil {
		return res, err
	}
	opts.Log = run.Log // with the run id
	res.RunID, res.ReportPath, res.Counts = run.ID, run.ReportPath, report.Counts{}
	defer func() { run.End(endCtx, res.historyCounts(), cmp.Or(DeadlineCause(ctx, err), res.Outcome())) }()
	rep, err := createPullReport(res.ReportPath)
	if err != nil {
		return res, err
	}
	for i, src := range srcs {
		if src.HasDevices() {
			pullDevices(ctx, cfg, src, run.State, opts.Now, &res, rep)
			continue
		}
		if src.IsDatabase() {
			res.add(rep, pullDatabase(ctx, cfg, src, run.State, opts.Now()))
			continue
		}
		if src.Pull.Scheme() == "ftp" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("source %s: %s", src.Name, fetch.PlainFTPWarning))
		}
		results, perr := fetch.Pull(ctx, src.Name, locs[i], cfg.InboxDir(src), run.State.Ledger(),
			fetch.Options{Log: opts.Log, Now: opts.Now, Zone: src.Location(), Dial: opts.Dial, LockHeld: true}) // BeginRun took the lock
		for _, r := range results {
			res.add(rep, PullLine{Source: src.Name, Remote: r.File.Path, Outcome: r.Outcome, Reason: r.Reason,
				LocalPath: r.LocalPath, Bytes: r.Bytes, SHA256: r.SHA256, Size: r.File.Size, ModTime: r.File.ModTime})
		}
		if perr != nil {
			// The source as a whole failed (no connection, no folder): one
			// line for it, and on to the next source.
			res.add(rep, PullLine{Source: src.Name, Remote: sqldb.Redact(locs[i].URL), Outcome: fetch.Failed, Reason: perr.Error()})
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := rep.close(); err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// historyCounts are the counts the run history keeps: the outcomes, and
// the devices whose clock drifted beyond the tolerance.
func (r *PullResult) historyCounts() report.Counts {
	if r.DriftWarnings == 0 {
		return r.Counts
	}
	c := maps.Clone(r.Counts)
	c["device_clock_drift_warnings"] = r.DriftWarnings
	return c
}

func (r *PullResult) add(rep *pullReport, l PullLine) {
	r.Lines = append(r.Lines, l)
	r.Counts[mapping.Code(l.Outcome)]++
	rep.write(l)
}

// Pulled reports whether `hrsync pull` brings a source's data into its
// inbox: a file source with pull:, or a database source with inbox:.
func Pulled(src *config.Source) bool {
	return src.Pull != nil || (src.IsDatabase() && src.Inbox != "") || src.HasDevices()
}

// pullSources picks the named sources, or every source that is pulled.
func pullSources(cfg *config.Config, names []string) ([]*config.Source, error) {
	if len(names) == 0 {
		var out []*config.Source
		for _, n := range cfg.SourceNames() {
			if s := cfg.Sources[n]; Pulled(s) {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, &config.Error{File: cfg.Path, Key: "sources", Msg: "no source is pulled: give a file source pull: (where its files are), or a database source inbox:"}
		}
		return out, nil
	}
	srcs, err := selectSources(cfg, names)
	if err != nil {
		return nil, err
	}
	for _, s := range srcs {
		if !Pulled(s) {
			key := "sources." + s.Name
			return nil, &config.Error{File: cfg.Path, Line: cfg.Line(key), Key: key, Msg: "is not pulled: it needs pull: (a file source) or inbox: (a database source)"}
		}
	}
	return srcs, nil
}

var pullHeader = []string{"source", "remote_file", "outcome", "reason", "local_file", "bytes", "sha256", "remote_size", "remote_modified"}

// pullReport is the per-file CSV of a pull run, written like the punch
// report (UTF-8 with a BOM for Excel, formula-safe cells).
type pullReport struct {
	f   *os.File
	buf *bufio.Writer
	csv *csv.Writer
}

func createPullReport(path string) (*pullReport, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil { // owner-only, as every report
		return nil, fmt.Errorf("report: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &pullReport{f: f, buf: bufio.NewWriter(f)}
	r.buf.WriteString("\uFEFF")
	r.csv = csv.NewWriter(r.buf)
	_ = r.csv.Write(pullHeader)
	return r, nil
}

func (r *pullReport) write(l PullLine) {
	mod := ""
	if !l.ModTime.IsZero() {
		mod = l.ModTime.Format(time.RFC3339)
	}
	bytes, size := "", ""
	if l.Outcome == fetch.Pulled {
		bytes = strconv.FormatInt(l.Bytes, 10)
	}
	if l.Size > 0 || !l.ModTime.IsZero() {
		size = strconv.FormatInt(l.Size, 10)
	}
	rec := []string{l.Source, l.Remote, string(l.Outcome), l.Reason, l.LocalPath, bytes, l.SHA256, size, mod}
	for i := range rec {
		rec[i] = report.SafeCell(rec[i])
	}
	_ = r.csv.Write(rec) // a write error shows at close
}

func (r *pullReport) close() error {
	r.csv.Flush()
	err := r.csv.Error()
	if ferr := r.buf.Flush(); err == nil {
		err = ferr
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report %s: %w", r.f.Name(), err)
	}
	return nil
}
