package importer

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/state"
)

// A run that reads no rows leaves no report in report.dir and records
// none; one given --report still writes its file.
func TestEmptyRunWritesNoReport(t *testing.T) {
	ctx := context.Background()
	cfg := setup(t, nil, "")
	// an inbox with nothing in it: a file with a header only is a failed file
	src := cfg.Sources["gate"]
	src.Path, src.Pull = "", &config.Pull{URL: "remote"}
	res, err := Import(ctx, Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Total() != 0 || res.ReportPath != "" {
		t.Fatalf("counts %v, report %q: want no rows and no report", res.Counts, res.ReportPath)
	}
	if ents, _ := os.ReadDir(cfg.Report.Dir); len(ents) != 0 {
		t.Fatalf("report.dir holds %v after a run that read nothing", ents)
	}
	sess, err := OpenState(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if r, err := sess.State.GetRun(ctx, res.RunID); err != nil || r.ReportPath != "" {
		t.Fatalf("run history names report %q (%v)", r.ReportPath, err)
	}

	asked := filepath.Join(t.TempDir(), "asked.csv")
	if res, err = Import(ctx, Options{Config: cfg, ReportPath: asked}); err != nil || res.ReportPath != asked {
		t.Fatalf("report %q, %v", res.ReportPath, err)
	}
	if b, err := os.ReadFile(asked); err != nil || len(b) == 0 {
		t.Fatalf("the report asked for is missing or empty: %v", err)
	}
}

// Pruning the runs past retention.runs deletes their report files, but
// only inside report.dir, and not one a kept run names too.
func TestPruneRemovesReportsOfDroppedRuns(t *testing.T) {
	ctx := context.Background()
	cfg := setup(t, nil, "")
	now := time.Date(2026, 6, 1, 6, 30, 0, 0, time.UTC)
	old, recent := now.AddDate(0, 0, -200), now.AddDate(0, 0, -10)
	if err := os.MkdirAll(cfg.Report.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	file := func(dir, name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("\uFEFFsource\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldReport := file(cfg.Report.Dir, "import-old.csv")
	shared := file(cfg.Report.Dir, "shared.csv")
	recentReport := file(cfg.Report.Dir, "import-recent.csv")
	outside := file(elsewhere, "kept-by-operator.csv")
	unrelated := file(cfg.Report.Dir, "someone-elses.csv") // no run names it
	runs := []state.Run{
		{Command: "import", StartedAt: old, ReportPath: oldReport},
		{Command: "import", StartedAt: old, ReportPath: shared},
		{Command: "import", StartedAt: old, ReportPath: outside},
		{Command: "import", StartedAt: old, ReportPath: filepath.Join(cfg.Report.Dir, "..", "..", "hrsync.yaml")},
		{Command: "import", StartedAt: old, ReportPath: "relative.csv"},
		{Command: "import", StartedAt: recent, ReportPath: shared},
		{Command: "import", StartedAt: recent, ReportPath: recentReport},
	}
	sess, err := OpenState(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for _, r := range runs {
		if _, err := sess.State.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sess.Prune(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(oldReport); !os.IsNotExist(err) {
		t.Errorf("the report of a pruned run is still there (%v)", err)
	}
	for _, p := range []string{shared, recentReport, outside, unrelated, cfg.Path} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if kept, _ := sess.State.Runs(ctx, 100); len(kept) != 2 {
		t.Errorf("%d runs kept, want 2", len(kept))
	}
}
