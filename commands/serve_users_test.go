package commands

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

// TestPushUsersToPushedDevices: push-users with target kind iclock queues a
// DATA UPDATE USERINFO per new user for every approved device (not for a
// pending one); a device's poll takes them and its results are recorded; a
// second run queues nothing; a leaver becomes DATA DELETE USERINFO.
func TestPushUsersToPushedDevices(t *testing.T) {
	ctx := context.Background()
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	dir := filepath.Dir(cfgPath)
	staff := filepath.Join(dir, "staff.csv")
	os.WriteFile(staff, []byte("Emp No,Att No,Full Name,Status\nE1,1001,Nguyen Van An,Active\nE2,1002,Tran Thi Binh,Active\n"), 0o644)
	b, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, append(b, []byte(`push_users:
  source:
    path: staff.csv
    columns: { id: Emp No, attendance_no: Att No, name: Full Name, status: Status }
  target: { kind: iclock }
  required: [id, name, status]
  max_deactivate_share: 1
`)...), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Allow(ctx, "DEV1", "", "")
	st.Allow(ctx, "DEV2", "", "")
	st.Touch(ctx, "STRANGER", "", "")

	app, _, stderr := testApp(cfgPath)
	if err := runPushUsers(ctx, app, pushUsersOptions{}); err != nil {
		t.Fatalf("push-users: %v %s", err, stderr)
	}
	for _, sn := range []string{"DEV1", "DEV2"} {
		cs, _ := st.Commands(ctx, sn)
		if len(cs) != 2 || !strings.HasPrefix(cs[0].Body, "DATA UPDATE USERINFO PIN=1001\tName=Nguyen Van An") {
			t.Fatalf("%s: %+v", sn, cs)
		}
	}
	if cs, _ := st.Commands(ctx, "STRANGER"); len(cs) != 0 {
		t.Fatalf("a pending device got %v", cs)
	}

	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	dev := &iclocksim.Device{Base: base, SN: "DEV1"}
	code, polled, err := dev.Poll()
	if err != nil || code != http.StatusOK || len(polled) != 2 {
		t.Fatalf("poll: %d %v %v", code, polled, err)
	}
	dev.Results(polled, 0)
	if cs, _ := st.Commands(ctx, "DEV1"); cs[0].Status != "done" || !cs[0].ReturnCode.Valid || cs[0].ReturnCode.Int64 != 0 {
		t.Fatalf("results not recorded: %+v", cs)
	}

	if err := runPushUsers(ctx, app, pushUsersOptions{}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := st.Commands(ctx, "DEV2"); len(cs) != 2 {
		t.Fatalf("an unchanged staff list queued more: %+v", cs)
	}
	os.WriteFile(staff, []byte("Emp No,Att No,Full Name,Status\nE1,1001,Nguyen Van An,Active\nE2,1002,Tran Thi Binh,Resigned\n"), 0o644)
	if err := runPushUsers(ctx, app, pushUsersOptions{}); err != nil {
		t.Fatalf("push-users: %v %s", err, stderr)
	}
	if cs, _ := st.Commands(ctx, "DEV2"); len(cs) != 3 || cs[2].Body != "DATA DELETE USERINFO PIN=1002" {
		t.Fatalf("leaver: %+v", cs)
	}
}

// TestDevicesRejectRemove: a rejected device is refused again and listed as
// pending; a removed one is forgotten with its queued commands, and its
// stored punches stay; both are runs in the history; a device never seen
// cannot be commanded.
func TestDevicesRejectRemove(t *testing.T) {
	ctx := context.Background()
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	app, _, _ := testApp(cfgPath)
	if err := runDevicesApprove(ctx, app, devicesApproveOptions{Serial: "GATE1"}); err != nil {
		t.Fatal(err)
	}
	if err := runDevicesApprove(ctx, app, devicesApproveOptions{Serial: "GATE1", TimeZone: "Mars/Olympus"}); exitOf(err) != exitcode.Usage {
		t.Fatalf("a bad zone: %v", err)
	}
	if err := runDevicesCommand(ctx, app, devicesCommandOptions{Serial: "NEVER", Command: "check"}); exitOf(err) != exitcode.Usage {
		t.Fatalf("commanding an unknown device: %v", err)
	}
	if err := runDevicesCommand(ctx, app, devicesCommandOptions{Serial: "GATE1", Command: "query-log", From: "2026-12-01 00:00:00", To: "2026-12-02 00:00:00"}); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	dev := &iclocksim.Device{Base: base, SN: "GATE1"}
	if _, n, _ := dev.Upload(1, []string{iclocksim.AttLine("1", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), 0, 1)}); n != 1 {
		t.Fatalf("approved upload: %d", n)
	}
	if err := runDevicesReject(ctx, app, devicesRejectOptions{Serial: "GATE1"}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := dev.Upload(2, []string{iclocksim.AttLine("1", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), 0, 1)}); code != http.StatusForbidden {
		t.Fatalf("rejected device's upload: %d", code)
	}
	cfg, _ := config.Load(cfgPath)
	st, _ := pushstore.Open(ctx, cfg.PushStorePath())
	defer st.Close()
	if p, _ := st.Devices(ctx, true); len(p) != 1 {
		t.Fatalf("pending after reject: %v", p)
	}
	if err := runDevicesReject(ctx, app, devicesRejectOptions{Serial: "GATE1", Remove: true}); err != nil {
		t.Fatal(err)
	}
	if _, known, _ := st.Device(ctx, "GATE1"); known {
		t.Fatal("removed device still in the registry")
	}
	if cs, _ := st.Commands(ctx, "GATE1"); len(cs) != 0 {
		t.Fatalf("removed device's queued commands: %v", cs)
	}
	if rows, _ := st.Received(ctx, "GATE1"); len(rows) != 1 {
		t.Fatalf("removed device's punches: %v", rows)
	}
	if err := runDevicesReject(ctx, app, devicesRejectOptions{Serial: "GATE1", Remove: true}); exitOf(err) != exitcode.Usage {
		t.Fatalf("removing twice: %v", err)
	}
}
