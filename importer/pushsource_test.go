package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/mapping"
)

// pushConfig is a config whose one source reads the push store, with
// employees 1..n on attendance_no.
func pushConfig(t *testing.T, n int) *config.Config {
	t.Helper()
	dir := t.TempDir()
	var emps strings.Builder
	emps.WriteString("id,attendance_no,name,status\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&emps, "E%d,%d,N%d,active\n", i, i, i)
	}
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(emps.String()), 0o644)
	cfg := `hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
timezone: UTC
lock_wait: 1s
sources:
  devices:
    push: true
    mapping:
      employee_key: { column: pin }
      time: { column: time }
      direction: { column: state, codes: { in: [0], out: [1] }, unknown: keep }
      device: { column: serial }
`
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(cfg), 0o644)
	c, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fillPushStore(t *testing.T, cfg *config.Config, serial, zone string, pins, perPin int) {
	t.Helper()
	ctx := context.Background()
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Allow(ctx, serial, "", zone); err != nil {
		t.Fatal(err)
	}
	var b pushstore.Batch
	b.Serial, b.Table = serial, "ATTLOG"
	for p := 1; p <= pins; p++ {
		for i := 0; i < perPin; i++ {
			b.Punches = append(b.Punches, pushstore.Punch{PIN: fmt.Sprint(p), Time: fmt.Sprintf("2026-12-01 %02d:%02d:%02d", 6+i/3600, i/60%60, i%60), State: i % 2})
		}
	}
	if _, err := st.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
}

// TestPushSourceExactlyOnce: the punches serve stored are imported once; a
// crash between the sink's commit and the watermark re-reads that batch as
// duplicate and loses nothing; a further run reads nothing.
func TestPushSourceExactlyOnce(t *testing.T) {
	const pins, perPin = 50, 2*batchRows/50 + 30 // 2 batches and some
	cfg := pushConfig(t, pins)
	fillPushStore(t, cfg, "DEV1", "", pins, perPin)
	total := pins * perPin

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
	if n := hrCount(t, cfg); n != 2*batchRows {
		t.Fatalf("HR has %d after the crash, want %d", n, 2*batchRows)
	}
	again := runImport(t, cfg, Options{})
	if again.Counts[mapping.Duplicate] != batchRows || again.Counts[mapping.Imported] != int64(total-2*batchRows) {
		t.Fatalf("re-run counts %v", again.Counts)
	}
	if n := hrCount(t, cfg); n != total {
		t.Fatalf("HR has %d, want %d", n, total)
	}
	if third := runImport(t, cfg, Options{}); third.Counts.Total() != 0 {
		t.Fatalf("third run read %v", third.Counts)
	}
	// New punches, in batches of 100 as serve imports them.
	fillPushStore(t, cfg, "DEV2", "", 3, 70)
	for i := 0; i < 3; i++ {
		r := runImport(t, cfg, Options{PushRows: 100})
		if want := []int64{100, 100, 10}[i]; r.Counts[mapping.Imported] != want {
			t.Fatalf("batch %d: %v, want %d imported", i, r.Counts, want)
		}
	}
}

// TestPushSourceDeviceZone: a device's registry zone decides its punches'
// instants; a device without one takes the source's zone.
func TestPushSourceDeviceZone(t *testing.T) {
	cfg := pushConfig(t, 1)
	fillPushStore(t, cfg, "HCM", "Asia/Ho_Chi_Minh", 1, 1)
	fillPushStore(t, cfg, "UTC1", "", 1, 2)
	r := runImport(t, cfg, Options{})
	// 06:00:00 in Ho Chi Minh is 23:00 UTC; the UTC device's 06:00:00
	// is another instant, so all three are new.
	if r.Counts[mapping.Imported] != 3 {
		t.Fatalf("counts %v", r.Counts)
	}
	db, err := sql.Open("sqlite", filepath.Join(cfg.Dir, "hr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM attendance_punches WHERE punch_time LIKE '2026-11-30 23:00:00%' AND device_id = 'HCM'`).Scan(&n); err != nil || n != 1 {
		rows, _ := db.Query(`SELECT punch_time, device_id FROM attendance_punches`)
		for rows != nil && rows.Next() {
			var a, b string
			rows.Scan(&a, &b)
			t.Log(a, b)
		}
		t.Fatalf("the Ho Chi Minh punch is not at 23:00 UTC: %d %v", n, err)
	}
}

// TestConnectPushSource: config check --connect names a push store not
// there yet without creating it, then what it holds.
func TestConnectPushSource(t *testing.T) {
	cfg := pushConfig(t, 1)
	c := connectSource(context.Background(), cfg, cfg.Sources["devices"])
	if c.failed || !strings.Contains(c.Found, "no push store") {
		t.Fatalf("before serve: %+v", c)
	}
	if _, err := os.Stat(cfg.PushStorePath()); err == nil {
		t.Fatal("--connect created the push store")
	}
	fillPushStore(t, cfg, "DEV1", "", 1, 1)
	if c := connectSource(context.Background(), cfg, cfg.Sources["devices"]); c.failed || !strings.Contains(c.Found, "1 devices approved, 0 pending") {
		t.Fatalf("after: %+v", c)
	}
}
