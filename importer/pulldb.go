package importer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/sources/fetch"
	"github.com/hrsync/hrsync/sources/sqlsrc"
)

// A database source with inbox: (and a watermark) is pulled, not read
// directly: `hrsync pull` writes the rows that are new since the last pull
// into <inbox>/<source>_<yyyyMMdd-HHmmss>.csv (UTF-8, a header of the
// result's column names), so IT can look before importing, and `import`
// reads the inbox like any pulled files.
//
// The pull keeps its own position, "pull:<source>" in the watermarks
// table, moved only after the file is synced and in the inbox; the first
// pull starts at the import's watermark. A crash between the two writes
// the same rows again next time; the HR side ignores punches it already has.

// pullCursorKey names a database source's pull position in the state store.
func pullCursorKey(source string) string { return "pull:" + source }

// pullDatabase writes a database source's new rows into its inbox.
func pullDatabase(ctx context.Context, cfg *config.Config, src *config.Source, st *state.Store, now time.Time) PullLine {
	line := PullLine{Source: src.Name, Remote: sqldb.Redact(src.URL)}
	fail := func(err error) PullLine {
		line.Outcome, line.Reason = fetch.Failed, err.Error()
		return line
	}
	after, err := st.Watermark(ctx, pullCursorKey(src.Name))
	if err == nil && after == "" {
		after, err = st.Watermark(ctx, src.Name)
	}
	if err != nil {
		return fail(fmt.Errorf("reading the pull position of source %s: %w", src.Name, err))
	}
	inbox := cfg.InboxDir(src)
	// A file pulled earlier and lost from the inbox before its import (a
	// data folder that did not outlive the run) is pulled again from the
	// position it started at.
	pending, lostAfter, lost, err := dbPending(ctx, st, src, inbox)
	if err != nil {
		return fail(err)
	}
	if lost != "" {
		after = lostAfter
	}
	s, err := openDatabaseSource(ctx, src)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	line.Remote = s.Where()
	r, err := s.Read(ctx, sqlsrc.Window{After: after})
	if err != nil {
		return fail(err)
	}
	defer r.Close()

	if err := os.MkdirAll(inbox, 0o700); err != nil {
		return fail(fmt.Errorf("inbox: %w", err))
	}
	name := fmt.Sprintf("%s_%s.csv", src.Name, now.Format("20060102-150405"))
	tmp, err := os.CreateTemp(inbox, "."+name+".partial-*")
	if err != nil {
		return fail(fmt.Errorf("inbox: %w", err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	sum := sha256.New()
	counter := &countingWriter{w: tmp, h: sum}
	buf := bufio.NewWriterSize(counter, 256<<10)
	w := csv.NewWriter(buf)
	_ = w.Write(r.Header())
	rows, bad, cursor, firstBad := 0, 0, "", ""
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		if row.Cursor != "" {
			cursor = row.Cursor
		}
		if row.Err != nil {
			// A value the driver could not scan: the import would reject
			// the row the same way; the pull report says so.
			if bad++; firstBad == "" {
				firstBad = row.Err.Error()
			}
			continue
		}
		_ = w.Write(row.Fields)
		rows++
	}
	if rows == 0 {
		if lost != "" { // nothing left to pull again: forget the lost file
			if err := savePending(ctx, st, src, pending); err != nil {
				return fail(err)
			}
		}
		line.Outcome, line.Reason = fetch.SkippedAlreadyPulled, "no new rows since the last pull"
		if after != "" {
			line.Reason += " (" + after + ")"
		}
		return line
	}
	w.Flush()
	if err := firstErr(w.Error(), buf.Flush(), tmp.Sync(), tmp.Close()); err != nil {
		return fail(fmt.Errorf("inbox: %w", err))
	}
	target := filepath.Join(inbox, name)
	if _, err := os.Lstat(target); err == nil { // two pulls within a second
		target = filepath.Join(inbox, fmt.Sprintf("%s_%s.csv", src.Name, now.Format("20060102-150405.000000000")))
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fail(fmt.Errorf("inbox: %w", err))
	}
	done = true
	if err := fetch.SyncDir(inbox); err != nil {
		return fail(fmt.Errorf("inbox: %w", err))
	}
	line.SHA256 = hex.EncodeToString(sum.Sum(nil))
	// The ledger and the pending list first: a kill before the position
	// moves pulls the same rows again, which the HR side ignores.
	if err := st.Ledger().Note(context.WithoutCancel(ctx), src.Name, filepath.Base(target), line.SHA256, target); err != nil {
		return fail(fmt.Errorf("ledger: %w", err))
	}
	pending = append(pending, pulledFile{Name: filepath.Base(target), After: after})
	if err := savePending(context.WithoutCancel(ctx), st, src, pending); err != nil {
		return fail(err)
	}
	if cursor != "" {
		if err := st.SetWatermark(context.WithoutCancel(ctx), pullCursorKey(src.Name), cursor); err != nil {
			return fail(fmt.Errorf("saving the pull position of source %s: %w", src.Name, err))
		}
	}
	line.Outcome, line.LocalPath, line.Bytes = fetch.Pulled, target, counter.n
	line.Reason = fmt.Sprintf("%d new rows", rows)
	if lost != "" {
		line.Reason += "; pulled again from " + lostAfter + ": " + lost + " was lost from the inbox before its import"
	}
	if bad > 0 {
		line.Reason += fmt.Sprintf("; %d rows could not be read and were left out (first: %s)", bad, firstBad)
	}
	return line
}

type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.h.Write(b[:n])
	c.n += int64(n)
	return n, err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// pulledFile is an inbox file a database pull wrote that import has not
// settled yet, with the position its rows start after.
type pulledFile struct {
	Name  string `json:"name"`
	After string `json:"after"`
}

func pendingKey(source string) string { return "pull-pending:" + source }

// dbPending reads the source's pending files, drops those import settled,
// and finds the earliest one lost from the inbox: its position, its name,
// and the list without it and every file after it (their rows are pulled
// again; their inbox copies go, so no row is in two files).
func dbPending(ctx context.Context, st *state.Store, src *config.Source, inbox string) ([]pulledFile, string, string, error) {
	v, err := st.Watermark(ctx, pendingKey(src.Name))
	if err != nil || v == "" {
		return nil, "", "", err
	}
	var all []pulledFile
	if err := json.Unmarshal([]byte(v), &all); err != nil {
		return nil, "", "", fmt.Errorf("the pending files of source %s are unreadable: %w", src.Name, err)
	}
	var keep []pulledFile
	for i, f := range all {
		done, err := imported(ctx, st, src, inbox, f.Name)
		if err != nil {
			return nil, "", "", err
		}
		if done {
			continue
		}
		if _, err := os.Stat(filepath.Join(inbox, f.Name)); err == nil {
			keep = append(keep, f)
			continue
		}
		for _, later := range all[i+1:] {
			if done, _ := imported(ctx, st, src, inbox, later.Name); !done {
				os.Remove(filepath.Join(inbox, later.Name))
			}
		}
		return keep, f.After, f.Name, nil
	}
	return keep, "", "", nil
}

func savePending(ctx context.Context, st *state.Store, src *config.Source, files []pulledFile) error {
	b, err := json.Marshal(files)
	if err != nil {
		return err
	}
	if err := st.SetWatermark(ctx, pendingKey(src.Name), string(b)); err != nil {
		return fmt.Errorf("saving the pending files of source %s: %w", src.Name, err)
	}
	return nil
}
