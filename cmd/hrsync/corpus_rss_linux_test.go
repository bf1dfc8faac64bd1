package main

import (
	"os"
	"syscall"
)

// peakRSSKB is a finished child's peak resident memory, in KiB (Linux's unit).
func peakRSSKB(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	return ru.Maxrss, true
}
