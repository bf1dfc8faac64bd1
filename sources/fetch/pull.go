package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Ledger remembers which remote files were pulled. The state store
// implements it; Pull only asks and records.
type Ledger interface {
	// Seen reports whether this source already pulled the file with this
	// path, size and modification time.
	Seen(ctx context.Context, source string, f RemoteFile) (bool, error)
	// Record is called once the file is safely in the inbox under localPath.
	Record(ctx context.Context, source string, f RemoteFile, sha256hex, localPath string) error
}

// Outcome says what Pull did with one remote file.
type Outcome string

const (
	Pulled               Outcome = "pulled"
	SkippedAlreadyPulled Outcome = "skipped_already_pulled"
	SkippedChanging      Outcome = "skipped_changing" // still being written: next run
	Failed               Outcome = "failed"
)

// Result is one line of the per-file log.
type Result struct {
	File      RemoteFile
	Outcome   Outcome
	Reason    string // why skipped or failed; a warning for a pulled file (after-pull action failed)
	LocalPath string
	SHA256    string
	Bytes     int64
}

// Options are the run's surroundings, not the source's configuration.
type Options struct {
	Log  *slog.Logger                                    // nil: no logging
	Now  func() time.Time                                // nil: time.Now; decides "today" for date patterns
	Zone *time.Location                                  // zone of the date placeholders; nil: time.Local
	Dial func(context.Context, Location) (Remote, error) // nil: Dial; tests swap in a backend
	// LockHeld says the caller holds the run lock over the inbox, so no
	// other pull is writing into it: every .partial file there is a killed
	// pull's and is removed, whatever its age. Without it only those older
	// than an hour go, sparing a concurrent pull's.
	LockHeld bool
}

// Dial connects to a Location's backend. The caller closes the Remote.
func Dial(ctx context.Context, loc Location) (Remote, error) {
	ep, err := parseLocation(loc)
	if err != nil {
		return nil, err
	}
	return dialEndpoint(ctx, ep)
}

func dialEndpoint(ctx context.Context, ep endpoint) (Remote, error) {
	switch ep.scheme {
	case "sftp":
		return dialSFTP(ctx, ep)
	case "ftp", "ftps":
		return dialFTP(ctx, ep)
	default:
		return newLocal(ep), nil
	}
}

// Folder returns the folder a Location lists, for messages and checks.
func Folder(loc Location) (string, error) {
	ep, err := parseLocation(loc)
	return ep.dir, err
}

// Pull brings the files of loc that match its pattern and are not in the
// ledger into inbox, each whole or not at all. Per-file problems are
// reported in the results (Outcome Failed) and do not stop the others; the
// error is for what stops the run: bad configuration, no connection, a
// missing remote folder, an unusable inbox or ledger.
func Pull(ctx context.Context, source string, loc Location, inbox string, ledger Ledger, opts Options) ([]Result, error) {
	ep, err := parseLocation(loc)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", source, err)
	}
	p := &puller{source: source, ep: ep, inbox: inbox, ledger: ledger, opts: opts}
	if p.opts.Log == nil {
		p.opts.Log = slog.New(slog.DiscardHandler)
	}
	p.log = p.opts.Log.With("source", source, "remote", ep.display())
	if p.opts.Now == nil {
		p.opts.Now = time.Now
	}
	if p.opts.Zone == nil {
		p.opts.Zone = time.Local
	}
	if p.opts.Dial == nil {
		p.opts.Dial = func(ctx context.Context, _ Location) (Remote, error) { return dialEndpoint(ctx, ep) }
	}
	if ep.scheme == "ftp" {
		p.log.Warn(PlainFTPWarning)
	}
	if err := prepareInbox(inbox, opts.LockHeld); err != nil {
		return nil, err
	}
	defer p.close()
	results, err := p.run(ctx)
	if err != nil {
		return results, fmt.Errorf("source %s: %w", source, err)
	}
	return results, nil
}

type puller struct {
	source string
	ep     endpoint
	inbox  string
	ledger Ledger
	opts   Options
	log    *slog.Logger
	remote Remote // nil until connected, and again after a broken connection
}

