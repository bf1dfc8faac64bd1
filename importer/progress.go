package importer

import (
	"os"
	"sync/atomic"

	"github.com/hrsync/hrsync/config"
)

// Progress is how far a run has got, for a progress bar.
type Progress struct {
	Rows int64 // input rows settled so far
	// Bytes of TotalBytes have been read from the run's files. TotalBytes
	// is 0 when the size is not known: a database source, or a sample.
	Bytes, TotalBytes int64
}

// bytesReader is a file reader that can say how far into its file it is
// (text files can; spreadsheets count when they are done).
type bytesReader interface{ BytesRead() int64 }

// meter counts the bytes read from a run's files. The reading goroutine
// moves it; the one that reports progress reads bytes.
type meter struct {
	total    int64
	sizes    map[string]int64
	finished int64 // bytes of the files read to the end; the reader's own
	bytes    atomic.Int64
}

// newMeter sizes the files the sources will read. The total is unknown (0)
// when a source is a database or only a sample is read.
func newMeter(cfg *config.Config, srcs []*config.Source, files []string, sample int) *meter {
	m := &meter{sizes: map[string]int64{}}
	if sample > 0 {
		return m
	}
	for _, src := range srcs {
		if src.IsDatabase() && !src.ReadsInbox() {
			m.total = 0
			return m
		}
		list := files
		if list == nil {
			var err error
			if list, err = sourceFiles(cfg, src); err != nil {
				continue // the read reports it
			}
		}
		for _, f := range list {
			if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
				m.sizes[f] = fi.Size()
				m.total += fi.Size()
			}
		}
	}
	return m
}

// reading notes how far into the file r reads (its size counted so far).
func (m *meter) reading(r any) {
	if m == nil {
		return
	}
	if br, ok := r.(bytesReader); ok {
		m.bytes.Store(m.finished + br.BytesRead())
	}
}

// done notes that path has been read to its end (or given up on).
func (m *meter) done(path string) {
	if m == nil {
		return
	}
	m.finished += m.sizes[path]
	m.bytes.Store(m.finished)
}

// progress is where the run is after rows rows.
func (m *meter) progress(rows int64) Progress {
	if m == nil {
		return Progress{Rows: rows}
	}
	return Progress{Rows: rows, Bytes: min(m.bytes.Load(), m.total), TotalBytes: m.total}
}
