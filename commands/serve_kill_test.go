//go:build !windows

package commands

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

// buildHrsync builds cmd/hrsync into a temporary folder.
func buildHrsync(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hrsync")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/hrsync")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServeBinary starts `hrsync serve` and waits until /healthz answers.
func startServeBinary(t *testing.T, bin, cfgPath, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--quiet")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "serve to answer /healthz", func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return cmd
}

// TestServeKillDuringUploads kills the built `hrsync serve` with SIGKILL
// three times while 8 devices upload (and serve imports every second), and
// restarts it each time; devices resend what was not acknowledged, as real
// ones do. Then serve stops on SIGTERM, and `hrsync import` runs: every
// acknowledged record is stored exactly once and in the HR database exactly
// once, with nothing lost.
func TestServeKillDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hrsync and kills it")
	}
	const devices, batches, perBatch, pins = 8, 25, 20, 40
	bin := buildHrsync(t)
	addr := freePort(t)
	cfgPath := pushSetup(t, pins, "  listen: "+addr+"\n  import_every: 1s\n  rate_limit: -1\n")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	for d := range devices {
		st.Allow(ctx, fmt.Sprintf("KILL%02d", d), "", "")
	}
	st.Close()

	var (
		mu    sync.Mutex
		srv   = startServeBinary(t, bin, cfgPath, addr)
		acked atomic.Int64
		wg    sync.WaitGroup
	)
	for d := range devices {
		wg.Go(func() {
			dev := &iclocksim.Device{Base: "http://" + addr, SN: fmt.Sprintf("KILL%02d", d),
				Client: &http.Client{Timeout: 10 * time.Second}}
			t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
			for b := 0; b < batches; {
				var lines []string
				for i := range perBatch {
					n := b*perBatch + i
					lines = append(lines, iclocksim.AttLine(fmt.Sprint(1+n%pins), t0.Add(time.Duration(n)*time.Second), n%2, 1))
				}
				if _, got, err := dev.Upload(b+1, lines); err != nil || got != perBatch {
					time.Sleep(20 * time.Millisecond) // server down: resend
					continue
				}
				acked.Add(perBatch)
				b++
			}
		})
	}
	total := int64(devices * batches * perBatch)
	for k := 1; k <= 3; k++ {
		waitFor(t, "uploads before a kill", func() bool { return acked.Load() >= total*int64(k)/4 })
		mu.Lock()
		srv.Process.Kill()
		srv.Wait()
		srv = startServeBinary(t, bin, cfgPath, addr)
		mu.Unlock()
	}
	wg.Wait()
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}

	st, err = pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Received(ctx, "")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range rows {
		seen[r]++
	}
	if int64(len(rows)) != total || int64(len(seen)) != total {
		t.Fatalf("stored %d rows (%d distinct), want %d", len(rows), len(seen), total)
	}
	res, err := importer.Import(ctx, importer.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if n := hrPunches(t, cfgPath); int64(n) != total {
		t.Fatalf("HR holds %d punches, want %d (last import %v)", n, total, res.Counts)
	}
	if r := res.Counts.Rejected(); r != 0 || res.Counts[mapping.Failed] != 0 {
		t.Fatalf("last import %v", res.Counts)
	}
}
