package state

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// Run reports kept in the state database, for workers with no disk that
// outlives the run (report.store: state; tables of migration 3). A report
// is stored gzip-compressed in chunks, so neither the writer nor a reader
// holds it whole and no chunk passes a server's packet limit.

// reportChunk is the most compressed bytes one chunk row holds.
const reportChunk = 60000

// StoredReport describes a report kept in the state database.
type StoredReport struct {
	RunID      int64     `json:"run_id"`
	Format     string    `json:"format"`
	CreatedAt  time.Time `json:"created_at"`
	Bytes      int64     `json:"bytes"`
	Compressed int64     `json:"compressed_bytes"`
	Rows       int64     `json:"rows"`
}

// ErrNoReport is returned for a run whose report is not stored.
var ErrNoReport = errors.New("no report stored for this run")

// SaveReport stores the report read from r (its bytes as written, rows
// the lines it reports) for a run, replacing any stored before. It is one
// transaction: a reader sees the whole report or none of it.
func (s *Store) SaveReport(ctx context.Context, runID int64, format string, rows int64, r io.Reader) (StoredReport, error) {
	tx, err := s.DB.Begin(ctx)
	if err != nil {
		return StoredReport{}, fmt.Errorf("store report: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM {run_report_chunks} WHERE run_id=?`, `DELETE FROM {run_reports} WHERE run_id=?`} {
		if _, err := tx.ExecContext(ctx, q, runID); err != nil {
			return StoredReport{}, fmt.Errorf("store report: %w", err)
		}
	}
	cw := &chunkWriter{ctx: ctx, tx: tx, runID: runID, buf: make([]byte, 0, reportChunk)}
	zw := gzip.NewWriter(cw)
	n, err := io.Copy(zw, r)
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = cw.flush()
	}
	if err != nil {
		return StoredReport{}, fmt.Errorf("store report: %w", err)
	}
	rep := StoredReport{RunID: runID, Format: format, CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
		Bytes: n, Compressed: cw.total, Rows: rows}
	if _, err := tx.ExecContext(ctx, `INSERT INTO {run_reports}(run_id,"format",created_at,size_bytes,compressed_bytes,row_count,chunks)
		VALUES(?,?,?,?,?,?,?)`, runID, format, rep.CreatedAt.Format(stamp), rep.Bytes, rep.Compressed, rep.Rows, cw.seq); err != nil {
		return StoredReport{}, fmt.Errorf("store report: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return StoredReport{}, fmt.Errorf("store report: %w", err)
	}
	return rep, nil
}

// chunkWriter inserts what gzip writes as numbered chunks.
type chunkWriter struct {
	ctx   context.Context
	tx    *sqldb.Tx
	runID int64
	buf   []byte
	seq   int64
	total int64
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := reportChunk - len(w.buf)
		take := min(room, len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == reportChunk {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO {run_report_chunks}(run_id,seq,"data") VALUES(?,?,?)`, w.runID, w.seq, w.buf); err != nil {
		return err
	}
	w.seq++
	w.total += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// Report describes the stored report of a run (ErrNoReport when none).
func (s *Store) Report(ctx context.Context, runID int64) (StoredReport, error) {
	rep := StoredReport{RunID: runID}
	var created string
	err := s.DB.QueryRowContext(ctx, `SELECT "format",created_at,size_bytes,compressed_bytes,row_count FROM {run_reports} WHERE run_id=?`, runID).
		Scan(&rep.Format, &created, &rep.Bytes, &rep.Compressed, &rep.Rows)
	if errors.Is(err, sql.ErrNoRows) {
		return rep, ErrNoReport
	}
	if err != nil {
		return rep, fmt.Errorf("stored report of run %d: %w", runID, err)
	}
	rep.CreatedAt, _ = time.Parse(stamp, created)
	return rep, nil
}

// WriteReport writes the stored report of a run to w, decompressed, and
// checks its length against the one recorded. The chunks are read one at
// a time, so the report is never held whole.
func (s *Store) WriteReport(ctx context.Context, runID int64, w io.Writer) (StoredReport, error) {
	rep, err := s.Report(ctx, runID)
	if err != nil {
		return rep, err
	}
	zr, err := gzip.NewReader(bufio.NewReader(&chunkReader{ctx: ctx, db: s.DB, runID: runID}))
	if err != nil {
		return rep, fmt.Errorf("stored report of run %d: %w", runID, err)
	}
	n, err := io.Copy(w, zr)
	if err != nil {
		return rep, fmt.Errorf("stored report of run %d: %w", runID, err)
	}
	if n != rep.Bytes {
		return rep, fmt.Errorf("stored report of run %d: %d bytes, the record says %d", runID, n, rep.Bytes)
	}
	return rep, nil
}

// chunkReader reads a run's chunks in order, one query per chunk: no
// result set stays open while the caller writes (SQLite's one connection
// stays free, a server holds no cursor).
type chunkReader struct {
	ctx   context.Context
	db    *sqldb.Bound
	runID int64
	seq   int64
	buf   []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		err := r.db.QueryRowContext(r.ctx, `SELECT "data" FROM {run_report_chunks} WHERE run_id=? AND seq=?`, r.runID, r.seq).Scan(&r.buf)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, io.EOF
		}
		if err != nil {
			return 0, err
		}
		r.seq++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// PruneReports deletes the stored reports of runs the history no longer
// holds, so the retention that prunes the runs prunes their reports.
func (s *Store) PruneReports(ctx context.Context) (int64, error) {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM {run_report_chunks} WHERE run_id NOT IN (SELECT id FROM {runs})`); err != nil {
		return 0, fmt.Errorf("prune stored reports: %w", err)
	}
	res, err := s.DB.ExecContext(ctx, `DELETE FROM {run_reports} WHERE run_id NOT IN (SELECT id FROM {runs})`)
	if err != nil {
		return 0, fmt.Errorf("prune stored reports: %w", err)
	}
	return res.RowsAffected()
}
