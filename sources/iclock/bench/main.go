//go:build !windows

// Command bench measures the push endpoint: N simulated devices upload
// batches of ATTLOG records over loopback to the handler and the real store,
// run in a child process so its peak memory is its own. It prints records
// acknowledged per second, upload latency percentiles and the server's peak
// RSS; with -kill it kills (SIGKILL) and restarts the server halfway and
// counts records lost and doubled (both must be 0).
//
//	go run ./sources/iclock/bench -devices 1000 -batches 10 -records 100
//
// With -hrsync BIN the server is the real `BIN serve` (a config with a push
// source written into -dir, rate limit off, -import-every as given), stopped
// with SIGTERM at the end; then `BIN import` runs and the HR database must
// hold every record exactly once:
//
//	go build -o /tmp/hrsync ./cmd/hrsync
//	go run ./sources/iclock/bench -hrsync /tmp/hrsync -devices 1000 -kill
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/sources/iclock"
)

func main() {
	serve := flag.String("serve", "", "internal: run the server over this database until stdin closes")
	devices := flag.Int("devices", 1000, "simulated devices")
	batches := flag.Int("batches", 10, "uploads per device")
	records := flag.Int("records", 100, "ATTLOG records per upload")
	kill := flag.Bool("kill", false, "kill -9 the server halfway and restart it")
	poll := flag.Bool("poll", false, "handshake first and poll getrequest before each upload, as a device does")
	dir := flag.String("dir", "", "folder for the database (default: a temporary one)")
	flag.StringVar(&hrsyncBin, "hrsync", "", "run this hrsync binary's serve instead of the bare handler")
	flag.StringVar(&importEvery, "import-every", "", "with -hrsync: serve.import_every (default: off, one import at the end)")
	flag.Parse()
	if *serve != "" {
		if err := runServer(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*devices, *batches, *records, *kill, *poll, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func runServer(path string) error {
	st, err := pushstore.Open(context.Background(), path)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: iclock.New(iclock.Config{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		srv.Shutdown(context.Background())
	}()
	fmt.Printf("LISTEN %s\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

var (
	hrsyncBin, importEvery string
	servePort              string // with -hrsync: the port serve listens on
)

// stop ends the server gracefully: SIGTERM for hrsync serve, stdin closed
// for the bare one.
func (c *child) stop() {
	if hrsyncBin != "" {
		c.cmd.Process.Signal(syscall.SIGTERM)
	} else {
		c.stdin.Close()
	}
	c.cmd.Wait()
}

// writeHrsyncConfig writes the config `hrsync serve` and `hrsync import`
// run with: a push source over dir/push.db, an SQLite HR database and
// employees 1..500 (the PINs batch uses).
func writeHrsyncConfig(dir string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	servePort = ln.Addr().String()
	ln.Close()
	var emps strings.Builder
	emps.WriteString("id,attendance_no,name,status\n")
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&emps, "E%d,%d,N%d,active\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(emps.String()), 0o644); err != nil {
		return "", err
	}
	every := ""
	if importEvery != "" {
		every = "  import_every: " + importEvery + "\n"
	}
	cfg := `timezone: UTC
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  devices:
    push: true
    mapping:
      employee_key: { column: pin }
      time: { column: time }
      direction: { column: state, codes: { in: [0], out: [1] }, unknown: keep }
      device: { column: serial }
serve:
  listen: ` + servePort + `
  store: push.db
  rate_limit: -1
` + every
	path := filepath.Join(dir, "hrsync.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

// startHrsync starts `hrsync serve` and waits for its health endpoint.
func startHrsync(dir string) (*child, error) {
	cmd := exec.Command(hrsyncBin, "serve", "--config", filepath.Join(dir, "hrsync.yaml"), "--quiet")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get("http://" + servePort + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return &child{cmd: cmd, addr: servePort}, nil
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("hrsync serve did not answer /healthz")
}

func start(path string) (*child, error) {
	if hrsyncBin != "" {
		return startHrsync(filepath.Dir(path))
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", path)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
			go io.Copy(io.Discard, out)
			return &child{cmd: cmd, stdin: in, addr: a}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("server printed no address")
}

// maxRSS is the peak resident memory of a finished child in MiB.
func maxRSS(c *exec.Cmd) float64 {
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024
	}
	return 0
}

func run(devices, batches, records int, kill, poll bool, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "iclockbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	path := filepath.Join(dir, "push.db")
	if hrsyncBin != "" {
		if _, err := writeHrsyncConfig(dir); err != nil {
			return err
		}
	}
	st, err := pushstore.Open(context.Background(), path)
	if err != nil {
		return err
	}
	for i := range devices {
		if err := st.Allow(context.Background(), serial(i), "", ""); err != nil {
			return err
		}
	}
	st.Close()

	c, err := start(path)
	if err != nil {
		return err
	}
	var addr atomic.Value
	addr.Store(c.addr)
	tr := &http.Transport{MaxIdleConnsPerHost: devices, MaxConnsPerHost: devices}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}

	var (
		mu        sync.Mutex
		lat       []time.Duration
		acked     = map[string]bool{}
		done      atomic.Int64
		failures  atomic.Int64
		ackedRecs atomic.Int64
		wg        sync.WaitGroup
	)
	begin := time.Now()
	for i := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sn := serial(i)
			if poll {
				for get(client, "http://"+addr.Load().(string)+"/iclock/cdata?SN="+sn+"&options=all&pushver=2.4.1") != nil {
					failures.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
			}
			for b := 0; b < batches; {
				if poll && get(client, "http://"+addr.Load().(string)+"/iclock/getrequest?SN="+sn) != nil {
					failures.Add(1)
					time.Sleep(50 * time.Millisecond)
					continue
				}
				body, keys := batch(i, b, records)
				t0 := time.Now()
				url := "http://" + addr.Load().(string) + "/iclock/cdata?SN=" + sn + "&table=ATTLOG&Stamp=" + strconv.Itoa(b+1)
				n, err := post(client, url, body)
				if err != nil || n != records {
					failures.Add(1)
					time.Sleep(50 * time.Millisecond)
					continue
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if kill {
					for _, k := range keys {
						acked[sn+"|"+k] = true
					}
				}
				mu.Unlock()
				ackedRecs.Add(int64(records))
				done.Add(1)
				b++
			}
		}()
	}
	var rssKilled float64
	if kill {
		for done.Load() < int64(devices*batches/2) {
			time.Sleep(time.Millisecond)
		}
		c.cmd.Process.Kill()
		c.cmd.Wait()
		rssKilled = maxRSS(c.cmd)
		if c, err = start(path); err != nil {
			return err
		}
		addr.Store(c.addr)
	}
	wg.Wait()
	elapsed := time.Since(begin)
	c.stop()
	rss := max(maxRSS(c.cmd), rssKilled)

	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	server := "bare handler"
	if hrsyncBin != "" {
		server = "hrsync serve, import_every=" + importEvery
	}
	fmt.Printf("server: %s; devices %d, uploads %d x %d records, kill=%v, poll=%v\n", server, devices, devices*batches, records, kill, poll)
	fmt.Printf("acknowledged %d records in %.2fs: %.0f records/s (%.0f uploads/s)\n",
		ackedRecs.Load(), elapsed.Seconds(), float64(ackedRecs.Load())/elapsed.Seconds(), float64(done.Load())/elapsed.Seconds())
	fmt.Printf("upload latency p50 %v, p99 %v, max %v; failed requests %d\n",
		pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), failures.Load())
	fmt.Printf("server peak RSS %.1f MiB\n", rss)

	st, err = pushstore.Open(context.Background(), path)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Received(context.Background(), "")
	if err != nil {
		return err
	}
	seen := map[string]int{}
	for _, r := range rows {
		seen[r]++
	}
	lost, doubled := 0, 0
	for k := range acked {
		if seen[k] == 0 {
			lost++
		}
	}
	for _, n := range seen {
		if n > 1 {
			doubled++
		}
	}
	fmt.Printf("stored %d rows (sent %d distinct); acknowledged but lost %d, doubled %d\n", len(rows), devices*batches*records, lost, doubled)
	if len(rows) != devices*batches*records || lost != 0 || doubled != 0 {
		return fmt.Errorf("stored rows do not match what was acknowledged")
	}
	if hrsyncBin != "" {
		return importAndCount(dir, len(rows))
	}
	return nil
}

// importAndCount runs `hrsync import` after the load and checks the HR
// database holds each stored record once.
func importAndCount(dir string, want int) error {
	t0 := time.Now()
	cmd := exec.Command(hrsyncBin, "import", "--config", filepath.Join(dir, "hrsync.yaml"), "--quiet")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("hrsync import: %w", err)
	}
	took := time.Since(t0)
	db, err := sql.Open("sqlite", filepath.Join(dir, "hr.db")) // the driver pushstore registers
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM attendance_punches`).Scan(&n); err != nil {
		return err
	}
	fmt.Printf("hrsync import after the load: %.2fs; HR database holds %d punches (want %d): lost %d, duplicated %d\n",
		took.Seconds(), n, want, max(0, want-n), max(0, n-want))
	if n != want {
		return fmt.Errorf("the HR database does not hold each record once")
	}
	return nil
}

func serial(i int) string { return fmt.Sprintf("BENCH%05d", i) }

// batch is upload b of device i: records ATTLOG lines in the layout of
// current firmware, and their identities "pin|time|state".
func batch(i, b, records int) (string, []string) {
	var sb strings.Builder
	keys := make([]string, 0, records)
	base := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC).Add(time.Duration(b*records) * time.Second)
	for r := range records {
		pin := strconv.Itoa(1 + (i*7+r)%500)
		t := base.Add(time.Duration(r) * time.Second).Format("2006-01-02 15:04:05")
		state := r % 2
		fmt.Fprintf(&sb, "%s\t%s\t%d\t1\t0\t0\t0\t0\t0\t0\n", pin, t, state)
		keys = append(keys, fmt.Sprintf("%s|%s|%d", pin, t, state))
	}
	return sb.String(), keys
}

func post(c *http.Client, url, body string) (int, error) {
	res, err := c.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	s, ok := strings.CutPrefix(string(b), "OK: ")
	if res.StatusCode != 200 || !ok {
		return 0, fmt.Errorf("%d %q", res.StatusCode, b)
	}
	return strconv.Atoi(strings.TrimSpace(s))
}

// get makes a handshake or poll and wants a 200.
func get(c *http.Client, url string) error {
	res, err := c.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: %d", url, res.StatusCode)
	}
	return nil
}
