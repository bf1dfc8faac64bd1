package httpsink

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/mapping"
)

func punches(n int) []mapping.Punch {
	base := time.Date(2026, 5, 4, 6, 0, 0, 0, time.UTC)
	out := make([]mapping.Punch, n)
	for i := range out {
		dir := mapping.DirIn
		if i%2 == 1 {
			dir = mapping.DirOut
		}
		out[i] = mapping.Punch{
			EmployeeID: fmt.Sprintf("E%05d", i%500),
			SourceKey:  fmt.Sprintf("%d", 1000+i%500),
			Time:       base.Add(time.Duration(i) * time.Minute),
			Direction:  dir,
			DeviceID:   "gate-1",
			Source:     "zk",
			Origin:     mapping.Origin{Source: "zk", File: "att.csv", Line: i + 2},
		}
	}
	return out
}

// hrAPI is an in-process HR API over HTTPS. It checks auth, dedupes by
// idempotency key (as a well-behaved API does) and can be told to fail.
type hrAPI struct {
	srv     *httptest.Server
	caFile  string
	auth    httpx.Auth
	latency time.Duration

	mu       sync.Mutex
	received map[string]int    // requests per idempotency key
	stored   map[string][]byte // first accepted body per key
	script   []int             // statuses to answer first, one per request
	header   http.Header       // sent with scripted answers
}

func newHRAPI(t testing.TB, auth httpx.Auth) *hrAPI {
	api := &hrAPI{auth: auth, received: map[string]int{}, stored: map[string][]byte{}}
	api.srv = httptest.NewTLSServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.srv.Close)
	api.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(api.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return api
}

func (a *hrAPI) authorized(r *http.Request, body []byte) bool {
	switch a.auth.Kind {
	case httpx.AuthBearer:
		return r.Header.Get("Authorization") == "Bearer "+a.auth.Token
	case httpx.AuthBasic:
		u, p, ok := r.BasicAuth()
		return ok && u == a.auth.User && p == a.auth.Password
	case httpx.AuthSignature:
		return r.Header.Get(httpx.HeaderAppID) == a.auth.AppID && httpx.VerifySignature(r, body, a.auth.Secret, "")
	}
	return true
}

