package importer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/sources/fetch"
	"github.com/hrsync/hrsync/sources/zk"
)

// A source with devices: is pulled from the machines themselves: for each
// device, one session reads its serial, its clock (the drift is reported)
// and the whole attendance log with the device disabled (sources/zk
// re-enables it whatever happens), checks the number read against the
// device's count, and writes the records past the stored position into
// <inbox>/<source>_<device>_<yyyyMMdd-HHmmss>.csv (.partial, synced,
// renamed, the folder synced) before the position moves. A kill before
// the position is saved writes the same records again next time; the HR
// side ignores punches it already has.
//
// The client reads the whole log each time: no firmware "read only the new
// records" command is used, so the records before the position are read
// and filtered out, and the line says so.
//
// after_pull: clear empties a device's log only when (1) every inbox file
// written from it since the last clear has been archived by import (each
// row of it committed in the HR database or queued in the outbox for an
// HTTP target; rejected rows are in the import report and the archived
// file), (2) this pull found no record beyond the stored position, and (3)
// the device, disabled, still counts exactly the records read. A punch
// made after the read makes the count differ and the clear waits for a
// later pull.

// DeviceLine is what a device pull adds to its PullLine.
type DeviceLine struct {
	Device   string
	Serial   string
	Records  int           // on the device, all read
	New      int           // written to the inbox
	Drift    time.Duration // device clock minus host clock
	HasDrift bool
	Cleared  bool
}

// deviceInboxName is the file a device pull writes.
func deviceInboxName(src, device string, now time.Time) string {
	return fmt.Sprintf("%s_%s_%s.csv", src, device, now.Format("20060102-150405"))
}

// errLogChanged stops a read whose log no longer holds the last pulled
// record where it was.
var errLogChanged = errors.New("the log no longer matches the last pull")

func pullDevices(ctx context.Context, cfg *config.Config, src *config.Source, st *state.Store, now func() time.Time, res *PullResult, rep *pullReport) {
	for _, dc := range src.DeviceConns() {
		line := pullDevice(ctx, cfg, src, dc, st, now())
		if line.Device.HasDrift && absDuration(line.Device.Drift) > dc.Drift {
			res.Warnings = append(res.Warnings, fmt.Sprintf("source %s device %s: the clock is %s off the host's (tolerance %s); `hrsync devices set-time --device %s` corrects it",
				src.Name, dc.Name, signed(line.Device.Drift), dc.Drift, dc.Name))
			res.DriftWarnings++
		}
		res.add(rep, line)
		if ctx.Err() != nil {
			return
		}
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

// DialDevice opens a session with a configured device, trying again after a
// connection that failed or timed out (not after a refused comm key), with
// one second more between attempts each time.
func DialDevice(ctx context.Context, dc config.DeviceConn) (*zk.Client, error) {
	var err error
	for attempt := 0; ; attempt++ {
		var c *zk.Client
		if c, err = zk.Dial(ctx, dc.Endpoint.Addr, dc.Options()); err == nil {
			return c, nil
		}
		if attempt >= dc.Retries || errors.Is(err, zk.ErrUnauthorized) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Second):
		}
	}
	if dc.Retries > 0 {
		err = fmt.Errorf("%w (after %d attempts)", err, dc.Retries+1)
	}
	return nil, err
}

func deviceRemote(dc config.DeviceConn) string {
	r := "zk://" + dc.Endpoint.Addr
	if dc.Endpoint.UDP {
		r += "?udp"
	}
	return dc.Name + " " + r
}

