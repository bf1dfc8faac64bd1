//go:build !windows

// Command zkbench measures a device source end to end with the hrsync
// binary: `hrsync pull` of an emulated device's log over loopback (wall
// time and the pulling process's peak memory), then `hrsync import` of the
// CSV it wrote into the embedded SQLite database, against `hrsync import`
// of the same records as an attlog.dat file. The emulator runs in a child
// of its own, so its memory is not counted.
//
//	go run ./internal/bench/zkbench -records 100000,400000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

const users = 500

var logStart = time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC)

func main() {
	records := flag.String("records", "100000,400000", "log sizes, comma-separated")
	serve := flag.Int("serve", 0, "internal: serve an emulated device with this many records")
	bin := flag.String("hrsync", "", "the hrsync binary (default: built from ./cmd/hrsync into a temp folder)")
	attlog := flag.String("attlog", "", "internal: write the records of -n to this attlog.dat")
	count := flag.Int("n", 0, "internal: with -attlog, how many records")
	flag.Parse()
	var err error
	switch {
	case *attlog != "":
		err = writeAttlog(*attlog, *count)
	case *serve > 0:
		err = serveDevice(*serve)
	default:
		err = run(*records, *bin)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zkbench:", err)
		os.Exit(1)
	}
}

func writeAttlog(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, r := range zkemu.Generate(n, users, logStart) {
		fmt.Fprintf(w, "%s\t%s\t1\t%d\t%d\t0\n", r.PIN, r.Time.Format(time.DateTime), r.State, r.Verify)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func serveDevice(n int) error {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(n, users, logStart))
	s, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Println(s.Addr())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	return nil
}

func run(list, bin string) error {
	tmp, err := os.MkdirTemp("", "zkbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "hrsync")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/hrsync").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Println("records  pull wall  pull RSS  import wall  import RSS  pull+import rec/s  attlog import wall  attlog rec/s")
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-records: %q is not a count", f)
		}
		if err := one(self, bin, filepath.Join(tmp, strconv.Itoa(n)), n); err != nil {
			return err
		}
	}
	return nil
}

func writeEmployees(dir string) error {
	var b strings.Builder
	b.WriteString("id,attendance_no,name,status\n")
	for i := 1; i <= users; i++ {
		fmt.Fprintf(&b, "E%d,%d,P%d,active\n", i, i, i)
	}
	return os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(b.String()), 0o644)
}

func hrsync(bin, cfg string, args ...string) (proc.Result, error) {
	r, err := proc.Time(proc.Cmd(bin, append(args, "--config", cfg, "--quiet")...))
	if err == nil && r.ExitCode != 0 {
		err = fmt.Errorf("hrsync %s exited %d", args[0], r.ExitCode)
	}
	return r, err
}

func one(self, bin, dir string, n int) error {
	devDir, fileDir := filepath.Join(dir, "device"), filepath.Join(dir, "file")
	for _, d := range []string{devDir, fileDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := writeEmployees(d); err != nil {
			return err
		}
	}
	addr, stop, err := proc.Serve(self, "-serve", strconv.Itoa(n))
	if err != nil {
		return err
	}
	defer stop()
	devCfg := filepath.Join(devDir, "hrsync.yaml")
	os.WriteFile(devCfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  machines:
    timeout: 30s
    devices:
      - { name: gate, url: "zk://`+addr+`" }
`), 0o644)
	pull, err := hrsync(bin, devCfg, "pull")
	if err != nil {
		return err
	}
	imp, err := hrsync(bin, devCfg, "import")
	if err != nil {
		return err
	}

	// The same records as the attlog.dat a device's USB export holds,
	// written by a child: a child's peak RSS starts at its parent's, so
	// the parent never holds a log.
	if err := proc.Run(self, "-attlog", filepath.Join(fileDir, "attlog.dat"), "-n", strconv.Itoa(n)); err != nil {
		return err
	}
	fileCfg := filepath.Join(fileDir, "hrsync.yaml")
	os.WriteFile(fileCfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  gate:
    path: attlog.dat
    format: { type: txt, delimiter: tab, header: false }
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
      direction: { column: 4, codes: { in: [0], out: [1] } }
`), 0o644)
	file, err := hrsync(bin, fileCfg, "import")
	if err != nil {
		return err
	}
	both := pull.Wall + imp.Wall
	fmt.Printf("%7d  %9s  %5.1f MB  %11s  %7.1f MB  %17.0f  %18s  %12.0f\n", n, pull.Wall.Round(time.Millisecond), pull.MaxRSSMB(),
		imp.Wall.Round(time.Millisecond), imp.MaxRSSMB(), float64(n)/both.Seconds(), file.Wall.Round(time.Millisecond),
		float64(n)/file.Wall.Seconds())
	return nil
}
