package commands

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/schedule"
)

// scheduleConfig writes a small config in a fresh folder (its data folder
// not there yet) and returns its path.
func scheduleConfig(t *testing.T) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "hrsync.yaml")
	os.WriteFile(cfg, []byte("hr:\n  url: sqlite://hr.db\nsources:\n  gate:\n    path: p.csv\n    mapping:\n"+
		"      employee_key: { column: 1 }\n      time: { column: 2, layout: \"2006-01-02 15:04:05\" }\n"), 0o644)
	return cfg
}

// schedule only writes --log-file into the lines; the scheduled run opens
// it. A folder this user cannot create (/var/log/hrsync as a consultant)
// is not its business.
func TestScheduleDoesNotOpenTheLogFile(t *testing.T) {
	cfg := scheduleConfig(t)
	notAFolder := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notAFolder, nil, 0o644)
	logFile := filepath.Join(notAFolder, "hrsync", "hrsync.log")
	code, out, errOut := run("schedule", "--at", "06:30", "--job", "punches", "--config", cfg, "--log-file", logFile)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "--log-file "+logFile+" # hrsync:punches") {
		t.Fatalf("the cron line does not name the log file:\n%s", out)
	}
}

func TestScheduleEvery(t *testing.T) {
	cfg := scheduleConfig(t)
	code, out, errOut := run("schedule", "--every", "1h", "--job", "retry", "--command", "retry", "--config", cfg)
	if code != exitcode.OK || !strings.Contains(out, "\n0 * * * * cd ") || !strings.Contains(out, " retry --quiet --config ") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("schedule", "--every", "15m", "--at", "06:05", "--job", "punches", "--config", cfg)
	if code != exitcode.OK || !strings.Contains(out, "\n5-59/15 * * * * cd ") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"--every", "7m"}, {"--every", "soon"}, {}} {
		args := append([]string{"schedule", "--job", "punches", "--config", cfg}, bad...)
		if code, _, errOut := run(args...); code != exitcode.Usage {
			t.Errorf("%v: exit %d, want %d\n%s", bad, code, exitcode.Usage, errOut)
		}
	}
}

// fakeCrontab is a real small program standing in for crontab(1): -l
// prints the stored crontab (or fails the way crontab does when there is
// none), - stores stdin. It never touches this machine's crontab.
func fakeCrontab(t *testing.T) (program, store string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in crontab is a shell script")
	}
	dir := t.TempDir()
	store = filepath.Join(dir, "crontab.txt")
	program = filepath.Join(dir, "crontab")
	script := "#!/bin/sh\nstore='" + store + "'\ncase \"$1\" in\n" +
		"-l) if [ -f \"$store\" ]; then cat \"$store\"; else echo \"no crontab for $(id -un)\" >&2; exit 1; fi ;;\n" +
		"-) cat > \"$store\" ;;\n*) echo \"usage: crontab [-l | -]\" >&2; exit 2 ;;\nesac\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return program, store
}

func TestScheduleInstallCron(t *testing.T) {
	program, store := fakeCrontab(t)
	cfg := scheduleConfig(t)
	app, stdout, stderr := testApp(cfg)
	o := scheduleOptions{At: "06:30", Job: "punches", Command: "import", Install: true, GOOS: "linux",
		Executable: "/opt/hrsync/hrsync", Crontab: program}

	// No crontab yet.
	if err := runSchedule(context.Background(), app, o); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	got, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "30 6 * * * cd ") || !strings.Contains(stdout.String(), lines[0]) {
		t.Fatalf("crontab after the first install:\n%s\nprinted:\n%s", got, stdout)
	}
	if !strings.Contains(stderr.String(), `installed: this user's crontab runs hrsync job "punches"`) {
		t.Errorf("stderr: %s", stderr)
	}

	// Someone else's lines, then a second install at another time, and an
	// hourly retry beside it.
	others := "MAILTO=ops@example.com\n0 1 * * * /usr/local/bin/backup\n"
	os.WriteFile(store, []byte(others+string(got)), 0o644)
	o.At = "07:15"
	if err := runSchedule(context.Background(), app, o); err != nil {
		t.Fatal(err)
	}
	if err := runSchedule(context.Background(), app, o); err != nil {
		t.Fatal(err)
	}
	retry := o
	retry.At, retry.Every, retry.Job, retry.Command = "", time.Hour, "retry", "retry"
	if err := runSchedule(context.Background(), app, retry); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(store)
	lines = strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "MAILTO=ops@example.com" || lines[1] != "0 1 * * * /usr/local/bin/backup" ||
		!strings.HasPrefix(lines[2], "15 7 * * * cd ") || !strings.HasSuffix(lines[2], "# hrsync:punches") ||
		!strings.HasPrefix(lines[3], "0 * * * * cd ") || !strings.HasSuffix(lines[3], "# hrsync:retry") {
		t.Fatalf("crontab after reinstalling:\n%s", got)
	}
}