func pullDevice(ctx context.Context, cfg *config.Config, src *config.Source, dc config.DeviceConn, st *state.Store, now time.Time) PullLine {
	line := PullLine{Source: src.Name, Remote: deviceRemote(dc), Device: &DeviceLine{Device: dc.Name}}
	fail := func(err error) PullLine {
		line.Outcome, line.Reason = fetch.Failed, err.Error()
		return line
	}
	pos, err := st.DevicePosition(ctx, src.Name, dc.Name)
	if err != nil {
		return fail(err)
	}
	c, err := DialDevice(ctx, dc)
	if err != nil {
		return fail(err)
	}
	defer func() { c.Close() }()
	if line.Device.Serial, err = c.Option(ctx, "~SerialNumber"); err != nil {
		return fail(err)
	}
	if _, line.Device.Drift, err = c.Drift(ctx); err != nil {
		return fail(err)
	}
	line.Device.HasDrift = true
	if pos.Serial != "" && line.Device.Serial != "" && pos.Serial != line.Device.Serial {
		// Another machine at this address: its log is not the one the
		// position counts.
		pos = state.DevicePosition{Pending: pos.Pending, From: pos.From}
	}
	// The 8-byte record layout of old firmware carries only the uid; the
	// user table gives the PINs.
	if _, err := c.ReadUsers(ctx); err != nil {
		return fail(err)
	}
	inbox := cfg.InboxDir(src)
	if err := os.MkdirAll(inbox, 0o700); err != nil {
		return fail(fmt.Errorf("inbox: %w", err))
	}
	// A pull killed while writing left its partial file; the run lock says
	// no other pull is writing one now.
	if left, _ := filepath.Glob(filepath.Join(inbox, "."+src.Name+"_"+dc.Name+"_*.partial-*")); len(left) > 0 {
		for _, f := range left {
			os.Remove(f)
		}
	}
	name := deviceInboxName(src.Name, dc.Name, now)
	w, err := newInboxWriter(inbox, name)
	if err != nil {
		return fail(err)
	}
	defer w.abort()

	start, restarted := pos.Count, false
	if sz, err := c.Sizes(ctx); err != nil {
		return fail(err)
	} else if sz.Records < start {
		start, restarted = 0, true // cleared since the last pull
	}
	// A pending file gone from the inbox unimported (the data folder did
	// not outlive the run) is pulled again from its first record.
	writeFrom, lost, err := lostPending(ctx, st, src, inbox, &pos)
	if err != nil {
		return fail(err)
	}
	writeFrom = min(writeFrom, start)
	var last string
	var n int
	for {
		n, last = 0, ""
		idx := 0
		n, err = c.ReadAttendance(ctx, func(r zk.Record) error {
			fp := recordKey(r)
			if idx == start-1 && fp != pos.Last {
				return errLogChanged
			}
			if idx >= writeFrom {
				if err := w.write(line.Device.Serial, r, dc.Location); err != nil {
					return err
				}
			}
			idx++
			last = fp
			return nil
		})
		if err == nil && n < start {
			err = errLogChanged // fewer records than pulled: the log was cleared
		}
		if errors.Is(err, errLogChanged) && !restarted && start > 0 {
			// Cleared (by us, before a kill, or by someone at the device)
			// or replaced: every record it now holds is new.
			// The read stopped midway: a new session reads it again.
			start, writeFrom, restarted = 0, 0, true
			if err := w.reset(); err != nil {
				return fail(err)
			}
			c.Close()
			if c, err = DialDevice(ctx, dc); err != nil {
				return fail(err)
			}
			if _, err := c.ReadUsers(ctx); err != nil {
				return fail(err)
			}
			continue
		}
		break
	}
	if err != nil {
		return fail(err) // nothing written: w.abort removes the partial file
	}
	line.Device.Records, line.Device.New = n, n-writeFrom
	how := fmt.Sprintf("read all %d records (the device offers no read of only the new ones), %d new", n, n-start)
	if lost != "" && !restarted {
		how += fmt.Sprintf("; %d again from record %d: %s was lost from the inbox before its import", start-writeFrom, writeFrom, lost)
	}
	if restarted {
		how = fmt.Sprintf("the log no longer holds the last pulled record where it was (cleared or replaced): read all %d records, all new", n)
	}
	next := state.DevicePosition{Serial: line.Device.Serial, Count: n, Last: last, Pending: pos.Pending, From: pos.From,
		Drift: line.Device.Drift, CheckedAt: now}
	if n-writeFrom > 0 {
		path, bytes, sum, err := w.commit()
		if err != nil {
			return fail(fmt.Errorf("inbox: %w", err))
		}
		// The ledger holds it too, so that its import settles it in the
		// state and not only in the archive folder.
		if err := st.Ledger().Note(context.WithoutCancel(ctx), src.Name, filepath.Base(path), sum, path); err != nil {
			return fail(fmt.Errorf("ledger: %w", err))
		}
		next.Pending = append(next.Pending, filepath.Base(path))
		if next.From == nil {
			next.From = map[string]int{}
		}
		next.From[filepath.Base(path)] = writeFrom
		line.Outcome, line.LocalPath, line.Bytes, line.SHA256 = fetch.Pulled, path, bytes, sum
	} else {
		line.Outcome = fetch.SkippedAlreadyPulled
	}
	line.Reason = how
	if err := st.SetDevicePosition(context.WithoutCancel(ctx), src.Name, dc.Name, next); err != nil {
		return fail(fmt.Errorf("saving the position of device %s: %w", dc.Name, err))
	}
	if dc.AfterPull == zk.AfterPullClear {
		line.Reason += "; " + clearDevice(ctx, c, cfg, src, dc, st, next, n-start, &line)
	}
	line.Reason += "; clock " + signed(line.Device.Drift) + " off the host"
	return line
}

