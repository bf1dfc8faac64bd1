// Command bench measures the console's pages over a large state: it seeds
// 100,000 runs and 100,000 outbox events in a fresh state store and an HR
// directory of 20,000 employees, signs in over HTTP on loopback and prints,
// per page, the server's time (handler start to end), the time to first
// byte and the full render (last byte) seen by the client: medians and the
// slowest of the repeats.
//
//	go run ./console/bench [-runs 100000] [-events 100000] [-employees 20000] [-n 15]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/console"
	"github.com/hrsync/hrsync/importer/resync"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/mapping"
)

func main() {
	nRuns := flag.Int("runs", 100000, "runs in the history")
	nEvents := flag.Int("events", 100000, "outbox events")
	nEmps := flag.Int("employees", 20000, "employees in the directory")
	n := flag.Int("n", 15, "requests per page")
	flag.Parse()
	if err := run(*nRuns, *nEvents, *nEmps, *n); err != nil {
		log.Fatal(err)
	}
}

// directory reads the employees the way the console does in production.
type directory struct{ cfg *config.Config }

func (d directory) Employees(ctx context.Context) ([]mapping.Employee, error) {
	dir, err := resync.Directory(ctx, d.cfg)
	if err != nil {
		return nil, err
	}
	return dir.All, nil
}
func (d directory) InProfile(p string, e *mapping.Employee) bool {
	return resync.InProfile(d.cfg, p, e)
}
func (d directory) Run(context.Context, console.ResyncRequest) (*console.ResyncOutcome, error) {
	return nil, fmt.Errorf("the benchmark does not resync")
}

var departments = []string{"Production", "Sales", "Logistics", "Quality", "Finance", "Maintenance", "HR", "IT"}

func run(nRuns, nEvents, nEmps, n int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "consolebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var csv strings.Builder
	csv.WriteString("id,attendance_no,name,status,branch,department,designation,employee_type\n")
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"An", "Binh", "Chi", "Dung", "Giang", "Hoa", "Khanh", "Lan", "Minh", "Nga"}
	for i := 0; i < nEmps; i++ {
		fmt.Fprintf(&csv, "E%06d,%d,%s %s,%s,B%d,%s,D%d,Permanent\n", i, 100000+i, names[r.IntN(len(names))], names[r.IntN(len(names))],
			[]string{"active", "inactive"}[r.IntN(2)], r.IntN(12), departments[r.IntN(len(departments))], r.IntN(30))
	}
	must(os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(csv.String()), 0o600))
	cfgPath := filepath.Join(dir, "hrsync.yaml")
	must(os.WriteFile(cfgPath, []byte("data_dir: data\nhr:\n  url: sqlite://hr.db\n  employees: { file: employees.csv }\n"+
		"sources:\n  gate:\n    path: punches.csv\n    mapping: { employee_key: { column: 1 }, time: { column: 2, layout: \"2006-01-02 15:04:05\" } }\n"), 0o600))
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	st, err := state.Open(ctx, filepath.Join(cfg.DataDir, "state.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := outbox.Migrate(ctx, st.DB); err != nil {
		return err
	}
	t0 := time.Now()
	if err := seed(ctx, st, nRuns, nEvents); err != nil {
		return err
	}
	fmt.Printf("seeded %d runs and %d events in %.1fs; %d employees in the directory file\n", nRuns, nEvents, time.Since(t0).Seconds(), nEmps)
	hash, _ := console.HashPassword("benchmark-password")
	must(st.PutUser(ctx, state.User{Name: "bench", PasswordHash: hash, Role: console.Admin}))

	h, err := console.New(console.Deps{Config: cfg, State: st, Resync: directory{cfg}})
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var serverTime time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		mu.Lock()
		serverTime = time.Since(start)
		mu.Unlock()
	}))
	defer srv.Close()
	c, err := signIn(srv.URL)
	if err != nil {
		return err
	}
	// The directory's first read (then cached for a minute).
	t0 = time.Now()
	if _, _, err := get(c, srv.URL+"/resync"); err != nil {
		return err
	}
	fmt.Printf("first /resync (reads the %d-employee directory file): %.0f ms\n\n", nEmps, ms(time.Since(t0)))

	mid := nRuns / 2
	pages := []string{
		"/runs", "/runs?status=failed", "/runs?command=resync", fmt.Sprintf("/runs?before=%d", mid), "/runs?from=2026-01-10&to=2026-01-12",
		"/deliveries", "/deliveries?status=failed", fmt.Sprintf("/deliveries?before=%d", nEvents/2),
		"/deliveries/" + fmt.Sprint(nEvents/3),
		"/resync", "/resync?page=200", "/resync?q=E01234", "/resync?q=minh", "/resync?sort=name&desc=1", "/resync?department=Sales&status=active&q=lan&page=3",
	}
	fmt.Printf("%-55s %8s %10s %10s %10s %10s %9s\n", "page", "bytes", "server p50", "server max", "TTFB p50", "full p50", "full max")
	for _, p := range pages {
		var srvT, ttfb, full []time.Duration
		var size int
		for i := 0; i < n+1; i++ {
			start := time.Now()
			var first time.Time
			req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{GotFirstResponseByte: func() { first = time.Now() }}))
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			end := time.Now()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s", p, resp.Status)
			}
			if i == 0 {
				continue // warm-up
			}
			mu.Lock()
			srvT = append(srvT, serverTime)
			mu.Unlock()
			ttfb, full, size = append(ttfb, first.Sub(start)), append(full, end.Sub(start)), len(b)
		}
		fmt.Printf("%-55s %8d %10.1f %10.1f %10.1f %10.1f %9.1f\n", p, size, ms(med(srvT)), ms(slices.Max(srvT)), ms(med(ttfb)), ms(med(full)), ms(slices.Max(full)))
	}
	fmt.Println("\ntimes in ms; server = the handler's time, TTFB and full = the client's, over loopback")
	return nil
}

