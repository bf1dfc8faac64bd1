// Command statebench measures the state in PostgreSQL ("state: url:")
// against the embedded SQLite file:
//
//   - many customer configs, each with its own table prefix in one
//     PostgreSQL schema and a small daily import into its own SQLite HR
//     file, run by concurrent workers in one process: runs per minute for
//     the first run (which migrates each customer's state) and a daily one;
//
//   - the run lock's cost per run: the database lock (acquire, holder row,
//     release) against the file lock, medians;
//
//   - the state database's size after days of simulated history (an import
//     and a pull a day, one delivered 200-punch outbox event a day) with
//     the default retention (runs 180 days, events 30);
//
//   - one large import with the state in PostgreSQL against the embedded
//     state, alternating, medians and their ratio.
//
//     go run ./internal/bench/statebench -configs 1000 -workers 8
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/runlock"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

func main() {
	configs := flag.Int("configs", 1000, "customer configs")
	workers := flag.Int("workers", 8, "concurrent workers")
	punches := flag.Int("punches", 200, "punches in each customer's daily import")
	days := flag.Int("days", 90, "days of simulated history for the size")
	histN := flag.Int("history", 40, "customers whose history is simulated for the size (0: all); the size is given per customer and for all")
	big := flag.Int("big", 1000000, "rows of the large import (0: skip)")
	reps := flag.Int("reps", 3, "repetitions of the large import and lock measures")
	pg := flag.String("pg", "postgres://root@127.0.0.1:5432/test?sslmode=disable", "the PostgreSQL server")
	flag.Parse()
	if err := run(*configs, *workers, *punches, *days, *histN, *big, *reps, *pg); err != nil {
		fmt.Fprintln(os.Stderr, "statebench:", err)
		os.Exit(1)
	}
}

type bench struct {
	pg, schema, dir string
	db              *sqldb.DB
}

func run(configs, workers, punches, days, histN, big, reps int, pg string) error {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, pg, sqldb.Credentials{})
	if err != nil {
		return err
	}
	defer db.Close()
	b := &bench{pg: pg, schema: fmt.Sprintf("statebench_%d", time.Now().Unix()), db: db}
	if _, err := db.Exec(`CREATE SCHEMA ` + b.schema); err != nil {
		return err
	}
	defer db.Exec(`DROP SCHEMA ` + b.schema + ` CASCADE`)
	if b.dir, err = os.MkdirTemp("", "statebench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	fmt.Printf("PostgreSQL state, schema %s, %d customer configs (one table prefix each), %d workers, %d punches a day each\n\n",
		b.schema, configs, workers, punches)

	cfgs := make([]string, configs)
	for i := range cfgs {
		if cfgs[i], err = b.customer(i, punches, 0); err != nil {
			return err
		}
	}
	for day, what := range []string{"first run (migrates each state)", "daily run"} {
		if day > 0 {
			for i := range cfgs {
				if _, err := b.customer(i, punches, day); err != nil {
					return err
				}
			}
		}
		elapsed, imported, err := b.runAll(ctx, cfgs, workers)
		if err != nil {
			return err
		}
		fmt.Printf("%-34s %6d runs in %6.1fs: %7.0f runs/min (%d punches imported)\n", what, len(cfgs), elapsed.Seconds(),
			float64(len(cfgs))/elapsed.Minutes(), imported)
	}

	if err := b.lockCost(ctx, reps); err != nil {
		return err
	}
	if histN <= 0 || histN > configs {
		histN = configs
	}
	if err := b.history(ctx, histN, configs, workers, days); err != nil {
		return err
	}
	if big > 0 {
		return b.largeImport(ctx, big, reps)
	}
	return nil
}

