package commands

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

// TestServeSoak: 200 simulated devices at once against serve (importing
// every second), each as a terminal behaves: handshake, a poll before each
// upload, every upload sent twice (a resend after a lost reply), a command
// for every tenth device taken and answered. Everything acknowledged is
// stored once and imported once, every command has its result, and every
// device is listed online with its count.
func TestServeSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("200 devices")
	}
	const devices, uploads, perUpload, pins = 200, 5, 20, 50
	ctx := context.Background()
	cfgPath := pushSetup(t, pins, "  listen: 127.0.0.1:0\n  import_every: 1s\n  rate_limit: 50\n")
	cfg, _ := config.Load(cfgPath)
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for d := range devices {
		sn := fmt.Sprintf("SOAK%03d", d)
		st.Allow(ctx, sn, "", "")
		if d%10 == 0 {
			st.Enqueue(ctx, sn, "INFO")
		}
	}
	base, stop := startServe(t, cfgPath, serveOptions{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: devices}, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for d := range devices {
		wg.Go(func() {
			dev := &iclocksim.Device{Base: base, SN: fmt.Sprintf("SOAK%03d", d), PushVer: "2.4.1", Client: client}
			if code, _, err := dev.Handshake(); err != nil || code != http.StatusOK {
				failed.Add(1)
				return
			}
			t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
			for u := range uploads {
				code, cs, err := dev.Poll()
				if err != nil || code != http.StatusOK {
					failed.Add(1)
					return
				}
				if len(cs) > 0 {
					dev.Results(cs, 0)
				}
				var lines []string
				for i := range perUpload {
					n := u*perUpload + i
					lines = append(lines, iclocksim.AttLine(fmt.Sprint(1+n%pins), t0.Add(time.Duration(n)*time.Second), n%2, 1))
				}
				for range 2 {
					if _, got, err := dev.Upload(u+1, lines); err != nil || got != perUpload {
						failed.Add(1)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d devices saw a failed request", n)
	}
	total := devices * uploads * perUpload
	waitFor(t, "serve's imports", func() bool { return hrPunches(t, cfgPath) == total })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	rows, _ := st.Received(ctx, "")
	if len(rows) != total {
		t.Fatalf("stored %d, want %d", len(rows), total)
	}
	for d := 0; d < devices; d += 10 {
		cs, _ := st.Commands(ctx, fmt.Sprintf("SOAK%03d", d))
		if len(cs) != 1 || cs[0].Status != "done" {
			t.Fatalf("device %d's command: %+v", d, cs)
		}
	}
	devs, _ := st.Devices(ctx, false)
	for _, d := range devs {
		if d.Received != uploads*perUpload || !d.Online(time.Now(), time.Minute) {
			t.Fatalf("%s: received %d, online %v", d.Serial, d.Received, d.Online(time.Now(), time.Minute))
		}
	}
}
