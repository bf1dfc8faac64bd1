package sqlsink

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

func TestAppendTSV(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	rows := []mapping.Punch{
		{EmployeeID: "E1", Time: t0, Direction: mapping.DirIn, DeviceID: "gate", Source: "s", SourceKey: "k"},
		{EmployeeID: "skipped", Time: t0},
		{EmployeeID: "a\tb\nc\\d\re\x00\x01", Time: t0.Add(time.Second), DeviceID: `\N`, Source: "s", SourceKey: "k"},
	}
	got := string(appendTSV(nil, PunchFields, rows, []bool{true, false, true}, at))
	want := "E1\t2026-03-01 08:00:00\tin\tgate\ts\tk\t2026-03-02 10:00:00\n" +
		`a\tb\nc\\d\re\0` + "\x01\t2026-03-01 08:00:01\tunknown\t" + `\\N` + "\ts\tk\t2026-03-02 10:00:00\n"
	if got != want {
		t.Fatalf("appendTSV:\n got %q\nwant %q", got, want)
	}
}

// serverSink opens a sink on a fresh table of the server at url, or skips.
func serverSink(t *testing.T, url string) *Sink {
	t.Helper()
	reachable(t, backend{name: url, url: url, env: "url"})
	s, err := serverBackend(url, pathBulk)(t, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if s.bulk == nil {
		t.Fatalf("%s: no bulk path", sqldb.Redact(url))
	}
	return s
}

func bulkBackends(t *testing.T) []backend {
	var out []backend
	for _, b := range backends(t) {
		if b.name == "mariadb" || b.name == "postgres" {
			out = append(out, b)
		}
	}
	return out
}

// Ids with the characters LOAD DATA and COPY treat specially come back as
// written.
func TestBulkKeepsAwkwardText(t *testing.T) {
	ctx := context.Background()
	for _, b := range bulkBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := serverSink(t, b.url)
			batch := punches(0, 4)
			batch[0].EmployeeID = "tab\there"
			batch[1].EmployeeID = "line\nbreak"
			batch[2].EmployeeID = `back\slash`
			batch[3].EmployeeID = `\N`
			batch[3].DeviceID = "ünï"
			got, err := s.WritePunches(ctx, batch)
			if err != nil {
				t.Fatal(err)
			}
			if !all(got, true) {
				t.Fatalf("inserted = %v, want all", got)
			}
			var ids []string
			if err := s.db.SelectContext(ctx, &ids, fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", s.st.p.col("employee_id"), s.st.p.table, s.st.p.col("punch_time"))); err != nil {
				t.Fatal(err)
			}
			if want := []string{"tab\there", "line\nbreak", `back\slash`, `\N`}; !slices.Equal(ids, want) {
				t.Fatalf("stored ids %q, want %q", ids, want)
			}
			if got, err := s.WritePunches(ctx, batch); err != nil || !all(got, false) {
				t.Fatalf("again: inserted = %v, %v; want all duplicates", got, err)
			}
		})
	}
}

// A key another writer stores between the read of stored keys and the bulk
// load: MySQL's LOAD DATA IGNORE skips it and the count tells, PostgreSQL's
// COPY fails; either way the batch runs again by INSERT and reports that
// key as a duplicate.
func TestBulkConflictStaysExact(t *testing.T) {
	ctx := context.Background()
	for _, b := range bulkBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := serverSink(t, b.url)
			if _, err := s.WritePunches(ctx, punches(0, 10)); err != nil {
				t.Fatal(err)
			}
			other, err := sqldb.Open(ctx, b.url, sqldb.Credentials{})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			batch := punches(5, 10) // 5..9 stored, 10..14 new
			called := false
			s.beforeBulk = func() {
				called = true
				w, err := newSink(ctx, other, testConfigFor(s))
				if err != nil {
					t.Error(err)
					return
				}
				w.bulk = nil
				if _, err := w.WritePunches(ctx, batch[7:8]); err != nil {
					t.Error(err)
				}
			}
			got, err := s.WritePunches(ctx, batch)
			if err != nil {
				t.Fatal(err)
			}
			if !called {
				t.Fatal("the bulk path did not run")
			}
			want := []bool{false, false, false, false, false, true, true, false, true, true}
			if !slices.Equal(got, want) {
				t.Fatalf("inserted = %v, want %v", got, want)
			}
			if n := countRows(t, s); n != 15 {
				t.Fatalf("%d rows stored, want 15", n)
			}
			if s.bulk == nil {
				t.Fatal("a conflict turned the bulk path off")
			}
		})
	}
}

// testConfigFor names the tables s writes, for a second sink on them.
func testConfigFor(s *Sink) Config {
	return Config{Punches: PunchesTable{Table: s.st.p.rawTable}, Employees: EmployeesTable{Table: s.emp.rawTable}}
}

