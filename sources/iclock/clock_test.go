package iclock

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

// TestClock: rtdata?type=time gives the device the server's UTC clock in
// ZKTeco's encoding and the offset of the device's zone; an unregistered
// device is refused.
func TestClock(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 1, 2, 3, 0, time.UTC)
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{Now: func() time.Time { return now }})
	if err := st.Allow(ctx, "HCM1", "", "Asia/Ho_Chi_Minh"); err != nil {
		t.Fatal(err)
	}
	d := &sim{base: srv.URL, sn: "HCM1", c: srv.Client()}
	code, body, err := d.do("GET", d.url("/iclock/rtdata", "type", "time"), "")
	// (26*12*31 + 11*31 + 2)*86400 + 3723
	want := "DateTime=" + "865299723" + ",ServerTZ=+0700"
	if err != nil || code != 200 || body != want {
		t.Fatalf("rtdata: %d %q %v, want %q", code, body, err, want)
	}
	if got := EncodeTime(now); got != 865299723 {
		t.Fatalf("EncodeTime %d", got)
	}
	u := &sim{base: srv.URL, sn: "STRANGER", c: srv.Client()}
	if code, _, _ := u.do("GET", u.url("/iclock/rtdata", "type", "time"), ""); code != 403 {
		t.Fatalf("unregistered: %d", code)
	}
}

// TestSetTimeCommand: a queued clock command goes out with the device's
// wall clock as of the poll that takes it (its registry zone), in the
// packed or the text form; the stored row keeps the body sent; a user
// whose name holds the placeholder is sent as it is; the simulator runs the
// command, its clock moves, and the result is recorded.
func TestSetTimeCommand(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 1, 2, 3, 0, time.UTC) // 08:02:03 in Ho Chi Minh
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{Now: func() time.Time { return now }})
	if err := st.Allow(ctx, "HCM1", "", "Asia/Ho_Chi_Minh"); err != nil {
		t.Fatal(err)
	}
	user, err := UpdateUser("7", "${DeviceTime}", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{CmdSetTime, CmdSetTimeText, user} {
		if _, err := st.Enqueue(ctx, "HCM1", b); err != nil {
			t.Fatal(err)
		}
	}
	dev := &iclocksim.Device{Base: srv.URL, SN: "HCM1", Client: srv.Client()}
	dev.SetClock(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	cs, err := dev.Work()
	if err != nil {
		t.Fatal(err)
	}
	// (26*12*31 + 11*31 + 2)*86400 + 8*3600 + 2*60 + 3
	want := []string{"SET OPTION DateTime=865324923", "SET OPTION DateTime=2026-12-03 08:02:03", user}
	if len(cs) != 3 {
		t.Fatalf("polled %v", cs)
	}
	for i, c := range cs {
		if c.Body != want[i] {
			t.Fatalf("command %d sent as %q, want %q", i, c.Body, want[i])
		}
	}
	wall := time.Date(2026, 12, 3, 8, 2, 3, 0, time.UTC)
	if got := dev.Clock(); got.Before(wall) || got.After(wall.Add(5*time.Second)) {
		t.Fatalf("the device's clock reads %v, want %v", got, wall)
	}
	stored, err := st.Commands(ctx, "HCM1")
	if err != nil || len(stored) != 3 {
		t.Fatalf("stored %v %v", stored, err)
	}
	for i, c := range stored {
		if c.Body != want[i] || c.Status != "done" || !c.ReturnCode.Valid || c.ReturnCode.Int64 != 0 {
			t.Fatalf("stored %d: %+v", i, c)
		}
	}
	if stored[0].Result != "SET OPTION" {
		t.Fatalf("result %q", stored[0].Result)
	}
}

// TestExpandTimeOnlyWholeBodies: only the clock commands themselves are
// rewritten.
func TestExpandTimeOnlyWholeBodies(t *testing.T) {
	wall := time.Date(2000, 1, 1, 0, 0, 1, 0, time.UTC)
	for body, want := range map[string]string{
		CmdSetTime:                  "SET OPTION DateTime=1",
		CmdSetTimeText:              "SET OPTION DateTime=2000-01-01 00:00:01",
		CmdSetTime + "x":            CmdSetTime + "x",
		"CHECK":                     "CHECK",
		"SET OPTION DateTime=12345": "SET OPTION DateTime=12345",
	} {
		if got := ExpandTime(body, wall); got != want {
			t.Errorf("ExpandTime(%q) = %q, want %q", body, got, want)
		}
	}
}
