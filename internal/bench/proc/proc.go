//go:build !windows

// Package proc runs a command the way the benchmark programs measure one:
// wall time, CPU time and peak memory of that child alone. Linux reports a
// child's peak RSS as at least its parent's at fork, so a parent that
// measures must stay small itself.
package proc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Result is one measured run.
type Result struct {
	Wall, CPU time.Duration
	MaxRSSKiB int64
	ExitCode  int
	Stdout    []byte // when captured
}

// MaxRSSMB is the peak resident memory in MB.
func (r Result) MaxRSSMB() float64 { return float64(r.MaxRSSKiB) / 1024 }

// Cmd builds a command whose stderr goes to ours; set Dir or Stdout on it
// before calling Time.
func Cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	return cmd
}

// Time runs cmd and measures it. A non-zero exit is not an error (hrsync
// exits 3 when rows are rejected); err is set only when the command could
// not run. Stdout is captured when cmd.Stdout is nil.
func Time(cmd *exec.Cmd) (Result, error) {
	capture := cmd.Stdout == nil
	start := time.Now()
	var (
		out []byte
		err error
	)
	if capture {
		out, err = cmd.Output()
	} else {
		err = cmd.Run()
	}
	r := Result{Wall: time.Since(start), Stdout: out}
	if cmd.ProcessState == nil {
		return r, err
	}
	r.ExitCode = cmd.ProcessState.ExitCode()
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSKiB = ru.Maxrss
	}
	return r, nil
}

// Run runs a benchmark's set-up step (a build, a load, a conversion) to
// completion, its output going to our stderr.
func Run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Serve starts a child that serves until its stdin closes and prints the
// address it listens on as its first line (a benchmark's emulator, run
// apart so its memory stays out of the measured children's). stop closes
// its stdin and waits for it.
func Serve(name string, args ...string) (addr string, stop func(), err error) {
	srv := exec.Command(name, args...)
	srv.Stderr = os.Stderr
	stdin, err := srv.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := srv.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := srv.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { stdin.Close(); srv.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("%s did not start: %w", name, err)
	}
	return strings.TrimSpace(line), stop, nil
}
