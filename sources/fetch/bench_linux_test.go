//go:build linux

package fetch

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"
)

// Run one at a time, each in its own process so max RSS is its own:
//
//	go test ./sources/fetch -run '^$' -bench SFTPPull200Files -benchtime 1x
//	go test ./sources/fetch -run '^$' -bench SFTPPull1GB -benchtime 1x
//
// Files are made at run time in a temp folder and removed afterwards.

// BenchmarkSFTPPull200Files pulls 200 files totalling 500 MB from the local
// sshd, and fetches the same files with OpenSSH's sftp client for comparison.
// On a shared machine the load drifts between two runs, so each iteration
// runs three pairs, alternating which client goes first, and reports the
// median of the three ratios.
func BenchmarkSFTPPull200Files(b *testing.B) {
	s := startSSHD(b)
	const files, size = 200, 2500 * 1000 // 500 MB
	for i := range files {
		writeRandomFile(b, filepath.Join(s.data, fmt.Sprintf("att_%03d.dat", i)), size)
	}
	chownTree(b, s.su, s.data)
	total := float64(files*size) / 1e6
	sftpBin, sftpErr := exec.LookPath("sftp")

	openssh := func() float64 {
		out := b.TempDir()
		batch := filepath.Join(b.TempDir(), "batch")
		os.WriteFile(batch, []byte(fmt.Sprintf("get %s/att_*.dat %s/\n", s.data, out)), 0o644)
		start := time.Now()
		cmd := exec.Command(sftpBin, "-q", "-b", batch, "-i", s.userKeyFile, "-P", fmt.Sprint(s.port),
			"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+s.knownHostsFile,
			s.user+"@127.0.0.1")
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sftp: %v: %s", err, o)
		}
		secs := time.Since(start).Seconds()
		os.RemoveAll(out)
		return secs
	}
	hrsync := func() float64 {
		loc := s.location()
		loc.Pattern, loc.StableFor = "att_*.dat", -1
		inbox := b.TempDir()
		start := time.Now()
		results, err := Pull(context.Background(), "bench", loc, inbox, newLedger(), Options{})
		secs := time.Since(start).Seconds()
		if err != nil || len(results) != files {
			b.Fatalf("pull: %d results, %v", len(results), err)
		}
		for _, r := range results {
			if r.Outcome != Pulled {
				b.Fatalf("%+v", r)
			}
		}
		os.RemoveAll(inbox)
		return secs
	}

	for b.Loop() {
		if sftpErr != nil {
			secs := hrsync()
			b.ReportMetric(total/secs, "hrsync_MB/s")
			b.Logf("hrsync: %.0f MB in %.2fs = %.1f MB/s (no OpenSSH sftp client to compare)", total, secs, total/secs)
			continue
		}
		var ours, theirs, ratios []float64
		for pair := range 3 {
			var h, o float64
			if pair%2 == 0 {
				o, h = openssh(), hrsync()
			} else {
				h, o = hrsync(), openssh()
			}
			ours, theirs, ratios = append(ours, total/h), append(theirs, total/o), append(ratios, o/h)
			b.Logf("pair %d: hrsync %.2fs = %.1f MB/s; OpenSSH sftp %.2fs = %.1f MB/s; ratio %.2f", pair+1, h, total/h, o, total/o, o/h)
		}
		b.ReportMetric(median(ours), "hrsync_MB/s")
		b.ReportMetric(median(theirs), "openssh_MB/s")
		b.ReportMetric(median(ratios), "ratio")
		b.Logf("median of 3 pairs: hrsync %.1f MB/s, OpenSSH sftp %.1f MB/s, ratio %.2f", median(ours), median(theirs), median(ratios))
	}
}

func median(v []float64) float64 {
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	return v[len(v)/2]
}

// BenchmarkSFTPPull1GB pulls one 1 GB file and reports the process's max RSS:
// the copy streams, so it stays far below the file's size.
func BenchmarkSFTPPull1GB(b *testing.B) {
	s := startSSHD(b)
	const size = 1000 * 1000 * 1000
	writeRandomFile(b, filepath.Join(s.data, "att_big.dat"), size)
	chownTree(b, s.su, s.data)
	for b.Loop() {
		loc := s.location()
		loc.Pattern, loc.StableFor = "att_*.dat", -1
		inbox := b.TempDir()
		start := time.Now()
		results, err := Pull(context.Background(), "bench", loc, inbox, newLedger(), Options{})
		secs := time.Since(start).Seconds()
		if err != nil || len(results) != 1 || results[0].Outcome != Pulled || results[0].Bytes != size {
			b.Fatalf("pull: %+v, %v", results, err)
		}
		os.RemoveAll(inbox)
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxRSS_MB")
		b.ReportMetric(size/1e6/secs, "MB/s")
		b.Logf("1 GB in %.2fs = %.1f MB/s, max RSS of the process %.1f MB", secs, size/1e6/secs, float64(ru.Maxrss)/1024)
	}
}

// writeRandomFile writes size incompressible bytes, streaming.
func writeRandomFile(b testing.TB, path string, size int64) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(f, rng, size); err != nil {
		b.Fatal(err)
	}
}
