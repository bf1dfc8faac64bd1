package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sources"
)

func TestMayShare(t *testing.T) {
	at := func(sec int) time.Time { return time.Date(2025, 12, 1, 8, 0, sec, 0, time.UTC) }
	p := func(emp string, sec int) mapping.Punch { return mapping.Punch{EmployeeID: emp, Time: at(sec)} }
	cases := []struct {
		name string
		a, b []mapping.Punch
		want bool
	}{
		{"apart", []mapping.Punch{p("E1", 0), p("E2", 5)}, []mapping.Punch{p("E1", 6), p("E1", 9)}, false},
		{"meet in a second, other people", []mapping.Punch{p("E1", 0), p("E2", 5)}, []mapping.Punch{p("E3", 5), p("E1", 9)}, false},
		{"meet in a second, same punch", []mapping.Punch{p("E1", 0), p("E2", 5)}, []mapping.Punch{p("E2", 5), p("E1", 9)}, true},
		{"overlap", []mapping.Punch{p("E1", 0), p("E2", 5)}, []mapping.Punch{p("E3", 4), p("E1", 9)}, true},
		{"inside, out of order", []mapping.Punch{p("E1", 9), p("E2", 0)}, []mapping.Punch{p("E3", 4), p("E3", 3)}, true},
		{"inside one second that has no punch of the other", []mapping.Punch{p("E1", 9), p("E2", 0)}, []mapping.Punch{p("E2", 3)}, false},
		{"nothing to write", []mapping.Punch{p("E1", 0)}, nil, false},
	}
	for _, c := range cases {
		got := mayShare(spanOf(c.a), spanOf(c.b), c.a, c.b)
		if back := mayShare(spanOf(c.b), spanOf(c.a), c.b, c.a); got != back {
			t.Errorf("%s: not symmetric", c.name)
		}
		if got != c.want {
			t.Errorf("%s: mayShare = %v, want %v", c.name, got, c.want)
		}
	}
}

// gateWriter is a fake sink whose first write waits for a second write to
// start (up to wait), and which records which writes ran at once.
type gateWriter struct {
	mu       sync.Mutex
	running  map[int]bool // first lines of the batches being written
	overlaps [][2]int     // first lines of two writes at once, lower first (either may start first)
	first    sync.Once
	second   chan struct{}
	wait     time.Duration
}

func (g *gateWriter) WritePunches(ctx context.Context, batch []mapping.Punch, out []sinks.Outcome) error {
	line := batch[0].Origin.Line
	g.mu.Lock()
	if g.running == nil {
		g.running = map[int]bool{}
	}
	for other := range g.running {
		g.overlaps = append(g.overlaps, [2]int{min(other, line), max(other, line)})
		select {
		case g.second <- struct{}{}:
		default:
		}
	}
	g.running[line] = true
	g.mu.Unlock()
	g.first.Do(func() {
		select {
		case <-g.second:
		case <-time.After(g.wait):
		}
	})
	g.mu.Lock()
	delete(g.running, line)
	g.mu.Unlock()
	allNew(out)
	return nil
}

// punchLines writes n punches of employee 1001, one a second from 08:00;
// repeat, when > 0, makes data line repeat+1 a copy of line repeat.
func punchLines(n, repeat int) []byte {
	var b strings.Builder
	b.WriteString("Pin,Time\n")
	t0 := time.Date(2025, 12, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		sec := i
		if repeat > 0 && i == repeat {
			sec = i - 1
		}
		fmt.Fprintf(&b, "1001,%s\n", t0.Add(time.Duration(sec)*time.Second).Format("2006-01-02 15:04:05"))
	}
	return []byte(b.String())
}

// TestTwoBatchesWriteAtOnce: with two writers, the next batch is written
// while the one before it still is, and the report keeps input order.
func TestTwoBatchesWriteAtOnce(t *testing.T) {
	cfg := setup(t, punchLines(2*batchRows+10, 0), "")
	g := &gateWriter{second: make(chan struct{}, 1), wait: 20 * time.Second}
	rep := filepath.Join(t.TempDir(), "r.jsonl")
	res, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep, writers: []sinks.PunchSink{g, g}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(g.overlaps, [2]int{2, batchRows + 2}) {
		t.Fatalf("the second batch was not written while the first was (writes at once: %v)", g.overlaps)
	}
	if res.Counts[mapping.Imported] != 2*batchRows+10 {
		t.Fatalf("counts %v", res.Counts)
	}
	for i, l := range readLines(t, rep) {
		if l.Line != i+2 {
			t.Fatalf("report line %d is input line %d: out of order", i+1, l.Line)
		}
	}
}

