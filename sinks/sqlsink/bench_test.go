package sqlsink

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// Benchmark sizes; HRSYNC_BENCH_ROWS overrides the row count.
const (
	benchEmployees = 5000
	benchBatch     = 10_000 // punches per WritePunches call (one transaction)
)

// benchDirectionInKey is hr.punches.direction_in_key for the tables the
// benchmarks create: HRSYNC_BENCH_DIRECTION_IN_KEY=false measures the key
// without the direction (nil: the default).
func benchDirectionInKey(b *testing.B) *bool {
	v := os.Getenv("HRSYNC_BENCH_DIRECTION_IN_KEY")
	if v == "" {
		return nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		b.Fatalf("HRSYNC_BENCH_DIRECTION_IN_KEY=%q: want true or false", v)
	}
	return &on
}

func benchRows(b *testing.B) int {
	if v := os.Getenv("HRSYNC_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("HRSYNC_BENCH_ROWS=%q: want a positive number", v)
		}
		return n
	}
	return 1_000_000
}

// benchPunches fills dst with punches from+0 .. from+len(dst)-1 of a
// synthetic day sorted by time: three punches a second, spread over
// benchEmployees employees and four devices, as a punch-machine export
// arrives.
func benchPunches(dst []mapping.Punch, from int, ids []string) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for k := range dst {
		i := from + k
		dst[k] = mapping.Punch{
			EmployeeID: ids[(i*7919)%len(ids)],
			SourceKey:  ids[(i*7919)%len(ids)],
			Time:       start.Add(time.Duration(i/3) * time.Second),
			Direction:  mapping.Directions[i%2],
			DeviceID:   []string{"gate-1", "gate-2", "canteen", "dock"}[i%4],
			Source:     "bench",
			Origin:     mapping.Origin{Source: "bench", File: "bench.dat", Line: i + 1},
		}
	}
}

func benchIDs() []string {
	ids := make([]string, benchEmployees)
	for i := range ids {
		ids[i] = fmt.Sprintf("E%05d", i)
	}
	return ids
}

// importAll writes rows punches in benchBatch calls and returns how many
// were inserted.
func importAll(b *testing.B, s *Sink, rows int, ids []string) int {
	return importInBatches(b, s, rows, benchBatch, ids)
}

// importInBatches writes rows punches in calls of size and returns how
// many were inserted.
func importInBatches(b *testing.B, s *Sink, rows, size int, ids []string) int {
	ctx := context.Background()
	batch := make([]mapping.Punch, size)
	inserted := 0
	for from := 0; from < rows; from += size {
		n := min(size, rows-from)
		benchPunches(batch[:n], from, ids)
		got, err := write(ctx, s, batch[:n])
		if err != nil {
			b.Fatal(err)
		}
		for _, ok := range got {
			if ok {
				inserted++
			}
		}
	}
	return inserted
}

