package importer

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/fetch"
	"github.com/hrsync/hrsync/sources/zk"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

var zkStart = time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)

func serveDevice(t *testing.T, d *zkemu.Device) string {
	t.Helper()
	s, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

// deviceSetup writes a config with one device source over the given
// devices (name -> address) and an employee file for PINs 1..9.
func deviceSetup(t *testing.T, extra string, devs ...string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	var emps strings.Builder
	emps.WriteString("id,attendance_no,name,status\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&emps, "E%d,%d,P%d,active\n", i, i, i)
	}
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(emps.String()), 0o644)
	var b strings.Builder
	b.WriteString("hr:\n  url: sqlite://hr.db\n  employees: { file: employees.csv }\nlock_wait: 1s\ntimezone: Asia/Ho_Chi_Minh\nsources:\n  machines:\n    timeout: 500ms\n    retries: 0\n" + extra + "    devices:\n")
	for i := 0; i+1 < len(devs); i += 2 {
		fmt.Fprintf(&b, "      - { name: %s, url: \"zk://%s\" }\n", devs[i], devs[i+1])
	}
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(b.String()), 0o644)
	c, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pullOnce(t *testing.T, cfg *config.Config) PullResult {
	t.Helper()
	res, err := Pull(context.Background(), PullOptions{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func lineOf(t *testing.T, res PullResult, device string) PullLine {
	t.Helper()
	for _, l := range res.Lines {
		if l.Device != nil && l.Device.Device == device {
			return l
		}
	}
	t.Fatalf("no line for device %s in %+v", device, res.Lines)
	return PullLine{}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// inboxFiles lists the files in the source's inbox (not its subfolders),
// the hidden .partial ones included.
func inboxFiles(t *testing.T, cfg *config.Config) []string {
	t.Helper()
	ents, _ := os.ReadDir(cfg.InboxDir(cfg.Sources["machines"]))
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestDevicePullIncremental: each record is pulled once, in the device's
// zone with its offset; a pull with nothing new writes nothing; import
// maps the file with the default mapping.
func TestDevicePullIncremental(t *testing.T) {
	a, b := zkemu.NewDevice(), zkemu.NewDevice()
	a.Serial, b.Serial = "AAA1", "BBB2"
	a.SetRecords(zkemu.Generate(5, 3, zkStart))
	b.SetRecords(zkemu.Generate(2, 3, zkStart.Add(time.Hour)))
	cfg := deviceSetup(t, "", "gate", serveDevice(t, a), "store", serveDevice(t, b))

	res := pullOnce(t, cfg)
	if res.Outcome() != nil || len(res.Lines) != 2 {
		t.Fatalf("%v %+v", res.Outcome(), res.Lines)
	}
	g := lineOf(t, res, "gate")
	if g.Outcome != fetch.Pulled || g.Device.New != 5 || !strings.Contains(g.Reason, "read all 5 records (the device offers no read of only the new ones), 5 new") {
		t.Fatalf("gate: %+v %+v", g, g.Device)
	}
	recs := readCSV(t, g.LocalPath)
	if strings.Join(recs[0], ",") != strings.Join(config.DeviceCSVHeader, ",") || len(recs) != 6 {
		t.Fatalf("file: %v", recs)
	}
	// The emulator's clock shows UTC wall times; the device's zone is the
	// source's (Asia/Ho_Chi_Minh), so 06:00 there is written with +07:00.
	if got := strings.Join(recs[1], ","); got != "AAA1,1,2025-03-01T06:00:00+07:00,0,1,0" {
		t.Errorf("first row %s", got)
	}

	recsA := zkemu.Generate(8, 3, zkStart)
	a.SetRecords(recsA)
	res = pullOnce(t, cfg)
	g = lineOf(t, res, "gate")
	if g.Outcome != fetch.Pulled || g.Device.New != 3 || g.Device.Records != 8 {
		t.Fatalf("second pull: %+v %+v", g, g.Device)
	}
	if recs := readCSV(t, g.LocalPath); len(recs) != 4 || recs[1][2] != "2025-03-01T06:00:15+07:00" {
		t.Fatalf("second file: %v", recs)
	}
	if s := lineOf(t, res, "store"); s.Outcome != fetch.SkippedAlreadyPulled || s.LocalPath != "" {
		t.Fatalf("store: %+v", s)
	}
	if a.Disabled() || b.Disabled() {
		t.Fatal("a device was left disabled")
	}

	ires, err := Import(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if ires.Counts[mapping.Imported] != 10 || ires.Counts.Total() != 10 {
		t.Fatalf("import: %v", ires.Counts)
	}
	if got := countPunches(t, cfg); got != 10 {
		t.Fatalf("%d punches in the HR database", got)
	}
}

func countPunches(t *testing.T, cfg *config.Config) int {
	t.Helper()
	db, err := sql.Open("sqlite", strings.TrimPrefix(cfg.HR.URL, "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM attendance_punches`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDevicePullFaults: a device that fails in any way gets one failed
// line, is re-enabled, leaves nothing in the inbox and keeps its position,
// while the other device is still pulled.
func TestDevicePullFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*zkemu.Device)
		want  string
	}{
		{"wrong comm key", func(d *zkemu.Device) { d.CommKey = 4242 }, "comm key"},
		{"busy", func(d *zkemu.Device) { d.Inject(zkemu.Fault{Kind: zkemu.Busy, Cmd: zk.CmdDisableDevice}) }, "busy"},
		{"cut mid-transfer", func(d *zkemu.Device) { d.Inject(zkemu.Fault{Kind: zkemu.Cut, Cmd: zk.CmdDataRdy, After: 1}) }, "closed the connection"},
		{"garbage", func(d *zkemu.Device) { d.Inject(zkemu.Fault{Kind: zkemu.Garbage, Cmd: zk.CmdDataRdy}) }, "read attendance log"},
		{"silent mid-transfer", func(d *zkemu.Device) { d.Inject(zkemu.Fault{Kind: zkemu.Silent, Cmd: zk.CmdDataRdy, After: 1}) }, "no answer"},
		{"miscounting firmware", func(d *zkemu.Device) { d.CountSkew = 1 }, "device's record count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, bad := zkemu.NewDevice(), zkemu.NewDevice()
			good.SetRecords(zkemu.Generate(3, 3, zkStart))
			bad.SetRecords(zkemu.Generate(5000, 3, zkStart)) // more than one chunk
			tc.setup(bad)
			cfg := deviceSetup(t, "", "bad", serveDevice(t, bad), "good", serveDevice(t, good))
			res := pullOnce(t, cfg)
			l := lineOf(t, res, "bad")
			if l.Outcome != fetch.Failed || !strings.Contains(l.Reason, tc.want) || l.LocalPath != "" {
				t.Fatalf("bad: %s %q", l.Outcome, l.Reason)
			}
			if g := lineOf(t, res, "good"); g.Outcome != fetch.Pulled {
				t.Fatalf("good: %+v", g)
			}
			if res.Outcome() == nil || res.Counts[mapping.Code(fetch.Failed)] != 1 {
				t.Fatalf("outcome %v counts %v", res.Outcome(), res.Counts)
			}
			if bad.Disabled() {
				t.Fatal("the failing device was left disabled")
			}
			if files := inboxFiles(t, cfg); len(files) != 1 || !strings.HasPrefix(files[0], "machines_good_") {
				t.Fatalf("inbox: %v", files)
			}
			st := openTestState(t, cfg)
			if p, err := st.DevicePosition(context.Background(), "machines", "bad"); err != nil || p.Count != 0 {
				t.Fatalf("position %+v %v", p, err)
			}
		})
	}
}

// TestDevicePullUnreachable: a device nobody answers at is one failed line
// after the bounded retry.
func TestDevicePullUnreachable(t *testing.T) {
	good := zkemu.NewDevice()
	good.SetRecords(zkemu.Generate(3, 3, zkStart))
	silent := zkemu.NewDevice()
	silent.Inject(zkemu.Fault{Kind: zkemu.Silent, Cmd: zk.CmdConnect})
	silent.Inject(zkemu.Fault{Kind: zkemu.Silent, Cmd: zk.CmdConnect, After: 1})
	cfg := deviceSetup(t, "", "gone", "127.0.0.1:1", "mute", serveDevice(t, silent), "good", serveDevice(t, good))
	cfg.Sources["machines"].Retries = new(int)
	*cfg.Sources["machines"].Retries = 1
	res := pullOnce(t, cfg)
	if l := lineOf(t, res, "gone"); l.Outcome != fetch.Failed || !strings.Contains(l.Reason, "after 2 attempts") {
		t.Fatalf("gone: %q", l.Reason)
	}
	if l := lineOf(t, res, "mute"); l.Outcome != fetch.Failed || !strings.Contains(l.Reason, "no answer") {
		t.Fatalf("mute: %q", l.Reason)
	}
	if lineOf(t, res, "good").Outcome != fetch.Pulled || len(res.Lines) != 3 {
		t.Fatalf("%+v", res.Lines)
	}
}

// TestDeviceDrift: the drift is on every line; beyond the tolerance it is
// a warning and a count in the run history.
func TestDeviceDrift(t *testing.T) {
	d := zkemu.NewDevice()
	d.Location, _ = time.LoadLocation("Asia/Ho_Chi_Minh") // the zone the config gives it
	d.SetClockOffset(-3 * time.Minute)
	cfg := deviceSetup(t, "    drift_tolerance: 60s\n", "gate", serveDevice(t, d))
	res := pullOnce(t, cfg)
	l := lineOf(t, res, "gate")
	if !l.Device.HasDrift || l.Device.Drift > -170*time.Second || l.Device.Drift < -190*time.Second || !strings.Contains(l.Reason, "clock -3m") {
		t.Fatalf("drift %s, reason %q", l.Device.Drift, l.Reason)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "devices set-time") {
		t.Fatalf("warnings %v", res.Warnings)
	}
	st := openTestState(t, cfg)
	run, err := st.GetRun(context.Background(), res.RunID)
	if err != nil || run.Counts["device_clock_drift_warnings"] != 1 {
		t.Fatalf("history %+v %v", run.Counts, err)
	}
	// The position keeps the drift for the console's Devices page.
	if p, err := st.DevicePosition(context.Background(), "machines", "gate"); err != nil || p.Drift != l.Device.Drift || p.CheckedAt.IsZero() {
		t.Fatalf("position %+v %v", p, err)
	}
}

func openTestState(t *testing.T, cfg *config.Config) *state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), filepath.Join(cfg.DataDir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestDeviceClearSafety: after_pull: clear empties a device only once every
// file pulled from it is archived by import and the device holds no record
// past those; a clear whose position was never saved (a kill) or a log
// replaced behind our back loses no punch.
func TestDeviceClearSafety(t *testing.T) {
	ctx := context.Background()
	d := zkemu.NewDevice()
	recs := zkemu.Generate(4, 3, zkStart)
	d.SetRecords(recs)
	cfg := deviceSetup(t, "    after_pull: clear\n", "gate", serveDevice(t, d))
	importAll := func(want int64) {
		t.Helper()
		res, err := Import(ctx, Options{Config: cfg})
		if err != nil || res.Counts[mapping.Imported] != want {
			t.Fatalf("import: %v %v, want %d imported", res.Counts, err, want)
		}
	}
	step := func(wantReason string, wantCount int) PullLine {
		t.Helper()
		l := lineOf(t, pullOnce(t, cfg), "gate")
		if !strings.Contains(l.Reason, wantReason) || d.RecordCount() != wantCount || l.Outcome == fetch.Failed {
			t.Fatalf("reason %q, device holds %d (want %q, %d)", l.Reason, d.RecordCount(), wantReason, wantCount)
		}
		return l
	}
	step("not cleared: the 4 new records are not imported yet", 4)
	step("is not imported (archived) yet", 4)
	importAll(4)
	// A punch after the pull: it is pulled first, the clear waits for it.
	recs = append(recs, zkemu.Generate(5, 3, zkStart)[4])
	d.SetRecords(recs)
	step("not cleared: the 1 new records are not imported yet", 5)
	importAll(1)
	if l := step("cleared the log: its 5 records are all imported", 0); !l.Device.Cleared {
		t.Fatal("not marked cleared")
	}
	st := openTestState(t, cfg)
	if p, _ := st.DevicePosition(ctx, "machines", "gate"); p.Count != 0 || len(p.Pending) != 0 {
		t.Fatalf("position after the clear: %+v", p)
	}
	step("log empty, nothing to clear", 0)

	// A kill between the clear and saving its position: the state still
	// says 5 pulled. Two punches come; the device holds fewer than 5, so
	// both are new.
	st.SetDevicePosition(ctx, "machines", "gate", state.DevicePosition{Serial: d.Serial, Count: 5, Last: "2|1740808809|1"})
	later := zkemu.Generate(8, 3, zkStart.Add(24*time.Hour))
	d.SetRecords(later[:2])
	l := step("not cleared: the 2 new records are not imported yet", 2)
	if l.Device.New != 2 || !strings.Contains(l.Reason, "cleared or replaced") {
		t.Fatalf("%+v %q", l.Device, l.Reason)
	}
	importAll(2)
	// The log cleared and refilled past the position by someone at the
	// device: the last pulled record is not where it was, all are new.
	st.SetDevicePosition(ctx, "machines", "gate", state.DevicePosition{Serial: d.Serial, Count: 5, Last: "2|1740808809|1"})
	d.SetRecords(later)
	l = step("not cleared: the 8 new records are not imported yet", 8)
	if l.Device.New != 8 {
		t.Fatalf("%+v", l.Device)
	}
	importAll(6) // the first two are duplicates
	if got := countPunches(t, cfg); got != 5+8 {
		t.Fatalf("%d punches in the HR database, want 13", got)
	}
}

// TestDevicePullUDP: a device reached with ?udp is pulled the same way.
func TestDevicePullUDP(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(3000, 3, zkStart)) // several 16 KiB chunks
	s, err := zkemu.ListenUDP("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := deviceSetup(t, "", "gate", s.Addr()+"?udp")
	if !cfg.Sources["machines"].DeviceConns()[0].Endpoint.UDP {
		t.Fatal("not UDP")
	}
	l := lineOf(t, pullOnce(t, cfg), "gate")
	if l.Outcome != fetch.Pulled || l.Device.New != 3000 {
		t.Fatalf("%s %q", l.Outcome, l.Reason)
	}
}
