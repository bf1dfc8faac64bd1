package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/importer/runlock"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// Session holds what every command that touches the run state needs: the
// config, the state store and (for a run that changes things) the run lock.
type Session struct {
	Config *config.Config
	State  *state.Store
	lock   *runlock.Lock
	Log    *slog.Logger
}

// OpenState opens the state store without the run lock, for reading the
// history and the outbox.
func OpenState(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Session, error) {
	return openSession(ctx, cfg, false, log)
}

func openSession(ctx context.Context, cfg *config.Config, locked bool, log *slog.Logger) (*Session, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dataDir := cfg.DataDir
	s := &Session{Config: cfg, Log: log}
	// Owner-only: the data folder holds the state, the reports and
	// (scheduled) the log. A first run creates it.
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	opts := StateOptions(cfg)
	wait := time.Duration(cfg.LockWait)
	if locked && !opts.Server() {
		// The embedded state: the lock is a file beside it.
		l, err := runlock.Acquire(ctx, filepath.Join(dataDir, "hrsync.lock"), wait)
		if err != nil {
			return nil, err
		}
		s.lock = l
	}
	st, err := state.OpenWith(ctx, opts)
	if err != nil {
		s.lock.Release()
		return nil, err
	}
	if locked && opts.Server() {
		// A server state: the lock is the server's, over the same tables
		// whichever host the run is on (see state.Store.Key).
		l, err := runlock.DB{SQL: st.SQL, Names: st.DB.Names, Key: st.Key, Where: "state " + st.Where, Holder: true}.Acquire(ctx, wait)
		if err != nil {
			st.Close()
			return nil, err
		}
		s.lock = l
	}
	s.State = st
	return s, nil
}

// StateOptions is where the config keeps the state: the state: section's
// database, or the embedded file in the data folder.
func StateOptions(cfg *config.Config) state.Options {
	ss := cfg.StateSettings()
	return state.Options{Path: cfg.StatePath(), URL: ss.URL, Cred: sqldb.Credentials{User: ss.User, Password: string(ss.Password)},
		Schema: ss.Schema, Prefix: ss.TablePrefix}
}

// Close prunes old history (when holding the lock), releases the store and the lock.
func (s *Session) Close() error {
	if s.lock != nil {
		if err := s.Prune(context.Background(), time.Now()); err != nil {
			s.Log.Warn("pruning the run state", "err", err)
		}
	}
	// The lock first: a server state's lock is held on a connection of
	// the state's pool.
	s.lock.Release()
	return s.State.Close()
}

// RunSpec says what a run is before it begins.
type RunSpec struct {
	// Command names the run in the history and its report file: import,
	// pull, resync, push-users, retry, mark-processed.
	Command string
	Args    string // the command line as typed, secrets hidden
	// DryRun changes nothing: no run lock, nothing sent from the outbox,
	// and the history says "--dry-run".
	DryRun bool
	// SendNothing takes the run lock but sends nothing from the outbox: a
	// change to the outbox by hand must not race a run's send of the same
	// event.
	SendNothing bool
	// Report is the report file asked for; "" picks a new one in
	// report.dir. ReportFormat is csv or jsonl; "" when the run writes no
	// report.
	Report, ReportFormat string
	Started              time.Time // zero: now
	Log                  *slog.Logger
	// User is who the history names as running it: "" for the OS user,
	// or a console account ("alice (console)").
	User string
}

// Run is one run in the history, from BeginRun to End: every command that
// changes the HR system or the outbox opens one, so each takes the lock,
// delivers what is due and records itself the same way.
type Run struct {
	*Session
	ID         int64 // 0 when the history could not record it
	ReportPath string
	Started    time.Time
	// Delivered is what the run sent from the outbox as it began.
	Delivered    outbox.Summary
	reportFormat string // RunSpec.ReportFormat, for report.store: state
}

