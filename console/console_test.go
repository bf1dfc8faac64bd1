package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/mapping"
)

// fakeResync stands in for importer/resync: the directory and the profile
// rule are what the console's checks read; Run records what it was asked.
type fakeResync struct {
	emps []mapping.Employee
	cfg  *config.Config
	mu   sync.Mutex
	runs []ResyncRequest
	// hold, when set, keeps a real run going until it is closed.
	hold chan struct{}
}

func (f *fakeResync) Employees(context.Context) ([]mapping.Employee, error) { return f.emps, nil }
func (f *fakeResync) InProfile(p string, e *mapping.Employee) bool {
	if p == "" {
		return true
	}
	pr := f.cfg.Resync.Profiles[p]
	for _, d := range pr.Departments {
		if strings.EqualFold(d, e.Department) {
			return true
		}
	}
	return false
}
func (f *fakeResync) Run(_ context.Context, r ResyncRequest) (*ResyncOutcome, error) {
	f.mu.Lock()
	f.runs = append(f.runs, r)
	f.mu.Unlock()
	if r.Progress != nil {
		r.Progress(importer.Progress{Rows: 1200, Bytes: 30, TotalBytes: 120})
	}
	if f.hold != nil && !r.DryRun {
		<-f.hold
	}
	out := &ResyncOutcome{RunID: 1, Counts: map[string]int64{"would_insert": 1}}
	for _, id := range r.IDs {
		out.Employees = append(out.Employees, PlanRow{ID: id, Counts: map[string]int{"would_insert": 1}})
	}
	return out, nil
}

type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	st     *state.Store
	resync *fakeResync
	cfg    *config.Config
}

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, "") }