// TestBatchesThatMayShareAPunchWriteInTurn: when the last punch of one
// batch repeats as the first of the next, the two are not written at once,
// so the first is the one stored whatever the timing.
func TestBatchesThatMayShareAPunchWriteInTurn(t *testing.T) {
	cfg := setup(t, punchLines(2*batchRows+10, batchRows), "")
	g := &gateWriter{second: make(chan struct{}, 1), wait: 300 * time.Millisecond}
	if _, err := Import(context.Background(), Options{Config: cfg, ReportPath: filepath.Join(t.TempDir(), "r.csv"), writers: []sinks.PunchSink{g, g}}); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(g.overlaps, [2]int{2, batchRows + 2}) {
		t.Fatal("the two batches that share a punch were written at once")
	}
}

// hrServers are the server databases an import writes to with two writers.
var hrServers = []struct{ name, url string }{
	{"mariadb", "mysql://root@127.0.0.1:3306/test"},
	{"postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
}

// serverHR gives a fresh punch table in the named server for cfg's hr:
// section and a function that counts its rows; it skips when the server
// is not reachable.
func serverHR(t *testing.T, url string) (hr string, count func() int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sqldb.Open(ctx, url, sqldb.Credentials{})
	if err != nil {
		t.Skipf("%s not reachable: %v", url, err)
	}
	table := fmt.Sprintf("twin_%d", time.Now().UnixNano()%1e12)
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table)
		db.Close()
	})
	count = func() int {
		var n int
		if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return fmt.Sprintf("url: %q\n  create_tables: true\n  punches: { table: %s }", url, table), count
}

// TestServerHRCrashWithTwoWriters: an import into MariaDB or PostgreSQL
// (two writers) that dies after the second batch's commit leaves the
// watermark at the first batch; the third batch may be stored already.
// The re-run stores the rest: every punch once.
func TestServerHRCrashWithTwoWriters(t *testing.T) {
	src := dbSource{"sqlite", "sqlite://" + filepath.Join(t.TempDir(), "clock.db"), "TEXT"}
	for _, hr := range hrServers {
		t.Run(hr.name, func(t *testing.T) {
			hrSection, count := serverHR(t, hr.url)
			clock := newClockTable(t, openSource(t, src), src.timeType)
			const rows = 3*batchRows + 700
			clock.addMany(rows, clock.start)
			cfg := dbConfigInto(t, src, clock.name, "{ column: id, kind: id }", hrSection)

			crash := errors.New("crash after commit")
			calls := 0
			_, err := Import(context.Background(), Options{Config: cfg, ReportPath: filepath.Join(t.TempDir(), "r.csv"),
				afterCommit: func() error {
					if calls++; calls == 2 {
						return crash
					}
					return nil
				}})
			if !errors.Is(err, crash) {
				t.Fatalf("import: %v", err)
			}
			if wm := storedWatermark(t, cfg); wm != fmt.Sprint(batchRows) {
				t.Fatalf("watermark after the crash %q, want %d", wm, batchRows)
			}
			stored := count()
			if stored != 2*batchRows && stored != 3*batchRows {
				t.Fatalf("HR has %d punches after the crash, want %d or %d", stored, 2*batchRows, 3*batchRows)
			}
			again := runImport(t, cfg, Options{})
			if got, want := again.Counts[mapping.Duplicate], int64(stored-batchRows); got != want {
				t.Errorf("re-run duplicates %d, want %d", got, want)
			}
			if got, want := again.Counts[mapping.Imported], int64(rows-stored); got != want {
				t.Errorf("re-run imported %d, want %d", got, want)
			}
			if n := count(); n != rows {
				t.Errorf("HR has %d punches, want %d", n, rows)
			}
			if wm := storedWatermark(t, cfg); wm != fmt.Sprint(rows) {
				t.Errorf("final watermark %q", wm)
			}
		})
	}
}