// clearDevice empties the device's log when everything it holds is safe
// (see the comment at the top), and says what it did or why it waited.
func clearDevice(ctx context.Context, c *zk.Client, cfg *config.Config, src *config.Source, dc config.DeviceConn, st *state.Store, pos state.DevicePosition, fresh int, line *PullLine) string {
	if pos.Count == 0 {
		return "log empty, nothing to clear"
	}
	if fresh > 0 {
		return fmt.Sprintf("not cleared: the %d new records are not imported yet", fresh)
	}
	for _, f := range pos.Pending {
		if done, err := imported(ctx, st, src, cfg.InboxDir(src), f); err != nil || !done {
			return fmt.Sprintf("not cleared: %s is not imported (archived) yet", f)
		}
	}
	if err := c.ClearAttendance(ctx, pos.Count); err != nil {
		if errors.Is(err, zk.ErrCount) {
			return "not cleared: records were punched since the read"
		}
		line.Outcome = fetch.Failed
		return "clearing the log failed: " + err.Error()
	}
	line.Device.Cleared = true
	// A kill before this is saved finds fewer records than the position
	// next time and starts from the first.
	if err := st.SetDevicePosition(context.WithoutCancel(ctx), src.Name, dc.Name, state.DevicePosition{Serial: pos.Serial, Drift: pos.Drift, CheckedAt: pos.CheckedAt}); err != nil {
		return "cleared the log; saving the position failed (" + err.Error() + "): the next pull starts again from the first record"
	}
	return fmt.Sprintf("cleared the log: its %d records are all imported", pos.Count)
}

func recordKey(r zk.Record) string {
	return r.PIN + "|" + strconv.FormatInt(r.Time.Unix(), 10) + "|" + strconv.Itoa(int(r.State))
}

// inboxWriter writes one device CSV to a hidden .partial file and puts it
// in the inbox only when synced.
type inboxWriter struct {
	inbox, name string
	f           *os.File
	count       *countingWriter
	buf         *bufio.Writer
	csv         *csv.Writer
	rec         []string
	done        bool
}

func newInboxWriter(inbox, name string) (*inboxWriter, error) {
	w := &inboxWriter{inbox: inbox, name: name, rec: make([]string, len(config.DeviceCSVHeader))}
	return w, w.reset()
}

