package commands

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/internal/pushstore"
)

// chromium finds Debian's chromium (or Chrome) for the browser tests.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: the console's browser test needs it (apt-get install chromium)")
	return ""
}

// browser starts headless chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 760))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("chromium would not start: %v", err)
	}
	// The first call started the browser with ctx; a timeout on it would
	// stop the browser, so later calls get their own.
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTime)
	return ctx
}

// startConsole serves ConsoleServer for the config on a free port.
func startConsole(t *testing.T, cfgPath string) string {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ConsoleServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeUntil(ctx, srv, ln) }()
	t.Cleanup(func() { stop(); <-done })
	return "http://" + ln.Addr().String()
}

func addUser(t *testing.T, cfgPath, name, role, profile string) {
	t.Helper()
	app, _, errOut := testApp(cfgPath)
	app.In = strings.NewReader("password-" + name + "\n")
	if err := runUsersAdd(context.Background(), app, usersAddOptions{Name: name, Role: role, Profile: profile}); err != nil {
		t.Fatalf("users add %s: %v\n%s", name, err, errOut)
	}
}

// shots is where the test's screenshots go: $HRSYNC_CONSOLE_SCREENSHOTS
// (the README's come from there), else a temporary folder.
func shots(t *testing.T) string {
	if d := os.Getenv("HRSYNC_CONSOLE_SCREENSHOTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

func shot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.CaptureScreenshot()(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// text is the visible text of the first element sel picks.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// noError fails the test with the page's error message, if it shows one.
func noError(t *testing.T, ctx context.Context) {
	t.Helper()
	if msg := evalJS[string](t, ctx, `(document.querySelector('#error') || {}).textContent || ""`); msg != "" {
		t.Fatalf("the page says: %s", msg)
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func signIn(base, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "password-"+name),
		chromedp.Click(chromedp.CSS(`#signin`)),
		chromedp.WaitVisible(chromedp.CSS(`#runs`)),
	)
}

var signOut = chromedp.Steps(chromedp.Click(chromedp.CSS(`form.who button`)), chromedp.WaitVisible(chromedp.CSS(`#signin`)))

// acceptConfirms answers yes to the page's confirm() questions.
var acceptConfirms = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	_, err := chromedp.Evaluate[bool](`window.confirm = () => true, true`)(ctx, tg)
	return err
})

// TestConsoleInBrowser drives headless chromium through the console: an
// operator retries a failed delivery (the target fails, then takes it) and
// marks another processed with a note; a viewer sees no buttons; a manager
// resyncs his department and is refused one outside it. Every action is in
// the run history under the account's name.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test takes a while")
	}
	ctx := browser(t)
	dir := shots(t)

	// The HR API is down for the first delivery (and its quick retries),
	// then takes the batch.
	var tries atomic.Int64
	var down atomic.Bool
	down.Store(true)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		if down.Load() {
			http.Error(w, `{"error":"database locked, try later"}`, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"accepted":1}`)
	}))
	defer target.Close()
	cfgPath := httpConfigAt(t, target.URL)
	failed := enqueue(t, cfgPath, "k-retry")
	app, _, _ := testApp(cfgPath)
	if err := runRetry(context.Background(), app, retryOptions{Output: "table"}); exitOf(err) == 0 {
		t.Fatalf("the first delivery should fail: %v (%d tries)", err, tries.Load())
	}
	down.Store(false)
	closeMe := enqueue(t, cfgPath, "k-close")
	markFailed(t, cfgPath, closeMe)
	addUser(t, cfgPath, "otto", "operator", "")
	addUser(t, cfgPath, "vera", "viewer", "")
	base := startConsole(t, cfgPath)

	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	do(signIn(base, "otto"),
		chromedp.Navigate(base+"/deliveries"), chromedp.WaitVisible(chromedp.CSS(`#events`)), shot(dir, "deliveries"),
		chromedp.Navigate(base+"/deliveries/"+strconv.FormatInt(failed, 10)), chromedp.WaitVisible(chromedp.CSS(`#retry`)),
		shot(dir, "delivery"),
		chromedp.Click(chromedp.CSS(`#retry`)), chromedp.WaitVisible(chromedp.CSS(`#message`)))
	if status, msg := text(t, ctx, "#status"), text(t, ctx, "#message"); status != outbox.Succeeded || !strings.Contains(msg, "1 succeeded") {
		t.Fatalf("after Retry: status %q, message %q; want succeeded", status, msg)
	}
	do(chromedp.Navigate(base+"/deliveries/"+strconv.FormatInt(closeMe, 10)), chromedp.WaitVisible(chromedp.CSS(`#mark`)), acceptConfirms)
	// The browser itself refuses an empty note (required), before the server would.
	if !evalJS[bool](t, ctx, `!document.querySelector('#note').checkValidity()`) {
		t.Error("an empty note passes the browser's check")
	}
	do(chromedp.SendKeys(chromedp.CSS(`#note`), "entered by hand in the HR system, ticket 4411"),
		chromedp.Click(chromedp.CSS(`#mark`)), chromedp.WaitVisible(chromedp.CSS(`#message`)))
	if status := text(t, ctx, "#status"); status != outbox.Processed {
		t.Fatalf("after Mark as processed: status %q", status)
	}
	do(signOut)

	// A viewer reads the same pages and is offered no button.
	still := enqueue(t, cfgPath, "k-viewer")
	markFailed(t, cfgPath, still)
	do(signIn(base, "vera"),
		chromedp.Navigate(base+"/deliveries/"+strconv.FormatInt(still, 10)), chromedp.WaitVisible(chromedp.CSS(`#payload`)), shot(dir, "viewer"))
	if !evalJS[bool](t, ctx, `document.querySelector('#retry') === null && document.querySelector('#mark') === null && document.querySelectorAll('form[action^="/deliveries"]').length === 0`) {
		t.Error("the viewer is offered Retry or Mark as processed")
	}
	do(signOut)
	history := consoleHistory(t, cfgPath)
	for _, want := range []string{"retry|otto (console)", "mark-processed|otto (console)"} {
		if !strings.Contains(history, want) {
			t.Errorf("the run history lacks %q:\n%s", want, history)
		}
	}

	// Resync against an HR database: mona manages Sales.
	rdir := t.TempDir()
	os.WriteFile(filepath.Join(rdir, "employees.csv"), []byte(`id,attendance_no,name,status,sbu,state,branch,department,sub_department,designation,employee_type
E1,101,An,active,Garments,HCM,Thu Duc,Production,Sewing,Operator,Permanent
E4,104,Dung,active,Textiles,Dong Nai,Bien Hoa,Sales,Retail,Manager,permanent
E5,105,Giang,active,Textiles,Dong Nai,Bien Hoa,Sales,Retail,Clerk,Contract
`), 0o644)
	os.WriteFile(filepath.Join(rdir, "punches.csv"), []byte("AC-No,Time,State,Device\n101,2025-12-01 08:00:00,C/In,GATE-1\n104,2025-12-01 09:00:00,C/In,GATE-3\n105,2025-12-01 09:30:00,C/In,GATE-3\n"), 0o644)
	rcfg := filepath.Join(rdir, "hrsync.yaml")
	os.WriteFile(rcfg, []byte("timezone: Asia/Ho_Chi_Minh\ndata_dir: data\nhr:\n  url: sqlite://hr.db\n  create_tables: true\n  employees: { file: employees.csv }\n"+
		"sources:\n  gate:\n    path: punches.csv\n    format: { type: csv, delimiter: \",\", encoding: utf-8 }\n"+gen.MappingYAML(4)+
		"resync:\n  profiles:\n    sales: { departments: [Sales] }\n"), 0o644)
	addUser(t, rcfg, "mona", "operator", "sales")
	addUser(t, rcfg, "ada", "admin", "")
	pendingDevice(t, rcfg)
	createHRTables(t, rcfg)
	rbase := startConsole(t, rcfg)
	do(signIn(rbase, "mona"), chromedp.Navigate(rbase+"/resync"), chromedp.WaitVisible(chromedp.CSS(`#employees`)))
	rows := evalJS[int](t, ctx, `document.querySelectorAll('#employees tbody input.emp').length`)
	do(chromedp.Click(chromedp.CSS(`#allmatching`)), chromedp.SetValue(chromedp.CSS(`#from`), "2025-12-01"), shot(dir, "resync"),
		chromedp.Click(chromedp.CSS(`#plan`)), chromedp.WaitVisible(chromedp.CSS(`#plantable, #error`)))
	noError(t, ctx)
	do(shot(dir, "plan"), acceptConfirms, chromedp.Click(chromedp.CSS(`#run`)), chromedp.WaitVisible(chromedp.CSS(`#done, #error`)) /* the real run has its own page, which reloads until done */)
	noError(t, ctx)
	summary := text(t, ctx, "#summary")
	do(chromedp.Navigate(rbase+"/resync?department=Production"), chromedp.WaitVisible(chromedp.CSS(`#error`)))
	refusal := text(t, ctx, "#error")
	do(signOut)
	if rows != 2 {
		t.Errorf("mona's table has %d employees; want the 2 of Sales", rows)
	}
	if !strings.Contains(summary, "2 employees") || !strings.Contains(summary, "inserted 2") {
		t.Errorf("resync summary %q; want 2 employees, 2 inserted", summary)
	}
	if !strings.Contains(refusal, "outside your profile") {
		t.Errorf("Production for mona: %q; want a refusal", refusal)
	}
	if got := hrPunchEmployees(t, rdir); got != "E4,E5" {
		t.Errorf("HR punches after mona's resync: %s; want E4,E5 only (Sales)", got)
	}
	if h := consoleHistory(t, rcfg); !strings.Contains(h, "resync|mona (console)") {
		t.Errorf("the run history lacks mona's resync:\n%s", h)
	}
	// The last run's page with its report, and the devices page, for the README.
	do(signIn(rbase, "ada"), chromedp.Click(chromedp.CSS(`#runs tbody tr td a`)),
		chromedp.WaitVisible(chromedp.CSS(`#report`)), shot(dir, "run"),
		chromedp.Navigate(rbase+"/devices"), chromedp.WaitVisible(chromedp.CSS(`#devices`)), shot(dir, "devices"),
		chromedp.SendKeys(chromedp.CSS(`tr.approve input[name=name]`), "Gate 2"), chromedp.Click(chromedp.CSS(`tr.approve button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`tr.approve`)), chromedp.WaitVisible(chromedp.CSS(`#devices`)))
	if n := evalJS[int](t, ctx, `document.querySelectorAll('tr.approve').length`); n != 0 {
		t.Errorf("after Approve, %d devices still wait", n)
	}
	do(chromedp.Navigate(rbase+"/runs"), chromedp.WaitVisible(chromedp.CSS(`#runs`)), shot(dir, "runs"))
	if h := consoleHistory(t, rcfg); !strings.Contains(h, "devices approve|ada (console)") {
		t.Errorf("the run history lacks ada's approval:\n%s", h)
	}
}

// consoleHistory is the run history as "command|user" lines.
func consoleHistory(t *testing.T, cfgPath string) string {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := importer.OpenState(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	runs, err := sess.State.Runs(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&b, "%s|%s\n", r.Command, r.User)
	}
	return b.String()
}

func hrPunchEmployees(t *testing.T, dir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "hr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT DISTINCT employee_id FROM attendance_punches ORDER BY employee_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return strings.Join(ids, ",")
}

// pendingDevice makes a device call once, so the registry holds it pending.
func pendingDevice(t *testing.T, cfgPath string) {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := pushstore.Open(context.Background(), cfg.PushStorePath()) // the registry serve keeps
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	if _, _, err := ps.Touch(context.Background(), "CKJG201560001", "10.0.0.21", "Ver 6.60"); err != nil {
		t.Fatal(err)
	}
	if err := ps.Allow(context.Background(), "BWXP184960022", "Gate 1", "Asia/Ho_Chi_Minh"); err != nil {
		t.Fatal(err)
	}
}

// createHRTables opens the HR database for writing once, which creates its
// tables (create_tables), empty.
func createHRTables(t *testing.T, cfgPath string) {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := importer.OpenHR(context.Background(), cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	hr.Close()
}