func (p *puller) run(ctx context.Context) ([]Result, error) {
	listing, err := p.list(ctx)
	if err != nil {
		return nil, err
	}
	var results []Result
	var candidates []RemoteFile
	for _, f := range listing {
		seen, err := p.ledger.Seen(ctx, p.source, f)
		if err != nil {
			return results, fmt.Errorf("ledger: %s: %w", f.Path, err)
		}
		if !seen {
			candidates = append(candidates, f)
			continue
		}
		r := Result{File: f, Outcome: SkippedAlreadyPulled}
		// An after-pull action that failed last time is tried again.
		if warn := p.afterPull(ctx, f); warn != "" {
			r.Reason = warn
		}
		p.report(r)
		results = append(results, r)
	}

	stable, changing := p.settle(ctx, candidates)
	if ctx.Err() != nil {
		return results, ctx.Err()
	}
	for _, r := range changing {
		p.report(r)
		results = append(results, r)
	}
	// While one file's bytes are synced to disk and renamed into the inbox,
	// the next one downloads: a sync waits on the disk, not the network.
	// Recording and the after-pull action stay on this goroutine, in order.
	var pending *finishing
	settle := func() error {
		if pending == nil {
			return nil
		}
		r, err := p.complete(ctx, pending)
		pending = nil
		p.report(r)
		results = append(results, r)
		return err
	}
	for _, f := range stable {
		part, r := p.fetchOne(ctx, f)
		if err := settle(); err != nil {
			part.discard()
			return results, err
		}
		if part != nil {
			pending = p.finishAsync(part)
		} else {
			p.report(r)
			results = append(results, r)
		}
		if ctx.Err() != nil {
			if err := settle(); err != nil {
				return results, err
			}
			return results, ctx.Err()
		}
	}
	return results, settle()
}

