package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

// TestKillDevicePullsThenRerun kills `hrsync pull` and `hrsync import` of a
// device source with after_pull: clear at moments spread over their work,
// while the device keeps getting punches, then runs both to the end: every
// punch the device ever held is in the HR database exactly once, the inbox
// holds no partial file and the device is enabled.
func TestKillDevicePullsThenRerun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGKILL")
	}
	if testing.Short() {
		t.Skip("builds the binary and pulls 100,000 records several times")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	const users = 50
	var emps strings.Builder
	emps.WriteString("id,attendance_no,name,status\n")
	for i := 1; i <= users; i++ {
		fmt.Fprintf(&emps, "E%d,%d,P%d,active\n", i, i, i)
	}
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(emps.String()), 0o644)
	d := zkemu.NewDevice()
	all := zkemu.Generate(150_000, users, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	held := 100_000
	d.SetRecords(all[:held])
	srv, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(cfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  machines:
    after_pull: clear
    timeout: 2s
    devices:
      - { name: gate, url: "zk://`+srv.Addr()+`" }
`), 0o644)
	// Records punched so far: the device's log may be cleared, so the
	// emulator's log is the ones since the last clear.
	punched := held
	punch := func(n int) {
		cur := d.RecordCount()
		start := punched - cur
		punched += n
		d.SetRecords(all[start:punched])
	}
	killAfter := func(delay time.Duration, args ...string) {
		cmd := exec.Command(bin, append(args, "--config", cfg, "--quiet")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
	}
	finish := func(args ...string) {
		out, err := exec.Command(bin, append(args, "--config", cfg, "--quiet")...).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "not cleared") {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 0 {
				t.Logf("%v: %v\n%s", args, err, out)
			}
		}
	}
	for i, delay := range []time.Duration{30 * time.Millisecond, 120 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, 900 * time.Millisecond, 1500 * time.Millisecond} {
		killAfter(delay, "pull")
		if i%2 == 1 {
			finish("pull")
			killAfter(delay, "import")
		}
		finish("import")
		finish("pull") // a clear, when everything is imported and no punch came
		punch(1000 * (i + 1))
	}
	finish("pull")
	finish("import")
	finish("pull")
	finish("import")
	if n := countPunches(t, filepath.Join(dir, "hr.db")); n != punched {
		t.Fatalf("the HR database holds %d punches, the device was punched %d times", n, punched)
	}
	if d.Disabled() {
		t.Fatal("the device is disabled")
	}
	inbox, _ := filepath.Glob(filepath.Join(dir, "hrsync-data", "inbox", "machines", ".*partial*"))
	if len(inbox) > 0 {
		t.Fatalf("partial files left: %v", inbox)
	}
	t.Logf("%d punches; the device holds %d after its clears", punched, d.RecordCount())
}
