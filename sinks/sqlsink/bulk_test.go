package sqlsink

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
)

func TestAppendText(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	rows := []mapping.Punch{
		{EmployeeID: "E1", Time: t0, Direction: mapping.DirIn, DeviceID: "gate", Source: "s", SourceKey: "k"},
		{EmployeeID: "skipped", Time: t0},
		{EmployeeID: "a\tb\nc\\d\re\x00\x01", Time: t0.Add(time.Second), DeviceID: `\N`, Source: "s", SourceKey: "k"},
	}
	include := []bool{true, false, true}
	got := string(appendText(nil, bulkLayout{fields: PunchFields}, rows, include, at))
	want := "E1\t2026-03-01 08:00:00\tin\tgate\ts\tk\t2026-03-02 10:00:00\n" +
		`a\tb\nc\\d\re\0` + "\x01\t2026-03-01 08:00:01\tunknown\t" + `\\N` + "\ts\tk\t2026-03-02 10:00:00\n"
	if got != want {
		t.Fatalf("appendText:\n got %q\nwant %q", got, want)
	}
	// PostgreSQL: every time carries its zone.
	got = string(appendText(nil, bulkLayout{fields: []string{"employee_id", "punch_time", "imported_at"}, zone: "+00"}, rows[:1], nil, at))
	if want := "E1\t2026-03-01 08:00:00+00\t2026-03-02 10:00:00+00\n"; got != want {
		t.Fatalf("appendText with zone:\n got %q\nwant %q", got, want)
	}
}