// TestServerHRRepeatAcrossBatches: a punch repeated across a batch
// boundary is stored once, and the report names the earlier line as
// imported and the later as the duplicate.
func TestServerHRRepeatAcrossBatches(t *testing.T) {
	for _, hr := range hrServers {
		t.Run(hr.name, func(t *testing.T) {
			hrSection, count := serverHR(t, hr.url)
			cfg := setup(t, punchLines(2*batchRows+10, batchRows), "")
			cfg = withHR(t, cfg, hrSection)
			rep := filepath.Join(t.TempDir(), "r.jsonl")
			res, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts[mapping.Imported] != 2*batchRows+9 || res.Counts[mapping.Duplicate] != 1 || count() != 2*batchRows+9 {
				t.Fatalf("counts %v, %d stored", res.Counts, count())
			}
			lines := readLines(t, rep)
			if first, repeat := lines[batchRows-1], lines[batchRows]; first.Outcome != mapping.Imported || repeat.Outcome != mapping.Duplicate {
				t.Fatalf("line %d %s, line %d %s: want the first imported and the repeat a duplicate",
					first.Line, first.Outcome, repeat.Line, repeat.Outcome)
			}
		})
	}
}

// withHR gives cfg the hr: section hr instead of the embedded database.
func withHR(t *testing.T, cfg *config.Config, hr string) *config.Config {
	return rewriteConfig(t, cfg, "url: sqlite://hr.db", hr)
}

// failingWriter fails the batch that starts at line failAt and stores the
// others.
type failingWriter struct {
	failAt int
	mu     sync.Mutex
	lines  []int // first line of each batch written
}

func (w *failingWriter) WritePunches(ctx context.Context, batch []mapping.Punch, out []sinks.Outcome) error {
	if batch[0].Origin.Line == w.failAt {
		return errors.New("connection lost for good")
	}
	w.mu.Lock()
	w.lines = append(w.lines, batch[0].Origin.Line)
	w.mu.Unlock()
	allNew(out)
	return nil
}

// TestWriteErrorWithTwoWriters: when one of two writers fails, the run
// ends with its error once the other write in flight is done, and the
// report holds only the batches before the failed one.
func TestWriteErrorWithTwoWriters(t *testing.T) {
	cfg := setup(t, punchLines(4*batchRows, 0), "")
	w := &failingWriter{failAt: batchRows + 2} // the second batch
	rep := filepath.Join(t.TempDir(), "r.jsonl")
	_, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep, writers: []sinks.PunchSink{w, w}})
	if err == nil || !strings.Contains(err.Error(), "connection lost for good") {
		t.Fatalf("import: %v, want the writer's error", err)
	}
	lines := readLines(t, rep)
	if len(lines) != batchRows || lines[len(lines)-1].Line != batchRows+1 {
		t.Fatalf("report has %d lines, want the first batch's %d", len(lines), batchRows)
	}
	if len(w.lines) > 2 {
		t.Fatalf("batches from lines %v written: more than the one in flight after the failure", w.lines)
	}
}

// allNew says every punch was stored by this write.
func allNew(out []sinks.Outcome) {
	for i := range out {
		out[i] = sinks.Outcome{Code: mapping.Imported}
	}
}

func (g *gateWriter) Close() error    { return nil }
func (w *failingWriter) Close() error { return nil }

// panicWriter panics on its second batch, as a bug in a sink would.
type panicWriter struct{ n atomic.Int32 }

func (w *panicWriter) WritePunches(ctx context.Context, batch []mapping.Punch, out []sinks.Outcome) error {
	if w.n.Add(1) == 2 {
		var m map[string]int
		m["x"]++ // a nil map: the kind of bug a hostile input finds
	}
	allNew(out)
	return nil
}

func (w *panicWriter) Close() error { return nil }

// panicObserver panics on the row at line at.
type panicObserver struct{ at int }

func (o panicObserver) File(sources.Detection, *mapping.Binding, error) {}
func (o panicObserver) Row(row *mapping.Row, _ *mapping.Punch, _ *report.Line) {
	if row.Origin.Line == o.at {
		panic("observer bug")
	}
}

// TestPanicInAStageIsARunError: a panic in the write or the report stage
// (their own goroutines) ends the run with an error naming the stage, not
// the process with the runtime's exit 2; what was committed before stays.
func TestPanicInAStageIsARunError(t *testing.T) {
	cfg := setup(t, punchLines(3*batchRows, 0), "")
	_, err := Import(context.Background(), Options{Config: cfg, writers: []sinks.PunchSink{&panicWriter{}}})
	if err == nil || !strings.Contains(err.Error(), "writing a batch failed (an internal error") {
		t.Fatalf("import with a panicking writer: %v", err)
	}
	_, err = Import(context.Background(), Options{Config: cfg, DryRun: true, NoState: true, Observer: panicObserver{at: batchRows + 5}})
	if err == nil || !strings.Contains(err.Error(), "writing the report failed (an internal error, please report it): observer bug") {
		t.Fatalf("import with a panicking observer: %v", err)
	}
}
