package importer

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/hrsync/hrsync/importer/report"
)

// storeReport copies the run's report file into the state database when
// report.store is state: a worker whose data folder is gone after the run
// (a container's emptyDir) keeps its reports where its history is. The
// file is streamed, compressed, in chunks; it stays where it was, and the
// retention that prunes the run prunes both.
func (r *Run) storeReport(ctx context.Context, counts report.Counts) {
	if r.Config.Report.Store != report.StoreState || r.ID == 0 || r.ReportPath == "" {
		return
	}
	f, err := os.Open(r.ReportPath)
	if errors.Is(err, fs.ErrNotExist) {
		return // a run that failed before writing it
	}
	if err != nil {
		r.Log.Error("could not store the report in the state", "err", err)
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return // --report /dev/null: nothing to keep
	}
	format, _ := report.FormatFor(r.ReportPath, r.reportFormat)
	rep, err := r.State.SaveReport(ctx, r.ID, format, counts.Total(), f)
	if err != nil {
		r.Log.Error("could not store the report in the state", "err", err)
		return
	}
	r.Log.Info("report stored in the state", "bytes", rep.Bytes, "compressed", rep.Compressed)
}
