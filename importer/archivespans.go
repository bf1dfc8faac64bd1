package importer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// The archive's time spans. When import moves a file it read into the
// inbox's archive, it records the span of the file's row times in the
// state database, so a resync opens only the archived files whose span
// meets its window instead of every file ever imported. A span is trusted
// only for the file as it was archived (same size and modification time)
// and under the same format, mapping, zone and clock settings, which
// decide the times; a file with a rejected row that carries a key but no
// time is always read (resync reports such a row of its employees
// whatever the window). The table is the state's (migration 5,
// importer/state).

// fileSpan is what one file's rows said of their times while it was read.
type fileSpan struct {
	min, max int64 // Unix seconds; min > max: no row had a time
	untimed  bool  // a row with a key and no time
}

func newFileSpan() *fileSpan { return &fileSpan{min: 1<<63 - 1, max: -1 << 63} }

// saw widens the span by one row's report line.
func (s *fileSpan) saw(it *item) {
	if it.line.Time.IsZero() {
		if it.line.Key != "" {
			s.untimed = true
		}
		return
	}
	u := it.line.Time.Unix()
	s.min, s.max = min(s.min, u), max(s.max, u)
}

// spanSettings fingerprints what decides a source's row times.
func spanSettings(src *config.Source) (string, error) {
	b, err := json.Marshal(struct {
		Zone    string
		Format  config.Format
		Mapping any
		Clock   config.Clock
	}{src.Location().String(), src.Format, src.Mapping, src.Clock})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// recordSpans stores the spans of the files moves put in an archive.
func recordSpans(ctx context.Context, db *sqldb.Bound, reads []*sourceRead, moves []InboxMove) error {
	spans := map[string]*fileSpan{}
	settings := map[string]string{}
	for _, r := range reads {
		set, err := spanSettings(r.src)
		if err != nil {
			return err
		}
		for path, s := range r.spans {
			spans[path], settings[path] = s, set
		}
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, m := range moves {
		s := spans[m.From]
		if m.Reason != "" || s == nil {
			continue
		}
		abs, info, err := archivedFile(m.To)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Upsert("archive_spans", []string{"path"},
			[]string{"path", "size", "mod_time", "settings", "min_time", "max_time", "untimed"},
			[]string{"size", "mod_time", "settings", "min_time", "max_time", "untimed"}), abs, info.Size(), info.ModTime().UnixNano(), settings[m.From], s.min, s.max, s.untimed); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func archivedFile(path string) (string, os.FileInfo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, err
	}
	info, err := os.Stat(abs)
	return abs, info, err
}

// ArchiveFilesFor leaves out of files (archived files of src) those whose
// recorded span lies wholly outside [from, to); a file without a span it
// can trust is kept.
func ArchiveFilesFor(ctx context.Context, db *sqldb.Bound, src *config.Source, files []string, from, to time.Time) ([]string, error) {
	if len(files) == 0 {
		return files, nil
	}
	set, err := spanSettings(src)
	if err != nil {
		return files, nil
	}
	stmt, err := db.PrepareContext(ctx, `SELECT "size", mod_time, settings, min_time, max_time, untimed FROM {archive_spans} WHERE "path" = ?`)
	if err != nil {
		return nil, fmt.Errorf("archive spans: %w", err)
	}
	defer stmt.Close()
	var out []string
	for _, f := range files {
		abs, info, err := archivedFile(f)
		if err != nil {
			out = append(out, f) // reading it will say what is wrong
			continue
		}
		var size, mod, lo, hi int64
		var settings string
		var untimed bool
		err = stmt.QueryRowContext(ctx, abs).Scan(&size, &mod, &settings, &lo, &hi, &untimed)
		if err == sql.ErrNoRows {
			out = append(out, f)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("archive spans: %w", err)
		}
		trusted := size == info.Size() && mod == info.ModTime().UnixNano() && settings == set && !untimed
		if trusted && (lo > hi || hi < from.Unix() || lo >= to.Unix()) {
			continue // no row of it can be in the window
		}
		out = append(out, f)
	}
	return out, nil
}
