package sqlsink

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hrsync/hrsync/mapping"
)

// TestSQLiteWholeInsertStaysExact walks SQLite's fast way in and out: a
// first batch goes the careful way, the next all-new ones by one INSERT of
// shared and per-row parameters (several statements a batch, one source or
// two), a batch holding stored keys turns back the careful way with exact
// outcomes, an all-new batch after it goes the careful way and the next
// fast again, and a key twice in a fast batch is found by the count. The rows stored
// are the ones the careful way stores.
func TestSQLiteWholeInsertStaysExact(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "sqlite://" + filepath.Join(t.TempDir(), "hr.db"), BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	step := func(what string, batch []mapping.Punch, want []bool, fast bool) {
		t.Helper()
		if got := s.expectNew.Load(); got != fast {
			t.Fatalf("%s: expectNew = %v, want %v", what, got, fast)
		}
		got, err := write(ctx, s, batch)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: inserted = %v, want %v", what, got, want)
		}
	}
	trues := func(n int) []bool {
		v := make([]bool, n)
		for i := range v {
			v[i] = true
		}
		return v
	}
	step("first batch", punches(0, 10), trues(10), false)
	step("all new, one source", punches(10, 23), trues(23), true)
	two := punches(33, 16)
	for i := range two {
		if i%3 == 0 {
			two[i].Source = "other"
		}
	}
	step("all new, two sources", two, trues(16), true)
	mixed := append(punches(45, 4), punches(49, 12)...) // 45..48 stored above
	want := append(make([]bool, 4), trues(12)...)
	step("stored keys", mixed, want, true)
	step("all new again", punches(61, 9), trues(9), false)
	step("fast again", punches(70, 9), trues(9), true)
	repeat := punches(79, 3)
	repeat = append(repeat, repeat[1])
	step("a key twice in the batch", repeat, []bool{true, true, true, false}, true)
	if n := countRows(t, s); n != 82 {
		t.Fatalf("%d rows stored, want 82", n)
	}
	var src, at string
	if err := s.db.QueryRowContext(ctx, "SELECT source, imported_at FROM "+s.st.p.table+" WHERE source_key = ? AND punch_time = ?",
		two[0].SourceKey, s.db.Dialect.BindTime(two[0].Time, s.clock)).Scan(&src, &at); err != nil {
		t.Fatal(err)
	}
	if src != "other" || len(at) != len("2006-01-02 15:04:05") {
		t.Fatalf("source %q, imported_at %q", src, at)
	}
}
