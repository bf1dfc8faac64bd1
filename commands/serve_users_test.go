package commands

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
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
