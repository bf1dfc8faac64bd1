//go:build !linux

package main

import "os"

// peakRSSKB is not read outside Linux: the memory ceiling is checked there.
func peakRSSKB(*os.ProcessState) (int64, bool) { return 0, false }