// newFixtureWith adds sources (YAML under sources:) to the fixture's config.
func newFixtureWith(t *testing.T, sources string) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no\nE1,1\n"), 0o644)
	os.WriteFile(cfgPath, []byte("data_dir: data\nhr:\n  url: https://127.0.0.1:1/punches\n  employees: { file: employees.csv }\n"+
		"sources:\n  gate:\n    path: punches.csv\n    mapping: { employee_key: { column: 1 }, time: { column: 2, layout: \"2006-01-02 15:04:05\" } }\n"+sources+
		"resync:\n  profiles:\n    sales: { departments: [Sales] }\n"), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(context.Background(), filepath.Join(cfg.DataDir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.Migrate(context.Background(), st.DB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rs := &fakeResync{cfg: cfg, emps: []mapping.Employee{
		{ID: "<script>alert(1)</script>", Name: `"><img src=x onerror=alert(2)>`, Department: "Sales", Status: "active"},
		{ID: "E2", Name: "Binh", Department: "Production", Status: "active"},
		{ID: "E3", Name: "Chi", Department: "Sales", Status: "active"},
	}}
	h, err := New(Deps{Config: cfg, State: st, Resync: rs})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f := &fixture{t: t, srv: srv, st: st, resync: rs, cfg: cfg}
	for _, u := range []struct{ name, role, profile string }{{"vera", Viewer, ""}, {"otto", Operator, ""}, {"mona", Operator, "sales"}, {"ada", Admin, ""}} {
		hash, err := HashPassword("password-" + u.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutUser(context.Background(), state.User{Name: u.name, PasswordHash: hash, Role: u.role, Profile: u.profile}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// client is a browser: a cookie jar, no redirects followed automatically
// except to read pages.
type client struct {
	f    *fixture
	http *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (f *fixture) login(name, password string) (*client, int) {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{f: f, http: &http.Client{Jar: jar}}
	body := c.get("/login")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("login page has no CSRF field:\n%s", body)
	}
	resp, err := c.http.PostForm(f.srv.URL+"/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {password}})
	if err != nil {
		f.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindStringSubmatch(string(page)); m != nil {
		c.csrf = m[1]
	}
	return c, resp.StatusCode
}

func (c *client) get(path string) string {
	c.f.t.Helper()
	s, _ := c.getStatus(path)
	return s
}

func (c *client) getStatus(path string) (string, int) {
	c.f.t.Helper()
	resp, err := c.http.Get(c.f.srv.URL + path)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func (c *client) post(path string, v url.Values) (string, int) {
	c.f.t.Helper()
	resp, err := c.http.PostForm(c.f.srv.URL+path, v)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func TestLoginAndSessionCookie(t *testing.T) {
	f := newFixture(t)
	c, _ := f.login("vera", "password-vera")
	if body := c.get("/runs"); !strings.Contains(body, "<h1>Runs</h1>") || !strings.Contains(body, "vera · viewer") {
		t.Fatalf("after sign-in /runs:\n%s", body)
	}
	bad, _ := f.login("vera", "wrong")
	if body := bad.get("/runs"); !strings.Contains(body, "Sign in") {
		t.Fatal("a wrong password signed in")
	}
	// The cookie's attributes.
	resp, _ := http.Get(f.srv.URL + "/login")
	resp.Body.Close()
	if sc := resp.Header.Get("Set-Cookie"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
		t.Errorf("cookie %q: want HttpOnly and SameSite=Strict", sc)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}

func TestLoginRateLimited(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < maxFailures; i++ {
		f.login("ada", "wrong")
	}
	_, status := f.login("ada", "password-ada")
	if status != http.StatusTooManyRequests {
		t.Fatalf("the right password after %d failures: status %d, want 429", maxFailures, status)
	}
}

func TestFormsWithoutCSRFAreRefused(t *testing.T) {
	f := newFixture(t)
	id, err := outbox.Enqueue(context.Background(), f.st.DB, outbox.Event{Target: "hr", Kind: "punches", Payload: []byte("[]")})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.login("ada", "password-ada")
	for _, v := range []url.Values{{"note": {"by hand"}}, {"note": {"by hand"}, "csrf": {"forged"}}} {
		body, status := c.post("/deliveries/"+itoa(id)+"/processed", v)
		if status != http.StatusForbidden || !strings.Contains(body, "CSRF") {
			t.Errorf("mark processed with csrf=%q: %d %s; want 403", v.Get("csrf"), status, body)
		}
	}
	e, _ := outbox.Get(context.Background(), f.st.DB, id)
	if e.Status != outbox.Pending {
		t.Fatalf("a refused form changed the event: %s", e.Status)
	}
	// The login form too.
	resp, err := http.PostForm(f.srv.URL+"/login", url.Values{"name": {"ada"}, "password": {"password-ada"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without its CSRF token: %d, want 403", resp.StatusCode)
	}
}

func TestHostileValuesAreEscaped(t *testing.T) {
	f := newFixture(t)
	c, _ := f.login("ada", "password-ada")
	body := c.get("/resync")
	if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<img src=x") {
		t.Fatalf("a hostile employee key or name reached the page unescaped:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("the escaped key is missing:\n%s", body)
	}
	// In the outbox too: a reply and a payload are the target's words.
	id, _ := outbox.Enqueue(context.Background(), f.st.DB, outbox.Event{Target: "hr", Kind: "punches", Payload: []byte("<script>p()</script>")})
	if _, err := outbox.MarkFailed(context.Background(), f.st.DB, id, 500, "<script>r()</script>", true, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	body = c.get("/deliveries/" + itoa(id))
	if strings.Contains(body, "<script>p()") || strings.Contains(body, "<script>r()") {
		t.Fatalf("a payload or reply reached the page unescaped:\n%s", body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRolesAreEnforcedByTheServer: a viewer sees no buttons and the server
// refuses his forms anyway; an operator may not approve devices; a manager
// bound to a profile is refused employees and filters outside it.
func TestRolesAreEnforcedByTheServer(t *testing.T) {
	f := newFixture(t)
	id, _ := outbox.Enqueue(context.Background(), f.st.DB, outbox.Event{Target: "hr", Kind: "punches", Payload: []byte("[]")})
	if _, err := outbox.MarkFailed(context.Background(), f.st.DB, id, 503, "down", true, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	viewer, _ := f.login("vera", "password-vera")
	page := viewer.get("/deliveries/" + itoa(id))
	if strings.Contains(page, `id="retry"`) || strings.Contains(page, `id="mark"`) {
		t.Error("a viewer is shown Retry or Mark as processed")
	}
	if page := viewer.get("/resync"); strings.Contains(page, `id="plan"`) || strings.Contains(page, `class="emp"`) {
		t.Error("a viewer is shown resync checkboxes or buttons")
	}
	for path, v := range map[string]url.Values{
		"/deliveries/" + itoa(id) + "/processed": {"note": {"x"}},
		"/deliveries/" + itoa(id) + "/retry":     {},
		"/resync":                                {"emp": {"E2"}, "from": {"2025-12-01"}, "action": {"run"}},
		"/devices/approve":                       {"serial": {"S1"}, "name": {"gate"}},
	} {
		v.Set("csrf", viewer.csrf)
		if body, status := viewer.post(path, v); status != http.StatusForbidden || !strings.Contains(body, "needs the") {
			t.Errorf("viewer POST %s: %d, want 403", path, status)
		}
	}
	if e, _ := outbox.Get(context.Background(), f.st.DB, id); e.Status != outbox.Failed {
		t.Errorf("a viewer's refused form changed the event: %s", e.Status)
	}
	op, _ := f.login("otto", "password-otto")
	if _, status := op.post("/devices/approve", url.Values{"csrf": {op.csrf}, "serial": {"S1"}}); status != http.StatusForbidden {
		t.Errorf("operator approving a device: %d, want 403", status)
	}

	mona, _ := f.login("mona", "password-mona")
	page = mona.get("/resync")
	if strings.Contains(page, ">E2<") || !strings.Contains(page, ">E3<") {
		t.Errorf("the manager's table should list Sales only:\n%s", page)
	}
	if _, status := mona.getStatus("/resync?department=Production"); status != http.StatusForbidden {
		t.Errorf("manager filtering on a department outside his profile: %d, want 403", status)
	}
	body, status := mona.post("/resync", url.Values{"csrf": {mona.csrf}, "emp": {"E3", "E2"}, "from": {"2025-12-01"}, "action": {"plan"}})
	if status != http.StatusForbidden || !strings.Contains(body, "E2") {
		t.Errorf("manager resyncing E2 (Production): %d %s, want 403 naming E2", status, body)
	}
	if len(f.resync.runs) != 0 {
		t.Fatalf("a refused resync ran: %+v", f.resync.runs)
	}
	if _, status := mona.post("/resync", url.Values{"csrf": {mona.csrf}, "all": {"1"}, "from": {"2025-12-01"}, "action": {"plan"}}); status != http.StatusOK {
		t.Fatalf("manager's select-all inside his profile: %d", status)
	}
	if got := f.resync.runs[0]; len(got.IDs) != 2 || got.Profile != "sales" || got.User != "mona (console)" || !got.DryRun {
		t.Errorf("resync asked %+v; want the two Sales employees, profile sales, mona's name, a dry run", got)
	}
}

// TestReportPagedAndDownloaded: a run's report is shown a page at a time,
// filtered by outcome, and downloads as CSV and .xlsx with the filter.
func TestReportPagedAndDownloaded(t *testing.T) {
	f := newFixture(t)
	rep := filepath.Join(t.TempDir(), "import.csv")
	var b strings.Builder
	b.WriteString("\xef\xbb\xbfsource,line,key,outcome,reason\n")
	for i := 1; i <= 120; i++ {
		oc := "imported"
		if i%4 == 0 {
			oc = "unknown_employee"
		}
		fmt.Fprintf(&b, "gate,%d,<b>%d</b>,%s,\n", i, i, oc)
	}
	os.WriteFile(rep, []byte(b.String()), 0o600)
	id, err := f.st.StartRun(context.Background(), state.Run{Command: "import", StartedAt: time.Now(), ReportPath: rep})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.login("vera", "password-vera")
	page := c.get("/runs/" + itoa(id) + "?outcome=unknown_employee&page=1")
	if !strings.Contains(page, "30 rows, page 1 of 1") || strings.Contains(page, "<b>4</b>") || !strings.Contains(page, "&lt;b&gt;4&lt;/b&gt;") {
		t.Fatalf("filtered report page:\n%s", page)
	}
	if page := c.get("/runs/" + itoa(id) + "?page=3"); !strings.Contains(page, "120 rows, page 3 of 3") || !strings.Contains(page, "&lt;b&gt;101&lt;/b&gt;") {
		t.Fatalf("page 3:\n%s", page)
	}
	csvText, status := c.getStatus("/runs/" + itoa(id) + "/report.csv?outcome=unknown_employee")
	if status != http.StatusOK || strings.Count(csvText, "\n") != 31 || strings.Contains(csvText, ",imported,") {
		t.Fatalf("CSV download (%d):\n%s", status, csvText)
	}
	xlsx, status := c.getStatus("/runs/" + itoa(id) + "/report.xlsx")
	if status != http.StatusOK || !strings.HasPrefix(xlsx, "PK") {
		t.Fatalf("xlsx download: %d, %q", status, xlsx[:min(len(xlsx), 20)])
	}
	if _, status := c.getStatus("/runs/" + itoa(id) + "/state.db"); status != http.StatusNotFound {
		t.Errorf("another file name under a run: %d, want 404", status)
	}
}

// TestDevicesPageShowsDrift: the machines the config pulls are listed with
// the clock drift their last pull measured, beyond the tolerance marked,
// and one never reached says so.
func TestDevicesPageShowsDrift(t *testing.T) {
	f := newFixtureWith(t, "  machines:\n    drift_tolerance: 1m\n    devices:\n"+
		"      - { name: door, url: \"zk://127.0.0.1:1\" }\n      - { name: yard, url: \"zk://127.0.0.1:2\" }\n")
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	if err := f.st.SetDevicePosition(context.Background(), "machines", "door",
		state.DevicePosition{Serial: "CKJ1", Count: 42, Drift: -7 * time.Minute, CheckedAt: at}); err != nil {
		t.Fatal(err)
	}
	c, _ := f.login("vera", "password-vera")
	page := c.get("/devices")
	for _, want := range []string{"Pulled over the network", "door", "CKJ1", "42", "-7m0s", "beyond the tolerance of 1m0s", "yard", "never"} {
		if !strings.Contains(page, want) {
			t.Errorf("no %q on the page:\n%s", want, page)
		}
	}
}

// TestRealResyncFollowsItsProgress: a real resync runs past its request;
// its page reloads with the progress, then shows the outcome; another
// operator cannot follow it.
func TestRealResyncFollowsItsProgress(t *testing.T) {
	f := newFixture(t)
	f.resync.hold = make(chan struct{})
	c, _ := f.login("otto", "password-otto")
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.http.PostForm(f.srv.URL+"/resync", url.Values{"csrf": {c.csrf}, "emp": {"E2"}, "from": {"2025-12-01"}, "action": {"run"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	where := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(where, "/resync/jobs/") {
		t.Fatalf("POST /resync: %d %q", resp.StatusCode, where)
	}
	resp, err = c.http.Get(f.srv.URL + where)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Refresh") == "" || !strings.Contains(string(body), "1200 rows of the source read, 25% of its bytes") {
		t.Fatalf("running page (Refresh %q):\n%s", resp.Header.Get("Refresh"), body)
	}
	mona, _ := f.login("mona", "password-mona")
	if _, status := mona.getStatus(where); status != http.StatusNotFound {
		t.Fatalf("another operator's view of the job: %d", status)
	}
	close(f.resync.hold)
	h := f.srv.Config.Handler.(*Server)
	h.Wait()
	page := c.get(where)
	if !strings.Contains(page, "Resync done") || !strings.Contains(page, `id="summary"`) {
		t.Fatalf("done page:\n%s", page)
	}
}
