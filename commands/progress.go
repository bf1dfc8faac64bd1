package commands

import (
	"fmt"

	"github.com/schollz/progressbar/v3"

	"github.com/hrsync/hrsync/importer"
)

// progress is a run's progress bar on stderr. It is shown only when stderr
// is a terminal and not under -q: a log file or a scheduler gets no bar.
// With the files' size known it shows bytes read of the total and a
// percentage; otherwise a count of rows.
type progress struct {
	app  *App
	verb string // "importing", "checking", "reading"
	bar  *progressbar.ProgressBar
}

// newProgress returns the bar for a run, or nil when none is shown; a nil
// progress ignores every call.
func newProgress(app *App, verb string) *progress {
	// --verbose prints progress lines instead, which a bar would draw over.
	if app.Quiet || app.Verbose || app.IsTerminal == nil || !app.IsTerminal() {
		return nil
	}
	return &progress{app: app, verb: verb}
}

// update moves the bar; the first call decides its kind, because only the
// run knows whether the size is known.
func (p *progress) update(pr importer.Progress) {
	if p == nil {
		return
	}
	if p.bar == nil {
		if pr.TotalBytes > 0 {
			p.bar = progressbar.NewOptions64(pr.TotalBytes, progressbar.OptionSetWriter(p.app.Err),
				progressbar.OptionSetDescription(p.verb), progressbar.OptionShowBytes(true),
				progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		} else {
			p.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(p.app.Err), progressbar.OptionSetDescription(p.verb),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
				progressbar.OptionClearOnFinish())
		}
	}
	if pr.TotalBytes > 0 {
		p.bar.Describe(fmt.Sprintf("%s %d rows", p.verb, pr.Rows))
		_ = p.bar.Set64(pr.Bytes)
		return
	}
	_ = p.bar.Set64(pr.Rows)
}

// callback is update as the engine takes it: nil when no bar is shown,
// so the engine does not even measure.
func (p *progress) callback() func(importer.Progress) {
	if p == nil {
		return nil
	}
	return p.update
}

// finish clears the bar before the summary is printed.
func (p *progress) finish() {
	if p != nil && p.bar != nil {
		_ = p.bar.Finish()
	}
}
