package commands

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

// TestDevicesCommandSetTime: `hrsync devices command SN set-time` queues the clock
// command; the simulated device, its clock years off, takes it on its next
// poll of the real serve, runs it and reports; its clock then reads this
// machine's time in the device's registry zone, and `devices commands`
// shows the body sent with return code 0.
func TestDevicesCommandSetTime(t *testing.T) {
	ctx := context.Background()
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	dev := &iclocksim.Device{Base: base, SN: "CLOCK1", PushVer: "2.4.1"}
	dev.SetClock(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	app, out, _ := testApp(cfgPath)
	if err := runDevicesApprove(ctx, app, devicesApproveOptions{Serial: dev.SN, TimeZone: "Asia/Ho_Chi_Minh"}); err != nil {
		t.Fatal(err)
	}
	if err := runDevicesCommand(ctx, app, devicesCommandOptions{Serial: dev.SN, Command: "set-time", Params: []string{}}); err != nil {
		t.Fatal(err)
	}
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	before := time.Now().In(hcm)
	cs, err := dev.Work()
	if err != nil || len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "SET OPTION DateTime=") {
		t.Fatalf("work: %v %v", cs, err)
	}
	wallBefore := time.Date(before.Year(), before.Month(), before.Day(), before.Hour(), before.Minute(), before.Second(), 0, time.UTC)
	if got := dev.Clock(); got.Before(wallBefore.Add(-2*time.Second)) || got.After(wallBefore.Add(10*time.Second)) {
		t.Fatalf("the device's clock reads %v, want about %v (Ho Chi Minh)", got, wallBefore)
	}
	out.Reset()
	if err := runDevicesCommands(ctx, app, devicesCommandsOptions{Serial: dev.SN, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var rows []commandRow
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("commands: %v %s", err, out)
	}
	if r := rows[0]; r.Body != cs[0].Body || r.Status != "done" || r.Return == nil || *r.Return != 0 || r.Result != "SET OPTION" {
		t.Fatalf("recorded %+v, sent %q", r, cs[0].Body)
	}

	// --text-time sends the wall clock as text; it is for set-time only.
	if err := runDevicesCommand(ctx, app, devicesCommandOptions{Serial: dev.SN, Command: "set-time", TextTime: true}); err != nil {
		t.Fatal(err)
	}
	if cs, err = dev.Work(); err != nil || len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "SET OPTION DateTime="+before.Format("2006-01-02")) {
		t.Fatalf("text form: %v %v", cs, err)
	}
	if err := runDevicesCommand(ctx, app, devicesCommandOptions{Serial: dev.SN, Command: "check", TextTime: true}); err == nil {
		t.Fatal("--text-time with check was accepted")
	}
	out.Reset()
	if err := runDevicesCommands(ctx, app, devicesCommandsOptions{Serial: dev.SN}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "SET OPTION DateTime="+before.Format("2006-01-02")) || strings.Contains(out.String(), "failed") {
		t.Fatalf("listing:\n%s", out)
	}
}

// TestServeClockZoneOfPushSource: a device approved without a zone gets the
// push source's timezone for its clock (the zone its punches are read in),
// not the config's top-level one.
func TestServeClockZoneOfPushSource(t *testing.T) {
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "    push: true\n", "    push: true\n    timezone: Asia/Ho_Chi_Minh\n", 1))
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	allow(t, cfgPath, "NOZONE")
	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	dev := &iclocksim.Device{Base: base, SN: "NOZONE"}
	if code, body, _ := dev.Do("GET", "/iclock/rtdata", "", "type", "time"); code != 200 || !strings.HasSuffix(body, ",ServerTZ=+0700") {
		t.Fatalf("clock: %d %q", code, body)
	}
}