func TestScheduleInstallCronFailure(t *testing.T) {
	program := filepath.Join(t.TempDir(), "crontab")
	os.WriteFile(program, []byte("#!/bin/sh\necho 'crontab: your account is not allowed to use cron' >&2\nexit 1\n"), 0o755)
	if runtime.GOOS == "windows" {
		t.Skip("shell script")
	}
	app, _, _ := testApp(scheduleConfig(t))
	err := runSchedule(context.Background(), app, scheduleOptions{At: "06:30", Job: "punches", Command: "import",
		Install: true, GOOS: "linux", Executable: "/opt/hrsync/hrsync", Crontab: program})
	if exitOf(err) != exitcode.Failed || !strings.Contains(err.Error(), "not allowed to use cron") {
		t.Fatalf("err %v (exit %d)", err, exitOf(err))
	}
}

// The task's arguments reach schtasks one by one, as WindowsArgs made
// them (no cmd.exe in between): a stand-in schtasks writes them down.
func TestInstallTaskPassesTheArguments(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in schtasks is a shell script")
	}
	dir := t.TempDir()
	record := filepath.Join(dir, "args.txt")
	program := filepath.Join(dir, "schtasks")
	os.WriteFile(program, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '"+record+"'; done\n"), 0o755)
	args, err := schedule.WindowsArgs(schedule.Job{Name: "retry", Every: time.Hour, Executable: `C:\Program Files\hrsync\hrsync.exe`,
		ConfigPath: `D:\HR Sync\hrsync.yaml`, LogFile: `D:\HR Sync\hrsync-data\hrsync.log`, Args: []string{"retry"}})
	if err != nil {
		t.Fatal(err)
	}
	app, _, _ := testApp("")
	if err := installTask(context.Background(), app, program, args[1:]); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(record)
	if want := strings.Join(args[1:], "\n") + "\n"; string(got) != want {
		t.Fatalf("schtasks got\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(string(got), "/SC\nHOURLY\n/MO\n1\n/ST\n00:00\n") {
		t.Fatalf("not hourly:\n%s", got)
	}
}

// The printed crontab line works on the very first run of a fresh install:
// no data folder, no log folder. It runs the real hrsync, built here, the
// way cron would (sh -c, from another folder).
func TestScheduledCronLineWorksOnTheFirstRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hrsync")
	}
	sh, err := exec.LookPath("sh")
	if err != nil || runtime.GOOS == "windows" {
		t.Skip("no sh: ", err)
	}
	exe := filepath.Join(t.TempDir(), "hrsync")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", exe, "../cmd/hrsync")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := quickstart(t)
	app, stdout, stderr := testApp(cfg)
	if err := runSchedule(context.Background(), app, scheduleOptions{At: "06:30", Job: "punches", Command: "import", Executable: exe}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var line string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "30 6 * * * ") {
			line = l
		}
	}
	command := strings.ReplaceAll(strings.SplitN(line, " ", 6)[5], `\%`, "%")
	cron := exec.Command(sh, "-c", command)
	cron.Dir = t.TempDir()
	out, err := cron.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exitcode.Code(exit.ExitCode()) != exitcode.Rejected {
		t.Fatalf("%s\nexit: %v, want %d (the quickstart's rejects)\n%s", command, err, exitcode.Rejected, out)
	}
	if len(out) != 0 {
		t.Errorf("--quiet, yet cron would mail:\n%s", out)
	}
	log, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "hrsync-data", "hrsync.log"))
	if err != nil || !strings.Contains(string(log), `msg="run ended" run=1 exit=3`) {
		t.Fatalf("log (%v):\n%s", err, log)
	}
}