func (a *hrAPI) serve(w http.ResponseWriter, r *http.Request) {
	if a.latency > 0 {
		time.Sleep(a.latency)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if !a.authorized(r, body) {
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		http.Error(w, "missing Idempotency-Key", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.received[key]++
	if len(a.script) > 0 {
		status := a.script[0]
		a.script = a.script[1:]
		for k, v := range a.header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "scripted %d", status)
		return
	}
	if _, dup := a.stored[key]; dup {
		fmt.Fprint(w, `{"status":"duplicate"}`)
		return
	}
	a.stored[key] = body
	w.WriteHeader(http.StatusCreated)
	fmt.Fprint(w, `{"status":"created"}`)
}

func (a *hrAPI) counts() (received, stored int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range a.received {
		received += n
	}
	return received, len(a.stored)
}

func (a *hrAPI) config(path string) Config {
	return Config{
		URL: a.srv.URL + path,
		HTTP: httpx.Config{
			Auth: a.auth, CAFile: a.caFile, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		},
	}
}

func openState(t testing.TB) *sql.DB {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "state.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := outbox.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// enqueue encodes and stores a batch, returning the event ids.
func enqueue(t *testing.T, db *sql.DB, s *Sink, batch []mapping.Punch) []int64 {
	t.Helper()
	events, err := s.Encode(batch)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := outbox.EnqueueAll(context.Background(), db, events)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestDeliveryThroughOutboxWithEachAuth(t *testing.T) {
	auths := []httpx.Auth{
		{Kind: httpx.AuthNone},
		{Kind: httpx.AuthBearer, Token: "tok-1"},
		{Kind: httpx.AuthBasic, User: "hr", Password: "pw"},
		{Kind: httpx.AuthSignature, AppID: "hrsync", Secret: "k3y"},
	}
	for _, auth := range auths {
		t.Run(auth.Kind, func(t *testing.T) {
			api := newHRAPI(t, auth)
			cfg := api.config("/api/punches")
			cfg.BatchSize = 100
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			db := openState(t)
			ids := enqueue(t, db, s, punches(250))
			if len(ids) != 3 {
				t.Fatalf("%d parts, want 3", len(ids))
			}
			sum, err := outbox.Deliver(context.Background(), db, s, outbox.Options{Target: s.Target(), Concurrency: 2}, ids...)
			if err != nil || sum.Succeeded != 3 {
				t.Fatalf("%+v %v", sum, err)
			}
			received, stored := api.counts()
			if received != 3 || stored != 3 {
				t.Fatalf("received %d stored %d", received, stored)
			}
			var got int
			for _, body := range api.stored {
				var recs []map[string]string
				if err := json.Unmarshal(body, &recs); err != nil {
					t.Fatal(err)
				}
				got += len(recs)
			}
			if got != 250 {
				t.Fatalf("target holds %d punches, want 250", got)
			}
		})
	}
}

func TestWrongCredentialsFailForGood(t *testing.T) {
	api := newHRAPI(t, httpx.Auth{Kind: httpx.AuthBearer, Token: "right"})
	cfg := api.config("/p")
	cfg.HTTP.Auth = httpx.Auth{Kind: httpx.AuthBearer, Token: "wrong"}
	s, _ := New(cfg)
	db := openState(t)
	ids := enqueue(t, db, s, punches(3))
	sum, err := outbox.Deliver(context.Background(), db, s, outbox.Options{Target: s.Target()}, ids...)
	if err != nil || sum.GaveUp != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	e, _ := outbox.Get(context.Background(), db, ids[0])
	if e.LastStatus != 401 || strings.Contains(e.LastResponse, "wrong") {
		t.Fatalf("%+v", e)
	}
}

func TestServerBehaviours(t *testing.T) {
	tests := []struct {
		name         string
		script       []int
		header       http.Header
		wantReceived int
		wantStatus   string
		wantRetry    bool
		wantLast     int
	}{
		{name: "500 then success", script: []int{500}, wantReceived: 2, wantStatus: outbox.Succeeded, wantLast: 201},
		{name: "503 502 then success", script: []int{503, 502}, wantReceived: 3, wantStatus: outbox.Succeeded, wantLast: 201},
		{name: "429 with Retry-After then success", script: []int{429}, header: http.Header{"Retry-After": {"1"}}, wantReceived: 2, wantStatus: outbox.Succeeded, wantLast: 201},
		{name: "429 asking for an hour: outbox schedules it", script: []int{429}, header: http.Header{"Retry-After": {"3600"}}, wantReceived: 1, wantStatus: outbox.Failed, wantRetry: true, wantLast: 429},
		{name: "500 every time: retries used up, outbox schedules it", script: []int{500, 500, 500, 500}, wantReceived: 4, wantStatus: outbox.Failed, wantRetry: true, wantLast: 500},
		{name: "400 is permanent", script: []int{400}, wantReceived: 1, wantStatus: outbox.Failed, wantLast: 400},
		{name: "422 is permanent", script: []int{422}, wantReceived: 1, wantStatus: outbox.Failed, wantLast: 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newHRAPI(t, httpx.Auth{Kind: httpx.AuthBearer, Token: "t"})
			api.script, api.header = tt.script, tt.header
			s, err := New(api.config("/p"))
			if err != nil {
				t.Fatal(err)
			}
			db := openState(t)
			ids := enqueue(t, db, s, punches(5))
			if _, err := outbox.Deliver(context.Background(), db, s, outbox.Options{Target: s.Target()}, ids...); err != nil {
				t.Fatal(err)
			}
			e, _ := outbox.Get(context.Background(), db, ids[0])
			received, _ := api.counts()
			if received != tt.wantReceived || e.Status != tt.wantStatus || e.WillRetry() != tt.wantRetry || e.LastStatus != tt.wantLast {
				t.Fatalf("received %d, event %s retry=%v last %d (%q); want %d, %s retry=%v last %d",
					received, e.Status, e.WillRetry(), e.LastStatus, e.LastResponse, tt.wantReceived, tt.wantStatus, tt.wantRetry, tt.wantLast)
			}
		})
	}
}

// crashAfterSend lets the part reach the target, then "dies" before the
// outbox can record it, as a killed process would.
type crashAfterSend struct {
	sink    *Sink
	crashed bool
}

func (c *crashAfterSend) Send(ctx context.Context, e outbox.Event) (int, string, error) {
	status, text, err := c.sink.Send(ctx, e)
	if err == nil && !c.crashed {
		c.crashed = true
		return 0, "", context.Canceled
	}
	return status, text, err
}

func TestCrashBeforeMarkResendsSameKeyOnceStored(t *testing.T) {
	api := newHRAPI(t, httpx.Auth{Kind: httpx.AuthSignature, AppID: "a", Secret: "s"})
	s, _ := New(api.config("/p"))
	db := openState(t)
	ids := enqueue(t, db, s, punches(10))

	sum, err := outbox.Deliver(context.Background(), db, &crashAfterSend{sink: s}, outbox.Options{Target: s.Target()}, ids...)
	if err != nil || sum.Interrupted != 1 {
		t.Fatalf("run 1: %+v %v", sum, err)
	}
	// Next run: the same event, the same key.
	sum, err = outbox.Deliver(context.Background(), db, s, outbox.Options{Target: s.Target()})
	if err != nil || sum.Succeeded != 1 {
		t.Fatalf("run 2: %+v %v", sum, err)
	}
	e, _ := outbox.Get(context.Background(), db, ids[0])
	if n := api.received[e.IdempotencyKey]; n != 2 {
		t.Fatalf("key sent %d times, want 2", n)
	}
	if received, stored := api.counts(); received != 2 || stored != 1 {
		t.Fatalf("received %d stored %d; want 2 received, 1 stored", received, stored)
	}
	if e.LastResponse != `{"status":"duplicate"}` {
		t.Fatalf("second send answered %q", e.LastResponse)
	}
}

func TestLatencyWithConcurrency(t *testing.T) {
	api := newHRAPI(t, httpx.Auth{})
	api.latency = 20 * time.Millisecond
	cfg := api.config("/p")
	cfg.BatchSize = 10
	cfg.HTTP.Concurrency = 4
	s, _ := New(cfg)
	db := openState(t)
	ids := enqueue(t, db, s, punches(200))
	sum, err := outbox.Deliver(context.Background(), db, s, outbox.Options{Target: s.Target(), Concurrency: 4}, ids...)
	if err != nil || sum.Succeeded != 20 {
		t.Fatalf("%+v %v", sum, err)
	}
	if _, stored := api.counts(); stored != 20 {
		t.Fatalf("stored %d", stored)
	}
}

func TestEncodeJSONFieldsAndValues(t *testing.T) {
	la, _ := time.LoadLocation("Asia/Kolkata")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"default fields", Config{}, `[{"employee_id":"E00000","time":"2026-05-04T06:00:00Z","direction":"in","device_id":"gate-1","source":"zk","source_key":"1000"}]`},
		{"mapped fields, codes, layout, zone, root", Config{
			Fields:          map[string]string{"employee_id": "empCode", "time": "punchTime", "direction": "io"},
			DirectionValues: map[string]string{"in": "0", "out": "1"},
			TimeLayout:      "2006-01-02 15:04:05",
			Location:        la,
			JSONRoot:        "punches",
		}, `{"punches":[{"empCode":"E00000","punchTime":"2026-05-04 11:30:00","io":"0"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.URL = "https://hr.example/p"
			s, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			events, err := s.Encode(punches(1))
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || string(events[0].Payload) != tt.want || events[0].ContentType != "application/json" {
				t.Fatalf("got %s\nwant %s", events[0].Payload, tt.want)
			}
			if !json.Valid(events[0].Payload) {
				t.Fatal("invalid JSON")
			}
		})
	}
}

func TestEncodeCSV(t *testing.T) {
	s, err := New(Config{URL: "https://hr.example/p", Format: "CSV", Fields: map[string]string{"employee_id": "Emp Code", "time": "When", "device_id": "Device"}})
	if err != nil {
		t.Fatal(err)
	}
	batch := punches(2)
	batch[1].DeviceID = `gate "2", north`
	events, err := s.Encode(batch)
	if err != nil {
		t.Fatal(err)
	}
	want := "Emp Code,When,Device\nE00000,2026-05-04T06:00:00Z,gate-1\nE00001,2026-05-04T06:01:00Z,\"gate \"\"2\"\", north\"\n"
	if string(events[0].Payload) != want || !strings.HasPrefix(events[0].ContentType, "text/csv") {
		t.Fatalf("got %q\nwant %q", events[0].Payload, want)
	}
	rows, err := csv.NewReader(bytes.NewReader(events[0].Payload)).ReadAll()
	if err != nil || len(rows) != 3 || rows[2][2] != `gate "2", north` {
		t.Fatalf("%v %v", rows, err)
	}
}

func TestEncodeSplitsIntoParts(t *testing.T) {
	tests := []struct {
		name      string
		format    string
		batchSize int
		maxBytes  int64
		n         int
		wantParts int
	}{
		{"by count", "json", 1000, 0, 2500, 3},
		{"json by bytes", "json", 100000, 20000, 2500, 0},
		{"csv by bytes", "csv", 100000, 20000, 2500, 0},
		{"exact count", "csv", 500, 0, 1000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{URL: "https://hr.example/p", Format: tt.format, BatchSize: tt.batchSize, MaxPartBytes: tt.maxBytes})
			if err != nil {
				t.Fatal(err)
			}
			events, err := s.Encode(punches(tt.n))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantParts > 0 && len(events) != tt.wantParts {
				t.Fatalf("%d parts, want %d", len(events), tt.wantParts)
			}
			if tt.wantParts == 0 && len(events) < 2 {
				t.Fatalf("%d parts: byte limit not applied", len(events))
			}
			var lines []string
			keys := map[string]bool{}
			for i, e := range events {
				if tt.maxBytes > 0 && int64(len(e.Payload)) > tt.maxBytes {
					t.Fatalf("part %d is %d bytes, limit %d", i, len(e.Payload), tt.maxBytes)
				}
				keys[e.IdempotencyKey] = true
				lines = append(lines, employeeIDs(t, tt.format, e.Payload)...)
			}
			if len(keys) != len(events) {
				t.Fatal("two parts share a key")
			}
			if len(lines) != tt.n || lines[0] != "E00000" || lines[tt.n-1] != fmt.Sprintf("E%05d", (tt.n-1)%500) {
				t.Fatalf("parts hold %d punches, want %d in order", len(lines), tt.n)
			}
		})
	}
}

func employeeIDs(t *testing.T, format string, body []byte) []string {
	t.Helper()
	var ids []string
	if format == "csv" {
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[1:] {
			ids = append(ids, r[0])
		}
		return ids
	}
	var recs []map[string]string
	if err := json.Unmarshal(body, &recs); err != nil {
		t.Fatalf("part is not JSON: %v", err)
	}
	for _, r := range recs {
		ids = append(ids, r["employee_id"])
	}
	return ids
}

func TestEncodeZip(t *testing.T) {
	plain, _ := New(Config{URL: "https://hr.example/p"})
	auto, _ := New(Config{URL: "https://hr.example/p", Zip: ZipAuto, ZipAboveBytes: 10000})
	always, _ := New(Config{URL: "https://hr.example/p", Zip: ZipAlways})

	small, big := punches(5), punches(1000)
	if e, _ := auto.Encode(small); e[0].ContentType != "application/json" {
		t.Fatalf("small part zipped under auto: %s", e[0].ContentType)
	}
	want, _ := plain.Encode(big)
	for _, s := range []*Sink{auto, always} {
		got, err := s.Encode(big)
		if err != nil {
			t.Fatal(err)
		}
		e := got[0]
		if e.ContentType != "application/zip" || len(e.Payload) >= len(want[0].Payload) {
			t.Fatalf("not zipped: %s, %d bytes", e.ContentType, len(e.Payload))
		}
		if e.IdempotencyKey != want[0].IdempotencyKey {
			t.Fatal("zipping changed the idempotency key")
		}
		zr, err := zip.NewReader(bytes.NewReader(e.Payload), int64(len(e.Payload)))
		if err != nil || len(zr.File) != 1 || zr.File[0].Name != "punches.json" {
			t.Fatalf("zip: %v", err)
		}
		rc, _ := zr.File[0].Open()
		inner, _ := io.ReadAll(rc)
		if !bytes.Equal(inner, want[0].Payload) {
			t.Fatal("zipped body differs from the plain one")
		}
		again, _ := s.Encode(big)
		if !bytes.Equal(again[0].Payload, e.Payload) {
			t.Fatal("zipping the same punches twice gave different bytes")
		}
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	s, _ := New(Config{URL: "https://hr.example/p", BatchSize: 7, Fields: map[string]string{"time": "t", "employee_id": "e", "device_id": "d", "direction": "x"}})
	a, _ := s.Encode(punches(30))
	b, _ := s.Encode(punches(30))
	for i := range a {
		if a[i].IdempotencyKey != b[i].IdempotencyKey || !bytes.Equal(a[i].Payload, b[i].Payload) {
			t.Fatalf("part %d differs between two encodings of the same punches", i)
		}
	}
	if !strings.HasPrefix(string(a[0].Payload), `[{"e":`) {
		t.Fatalf("field order not stable: %s", a[0].Payload[:30])
	}
}

func TestEncodeRejectsOversizePunch(t *testing.T) {
	s, _ := New(Config{URL: "https://hr.example/p", MaxPartBytes: 50})
	_, err := s.Encode(punches(1))
	if err == nil || !strings.Contains(err.Error(), "att.csv line 2") || !strings.Contains(err.Error(), "max part bytes 50") {
		t.Fatalf("err %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "ftp://x/y"}, "want an https:// URL"},
		{Config{URL: "https://x/y", Format: "xml"}, `format "xml"`},
		{Config{URL: "https://x/y", Zip: "yes"}, `zip "yes"`},
		{Config{URL: "https://x/y", Fields: map[string]string{"badge": "b"}}, `unknown field "badge"`},
		{Config{URL: "https://x/y", Fields: map[string]string{"time": ""}}, "empty name"},
		{Config{URL: "https://x/y", HTTP: httpx.Config{Auth: httpx.Auth{Kind: "bearer"}}}, "needs a token"},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