// A server that refuses LOAD DATA LOCAL INFILE: the batch goes by INSERT,
// and the sink does not try bulk loads again.
func TestLoadDataRefusedFallsBack(t *testing.T) {
	ctx := context.Background()
	for _, code := range []uint16{1148, 3948, 4166} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			var mariadb backend
			for _, b := range backends(t) {
				if b.name == "mariadb" {
					mariadb = b
				}
			}
			s := serverSink(t, mariadb.url)
			tries := 0
			s.execLoadData = func(context.Context, string, ...any) (sql.Result, error) {
				tries++
				return nil, &mysql.MySQLError{Number: code, Message: "The used command is not allowed with this MariaDB version"}
			}
			for i := 0; i < 2; i++ {
				got, err := s.WritePunches(ctx, punches(10*i, 10))
				if err != nil {
					t.Fatal(err)
				}
				if !all(got, true) {
					t.Fatalf("write %d: inserted = %v, want all", i+1, got)
				}
			}
			if tries != 1 {
				t.Fatalf("LOAD DATA tried %d times, want once", tries)
			}
			if n := countRows(t, s); n != 20 {
				t.Fatalf("%d rows stored, want 20", n)
			}
		})
	}
}

// keyRows is a rowScanner over keys, as the read of stored keys gives them.
type keyRows struct {
	keys []mapping.Key
	next int
}

func (r *keyRows) Next() bool { r.next++; return r.next <= len(r.keys) }
func (r *keyRows) Err() error { return nil }
func (r *keyRows) Close() error {
	return nil
}
func (r *keyRows) Scan(dest ...any) error {
	k := r.keys[r.next-1]
	*dest[0].(*any) = time.Unix(k.Unix, 0)
	*dest[1].(*any) = k.EmployeeID
	*dest[2].(*any) = []byte(k.DeviceID)
	return nil
}

// markKeys matches few keys by scanning and many by map; both ways give
// the same marks, with keys read back as stored or as a case- and
// trailing-space-insensitive collation may give them.
func TestMarkKeys(t *testing.T) {
	rows := punches(0, 40)
	rows[3].EmployeeID = "Mixed"
	rows[5].DeviceID = "Gate-1 "
	collated := func(k mapping.Key) mapping.Key {
		k.EmployeeID = strings.ToUpper(k.EmployeeID)
		k.DeviceID = strings.TrimSpace(k.DeviceID) + "  "
		return k
	}
	few, many := []int{0, 3, 5, 39}, []int{0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 39}
	for _, tc := range []struct {
		name       string
		stored     []int // rows whose key is read back
		collated   bool  // read back as a collation gives it
		fold, want bool  // markKeys folds; the rows read back count as stored
	}{
		{"none", nil, false, true, false},
		{"few exact", few, false, false, true},
		{"few collated", few, true, true, true},
		{"few collated, no fold", few, true, false, false},
		{"many exact", many, false, false, true},
		{"many collated", many, true, true, true},
		{"many collated, no fold", many, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := make([]bool, len(rows))
			for i := range want {
				want[i] = true
			}
			var keys []mapping.Key
			for _, i := range tc.stored {
				k := rows[i].Key()
				if tc.collated {
					k = collated(k)
				}
				keys = append(keys, k)
				want[i] = !tc.want
			}
			// Stored rows of no punch of the batch, in its time range.
			keys = append(keys, mapping.Key{EmployeeID: "nobody", Unix: rows[1].Time.Unix(), DeviceID: "x"})
			got := make([]bool, len(rows))
			for i := range got {
				got[i] = true
			}
			if _, err := markKeys(&keyRows{keys: keys}, rows, got, false, tc.fold, 0); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("marks %v, want %v", got, want)
			}
		})
	}
}

// After a batch of new punches, PostgreSQL copies the next batch whole
// without reading stored keys; a batch that then holds stored keys fails
// that COPY, changes nothing, and is written exactly the careful way.
func TestCopyWholeAfterNewBatch(t *testing.T) {
	ctx := context.Background()
	var pg backend
	for _, b := range backends(t) {
		if b.name == "postgres" {
			pg = b
		}
	}
	s := serverSink(t, pg.url)
	steps := []struct {
		from, n  int
		want     []bool
		tryWhole bool // copied whole first, without the read of stored keys
	}{
		{0, 5, []bool{true, true, true, true, true}, false},
		{5, 5, []bool{true, true, true, true, true}, true},
		{8, 4, []bool{false, false, true, true}, true}, // fails whole, goes careful
		{12, 2, []bool{true, true}, false},             // the last batch held stored keys
		{14, 2, []bool{true, true}, true},
	}
	for i, st := range steps {
		if s.expectNew != st.tryWhole {
			t.Fatalf("step %d: copy whole first = %v, want %v", i+1, s.expectNew, st.tryWhole)
		}
		got, err := s.WritePunches(ctx, punches(st.from, st.n))
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		if !slices.Equal(got, st.want) {
			t.Fatalf("step %d: inserted = %v, want %v", i+1, got, st.want)
		}
	}
	if n := countRows(t, s); n != 16 {
		t.Fatalf("%d rows stored, want 16", n)
	}
}
