package mapcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/mapping"
)

// RunOptions says what to check.
type RunOptions struct {
	Config             *config.Config
	Sources            []string // empty = every source
	Sample             int      // rows per source, 0 = all
	MaxUnmappedPercent *float64
	// ReportPath, when set, receives a report for the customer: .xlsx
	// (Summary, Unmapped keys, Failures sheets), .csv or .jsonl.
	ReportPath string
	Log        *slog.Logger
	Now        func() time.Time
	Progress   func(importer.Progress)
	// Analysis overrides the analyzer's limits (tests); Config, Sample,
	// MaxUnmappedPercent and Failure are set from the fields above.
	Analysis Options
}

// Run is map-check: the import engine in dry-run, no-state mode, watched
// by an Analyzer. It writes nothing to the HR system or the run state.
func Run(ctx context.Context, o RunOptions) (*Document, error) {
	if err := checkOptions(o); err != nil {
		return nil, err
	}
	var rep *reportFile
	if o.ReportPath != "" {
		var err error
		if rep, err = createReport(o.ReportPath); err != nil {
			return nil, err
		}
		defer rep.abort()
		rep.zone = func(source string) *time.Location {
			if src := o.Config.Sources[source]; src != nil {
				return src.Location()
			}
			return nil
		}
	}
	opt := o.Analysis
	opt.Config, opt.Sample, opt.MaxUnmappedPercent = o.Config, o.Sample, o.MaxUnmappedPercent
	if rep != nil {
		opt.Failure = rep.failure
		if opt.CoverageList == 0 {
			// The terminal says "see --report" for the rest: the workbook
			// lists every active employee without punches (the directory
			// is in memory already).
			opt.CoverageList = math.MaxInt32
		}
	}
	an := New(opt)
	res, err := importer.Import(ctx, importer.Options{Config: o.Config, Sources: o.Sources, DryRun: true, NoState: true,
		Sample: o.Sample, Observer: &engineObserver{Analyzer: an, cfg: o.Config}, Log: o.Log, Now: o.Now, Progress: o.Progress})
	if err != nil {
		return nil, err
	}
	doc := an.Finish(res.Failures)
	doc.StoredNote = res.StoredNote
	if rep != nil {
		if err := rep.finish(doc); err != nil {
			return doc, err
		}
	}
	return doc, nil
}

// engineObserver adds the importer's directory hook to an Analyzer.
type engineObserver struct {
	*Analyzer
	cfg *config.Config
}

func (o *engineObserver) Directory(d *importer.Directory) {
	match, kt := o.cfg.HR.Employees.Match, o.cfg.HR.Employees.KeyTransform
	o.SetDirectory(&DirectoryView{Employees: d.All, Match: match, KeyTransform: kt, Lookup: d.Lookup,
		WithKeyTransform: func(t []mapping.Transform) (Lookup, error) {
			nd, err := importer.NewDirectory(d.All, match, t)
			if err != nil {
				return nil, err
			}
			return nd.Lookup, nil
		}})
}

var errNoConfig = errors.New("map-check needs a config")

func checkOptions(o RunOptions) error {
	if o.Config == nil {
		return errNoConfig
	}
	if o.Sample < 0 {
		return fmt.Errorf("--sample %d: want a row count of 0 (all) or more", o.Sample)
	}
	return nil
}