// BeginRun opens the session the spec asks for (under the run lock unless
// a dry run), picks the report path, records the start of the run and
// sends whatever earlier runs left due. The run's Log says its id on
// every line.
func BeginRun(ctx context.Context, cfg *config.Config, spec RunSpec) (*Run, error) {
	if spec.Started.IsZero() {
		spec.Started = time.Now()
	}
	command := spec.Command
	if spec.DryRun {
		command += " --dry-run"
	}
	record := state.Run{Command: command, Args: spec.Args, User: cmp.Or(spec.User, CurrentUser()), Host: hostname(),
		ConfigPath: cfg.Path, ConfigSHA256: cfg.SHA256, StartedAt: spec.Started}
	sess, err := openSession(ctx, cfg, !spec.DryRun, spec.Log)
	if errors.Is(err, runlock.ErrBusy) {
		recordRefused(ctx, cfg, record, err, spec.Log)
	}
	if err != nil {
		return nil, err
	}
	r := &Run{Session: sess, Started: spec.Started, reportFormat: spec.ReportFormat}
	if spec.ReportFormat != "" {
		r.ReportPath = ReportPath(cfg, spec.Report, spec.Command, spec.ReportFormat, spec.Started)
	}
	record.ReportPath = r.ReportPath
	r.ID, err = r.State.StartRun(ctx, record)
	if err != nil {
		r.Log.Warn("could not record the run", "err", err)
	}
	// A refused run names the holder's run (a server state's lock).
	if err := r.lock.SetRun(ctx, r.ID); err != nil {
		r.Log.Warn("could not name the run in the lock", "err", err)
	}
	// From here on every line of the run says which run it is: two
	// overlapping runs (a pull and a retry) share one log file.
	r.Log = r.Log.With("run", r.ID)
	r.Log.Info("run started", "command", command)
	if !spec.DryRun && !spec.SendNothing {
		// Whatever earlier runs could not deliver goes first.
		if r.Delivered, err = r.DeliverDue(ctx); err != nil {
			r.Log.Warn("delivering queued batches", "err", err)
		}
	}
	return r, nil
}

// End records how the run ended, with its counts and the exit code err
// stands for (nil, an exitcode.Incomplete outcome, or the failure), then
// closes the session. A failure's message goes into the history; an
// outcome's is already in the report.
func (r *Run) End(ctx context.Context, counts report.Counts, err error) {
	code, msg := exitcode.For(err), ""
	if err != nil && !exitcode.IsIncomplete(err) {
		msg = err.Error()
		r.Log.Error("run ended", "exit", code, "err", err)
	} else {
		r.Log.Info("run ended", "exit", code, "counts", countsText(counts))
	}
	r.storeReport(context.WithoutCancel(ctx), counts)
	if r.ID != 0 {
		c := make(map[string]int64, len(counts))
		for k, v := range counts {
			c[string(k)] = v
		}
		if ferr := r.State.FinishRun(context.WithoutCancel(ctx), r.ID, time.Now(), int(code), c, r.ReportPath, msg); ferr != nil {
			r.Log.Warn("could not record the end of the run", "err", ferr)
		}
	}
	if cerr := r.Close(); cerr != nil {
		r.Log.Warn("closing the run state", "err", cerr)
	}
}

// recordRefused puts a run the lock refused into the history, so the audit
// trail shows the scheduled run that did nothing, and why. The state is
// opened without the lock, as the listings open it.
func recordRefused(ctx context.Context, cfg *config.Config, record state.Run, refusal error, log *slog.Logger) {
	sess, err := OpenState(ctx, cfg, log)
	if err != nil {
		return
	}
	defer sess.Close()
	id, err := sess.State.StartRun(ctx, record)
	if err == nil {
		err = sess.State.FinishRun(ctx, id, time.Now(), int(exitcode.Failed), nil, "", refusal.Error())
	}
	if err != nil {
		sess.Log.Warn("could not record the refused run", "err", err)
	}
}

// CurrentUser is the OS user hrsync runs as ("" when it cannot be told).
func CurrentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// countsText is counts as "duplicate=1 imported=390", for the log.
func countsText(c report.Counts) string {
	var b strings.Builder
	for _, k := range c.Sorted() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, c[k])
	}
	return b.String()
}
