package iclock

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/pushstore"
)

// childEnv names the database the child server of the kill test opens; the
// child runs only when it is set.
const childEnv = "HRSYNC_ICLOCK_KILLTEST_DB"

// TestKillChildServer is the server the kill test starts and kills: the
// handler over the real store on a loopback port it prints.
func TestKillChildServer(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("the kill test's child server; runs only under TestKillDuringUploads")
	}
	st, err := pushstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	t.Fatal(http.Serve(ln, New(Config{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})))
}

func startChild(t *testing.T, path string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChildServer$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
			go io.Copy(io.Discard, out)
			return cmd, addr
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("child server printed no address: %v", sc.Err())
	return nil, ""
}

// TestKillDuringUploads kills the server (SIGKILL on Unix) four times while
// devices upload, restarting it each time; devices resend what was not
// acknowledged, as real ones do. Every acknowledged record must be stored
// exactly once, and once all are acknowledged nothing is lost or doubled.
func TestKillDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a child server")
	}
	const devices, batches, perBatch = 8, 30, 20
	path := filepath.Join(t.TempDir(), "push.db")
	st, err := pushstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range devices {
		st.Allow(context.Background(), fmt.Sprintf("KILL%02d", i), "", "")
	}
	st.Close()

	cmd, addr := startChild(t, path)
	var cur atomic.Value
	cur.Store(addr)
	var mu sync.Mutex
	acked := map[string]int{} // "serial|pin|time|state" -> times acknowledged
	var ackedBatches atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	for i := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sn := fmt.Sprintf("KILL%02d", i)
			c := &http.Client{Timeout: 10 * time.Second}
			for b := 0; b < batches; {
				lines := punches(strconv.Itoa(b), 3+i%20, b*perBatch, perBatch)
				d := &sim{base: "http://" + cur.Load().(string), sn: sn, c: c}
				_, n, err := d.upload("ATTLOG", "Stamp", strconv.Itoa(b), lines)
				if err != nil || n != perBatch {
					failures.Add(1)
					time.Sleep(20 * time.Millisecond) // ErrorDelay, shortened
					continue
				}
				mu.Lock()
				for _, l := range lines {
					f := strings.Split(l, "\t")
					acked[sn+"|"+f[0]+"|"+f[1]+"|"+f[2]]++
				}
				mu.Unlock()
				ackedBatches.Add(1)
				b++
			}
		}()
	}
	const kills = 4
	total := int64(devices * batches)
	for k := int64(1); k <= kills; k++ {
		for ackedBatches.Load() < total*k/(kills+1) {
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		cmd, addr = startChild(t, path)
		cur.Store(addr)
	}
	wg.Wait()
	cmd.Process.Kill()
	cmd.Wait()

	st, err = pushstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Received(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, r := range rows {
		stored[r]++
	}
	lost, doubled := 0, 0
	for k := range acked {
		if stored[k] == 0 {
			lost++
		}
	}
	for _, n := range stored {
		if n > 1 {
			doubled++
		}
	}
	t.Logf("%d records acknowledged, %d rows stored, %d failed requests across %d kills", len(acked), len(rows), failures.Load(), kills)
	if lost != 0 || doubled != 0 || len(rows) != devices*batches*perBatch || len(acked) != len(rows) {
		t.Fatalf("lost %d, doubled %d, stored %d, acknowledged %d, sent %d", lost, doubled, len(rows), len(acked), devices*batches*perBatch)
	}
	// Each device's stamp is that of its last acknowledged upload.
	for i := range devices {
		sn := fmt.Sprintf("KILL%02d", i)
		if st, err := st.Stamps(context.Background(), sn); err != nil || st["ATTLOG"] != strconv.Itoa(batches-1) {
			t.Errorf("%s stamps = %v, %v", sn, st, err)
		}
	}
}
