package pushstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSaveResendAndStampsSurviveReopen: a resend adds nothing, and the
// stamps and counters are still there after the file is reopened.
func TestSaveResendAndStampsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "push.db")
	s := open(t, path)
	if err := s.Allow(ctx, "SN1", "hall", "Asia/Ho_Chi_Minh"); err != nil {
		t.Fatal(err)
	}
	b := Batch{Serial: "SN1", Table: "ATTLOG", Stamp: "100", Punches: []Punch{
		{PIN: "1", Time: "2026-12-01 08:00:00", State: 0},
		{PIN: "1", Time: "2026-12-01 08:00:00", State: 1}, // same time, other state: another punch
		{PIN: "2", Time: "2026-12-01 08:01:00", State: 0},
	}, Bad: []BadLine{{Line: 4, Text: "junk", Reason: "no time"}}}
	r, err := s.Save(ctx, b)
	if err != nil || r.Added != 3 || r.Duplicates != 0 {
		t.Fatalf("first save = %+v, %v", r, err)
	}
	b.Stamp = "101"
	r, err = s.Save(ctx, b)
	if err != nil || r.Added != 0 || r.Duplicates != 3 {
		t.Fatalf("resend = %+v, %v", r, err)
	}
	s.Close()
	s = open(t, path)
	st, err := s.Stamps(ctx, "SN1")
	if err != nil || st["ATTLOG"] != "101" {
		t.Fatalf("stamps after reopen = %v, %v", st, err)
	}
	d, ok, err := s.Device(ctx, "SN1")
	if err != nil || !ok || d.Received != 3 || d.Bad != 1 || d.TimeZone != "Asia/Ho_Chi_Minh" || d.LastUpload.IsZero() {
		t.Fatalf("device = %+v %v %v", d, ok, err)
	}
	got, _ := s.Received(ctx, "SN1")
	if len(got) != 3 {
		t.Fatalf("received = %v", got)
	}
	if !d.Online(time.Now(), time.Minute) || d.Online(time.Now().Add(time.Hour), time.Minute) {
		t.Fatalf("online from last seen %v", d.LastSeen)
	}
}

func TestUnknownDeviceIsPendingAndRefused(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "push.db"))
	d, first, err := s.Touch(ctx, "STRANGER", "10.0.0.9:4370", "Ver 6.60 Apr 28 2017,2,0,150,10.0.0.9")
	if err != nil || d.Allowed || !first {
		t.Fatalf("touch = %+v, %v, %v", d, first, err)
	}
	if _, first, _ := s.Touch(ctx, "STRANGER", "10.0.0.9:4370", ""); first {
		t.Fatal("second touch reported first")
	}
	if _, err := s.Save(ctx, Batch{Serial: "STRANGER", Table: "ATTLOG", Punches: []Punch{{PIN: "1", Time: "2026-12-01 08:00:00"}}}); err == nil {
		t.Fatal("Save accepted a pending device")
	}
	p, err := s.Devices(ctx, true)
	if err != nil || len(p) != 1 || p[0].Serial != "STRANGER" || p[0].RemoteAddr != "10.0.0.9:4370" || p[0].Info != "Ver 6.60 Apr 28 2017,2,0,150,10.0.0.9" {
		t.Fatalf("pending = %+v, %v", p, err)
	}
	if err := s.Allow(ctx, "STRANGER", "", "Not/AZone"); err == nil {
		t.Fatal("Allow took a bad time zone")
	}
}

func TestCommandsQueueSendAnswer(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "push.db"))
	id1, _ := s.Enqueue(ctx, "SN1", "CHECK")
	id2, _ := s.Enqueue(ctx, "SN1", "INFO")
	s.Enqueue(ctx, "SN2", "CHECK")
	if _, err := s.Enqueue(ctx, "SN1", "DATA UPDATE USERINFO PIN=1\tName=x\nC:9:REBOOT"); err == nil {
		t.Fatal("Enqueue took a body with a line break")
	}
	cs, err := s.TakeCommands(ctx, "SN1", 1, nil)
	if err != nil || len(cs) != 1 || cs[0].ID != id1 {
		t.Fatalf("take = %+v, %v", cs, err)
	}
	cs, _ = s.TakeCommands(ctx, "SN1", 10, nil)
	if len(cs) != 1 || cs[0].ID != id2 {
		t.Fatalf("second take = %+v", cs)
	}
	unknown, err := s.CommandResults(ctx, "SN1", []CommandResult{{ID: id1, Return: 0, Cmd: "CHECK"}, {ID: 999, Return: 0}})
	if err != nil || unknown != 1 {
		t.Fatalf("results: unknown=%d err=%v", unknown, err)
	}
	all, _ := s.Commands(ctx, "SN1")
	if all[0].Status != "done" || !all[0].ReturnCode.Valid || all[1].Status != "sent" {
		t.Fatalf("commands = %+v", all)
	}
}

