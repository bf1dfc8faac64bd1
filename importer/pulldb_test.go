package importer

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/fetch"
)

// TestDatabasePullWritesNewRowsToTheInbox: a database source with inbox:
// is pulled into CSV files of its new rows, which import then reads.
func TestDatabasePullWritesNewRowsToTheInbox(t *testing.T) {
	for _, src := range dbSources(t) {
		t.Run(src.name, func(t *testing.T) {
			db := openSource(t, src)
			clock := newClockTable(t, db, src.timeType)
			clock.addMany(10, clock.start)
			cfg := withInbox(t, dbConfig(t, src, clock.name, "{ column: punched_at }"))
			now := time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC)
			pull := func() PullLine {
				t.Helper()
				res, err := Pull(context.Background(), PullOptions{Config: cfg, Now: func() time.Time { now = now.Add(time.Minute); return now }})
				if err != nil || len(res.Lines) != 1 {
					t.Fatalf("pull: %+v %v", res.Lines, err)
				}
				return res.Lines[0]
			}

			first := pull()
			if first.Outcome != fetch.Pulled || first.Reason != "10 new rows" || !strings.Contains(first.LocalPath, "inbox/clock/clock_20250302-08") {
				t.Fatalf("first pull: %+v", first)
			}
			b, err := os.ReadFile(first.LocalPath)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 11 || !strings.Contains(strings.ToLower(lines[0]), "badge") || !strings.Contains(lines[1], "1001") {
				t.Fatalf("CSV:\n%s", b)
			}
			if again := pull(); again.Outcome != fetch.SkippedAlreadyPulled || !strings.HasPrefix(again.Reason, "no new rows") {
				t.Fatalf("second pull: %+v", again)
			}
			clock.addMany(5, clock.start.Add(time.Hour))
			if third := pull(); third.Outcome != fetch.Pulled || third.Reason != "5 new rows" {
				t.Fatalf("third pull: %+v", third)
			}

			res := runImport(t, cfg, Options{})
			if res.Counts[mapping.Imported] != 15 || res.Counts.Total() != 15 || len(res.Inbox) != 2 || hrCount(t, cfg) != 15 {
				t.Fatalf("import: %v, moves %+v", res.Counts, res.Inbox)
			}
			if files, _ := sourceFiles(cfg, cfg.Sources["clock"]); len(files) != 0 {
				t.Fatalf("inbox still holds %v", files)
			}
		})
	}
}

// withInbox gives the config's clock source an inbox and reloads it.
func withInbox(t *testing.T, cfg *config.Config) *config.Config {
	return rewriteConfig(t, cfg, "    mapping:", "    inbox: inbox/clock\n    mapping:")
}

// rewriteConfig replaces the first old in cfg's file with new and loads
// the file again.
func rewriteConfig(t *testing.T, cfg *config.Config, old, new string) *config.Config {
	t.Helper()
	b, err := os.ReadFile(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), old, new, 1)
	if err := os.WriteFile(cfg.Path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPullLinesRedactDatabaseURLs: a database source's URL in the pull
// report hides a password in its query string too, as config check does.
func TestPullLinesRedactDatabaseURLs(t *testing.T) {
	src := dbSource{name: "postgres", url: "postgres://att@127.0.0.1:1/att?sslmode=disable&password=hunter2"}
	cfg := withInbox(t, dbConfig(t, src, "clock", "{ column: punched_at }"))
	res, err := Pull(context.Background(), PullOptions{Config: cfg})
	if err != nil || len(res.Lines) != 1 {
		t.Fatalf("pull: %+v %v", res.Lines, err)
	}
	if l := res.Lines[0]; l.Outcome != fetch.Failed || strings.Contains(l.Remote+l.Reason, "hunter2") {
		t.Fatalf("pull line %+v: want a failed line without the password", l)
	}
}

// TestDatabasePullLostInbox: a pulled file lost from the inbox before its
// import (a data folder that did not outlive the run) is pulled again from
// where it started, and nothing else is.
func TestDatabasePullLostInbox(t *testing.T) {
	src := dbSources(t)[0]
	db := openSource(t, src)
	clock := newClockTable(t, db, src.timeType)
	clock.addMany(10, clock.start)
	cfg := withInbox(t, dbConfig(t, src, clock.name, "{ column: punched_at }"))
	now := time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC)
	pull := func() PullLine {
		t.Helper()
		res, err := Pull(context.Background(), PullOptions{Config: cfg, Now: func() time.Time { now = now.Add(time.Minute); return now }})
		if err != nil || len(res.Lines) != 1 {
			t.Fatalf("pull: %+v %v", res.Lines, err)
		}
		return res.Lines[0]
	}
	pull()
	clock.addMany(5, clock.start.Add(time.Hour))
	second := pull()
	if err := os.Remove(second.LocalPath); err != nil {
		t.Fatal(err)
	}
	if again := pull(); again.Outcome != fetch.Pulled || !strings.HasPrefix(again.Reason, "5 new rows; pulled again from ") {
		t.Fatalf("after the loss: %+v", again)
	}
	if again := pull(); again.Outcome != fetch.SkippedAlreadyPulled {
		t.Fatalf("then: %+v", again)
	}
	res := runImport(t, cfg, Options{})
	if res.Counts[mapping.Imported] != 15 || res.Counts.Total() != 15 || hrCount(t, cfg) != 15 {
		t.Fatalf("import: %v", res.Counts)
	}
}