// reset starts the file again, empty but for the header.
func (w *inboxWriter) reset() error {
	if w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
	}
	f, err := os.CreateTemp(w.inbox, "."+w.name+".partial-*")
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	w.f = f
	w.count = &countingWriter{w: f, h: sha256.New()}
	w.buf = bufio.NewWriterSize(w.count, 256<<10)
	w.csv = csv.NewWriter(w.buf)
	return w.csv.Write(config.DeviceCSVHeader)
}

func (w *inboxWriter) write(serial string, r zk.Record, loc *time.Location) error {
	w.rec[0] = serial
	w.rec[1] = r.PIN
	w.rec[2] = r.Time.In(loc).Format(config.DeviceTimeLayout)
	w.rec[3] = strconv.Itoa(int(r.State))
	w.rec[4] = strconv.Itoa(int(r.Verify))
	w.rec[5] = strconv.FormatUint(uint64(r.WorkCode), 10)
	return w.csv.Write(w.rec)
}

// commit syncs the file and renames it into the inbox.
func (w *inboxWriter) commit() (path string, n int64, sum string, err error) {
	w.csv.Flush()
	if err := firstErr(w.csv.Error(), w.buf.Flush(), w.f.Sync(), w.f.Close()); err != nil {
		return "", 0, "", err
	}
	target := filepath.Join(w.inbox, w.name)
	if _, err := os.Lstat(target); err == nil { // two pulls within a second
		target = filepath.Join(w.inbox, w.name[:len(w.name)-4]+"."+strconv.FormatInt(time.Now().UnixNano(), 10)+".csv")
	}
	if err := os.Rename(w.f.Name(), target); err != nil {
		return "", 0, "", err
	}
	w.done = true
	if err := fetch.SyncDir(w.inbox); err != nil {
		return "", 0, "", err
	}
	return target, w.count.n, hex.EncodeToString(w.count.h.Sum(nil)), nil
}

func (w *inboxWriter) abort() {
	if !w.done && w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
	}
}

// imported reports whether import settled the pending inbox file name: in
// the state's ledger, or (files pulled before the ledger knew them) in the
// archive folder.
func imported(ctx context.Context, st *state.Store, src *config.Source, inbox, name string) (bool, error) {
	if _, err := os.Stat(filepath.Join(inbox, ArchiveFolder, name)); err == nil {
		return true, nil
	}
	return st.Ledger().Settled(ctx, src.Name, filepath.Join(inbox, name))
}

// lostPending finds the pending files that are neither imported nor in the
// inbox, and returns the first record to write again (the earliest lost
// file's; max int when none is lost) and a lost file's name. It drops from
// pos.Pending the lost files and every one written after the earliest of
// them, whose records the pull writes again (their inbox copies go, so no
// record is in two files).
func lostPending(ctx context.Context, st *state.Store, src *config.Source, inbox string, pos *state.DevicePosition) (int, string, error) {
	from, name := int(^uint(0)>>1), ""
	for _, f := range pos.Pending {
		done, err := imported(ctx, st, src, inbox, f)
		if err != nil {
			return 0, "", err
		}
		if done {
			continue
		}
		if _, err := os.Stat(filepath.Join(inbox, f)); err == nil {
			continue
		}
		at, ok := pos.From[f]
		if !ok {
			at = 0 // written before positions kept it: from the first record
		}
		if at < from {
			from, name = at, f
		}
	}
	if name == "" {
		return from, "", nil
	}
	var keep []string
	for _, f := range pos.Pending {
		if at, ok := pos.From[f]; ok && at < from {
			keep = append(keep, f)
			continue
		}
		if done, _ := imported(ctx, st, src, inbox, f); done {
			keep = append(keep, f)
			continue
		}
		os.Remove(filepath.Join(inbox, f))
		delete(pos.From, f)
	}
	pos.Pending = keep
	return from, name, nil
}