// list returns the matching files, sorted by name.
func (p *puller) list(ctx context.Context) ([]RemoteFile, error) {
	var all []RemoteFile
	err := p.withRemote(ctx, "list", func(r Remote, _ *watchdog) error {
		var err error
		all, err = r.List(ctx, p.ep.dir)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := p.opts.Now().In(p.opts.Zone)
	var files []RemoteFile
	for _, f := range all {
		if p.ep.match(baseName(f.Path), now) {
			files = append(files, f)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// settle takes a second look StableFor after the first: a file whose size
// or modification time moved is still being written.
func (p *puller) settle(ctx context.Context, files []RemoteFile) (stable []RemoteFile, changing []Result) {
	if len(files) == 0 || p.ep.loc.StableFor < 0 {
		return files, nil
	}
	select {
	case <-ctx.Done():
		return nil, nil
	case <-time.After(p.ep.loc.StableFor):
	}
	second, err := p.list(ctx)
	if err != nil {
		for _, f := range files {
			changing = append(changing, Result{File: f, Outcome: Failed, Reason: "second look: " + err.Error()})
		}
		return nil, changing
	}
	now := make(map[string]RemoteFile, len(second))
	for _, f := range second {
		now[f.Path] = f
	}
	for _, f := range files {
		g, ok := now[f.Path]
		switch {
		case !ok:
			changing = append(changing, Result{File: f, Outcome: SkippedChanging, Reason: "disappeared between two looks"})
		case g.Size != f.Size || !g.ModTime.Equal(f.ModTime):
			changing = append(changing, Result{File: f, Outcome: SkippedChanging,
				Reason: fmt.Sprintf("still being written: size %d -> %d, modified %s -> %s", f.Size, g.Size,
					f.ModTime.Format(time.RFC3339), g.ModTime.Format(time.RFC3339))})
		default:
			stable = append(stable, f)
		}
	}
	return stable, changing
}

// fetchOne downloads one file into a hidden partial file in the inbox,
// retrying transient failures on a fresh connection. It returns nil and
// the result when the file was not downloaded whole.
func (p *puller) fetchOne(ctx context.Context, f RemoteFile) (*partial, Result) {
	res := Result{File: f}
	var part *partial
	err := p.withRemote(ctx, "pull", func(r Remote, wd *watchdog) error {
		var err error
		part, err = p.transfer(ctx, r, wd, f)
		return err
	})
	var changed *changedError
	switch {
	case errors.As(err, &changed):
		res.Outcome, res.Reason = SkippedChanging, changed.Error()
		return nil, res
	case err != nil:
		return nil, failedResult(f, err)
	}
	return part, res
}

func failedResult(f RemoteFile, err error) Result {
	res := Result{File: f, Outcome: Failed, Reason: err.Error()}
	if !strings.Contains(res.Reason, f.Path) {
		res.Reason = f.Path + ": " + res.Reason
	}
	return res
}

// finishing is a downloaded file being synced and renamed into the inbox.
type finishing struct {
	file RemoteFile
	done chan struct{}
	got  download
	err  error
}

func (p *puller) finishAsync(part *partial) *finishing {
	fin := &finishing{file: part.file, done: make(chan struct{})}
	go func() {
		defer close(fin.done)
		fin.got, fin.err = p.finish(part)
	}()
	return fin
}

// complete waits until a file is safely in the inbox, records it in the
// ledger and applies the after-pull action. The error is only for a ledger
// that cannot record.
func (p *puller) complete(ctx context.Context, fin *finishing) (Result, error) {
	<-fin.done
	f := fin.file
	if fin.err != nil {
		return failedResult(f, fin.err), nil
	}
	res := Result{File: f, Outcome: Pulled, LocalPath: fin.got.path, SHA256: fin.got.sha256, Bytes: fin.got.bytes}
	// The file is in the inbox: record it even when the run is being
	// cancelled, so the next run does not pull it again.
	if err := p.ledger.Record(context.WithoutCancel(ctx), p.source, f, fin.got.sha256, fin.got.path); err != nil {
		res.Outcome, res.Reason = Failed, "ledger: "+err.Error()
		return res, fmt.Errorf("ledger: record %s: %w", f.Path, err)
	}
	res.Reason = p.afterPull(ctx, f)
	return res, nil
}

// afterPull applies keep/delete/move and returns a warning when it failed:
// the file is safely pulled, and the action is tried again next run.
func (p *puller) afterPull(ctx context.Context, f RemoteFile) string {
	var err error
	switch p.ep.loc.AfterPull {
	case AfterPullDelete:
		err = p.withRemote(ctx, "delete", func(r Remote, _ *watchdog) error { return r.Remove(ctx, f.Path) })
	case AfterPullMove:
		err = p.withRemote(ctx, "move", func(r Remote, _ *watchdog) error {
			return r.Rename(ctx, f.Path, r.Join(p.ep.loc.ArchiveDir, baseName(f.Path)))
		})
	default:
		return ""
	}
	if err != nil {
		p.log.Warn("after-pull action failed; will retry next run", "action", p.ep.loc.AfterPull, "file", f.Path, "err", err)
		return "after_pull " + p.ep.loc.AfterPull + " failed: " + err.Error()
	}
	return ""
}

func (p *puller) report(r Result) {
	attrs := []any{"file", r.File.Path, "outcome", string(r.Outcome)}
	if r.Reason != "" {
		attrs = append(attrs, "reason", r.Reason)
	}
	if r.Outcome == Pulled {
		attrs = append(attrs, "bytes", r.Bytes, "local", r.LocalPath, "sha256", r.SHA256)
	}
	if r.Outcome == Failed {
		p.log.Error("pull", attrs...)
		return
	}
	p.log.Info("pull", attrs...)
}

// withRemote runs fn on a live connection, connecting as needed, under an
// idle watchdog. A transient failure drops the connection and tries again
// after a backoff, up to Retries times; authentication, host key, missing
// file and permission errors are final.
func (p *puller) withRemote(ctx context.Context, op string, fn func(Remote, *watchdog) error) error {
	var err error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			delay := backoff(attempt)
			p.log.Warn("retrying", "op", op, "attempt", attempt+1, "after", delay, "err", err)
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(delay):
			}
		}
		err = p.attempt(ctx, fn)
		if err == nil || !retryable(err) || attempt >= p.ep.loc.Retries {
			return err
		}
	}
}

func (p *puller) attempt(ctx context.Context, fn func(Remote, *watchdog) error) error {
	if p.remote == nil {
		dctx, cancel := context.WithTimeout(ctx, p.ep.loc.ConnectTimeout)
		r, err := p.opts.Dial(dctx, p.ep.loc)
		cancel()
		if err != nil {
			return err
		}
		p.remote = r
	}
	r := p.remote
	abort := func() {
		if a, ok := r.(aborter); ok {
			a.abort()
		}
	}
	wd := startWatchdog(p.ep.loc.IdleTimeout, abort)
	stop := context.AfterFunc(ctx, abort)
	err := fn(r, wd)
	stop()
	if wd.stop() {
		err = &RemoteError{Op: "transfer", Endpoint: p.ep.server(), Kind: ErrTimeout,
			Err: fmt.Errorf("nothing received for %s", p.ep.loc.IdleTimeout)}
	}
	if err != nil && (retryable(err) || ctx.Err() != nil) {
		// The connection may be half dead: start the next try afresh.
		p.close()
	}
	if ctx.Err() != nil {
		return errors.Join(err, ctx.Err())
	}
	return err
}

func (p *puller) close() {
	if p.remote != nil {
		if err := p.remote.Close(); err != nil {
			p.log.Debug("close", "err", err)
		}
		p.remote = nil
	}
}

func backoff(attempt int) time.Duration {
	return min(500*time.Millisecond<<(attempt-1), 10*time.Second)
}

// aborter is the optional ability to cut a connection from another
// goroutine, which the idle watchdog and a cancelled context use.
type aborter interface{ abort() }

func (s *sftpRemote) abort() { s.ssh.Close() }
func (f *ftpRemote) abort()  { f.sockets.closeAll() }

// watchdog calls abort when nothing was kicked for d.
type watchdog struct {
	d     time.Duration
	timer *time.Timer
	fired atomic.Bool
}

func startWatchdog(d time.Duration, abort func()) *watchdog {
	w := &watchdog{d: d}
	w.timer = time.AfterFunc(d, func() {
		w.fired.Store(true)
		abort()
	})
	return w
}

func (w *watchdog) kick() { w.timer.Reset(w.d) }

// stop reports whether the watchdog had fired.
func (w *watchdog) stop() bool {
	w.timer.Stop()
	return w.fired.Load()
}

// baseName is the file name of a remote or local path.
func baseName(p string) string {
	return p[strings.LastIndexAny(p, `/\`)+1:]
}

// changedError: the file's size differs from the listing, it is still
// being written.
type changedError struct {
	path         string
	listed, read int64
}

func (e *changedError) Error() string {
	return fmt.Sprintf("%s changed during download: listed %d bytes, read %d", e.path, e.listed, e.read)
}

// inboxError is a failure on the local side; retrying will not help.
type inboxError struct{ err error }

func (e *inboxError) Error() string { return "inbox: " + e.err.Error() }
func (e *inboxError) Unwrap() error { return e.err }

type download struct {
	path, sha256 string
	bytes        int64
}

// partial is a file downloaded whole into a hidden .partial file, not yet
// synced or in the inbox.
type partial struct {
	file RemoteFile
	tmp  *os.File
	sum  string
	n    int64
}

// discard removes a partial file that will not be finished.
func (pt *partial) discard() {
	if pt != nil {
		pt.tmp.Close()
		os.Remove(pt.tmp.Name())
	}
}

// transfer copies f to a hidden .partial file in the inbox and checks its
// size. On any failure the partial file is removed.
func (p *puller) transfer(ctx context.Context, r Remote, wd *watchdog, f RemoteFile) (pt *partial, err error) {
	name := baseName(f.Path)
	if name == "" || name == "." || name == ".." {
		return nil, fmt.Errorf("remote file %q has no usable name", f.Path)
	}
	tmp, err := os.CreateTemp(p.inbox, "."+inboxName(name)+".partial-*")
	if err != nil {
		return nil, &inboxError{err}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	src, err := r.Open(ctx, f.Path)
	if err != nil {
		return nil, err
	}
	w := &hashingWriter{file: tmp, hash: sha256.New(), limit: f.Size, wd: wd}
	// io.Copy uses the source's WriteTo when it has one (SFTP: concurrent reads).
	_, copyErr := io.Copy(w, src)
	closeErr := src.Close()
	switch {
	case w.writeErr != nil:
		return nil, &inboxError{w.writeErr}
	case errors.Is(copyErr, errTooLong):
		return nil, &changedError{path: f.Path, listed: f.Size, read: w.n}
	case copyErr != nil:
		return nil, &RemoteError{Op: "read", Endpoint: p.ep.server(), Path: f.Path, Err: copyErr}
	case closeErr != nil:
		// FTP reports an incomplete transfer when the data connection closes.
		return nil, &RemoteError{Op: "read", Endpoint: p.ep.server(), Path: f.Path, Err: closeErr}
	case w.n != f.Size:
		return nil, &changedError{path: f.Path, listed: f.Size, read: w.n}
	}
	return &partial{file: f, tmp: tmp, sum: hex.EncodeToString(w.hash.Sum(nil)), n: w.n}, nil
}

// finish syncs a partial file to disk and renames it into the inbox, so a
// file in the inbox is always whole, even after a power cut. On failure the
// partial file is removed.
func (p *puller) finish(pt *partial) (d download, err error) {
	defer func() {
		if err != nil {
			pt.discard()
		}
	}()
	tmp, f := pt.tmp, pt.file
	if err := tmp.Sync(); err != nil {
		return d, &inboxError{err}
	}
	if err := tmp.Close(); err != nil {
		return d, &inboxError{err}
	}
	if !f.ModTime.IsZero() {
		_ = os.Chtimes(tmp.Name(), f.ModTime, f.ModTime) // nice to have: the remote's time
	}
	target, err := p.placeFor(inboxName(baseName(f.Path)), pt.sum)
	if err != nil {
		return d, &inboxError{err}
	}
	if target.existing {
		os.Remove(tmp.Name()) // the same bytes are already there
	} else if err := os.Rename(tmp.Name(), target.path); err != nil {
		return d, &inboxError{err}
	}
	if err := SyncDir(p.inbox); err != nil {
		return d, &inboxError{err}
	}
	return download{path: target.path, sha256: pt.sum, bytes: pt.n}, nil
}

// inboxName is the name a remote file gets in the inbox. Import skips the
// inbox's hidden files (pull's own .partial downloads are hidden) and its
// archive and error folders, so a remote ".punches.csv" or "archive" would
// be pulled and never read: they get a leading "_" instead.
func inboxName(remote string) string {
	remote = portableName(remote)
	switch strings.ToLower(remote) {
	case "archive", "error":
		return "_" + remote
	}
	if strings.HasPrefix(remote, ".") {
		return "_" + remote
	}
	return remote
}

// portableName makes a remote base name one every OS can hold in the
// inbox: the characters Windows refuses in a name (a colon would name an
// NTFS alternate stream) and control characters become "_", as do the
// dots and spaces Windows drops from a name's end, and a device name
// (CON, NUL, COM1, ...) gets a "_" in front.
func portableName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`<>:"/\|?*`, r) {
			return '_'
		}
		return r
	}, name)
	if trimmed := strings.TrimRight(name, ". "); trimmed != name && trimmed != "" {
		name = trimmed + strings.Repeat("_", len(name)-len(trimmed))
	}
	stem := strings.ToUpper(name)
	if i := strings.IndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		name = "_" + name
	}
	return name
}

