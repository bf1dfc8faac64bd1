package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources"
	"github.com/hrsync/hrsync/sources/iclock"
)

// readPush streams what `hrsync serve` stored after the source's watermark
// (the id of the last punch whose batch committed in the HR system). The
// watermark is saved after the commit, as a database source's is: a kill in
// between reads the batch again and the sink calls it duplicate.
func readPush(ctx context.Context, cfg *config.Config, src *config.Source, m *rowMapper, marks watermarks, limit int, emit func(item) error) ([]string, error) {
	where := cfg.PushStorePath()
	fail := func(err error) ([]string, error) {
		it := item{line: report.Line{Source: src.Name, File: where, Outcome: mapping.Failed, Reason: err.Error()}}
		return []string{err.Error()}, emit(it)
	}
	after, err := pushWatermark(ctx, marks, src.Name)
	if err != nil {
		return fail(err)
	}
	st, err := pushstore.Open(ctx, where)
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	r := iclock.NewRows(ctx, st, src.Name, src.Location(), after, limit)
	m.log.Debug("push read started", "source", src.Name, "store", where, "after", after)
	before := m.rows
	err = readFile(ctx, r, sources.Detection{File: where, Format: "iclock push", Columns: r.Header()}, m, emit)
	m.log.Debug("push read finished", "source", src.Name, "rows", m.rows-before)
	if err != nil {
		var emitErr *emitError
		if !errors.As(err, &emitErr) && ctx.Err() == nil {
			return fail(err)
		}
	}
	return nil, err
}

// pushWatermark is the id after which a push source reads (0: from the first).
func pushWatermark(ctx context.Context, marks watermarks, source string) (int64, error) {
	if marks == nil {
		return 0, nil
	}
	w, err := marks.Watermark(ctx, source)
	if err != nil || w == "" {
		return 0, err
	}
	id, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the watermark of push source %s is %q, not an id", source, w)
	}
	return id, nil
}

// PushBacklog is how many received punches the push source has not yet
// imported; serve asks before each batch, so an idle endpoint records no
// empty runs.
func PushBacklog(ctx context.Context, sess *Session, store *pushstore.Store, source string) (int, error) {
	after, err := pushWatermark(ctx, sess.State, source)
	if err != nil {
		return 0, err
	}
	rows, err := store.Since(ctx, after, 1)
	return len(rows), err
}

// connectPush is config check --connect's look at the push store: there or
// not yet, and what it holds. A store not there yet is not created.
func connectPush(ctx context.Context, cfg *config.Config, what string) Check {
	where := cfg.PushStorePath()
	if _, err := os.Stat(where); errors.Is(err, fs.ErrNotExist) {
		return Checked(what, "no push store at "+where+" yet: hrsync serve creates it", nil)
	}
	st, err := pushstore.Open(ctx, where)
	if err != nil {
		return Checked(what, "", err)
	}
	defer st.Close()
	devs, err := st.Devices(ctx, false)
	if err != nil {
		return Checked(what, "", err)
	}
	approved := 0
	for _, d := range devs {
		if d.Allowed {
			approved++
		}
	}
	return Checked(what, fmt.Sprintf("the push store %s answers; %d devices approved, %d pending", where, approved, len(devs)-approved), nil)
}
