package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

// deviceWorld is a config with the given emulated devices (name, device).
func deviceWorld(t *testing.T, devs ...any) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no,name,status\nE1,1,Ann,active\nE2,2,Bob,active\n"), 0o644)
	var b strings.Builder
	b.WriteString("hr:\n  url: sqlite://hr.db\n  employees: { file: employees.csv }\nsources:\n  machines:\n    timeout: 500ms\n    retries: 0\n    devices:\n")
	for i := 0; i+1 < len(devs); i += 2 {
		addr := "127.0.0.1:1"
		if d, ok := devs[i+1].(*zkemu.Device); ok {
			s, err := zkemu.Listen("127.0.0.1:0", d)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			addr = s.Addr()
		}
		fmt.Fprintf(&b, "      - { name: %s, url: \"zk://%s\" }\n", devs[i], addr)
	}
	path := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(path, []byte(b.String()), 0o644)
	return path
}

func TestDevicesInfo(t *testing.T) {
	d := zkemu.NewDevice()
	d.Serial = "CKJ1234567"
	d.SetUsers([]zkemu.User{{PIN: "1", Name: "Ann", Password: "s3cr3t"}, {PIN: "2", Name: "Bob", Card: 77}})
	d.SetRecords(zkemu.Generate(7, 2, time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)))
	d.SetClockOffset(5 * time.Minute)
	cfg := deviceWorld(t, "gate", d, "gone", nil)
	app, out, _ := testApp(cfg)
	err := runDevicesInfo(context.Background(), app, devicesInfoOptions{Output: "table"})
	if exitOf(err) != exitcode.Failed {
		t.Fatalf("exit %d, want 1 (one device is unreachable)", exitOf(err))
	}
	for _, want := range []string{"machines/gate", "CKJ1234567", "2/", "7/", "+5m", "beyond tolerance", "machines/gone", "error:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	app, out, _ = testApp(cfg)
	if err := runDevicesInfo(context.Background(), app, devicesInfoOptions{Devices: []string{"gate"}, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var infos []struct {
		Serial string
		Sizes  struct{ Users, Records int }
		Drift  int64 `json:"drift_ns"`
	}
	if err := json.Unmarshal(out.Bytes(), &infos); err != nil || len(infos) != 1 || infos[0].Serial != "CKJ1234567" || infos[0].Sizes.Records != 7 {
		t.Fatalf("%v %s", err, out)
	}

	app, out, _ = testApp(cfg)
	if err := runDevicesUsers(context.Background(), app, devicesUsersOptions{Devices: []string{"gate"}, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cr3t") || !strings.Contains(out.String(), `"has_password": true`) || !strings.Contains(out.String(), `"name": "Bob"`) {
		t.Fatalf("users:\n%s", out)
	}
	if d.Disabled() {
		t.Fatal("left disabled")
	}
	app, _, _ = testApp(cfg)
	if err := runDevicesUsers(context.Background(), app, devicesUsersOptions{Devices: []string{"nope"}}); exitOf(err) != exitcode.Usage || !strings.Contains(err.Error(), "configured: gate, gone") {
		t.Fatalf("%v", err)
	}
}

// TestDevicesSetTime: the clock is corrected only by set-time, and the run
// is in the history.
func TestDevicesSetTime(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetClockOffset(-10 * time.Minute)
	cfg := deviceWorld(t, "gate", d)
	app, _, errOut := testApp(cfg)
	if err := runPull(context.Background(), app, pullOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "warning: source machines device gate: the clock is -10m") {
		t.Fatalf("pull:\n%s", errOut)
	}
	if off := time.Until(d.Clock()); off > -9*time.Minute {
		t.Fatal("pull changed the clock")
	}
	app, _, errOut = testApp(cfg)
	if err := runDevicesSetTime(context.Background(), app, devicesSetTimeOptions{Devices: []string{"gate"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "machines/gate: clock set (drift -10m") {
		t.Fatalf("set-time:\n%s", errOut)
	}
	if off := time.Until(d.Clock()); off > 2*time.Second || off < -2*time.Second {
		t.Fatalf("the clock is still %s off", off)
	}
	app, out, _ := testApp(cfg)
	if err := runRunsList(context.Background(), app, runsListOptions{Limit: 5, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "devices set-time") {
		t.Fatalf("history:\n%s", out)
	}
}

// TestDevicePullSuggest: map-check --suggest binds the CSV a device pull
// writes, column by column.
func TestDevicePullSuggest(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(6, 2, time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)))
	cfg := deviceWorld(t, "gate", d)
	app, _, _ := testApp(cfg)
	if err := runPull(context.Background(), app, pullOptions{}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "hrsync-data", "inbox", "machines", "machines_gate_*.csv"))
	if len(files) != 1 {
		t.Fatalf("inbox: %v", files)
	}
	code, out, errOut := run("map-check", "--config", cfg, "--suggest", "--file", files[0])
	for _, want := range []string{`employee_key: { column: "pin" }`, `time: { column: "time", layout: "2006-01-02T15:04:05Z07:00" }`,
		`direction: { column: "state"`, `device: { column: "serial_no" }`} {
		if !strings.Contains(out, want) {
			t.Errorf("exit %d, no %q in\n%s\n%s", code, want, out, errOut)
		}
	}
}

// TestDevicesCopyTemplates: templates go to the user with the same PIN on
// each target (whatever its UID there); a PIN the target lacks is counted.
func TestDevicesCopyTemplates(t *testing.T) {
	a, b, c := zkemu.NewDevice(), zkemu.NewDevice(), zkemu.NewDevice()
	a.SetUsers([]zkemu.User{{UID: 1, PIN: "1001"}, {UID: 2, PIN: "1002"}})
	a.SetTemplates([]zkemu.Template{
		{UID: 1, Finger: 0, Flag: 1, Data: []byte("ann-right-index-template")},
		{UID: 1, Finger: 5, Flag: 3, Data: []byte("ann-left-thumb-duress")},
		{UID: 2, Finger: 1, Flag: 1, Data: make([]byte, 1500)},
	})
	b.SetUsers([]zkemu.User{{UID: 7, PIN: "1002"}, {UID: 9, PIN: "1001"}})
	c.SetUsers([]zkemu.User{{UID: 3, PIN: "1001"}})
	cfg := deviceWorld(t, "gate", a, "store", b, "depot", c)
	app, _, errOut := testApp(cfg)
	if err := runDevicesCopyTemplates(context.Background(), app, devicesCopyTemplatesOptions{From: "gate", To: []string{"store", "depot"}}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(errOut.String(), "store: 3 templates copied") || !strings.Contains(errOut.String(), "depot: 2 templates copied, 1 skipped") {
		t.Fatalf("output:\n%s", errOut)
	}
	got := map[string]string{}
	for _, tp := range b.Templates() {
		got[fmt.Sprintf("%d/%d/%d", tp.UID, tp.Finger, tp.Flag)] = fmt.Sprint(len(tp.Data))
	}
	if got["9/0/1"] != "24" || got["9/5/3"] != "21" || got["7/1/1"] != "1500" || len(got) != 3 {
		t.Fatalf("store holds %v", got)
	}
	if ts := c.Templates(); len(ts) != 2 || ts[0].UID != 3 {
		t.Fatalf("depot holds %+v", ts)
	}
	if a.Disabled() || b.Disabled() || c.Disabled() {
		t.Fatal("a device was left disabled")
	}
	app, _, _ = testApp(cfg)
	if err := runDevicesCopyTemplates(context.Background(), app, devicesCopyTemplatesOptions{From: "gate", To: []string{"gate"}}); exitOf(err) != exitcode.Usage {
		t.Fatalf("copy onto itself: %v", err)
	}
}

// TestMapCheckAgainstDeviceUsers: with --directory-from-devices the
// directory is the devices' users, so a PIN the devices know is placed, a
// padded one gets a near match, and one no device holds is unmapped.
func TestMapCheckAgainstDeviceUsers(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetUsers([]zkemu.User{{PIN: "101", Name: "Ann"}, {PIN: "102", Name: "Bob"}})
	cfg := deviceWorld(t, "gate", d)
	dir := filepath.Dir(cfg)
	os.WriteFile(filepath.Join(dir, "export.csv"), []byte("pin,time\n101,2025-03-01 08:00:00\n0102,2025-03-01 08:01:00\n0102,2025-03-01 17:01:00\n999,2025-03-01 08:02:00\n"), 0o644)
	yaml, _ := os.ReadFile(cfg)
	yaml = append(yaml, []byte("  export:\n    path: export.csv\n    timezone: UTC\n    mapping: { employee_key: pin, time: time }\n")...)
	os.WriteFile(cfg, yaml, 0o644)

	app, out, _ := testApp(cfg)
	err := runMapCheck(context.Background(), app, mapCheckOptions{Sources: []string{"export"}, DevicesDirectory: true, Output: "json"})
	if exitOf(err) != exitcode.Rejected {
		t.Fatalf("exit %d (%v), want 3: two keys match no device user\n%s", exitOf(err), err, out)
	}
	for _, want := range []string{`"999"`, "strip_leading_zeros"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	// Without the flag the directory is hr.employees (E1, E2): nothing matches.
	app, out, _ = testApp(cfg)
	runMapCheck(context.Background(), app, mapCheckOptions{Sources: []string{"export"}, Output: "json"})
	if strings.Contains(out.String(), "strip_leading_zeros") {
		t.Fatalf("near match without the devices' users:\n%s", out)
	}
	if d.Disabled() {
		t.Fatal("left disabled")
	}
}