// MySQL sets a batch's one source and its import time once in LOAD DATA
// when the source is a plain literal, and reads them per line otherwise.
func TestLoadDataLayout(t *testing.T) {
	d, _ := sqldb.DialectFor(sqldb.MySQL)
	p, err := resolvePunches(d, PunchesTable{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Sink{db: &sqldb.DB{Dialect: d}, st: statements{d: d, p: p, key: keyFields}}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		sources []string
		want    string
	}{
		{[]string{"gate", "gate"}, "LOAD DATA LOCAL INFILE 'Reader::r' IGNORE INTO TABLE `attendance_punches` CHARACTER SET utf8mb4 (`employee_id`, `punch_time`, `direction`, `device_id`, `source_key`) SET `source` = 'gate', `imported_at` = '2026-03-02 10:00:00'"},
		{[]string{"gate", "door"}, "LOAD DATA LOCAL INFILE 'Reader::r' IGNORE INTO TABLE `attendance_punches` CHARACTER SET utf8mb4 (`employee_id`, `punch_time`, `direction`, `device_id`, `source`, `source_key`) SET `imported_at` = '2026-03-02 10:00:00'"},
		{[]string{`it's\`, `it's\`}, "LOAD DATA LOCAL INFILE 'Reader::r' IGNORE INTO TABLE `attendance_punches` CHARACTER SET utf8mb4 (`employee_id`, `punch_time`, `direction`, `device_id`, `source`, `source_key`) SET `imported_at` = '2026-03-02 10:00:00'"},
	} {
		batch := punches(0, len(tc.sources))
		for i, src := range tc.sources {
			batch[i].Source = src
		}
		l, ok := s.bulkLayout(batch)
		if !ok {
			t.Fatal("no layout for MySQL")
		}
		if got := s.st.loadData("r", l, at); got != tc.want {
			t.Errorf("sources %q:\n got %s\nwant %s", tc.sources, got, tc.want)
		}
		if n := strings.Count(string(appendText(nil, l, batch, nil, at)), "\t"); n != len(batch)*(len(l.fields)-1) {
			t.Errorf("sources %q: %d tabs for %d fields", tc.sources, n, len(l.fields))
		}
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
			if b.name == "postgres" && !s.copyBinary {
				t.Fatal("the table hrsync creates should copy in binary")
			}
			batch := punches(0, 4)
			batch[0].EmployeeID = "tab\there"
			batch[1].EmployeeID = "line\nbreak"
			batch[2].EmployeeID = `back\slash`
			batch[3].EmployeeID = `\N`
			batch[3].DeviceID = "ünï"
			got, err := write(ctx, s, batch)
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
			if got, err := write(ctx, s, batch); err != nil || !all(got, false) {
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
			if _, err := write(ctx, s, punches(0, 10)); err != nil {
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
				if _, err := write(ctx, w, batch[7:8]); err != nil {
					t.Error(err)
				}
			}
			got, err := write(ctx, s, batch)
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
				got, err := write(ctx, s, punches(10*i, 10))
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
	if len(dest) > 3 {
		*dest[3].(*any) = string(k.Direction)
	}
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
	for _, ident := range []mapping.Identity{{}, {Direction: true}} {
		t.Run(fmt.Sprintf("direction %v", ident.Direction), func(t *testing.T) { testMarkKeys(t, rows, collated, ident) })
	}
}

func testMarkKeys(t *testing.T, rows []mapping.Punch, collated func(mapping.Key) mapping.Key, ident mapping.Identity) {
	few, many := []int{0, 3, 5, 39}, []int{0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 39}
	// one for every case: its reused key map must not carry over
	s := Sink{ident: ident, st: statements{key: keyOf(ident.Direction)}}
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
				k := s.ident.Of(&rows[i])
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
			if _, err := s.markKeys(&keyRows{keys: keys}, rows, got, false, tc.fold, 0); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("marks %v, want %v", got, want)
			}
		})
	}
}

// After a batch of new punches, the next batch is loaded whole without
// reading stored keys; a batch that then holds stored keys fails that load
// (COPY stops at the stored key, LOAD DATA's count falls short and is
// rolled back), changes nothing, and is written exactly the careful way.
func TestLoadWholeAfterNewBatch(t *testing.T) {
	ctx := context.Background()
	for _, b := range bulkBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := serverSink(t, b.url)
			steps := []struct {
				from, n  int
				want     []bool
				tryWhole bool // loaded whole first, without the read of stored keys
			}{
				{0, 5, []bool{true, true, true, true, true}, false},
				{5, 5, []bool{true, true, true, true, true}, true},
				{8, 4, []bool{false, false, true, true}, true}, // fails whole, goes careful
				{12, 2, []bool{true, true}, false},             // the last batch held stored keys
				{14, 2, []bool{true, true}, true},
			}
			for i, st := range steps {
				if s.expectNew.Load() != st.tryWhole {
					t.Fatalf("step %d: load whole first = %v, want %v", i+1, s.expectNew.Load(), st.tryWhole)
				}
				got, err := write(ctx, s, punches(st.from, st.n))
				if err != nil {
					t.Fatalf("step %d: %v", i+1, err)
				}
				if !slices.Equal(got, st.want) {
					t.Fatalf("step %d: inserted = %v, want %v", i+1, got, st.want)
				}
			}
			// A batch encoded before the sink expected new rows (Encode
			// runs ahead, on another goroutine) is encoded when loaded whole.
			s.expectNew.Store(false)
			e := s.Encode(punches(16, 2), nil).(*Encoded)
			s.expectNew.Store(true)
			if e.whole {
				t.Fatal("encoded whole while the sink expected stored keys")
			}
			out := make([]sinks.Outcome, 2)
			if err := s.WriteEncoded(ctx, e, out); err != nil || out[0] != storedNow || out[1] != storedNow {
				t.Fatalf("late whole load: %v, %v", out, err)
			}
			if n := countRows(t, s); n != 18 {
				t.Fatalf("%d rows stored, want 18", n)
			}
		})
	}
}