// customer writes customer i's folder for the given day and returns its
// config's path.
func (b *bench) customer(i, punches, day int) (string, error) {
	dir := filepath.Join(b.dir, fmt.Sprintf("c%04d", i))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if day == 0 {
		if err := writeWith(filepath.Join(dir, "employees.csv"), func(f *os.File) error { return gen.WriteEmployeesCSV(f, 50) }); err != nil {
			return "", err
		}
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	if err := writeWith(filepath.Join(dir, "punches.csv"), func(f *os.File) error {
		_, err := gen.WritePunchesCSV(f, gen.Spec{Employees: 50, Start: start, Days: 1, Punches: punches, Seed: uint64(i*1000 + day)})
		return err
	}); err != nil {
		return "", err
	}
	cfg := filepath.Join(dir, "hrsync.yaml")
	text := fmt.Sprintf("state:\n  url: %s\n  schema: %s\n  table_prefix: c%04d_\nhr:\n  url: sqlite://hr.db\n  create_tables: true\n  employees: { file: employees.csv }\nsources:\n  gate:\n    path: punches.csv\n%s",
		b.pg, b.schema, i, gen.MappingYAML(4))
	return cfg, os.WriteFile(cfg, []byte(text), 0o600)
}

func writeWith(path string, fill func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func importOnce(ctx context.Context, path string) (int64, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return 0, err
	}
	res, err := importer.Import(ctx, importer.Options{Config: cfg, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, err
	}
	return res.Counts[mapping.Imported], res.Outcome()
}

func (b *bench) runAll(ctx context.Context, cfgs []string, workers int) (time.Duration, int64, error) {
	jobs := make(chan string)
	var imported atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cfg := range jobs {
				n, err := importOnce(ctx, cfg)
				imported.Add(n)
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, fmt.Errorf("%s: %w", cfg, err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range cfgs {
		jobs <- c
	}
	close(jobs)
	wg.Wait()
	return time.Since(start), imported.Load(), firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// lockCost is a run's lock, taken and released with nobody else holding
// it: the database's (with the holder row) against the file lock.
func (b *bench) lockCost(ctx context.Context, reps int) error {
	st, err := state.OpenWith(ctx, state.Options{URL: b.pg, Schema: b.schema, Prefix: "c0000_"})
	if err != nil {
		return err
	}
	defer st.Close()
	lk := runlock.DB{SQL: st.SQL, Names: st.DB.Names, Key: st.Key, Where: st.Where, Holder: true}
	path := filepath.Join(b.dir, "bench.lock")
	const n = 200
	var dbT, fileT []time.Duration
	for r := 0; r < reps; r++ {
		for range n {
			t0 := time.Now()
			l, err := lk.Acquire(ctx, time.Second)
			if err != nil {
				return err
			}
			if err := l.SetRun(ctx, 1); err != nil {
				return err
			}
			l.Release()
			dbT = append(dbT, time.Since(t0))
			t0 = time.Now()
			fl, err := runlock.Acquire(ctx, path, time.Second)
			if err != nil {
				return err
			}
			fl.Release()
			fileT = append(fileT, time.Since(t0))
		}
	}
	fmt.Printf("\nrun lock per run (acquire, holder row with the run, release; median of %d): PostgreSQL %v, file lock %v\n",
		len(dbT), median(dbT).Round(time.Microsecond), median(fileT).Round(time.Microsecond))
	return nil
}

// history simulates days of two runs a day and one delivered outbox event
// a day per customer, with the default retention, and reports the size of
// the schema.
func (b *bench) history(ctx context.Context, configs, all, workers, days int) error {
	payload := make([]byte, 0, 200*80)
	for i := 0; i < 200; i++ {
		payload = fmt.Appendf(payload, `{"employee_id":"E%05d","time":"2026-01-05T08:%02d:00+07:00","direction":"in","device_id":"GATE-1"},`, i, i%60)
	}
	start := time.Date(2025, 6, 1, 6, 30, 0, 0, time.UTC)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	t0 := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := simulate(ctx, b, i, days, start, payload); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range configs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// The size of the simulated customers' tables (prefixes c0000_ to
	// c<configs-1>_), after the daily runs above and the history.
	var size int64
	var runs, events int64
	for i := 0; i < configs; i++ {
		p := fmt.Sprintf("c%04d_", i)
		var s int64
		if err := b.db.QueryRow(`SELECT COALESCE(SUM(pg_total_relation_size(c.oid)),0) FROM pg_class c JOIN pg_namespace n ON n.oid=c.relnamespace
			WHERE n.nspname=$1 AND c.relkind='r' AND c.relname LIKE $2`, b.schema, p+"%").Scan(&s); err != nil {
			return err
		}
		size += s
		var r, e int64
		b.db.QueryRow(`SELECT COUNT(*) FROM ` + b.schema + `.` + p + `runs`).Scan(&r)
		b.db.QueryRow(`SELECT COUNT(*) FROM ` + b.schema + `.` + p + `outbox_events`).Scan(&e)
		runs, events = runs+r, events+e
	}
	per := float64(size) / float64(configs)
	fmt.Printf("\nstate after %d days of history (simulated for %d customers in %.0fs: an import and a pull a day, one delivered 200-punch event a day; retention runs 180d, events 30d):\n",
		days, configs, time.Since(t0).Seconds())
	fmt.Printf("  %.0f KiB per customer (%d runs, %d events kept each), so %.0f MiB for %d customers\n",
		per/1024, runs/int64(configs), events/int64(configs), per*float64(all)/(1<<20), all)
	return nil
}

const stamp = "2006-01-02T15:04:05.000Z07:00" // the state's time text

func simulate(ctx context.Context, b *bench, i, days int, start time.Time, payload []byte) error {
	st, err := state.OpenWith(ctx, state.Options{URL: b.pg, Schema: b.schema, Prefix: fmt.Sprintf("c%04d_", i)})
	if err != nil {
		return err
	}
	defer st.Close()
	st.SQL.SetMaxOpenConns(2)
	for d := 0; d < days; d++ {
		at := start.AddDate(0, 0, d)
		for _, cmd := range []string{"import", "pull"} {
			// The rows a run leaves, as console/bench seeds them: runs are
			// recorded by importer.BeginRun alone.
			if _, err := st.DB.ExecContext(ctx, `INSERT INTO {runs}(command,args,"user",host,config_path,config_sha256,started_at,finished_at,
				duration_ms,exit_code,counts,report_path,error) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`,
				cmd, "hrsync "+cmd+" --config /etc/hrsync/hrsync.yaml", "hrsync", "worker-1", "/etc/hrsync/hrsync.yaml",
				"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", at.Format(stamp), at.Add(3*time.Second).Format(stamp),
				3000, 0, `{"imported":200,"duplicate":0}`, "/data/reports/r.csv", ""); err != nil {
				return err
			}
		}
		eid, err := outbox.Enqueue(ctx, st.DB, outbox.Event{Target: "hr-api", Kind: "punches", IdempotencyKey: fmt.Sprintf("day-%d", d), Payload: payload, CreatedAt: at})
		if err != nil {
			return err
		}
		if err := outbox.MarkSucceeded(ctx, st.DB, eid, 200, `{"accepted":200}`, at.Add(time.Second)); err != nil {
			return err
		}
		if err := st.SetWatermark(ctx, "gate", at.Format(time.RFC3339)); err != nil {
			return err
		}
		if _, _, err := st.PruneRuns(ctx, at.AddDate(0, 0, -180)); err != nil {
			return err
		}
		if _, err := outbox.Prune(ctx, st.DB, at.AddDate(0, 0, -30)); err != nil {
			return err
		}
	}
	return nil
}

// largeImport times one import of n rows into a SQLite HR file with the
// state embedded and in PostgreSQL, alternating, each on fresh state and
// HR files.
func (b *bench) largeImport(ctx context.Context, n, reps int) error {
	dir := filepath.Join(b.dir, "large")
	os.MkdirAll(dir, 0o700)
	if err := writeWith(filepath.Join(dir, "employees.csv"), func(f *os.File) error { return gen.WriteEmployeesCSV(f, 5000) }); err != nil {
		return err
	}
	if err := writeWith(filepath.Join(dir, "punches.csv"), func(f *os.File) error {
		_, err := gen.WritePunchesCSV(f, gen.Spec{Employees: 5000, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: n, Seed: 1})
		return err
	}); err != nil {
		return err
	}
	var embedded, server []time.Duration
	for r := 0; r < reps; r++ {
		for _, pgState := range []bool{false, true} {
			os.RemoveAll(filepath.Join(dir, "hrsync-data"))
			os.Remove(filepath.Join(dir, "hr.db"))
			stateYAML := ""
			if pgState {
				stateYAML = fmt.Sprintf("state:\n  url: %s\n  schema: %s\n  table_prefix: large%d_\n", b.pg, b.schema, r)
			}
			cfg := filepath.Join(dir, "hrsync.yaml")
			text := stateYAML + "hr:\n  url: sqlite://hr.db\n  create_tables: true\n  employees: { file: employees.csv }\nsources:\n  gate:\n    path: punches.csv\n" + gen.MappingYAML(4)
			if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
				return err
			}
			t0 := time.Now()
			got, err := importOnce(ctx, cfg)
			if err != nil {
				return err
			}
			if got != int64(n) {
				return fmt.Errorf("large import: %d imported, want %d", got, n)
			}
			if pgState {
				server = append(server, time.Since(t0))
			} else {
				embedded = append(embedded, time.Since(t0))
			}
		}
	}
	e, s := median(embedded), median(server)
	fmt.Printf("\n%d-row import into SQLite HR (median of %d, alternating): embedded state %.2fs, PostgreSQL state %.2fs, ratio %.3f\n",
		n, reps, e.Seconds(), s.Seconds(), s.Seconds()/e.Seconds())
	return nil
}
