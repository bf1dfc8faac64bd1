package iclock

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/mapping"
)

// Columns are the header a push source's mapping binds: the device's
// serial, the user's PIN, the punch time (with the offset of the device's
// zone from the registry, or of the source's zone when the device has
// none), the device's wall clock as sent, the status code (0 check-in,
// 1 check-out, 2 break-out, 3 break-in, 4 overtime-in, 5 overtime-out),
// the verify mode and the work code.
var Columns = []string{"serial", "pin", "time", "device_time", "state", "verify", "workcode"}

// Pager is what Rows reads (pushstore.Store).
type Pager interface {
	Since(ctx context.Context, after int64, limit int) ([]pushstore.Row, error)
}

// Rows streams the punches stored after an id as mapping rows, in id order;
// each row's Cursor is its id, which the import saves once the row's batch
// is committed, so a punch is read again only after a kill before that.
type Rows struct {
	ctx    context.Context
	p      Pager
	source string
	loc    *time.Location // for devices without a zone of their own
	after  int64
	limit  int // rows in all; 0 = every row stored
	read   int
	page   []pushstore.Row
	zones  map[string]*time.Location
	done   bool
}

// pageRows is how many stored punches one query fetches.
const pageRows = 2000

// NewRows reads p's punches with an id above after, for the source named
// source, at most limit of them (0: all).
func NewRows(ctx context.Context, p Pager, source string, loc *time.Location, after int64, limit int) *Rows {
	return &Rows{ctx: ctx, p: p, source: source, loc: loc, after: after, limit: limit, zones: map[string]*time.Location{}}
}

// Header is Columns.
func (r *Rows) Header() []string { return Columns }

// Next returns the next stored punch, io.EOF after the last.
func (r *Rows) Next() (mapping.Row, error) {
	if len(r.page) == 0 {
		if r.done || (r.limit > 0 && r.read >= r.limit) {
			return mapping.Row{}, io.EOF
		}
		n := pageRows
		if r.limit > 0 {
			n = min(n, r.limit-r.read)
		}
		page, err := r.p.Since(r.ctx, r.after, n)
		if err != nil {
			return mapping.Row{}, err
		}
		if len(page) < n {
			r.done = true // what committed later waits for the next run
		}
		if len(page) == 0 {
			return mapping.Row{}, io.EOF
		}
		r.page = page
	}
	p := r.page[0]
	r.page = r.page[1:]
	r.after, r.read = p.ID, r.read+1
	id := strconv.FormatInt(p.ID, 10)
	row := mapping.Row{
		Origin: mapping.Origin{Source: r.source, File: "push:" + p.Serial, Line: int(p.ID)},
		Header: Columns,
		Fields: []string{p.Serial, p.PIN, r.zoned(p), p.Time, strconv.Itoa(p.State), strconv.Itoa(p.Verify), p.WorkCode},
		Cursor: id,
	}
	return row, nil
}

// zoned is the punch's wall clock with the offset of its device's zone: a
// site in another zone than the source's is read right. A time the store
// holds is valid (the parser checked it); one that is not is passed on as
// sent, and the mapping rejects it with a reason.
func (r *Rows) zoned(p pushstore.Row) string {
	loc := r.loc
	if p.TimeZone != "" {
		l, ok := r.zones[p.TimeZone]
		if !ok {
			var err error
			if l, err = time.LoadLocation(p.TimeZone); err != nil {
				l = nil
			}
			r.zones[p.TimeZone] = l
		}
		if l != nil {
			loc = l
		}
	}
	t, err := time.ParseInLocation(timeLayout, p.Time, loc)
	if err != nil {
		return p.Time
	}
	return t.Format("2006-01-02 15:04:05Z07:00")
}

// Close does nothing; the store belongs to the caller.
func (r *Rows) Close() error { return nil }