// A customer's time column with a zone (PostgreSQL timestamptz, MySQL
// TIMESTAMP) on a session in another zone stores the same instant by the
// bulk path as by INSERT; PostgreSQL in either COPY format.
func TestBulkZonedTimeColumn(t *testing.T) {
	ctx := context.Background()
	for _, b := range bulkBackends(t) {
		formats := []string{"text"}
		if b.name == "postgres" {
			formats = []string{"binary", "text"}
		}
		for _, format := range formats {
			t.Run(b.name+"/"+format, func(t *testing.T) {
				reachable(t, b)
				url, ddl := b.url, "CREATE TABLE %s (employee_id VARCHAR(64) NOT NULL, punch_time TIMESTAMP NOT NULL, device_id VARCHAR(64) NOT NULL, PRIMARY KEY (punch_time, employee_id, device_id))"
				if b.name == "postgres" {
					url += "&timezone=Asia/Kolkata"
					ddl = strings.Replace(ddl, "TIMESTAMP", "TIMESTAMPTZ", 1)
				}
				table := uniqueName("zoned")
				db, err := sqldb.Open(ctx, url, sqldb.Credentials{})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.ExecContext(ctx, fmt.Sprintf(ddl, table)); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { dropTables(b.url, table) })
				no := false
				// hr.timezone names a zone: a column with its own zone keeps instants all the same.
				s, err := newSink(ctx, db, Config{Create: &no, Zone: hoChiMinh(t), Punches: PunchesTable{Table: table,
					Columns: map[string]string{"direction": "", "source": "", "source_key": "", "imported_at": ""}}})
				if err != nil {
					t.Fatal(err)
				}
				if s.bulk == nil {
					t.Fatal("no bulk path")
				}
				if b.name == "postgres" {
					if !s.copyBinary {
						t.Fatal("VARCHAR and TIMESTAMPTZ columns should copy in binary")
					}
					s.copyBinary = format == "binary"
				}
				want := punches(0, 3)
				want[1].EmployeeID = "tab\there ünï"
				if got, err := write(ctx, s, want); err != nil || !all(got, true) {
					t.Fatalf("inserted = %v, %v", got, err)
				}
				var stored []struct {
					Emp  string    `db:"employee_id"`
					Time time.Time `db:"punch_time"`
				}
				if err := db.SelectContext(ctx, &stored, "SELECT employee_id, punch_time FROM "+table+" ORDER BY punch_time"); err != nil {
					t.Fatal(err)
				}
				for i, got := range stored {
					if !got.Time.Equal(want[i].Time) || got.Emp != want[i].EmployeeID {
						t.Errorf("row %d stored %q %v, want %q %v", i, got.Emp, got.Time, want[i].EmployeeID, want[i].Time)
					}
				}
				if got, err := write(ctx, s, want); err != nil || !all(got, false) {
					t.Fatalf("again: inserted = %v, %v; want all duplicates", got, err)
				}
			})
		}
	}
}

