//go:build !windows

// Command bench pulls attendance logs of growing size from the device
// emulator over loopback and prints wall time, CPU and peak memory of the
// pulling process alone (the emulator runs in a second child, so its 4 MB
// per 100,000 records of log is not counted; the parent stays small because
// a child's peak RSS starts at its parent's).
//
//	go run ./sources/zk/bench -records 10000,100000,300000
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/sources/zk"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

func main() {
	records := flag.String("records", "10000,100000,300000", "log sizes to pull, comma-separated")
	serve := flag.Int("serve", 0, "internal: serve an emulated device with this many records")
	pull := flag.String("pull", "", "internal: pull the log from this address")
	want := flag.Int("want", 0, "internal: the records the pull must read")
	flag.Parse()
	var err error
	switch {
	case *serve > 0:
		err = serveDevice(*serve)
	case *pull != "":
		err = pullLog(*pull, *want)
	default:
		err = run(*records)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func serveDevice(n int) error {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(n, 500, time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC)))
	s, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Println(s.Addr())
	// Serve until the parent closes our stdin.
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return nil
}

func pullLog(addr string, want int) error {
	began := time.Now()
	ctx := context.Background()
	c, err := zk.Dial(ctx, addr, zk.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	var last time.Time
	n, err := c.ReadAttendance(ctx, func(r zk.Record) error { last = r.Time; return nil })
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("read %d records, want %d", n, want)
	}
	fmt.Printf("%d %d %s\n", n, time.Since(began).Microseconds(), last.Format(time.DateTime))
	return nil
}

func run(list string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Println("records  pull wall  process wall  CPU      peak RSS  records/s")
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-records: %q is not a count", f)
		}
		if err := one(self, n); err != nil {
			return err
		}
	}
	return nil
}

func one(self string, n int) error {
	addr, stop, err := proc.Serve(self, "-serve", strconv.Itoa(n))
	if err != nil {
		return err
	}
	defer stop()
	r, err := proc.Time(proc.Cmd(self, "-pull", addr, "-want", strconv.Itoa(n)))
	if err != nil {
		return err
	}
	if r.ExitCode != 0 {
		return errors.New("the pull failed")
	}
	fields := strings.Fields(string(r.Stdout))
	if len(fields) < 2 {
		return fmt.Errorf("pull printed %q", r.Stdout)
	}
	us, _ := strconv.ParseInt(fields[1], 10, 64)
	pull := time.Duration(us) * time.Microsecond
	fmt.Printf("%7d  %9s  %12s  %7s  %6.1f MB  %9.0f\n", n, pull.Round(time.Millisecond), r.Wall.Round(time.Millisecond),
		r.CPU.Round(time.Millisecond), r.MaxRSSMB(), float64(n)/pull.Seconds())
	return nil
}