// BenchmarkWritePunches imports a day of punches into a new SQLite
// database in 10,000-row calls, then again (every row a duplicate), and,
// when the sqlite3 CLI is installed, times its .import of the same rows
// into the same schema for comparison. It runs with and without the
// (employee_id, punch_time) index. cpu-s/op counts this process's (or the
// CLI's) CPU time, which other jobs on a shared machine disturb less than
// wall time.
//
//	go test ./sinks/sqlsink/ -run '^$' -bench WritePunches -benchtime 1x
func BenchmarkWritePunches(b *testing.B) {
	rows := benchRows(b)
	ids := benchIDs()
	for _, employeeIndex := range []bool{true, false} {
		open := func(b *testing.B, path string) *Sink {
			s, err := Open(context.Background(), Config{URL: "sqlite://" + path, Punches: PunchesTable{EmployeeIndex: &employeeIndex, DirectionInKey: benchDirectionInKey(b)}})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}
		prefix := fmt.Sprintf("employee-index=%v/", employeeIndex)

		b.Run(prefix+"sqlsink-new", func(b *testing.B) {
			cpu := startCPU()
			for b.Loop() {
				b.StopTimer()
				s := open(b, filepath.Join(b.TempDir(), "hr.db"))
				b.StartTimer()
				if got := importAll(b, s, rows, ids); got != rows {
					b.Fatalf("inserted %d of %d", got, rows)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu()/float64(b.N), "cpu-s/op")
		})

		b.Run(prefix+"sqlsink-duplicates", func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "hr.db"))
			defer s.Close()
			importAll(b, s, rows, ids)
			b.ResetTimer()
			cpu := startCPU()
			for b.Loop() {
				if got := importAll(b, s, rows, ids); got != 0 {
					b.Fatalf("re-import inserted %d rows, want 0", got)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu()/float64(b.N), "cpu-s/op")
		})

		b.Run(prefix+"sqlite3-cli-import", func(b *testing.B) {
			cli, err := exec.LookPath("sqlite3")
			if err != nil {
				b.Skip("sqlite3 CLI not installed (apt-get install -y sqlite3): no baseline")
			}
			csvPath := filepath.Join(b.TempDir(), "punches.csv")
			writeBenchCSV(b, csvPath, rows, ids)
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				db := filepath.Join(b.TempDir(), "cli.db")
				s := open(b, db) // creates the same schema
				s.Close()
				b.StartTimer()
				cmd := exec.Command(cli, db, ".mode csv", ".import "+csvPath+" attendance_punches")
				if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
					b.Fatalf("sqlite3 .import: %v: %s", err, out)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkWritePunchesServer imports punches into new MariaDB and
// PostgreSQL tables (skipped when not reachable) in calls of the
// importer's 5,000 rows, 20,000 and 50,000, by the bulk path and by INSERT,
// then again (every row a duplicate). Wall time includes the server's
// work; cpu-s is this process's only.
// HRSYNC_BENCH_HR_ZONE (an IANA name) writes the naive columns in that
// zone, as hr.timezone does; default UTC.
//
//	go test ./sinks/sqlsink/ -run '^$' -bench WritePunchesServer -benchtime 1x
func BenchmarkWritePunchesServer(b *testing.B) {
	rows := benchRows(b)
	ids := benchIDs()
	for _, be := range []struct{ name, url string }{
		{"mariadb", envOr("HRSYNC_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")},
		{"postgres", envOr("HRSYNC_TEST_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test?sslmode=disable")},
	} {
		for _, path := range []string{"bulk", "insert"} {
			for _, size := range []int{5000, 20_000, 50_000} {
				b.Run(fmt.Sprintf("%s/%s/batch=%d", be.name, path, size), func(b *testing.B) {
					yes := true
					cfg := Config{URL: be.url, Create: &yes, Punches: PunchesTable{Table: uniqueName("bench_punch"), DirectionInKey: benchDirectionInKey(b)}}
					if z := os.Getenv("HRSYNC_BENCH_HR_ZONE"); z != "" {
						loc, err := time.LoadLocation(z)
						if err != nil {
							b.Fatalf("HRSYNC_BENCH_HR_ZONE: %v", err)
						}
						cfg.Zone = loc
					}
					s, err := Open(context.Background(), cfg)
					if err != nil {
						b.Skipf("%s not reachable: %v", sqldb.Redact(be.url), err)
					}
					defer dropTables(be.url, cfg.Punches.Table)
					defer s.Close()
					if path == "insert" {
						s.bulk = nil
					}
					cpu := startCPU()
					start := time.Now()
					if got := importInBatches(b, s, rows, size, ids); got != rows {
						b.Fatalf("inserted %d of %d", got, rows)
					}
					b.ReportMetric(time.Since(start).Seconds(), "new-s")
					start = time.Now()
					if got := importInBatches(b, s, rows, size, ids); got != 0 {
						b.Fatalf("re-import inserted %d rows, want 0", got)
					}
					b.ReportMetric(time.Since(start).Seconds(), "dup-s")
					b.ReportMetric(cpu(), "cpu-s")
				})
			}
		}
	}
}

// startCPU returns a function giving the CPU seconds (user and system)
// this process used since: a figure the other jobs on a shared machine
// disturb less than wall time.
func startCPU() func() float64 {
	before := cpuSeconds()
	return func() float64 { return cpuSeconds() - before }
}

// writeBenchCSV writes the benchmark's punches as the table's rows, id
// first, so that .import fills the same schema the sink writes.
func writeBenchCSV(b *testing.B, path string, rows int, ids []string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	batch := make([]mapping.Punch, benchBatch)
	at := time.Now().UTC().Format(sqldb.TimeLayout)
	for from := 0; from < rows; from += benchBatch {
		n := min(benchBatch, rows-from)
		benchPunches(batch[:n], from, ids)
		for k, p := range batch[:n] {
			fmt.Fprintln(w, strings.Join([]string{
				strconv.Itoa(from + k + 1), p.EmployeeID, p.Time.Format(sqldb.TimeLayout), string(p.Direction),
				p.DeviceID, p.Source, p.SourceKey, at,
			}, ","))
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