// A PostgreSQL table with a column type the binary format does not write
// (here an integer source_key) copies as text.
func TestCopyTextForOtherColumnTypes(t *testing.T) {
	ctx := context.Background()
	for _, b := range bulkBackends(t) {
		if b.name != "postgres" {
			continue
		}
		reachable(t, b)
		table := uniqueName("typed")
		db, err := sqldb.Open(ctx, b.url, sqldb.Credentials{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (employee_id TEXT NOT NULL, punch_time TIMESTAMP NOT NULL, device_id TEXT NOT NULL, source_key INTEGER NOT NULL, PRIMARY KEY (punch_time, employee_id, device_id))", table)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dropTables(b.url, table) })
		no := false
		s, err := newSink(ctx, db, Config{Create: &no, Punches: PunchesTable{Table: table,
			Columns: map[string]string{"direction": "", "source": "", "imported_at": ""}}})
		if err != nil {
			t.Fatal(err)
		}
		if s.copyBinary {
			t.Fatal("an INTEGER column should make COPY use text")
		}
		if got, err := write(ctx, s, punches(0, 4)); err != nil || !all(got, true) {
			t.Fatalf("inserted = %v, %v", got, err)
		}
		var sum int
		if err := db.GetContext(ctx, &sum, "SELECT SUM(source_key) FROM "+table); err != nil || sum != 0+1+2+3 {
			t.Fatalf("sum of source keys = %d, %v; want 6", sum, err)
		}
	}
}

func TestAppendBinary(t *testing.T) {
	rows := []mapping.Punch{{EmployeeID: "E1", Time: time.Date(2000, 1, 1, 0, 0, 1, 0, time.UTC)}, {EmployeeID: "skipped"}}
	got := appendBinary(nil, bulkLayout{fields: []string{"employee_id", "punch_time"}}, rows, []bool{true, false}, time.Time{})
	want := "PGCOPY\n\xff\r\n\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00" + // signature, flags, extension
		"\x00\x02" + "\x00\x00\x00\x02E1" + "\x00\x00\x00\x08\x00\x00\x00\x00\x00\x0f\x42\x40" + // 2 fields: "E1", 1,000,000 µs
		"\xff\xff"
	if string(got) != want {
		t.Fatalf("appendBinary:\n got %q\nwant %q", got, want)
	}
}

// TestTwin: a twin writes its own batches at the same time as its sink,
// through another connection, and closing it leaves the sink's database
// open. SQLite (one writer) has none.
func TestTwin(t *testing.T) {
	ctx := context.Background()
	lite, err := Open(ctx, Config{URL: "sqlite://" + filepath.Join(t.TempDir(), "hr.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if twin, err := lite.Twin(ctx); twin != nil || err != nil {
		t.Errorf("a SQLite sink has a twin: %v %v", twin, err)
	}
	for _, b := range bulkBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := serverSink(t, b.url)
			twin, err := s.twin(ctx)
			if err != nil || twin == nil || twin.bulk == nil {
				t.Fatalf("no twin, or a twin without the bulk path: %v %v", twin, err)
			}
			for round := range 3 {
				var wg sync.WaitGroup
				var errs [2]error
				var got [2][]bool
				for i, w := range []*Sink{s, twin} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						got[i], errs[i] = write(ctx, w, punches(round*200+i*100, 100))
					}()
				}
				wg.Wait()
				for i := range 2 {
					if errs[i] != nil || !all(got[i], true) {
						t.Fatalf("round %d, writer %d: %v %v", round, i, got[i], errs[i])
					}
				}
			}
			if err := twin.Close(); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, s); n != 600 {
				t.Fatalf("%d rows after the twin closed, want 600", n)
			}
		})
	}
}

// TestNoTwinForAOneConnectionUser: a database user allowed one connection
// gets no twin, and an error saying why, and the sink alone still writes.
func TestNoTwinForAOneConnectionUser(t *testing.T) {
	ctx := context.Background()
	const user = "hrsync_one_conn"
	for _, b := range bulkBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			admin, err := sqldb.Open(ctx, b.url, sqldb.Credentials{})
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			setup := []string{
				"DROP USER IF EXISTS " + user + "@'%'",
				"CREATE USER " + user + "@'%' WITH MAX_USER_CONNECTIONS 1",
				"GRANT ALL ON test.* TO " + user + "@'%'",
			}
			drop := "DROP USER IF EXISTS " + user + "@'%'"
			if b.name == "postgres" {
				setup = []string{
					"DROP OWNED BY " + user, // fails harmlessly when the role is new
					"DROP ROLE IF EXISTS " + user,
					"CREATE ROLE " + user + " LOGIN CONNECTION LIMIT 1",
					"GRANT ALL ON SCHEMA public TO " + user,
				}
				drop = "DROP OWNED BY " + user + "; DROP ROLE IF EXISTS " + user
			}
			for i, q := range setup {
				if _, err := admin.ExecContext(ctx, q); err != nil && !(b.name == "postgres" && i == 0) {
					t.Fatalf("%s: %v", q, err)
				}
			}
			cfg := testConfig()
			cfg.URL = b.url
			yes := true
			cfg.Create = &yes
			cfg.Credentials = sqldb.Credentials{User: user}
			s, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				s.Close()
				dropTables(b.url, cfg.Punches.Table, cfg.Employees.Table)
				for _, q := range strings.Split(drop, "; ") {
					admin.ExecContext(context.Background(), q)
				}
			})
			twin, err := s.Twin(ctx)
			if twin != nil || err == nil {
				t.Fatalf("twin %v, err %v: want none, and why", twin, err)
			}
			t.Logf("no twin: %v", err)
			if got, err := write(ctx, s, punches(0, 20)); err != nil || !all(got, true) {
				t.Fatalf("the sink alone: %v %v", got, err)
			}
		})
	}
}