// TestConcurrentSavesGroupCommit: many devices saving at once (committed in
// groups) each get their own answer, a refused device among them does not
// fail the others, and every punch is stored once.
func TestConcurrentSavesGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "push.db"))
	const n = 40
	for i := range n {
		if i != 7 {
			s.Allow(ctx, fmt.Sprintf("G%02d", i), "", "")
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	res := make([]Result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ps []Punch
			for k := range 25 {
				ps = append(ps, Punch{PIN: fmt.Sprint(k), Time: fmt.Sprintf("2026-12-01 08:%02d:00", k)})
			}
			res[i], errs[i] = s.Save(ctx, Batch{Serial: fmt.Sprintf("G%02d", i), Table: "ATTLOG", Stamp: "9", Punches: ps})
		}()
	}
	wg.Wait()
	for i := range n {
		if i == 7 {
			if !errors.Is(errs[i], ErrNotAllowed) {
				t.Fatalf("refused device: %v", errs[i])
			}
			continue
		}
		if errs[i] != nil || res[i].Added != 25 {
			t.Fatalf("device %d: %+v %v", i, res[i], errs[i])
		}
	}
	got, _ := s.Received(ctx, "")
	if len(got) != (n-1)*25 {
		t.Fatalf("stored %d", len(got))
	}
	s.Close()
	if _, err := s.Save(ctx, Batch{Serial: "G01"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("save after close: %v", err)
	}
}

// TestSinceReadsEachPunchOnce: paging by id returns every punch once, with
// its device's time zone, and a resend adds no page.
func TestSinceReadsEachPunchOnce(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "push.db"))
	s.Allow(ctx, "A", "", "Europe/Paris")
	s.Allow(ctx, "B", "", "")
	mk := func(sn string, n int) Batch {
		b := Batch{Serial: sn, Table: "ATTLOG"}
		for k := range n {
			b.Punches = append(b.Punches, Punch{PIN: "7", Time: fmt.Sprintf("2026-12-01 09:%02d:00", k), Raw: "raw"})
		}
		return b
	}
	s.Save(ctx, mk("A", 5))
	s.Save(ctx, mk("B", 4))
	s.Save(ctx, mk("A", 5)) // resend
	var all []Row
	var after int64
	for {
		page, err := s.Since(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	if len(all) != 9 || all[0].Serial != "A" || all[0].TimeZone != "Europe/Paris" || all[8].Serial != "B" || all[8].Raw != "raw" {
		t.Fatalf("rows = %+v", all)
	}
}

// TestDurableSettings: the connection really runs WAL with synchronous=FULL
// (2), which is what "stored before acknowledged" rests on.
func TestDurableSettings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "push.db"))
	var mode string
	var syncMode int
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	if err := s.db.QueryRow(`PRAGMA synchronous`).Scan(&syncMode); err != nil || syncMode != 2 {
		t.Fatalf("synchronous = %d, %v", syncMode, err)
	}
}

// TestPendingBounded: serials that are not allowed are listed as pending up
// to MaxPending; past that a new one is refused without a row, while an
// approved device and one already pending still get through Touch.
func TestPendingBounded(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "push.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Allow(ctx, "GOOD", "", ""); err != nil {
		t.Fatal(err)
	}
	for i := range MaxPending + 5 {
		d, first, err := st.Touch(ctx, fmt.Sprintf("TRY%05d", i), "10.0.0.9:1", "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed || first != (i < MaxPending) {
			t.Fatalf("serial %d: allowed %v first %v", i, d.Allowed, first)
		}
	}
	pending, _ := st.Devices(ctx, true)
	if len(pending) != MaxPending {
		t.Fatalf("%d pending, want %d", len(pending), MaxPending)
	}
	if d, _, err := st.Touch(ctx, "GOOD", "10.0.0.1:1", ""); err != nil || !d.Allowed {
		t.Fatalf("the approved device: %+v %v", d, err)
	}
	if d, first, err := st.Touch(ctx, "TRY00003", "10.0.0.9:1", ""); err != nil || first || d.FirstSeen.IsZero() {
		t.Fatalf("a pending device calling again: %+v %v %v", d, first, err)
	}
}