type place struct {
	path     string
	existing bool // a file with the same content is already there
}

// placeFor picks the inbox name: the remote name, or, when a different file
// already has it (the remote file changed), name.v2.ext, name.v3.ext, ...
func (p *puller) placeFor(name, sum string) (place, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for v := 1; v < 10000; v++ {
		candidate := name
		if v > 1 {
			candidate = fmt.Sprintf("%s.v%d%s", stem, v, ext)
		}
		full := filepath.Join(p.inbox, candidate)
		existing, err := fileSHA256(full)
		if errors.Is(err, os.ErrNotExist) {
			return place{path: full}, nil
		}
		if err != nil {
			return place{}, err
		}
		if existing == sum {
			return place{path: full, existing: true}, nil
		}
	}
	return place{}, fmt.Errorf("%s: too many versions in the inbox", name)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var errTooLong = errors.New("more bytes than listed")

// hashingWriter writes to the partial file and the hash at once, counts,
// kicks the idle watchdog, and refuses bytes beyond the listed size (the
// file is growing: stop early instead of copying it all).
type hashingWriter struct {
	file     *os.File
	hash     hash.Hash
	n, limit int64
	wd       *watchdog
	writeErr error
}

func (w *hashingWriter) Write(b []byte) (int, error) {
	w.wd.kick()
	if w.n+int64(len(b)) > w.limit {
		w.n += int64(len(b))
		return 0, errTooLong
	}
	n, err := w.file.Write(b)
	w.hash.Write(b[:n])
	w.n += int64(n)
	if err != nil {
		w.writeErr = err
	}
	return n, err
}

// prepareInbox creates the inbox (owner-only) and removes partial files a
// killed run left behind: all of them when the caller holds the run lock,
// else those older than an hour, so a concurrent pull's are spared.
func prepareInbox(inbox string, lockHeld bool) error {
	if err := os.MkdirAll(inbox, 0o700); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	entries, err := os.ReadDir(inbox)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") || !strings.Contains(e.Name(), ".partial-") {
			continue
		}
		if info, err := e.Info(); err == nil && (lockHeld || time.Since(info.ModTime()) > time.Hour) {
			os.Remove(filepath.Join(inbox, e.Name()))
		}
	}
	return nil
}
