package importer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
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

	inbox := cfg.InboxDir(src)
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
	if cursor != "" {
		if err := st.SetWatermark(context.WithoutCancel(ctx), pullCursorKey(src.Name), cursor); err != nil {
			return fail(fmt.Errorf("saving the pull position of source %s: %w", src.Name, err))
		}
	}
	line.Outcome, line.LocalPath, line.Bytes = fetch.Pulled, target, counter.n
	line.SHA256 = hex.EncodeToString(sum.Sum(nil))
	line.Reason = fmt.Sprintf("%d new rows", rows)
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