func seed(ctx context.Context, st *state.Store, nRuns, nEvents int) error {
	tx, err := st.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cmds := []string{"import", "pull", "resync", "resync --dry-run", "retry", "push-users", "mark-processed"}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO runs(command,args,user,host,started_at,finished_at,duration_ms,exit_code,counts,report_path)
		VALUES(?,?,?,?,?,?,?,?,?,'')`)
	if err != nil {
		return err
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < nRuns; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		cmd := cmds[r.IntN(len(cmds))]
		exit := []int{0, 0, 0, 0, 0, 0, 1, 3, 4}[r.IntN(9)]
		if _, err := ins.ExecContext(ctx, cmd, "hrsync "+cmd+" --config /etc/hrsync/hrsync.yaml", "svc-hrsync", "hr-gw-01",
			at.Format("2006-01-02T15:04:05.000Z07:00"), at.Add(2*time.Second).Format("2006-01-02T15:04:05.000Z07:00"), 2000, exit,
			fmt.Sprintf(`{"imported":%d,"duplicate":%d,"rejected":%d}`, r.IntN(5000), r.IntN(100), r.IntN(5)), ""); err != nil {
			return err
		}
	}
	payload := []byte(`[{"employee_id":"E000123","time":"2026-01-05T08:00:00+07:00","direction":"in","device_id":"GATE-1"}]`)
	now := time.Now()
	for i := 0; i < nEvents; i++ {
		id, err := outbox.Enqueue(ctx, tx, outbox.Event{Target: "hr-api", Kind: "punches", IdempotencyKey: fmt.Sprintf("k%d", i),
			Payload: payload, ContentType: "application/json", RunID: int64(1 + i%max(nRuns, 1)), CreatedAt: now.Add(time.Duration(i-nEvents) * time.Minute)})
		if err != nil {
			return err
		}
		switch r.IntN(10) {
		case 0:
			_, err = outbox.MarkFailed(ctx, tx, id, 503, "busy", true, now, nil)
		case 1:
		default:
			err = outbox.MarkSucceeded(ctx, tx, id, 200, `{"ok":true}`, now)
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func signIn(base string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body, err := get(c, base+"/login")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("no CSRF field on the login page")
	}
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "name": {"bench"}, "password": {"benchmark-password"}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return c, nil
}

func get(c *http.Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func med(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
