package resync

import (
	"context"
	"database/sql"
	"io"
	"strconv"
	"time"

	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// reportWriter writes the resync report: the import report's columns plus
// the stored punch before an update or removal.
type reportWriter struct {
	file *report.File
	loc  *time.Location
	rec  []string
}

var reportHeader = []string{"source", "file", "sheet", "line", "key", "employee_id", "time", "direction", "device",
	"outcome", "reason", "before_direction", "before_device", "before_source", "raw"}

func createReport(path, format string, loc *time.Location) (*reportWriter, error) {
	f, err := report.CreateFile(path, format, reportHeader)
	if err != nil {
		return nil, err
	}
	return &reportWriter{file: f, loc: loc}, nil
}

func newReportWriter(out io.Writer, format string, loc *time.Location) *reportWriter {
	return &reportWriter{file: report.NewFile(out, format, reportHeader), loc: loc}
}

type jsonRow struct {
	report.Line
	Time            string `json:"time,omitempty"`
	BeforeDirection string `json:"before_direction,omitempty"`
	BeforeDevice    string `json:"before_device,omitempty"`
	BeforeSource    string `json:"before_source,omitempty"`
}

func (w *reportWriter) write(r *Row) error {
	if w == nil {
		return nil
	}
	ts := ""
	if !r.Time.IsZero() {
		ts = r.Time.In(w.loc).Format(time.RFC3339)
	}
	var bDir, bDev, bSrc string
	if r.Before != nil {
		bDir, bDev, bSrc = string(r.Before.Direction), r.Before.DeviceID, r.Before.Source
	}
	if w.file.JSON() {
		return w.file.Object(jsonRow{Line: r.Line, Time: ts, BeforeDirection: bDir, BeforeDevice: bDev, BeforeSource: bSrc})
	}
	w.rec = append(w.rec[:0], r.Source, r.File, r.Sheet, strconv.Itoa(r.Line.Line), r.Key, r.EmployeeID, ts,
		r.Direction, r.Device, string(r.Outcome), r.Reason, bDir, bDev, bSrc)
	w.rec = append(w.rec, r.Raw...)
	return w.file.Record(w.rec)
}

func (w *reportWriter) close() error {
	if w == nil {
		return nil
	}
	return w.file.Close()
}

// The run history keeps every change a resync made in the state's
// resync_changes table (made by importer/state's migrations), so "what did
// run 42 change" is answered without the report file.

// Change is one recorded change of a resync run.
type Change struct {
	RunID           int64     `json:"run_id"`
	EmployeeID      string    `json:"employee_id"`
	Time            time.Time `json:"time"`
	Outcome         string    `json:"outcome"` // inserted, updated, removed
	Direction       string    `json:"direction,omitempty"`
	DeviceID        string    `json:"device_id,omitempty"`
	BeforeDirection string    `json:"before_direction,omitempty"`
	BeforeDeviceID  string    `json:"before_device_id,omitempty"`
	Source          string    `json:"source,omitempty"`
	File            string    `json:"file,omitempty"`
	Line            int       `json:"line,omitempty"`
}

// history records changes in the state database.
type history struct {
	db    *sqldb.Bound
	runID int64
}

func openHistory(_ context.Context, db *sqldb.Bound, runID int64) (*history, error) {
	return &history{db: db, runID: runID}, nil
}

// record stores the changed rows of the plans' employees, in one
// transaction.
func (h *history) record(ctx context.Context, plans ...*EmployeePlan) error {
	if h == nil {
		return nil
	}
	tx, err := h.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO {resync_changes}(run_id,employee_id,punch_time,outcome,direction,device_id,
		before_direction,before_device_id,source,"file",line) VALUES(?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, p := range plans {
		if err := h.recordRows(ctx, stmt, p.Rows); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (h *history) recordRows(ctx context.Context, stmt *sql.Stmt, rows []Row) error {
	for i := range rows {
		r := &rows[i]
		switch r.Outcome {
		case Inserted, Updated, Removed:
		default:
			continue
		}
		dir, dev := r.Direction, r.Device
		var bDir, bDev string
		if r.Before != nil {
			bDir, bDev = string(r.Before.Direction), r.Before.DeviceID
		}
		if r.Outcome == Removed {
			dir, dev = "", ""
		}
		if _, err := stmt.ExecContext(ctx, h.runID, r.EmployeeID, r.Time.UTC().Format(time.RFC3339), string(r.Outcome),
			dir, dev, bDir, bDev, r.Source, r.File, r.Line.Line); err != nil {
			return err
		}
	}
	return nil
}

// Changes lists what a resync run changed, from the run history.
func Changes(ctx context.Context, db *sqldb.Bound, runID int64) ([]Change, error) {
	order := "seq" // the servers' row order; SQLite's is its rowid
	if db.Dialect.Name() == sqldb.SQLite {
		order = "rowid"
	}
	rows, err := db.QueryContext(ctx, `SELECT run_id,employee_id,punch_time,outcome,direction,device_id,before_direction,
		before_device_id,source,"file",line FROM {resync_changes} WHERE run_id=? ORDER BY `+order, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var t string
		if err := rows.Scan(&c.RunID, &c.EmployeeID, &t, &c.Outcome, &c.Direction, &c.DeviceID, &c.BeforeDirection,
			&c.BeforeDeviceID, &c.Source, &c.File, &c.Line); err != nil {
			return nil, err
		}
		c.Time, _ = time.Parse(time.RFC3339, t)
		out = append(out, c)
	}
	return out, rows.Err()
}
