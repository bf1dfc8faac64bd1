package iclock

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/pushstore"
)

// sim is a device simulator built from the published request formats (PUSH
// SDK V3.2.0): the requests a terminal makes, in the order it makes them.
type sim struct {
	base, sn, pushver string
	c                 *http.Client
}

func (d *sim) url(path string, kv ...string) string {
	u := d.base + path + "?SN=" + d.sn
	for i := 0; i+1 < len(kv); i += 2 {
		u += "&" + kv[i] + "=" + kv[i+1]
	}
	return u
}

func (d *sim) do(method, url, body string) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "text/plain")
	res, err := d.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// handshake sends GET /iclock/cdata?SN=..&options=all and reads the
// "key=value" lines of the answer.
func (d *sim) handshake() (int, map[string]string, error) {
	kv := []string{"options", "all", "language", "69"}
	if d.pushver != "" {
		kv = append(kv, "pushver", d.pushver)
	}
	code, body, err := d.do("GET", d.url("/iclock/cdata", kv...), "")
	opts := map[string]string{}
	for _, l := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			opts[k] = v
		} else if strings.HasPrefix(l, "GET OPTION FROM: ") {
			opts["FROM"] = strings.TrimPrefix(l, "GET OPTION FROM: ")
		}
	}
	return code, opts, err
}

// attLine is one ATTLOG record in the layout of current firmware: PIN,
// time, status, verify, workcode and five reserved fields.
func attLine(pin, when string, state, verify int) string {
	return fmt.Sprintf("%s\t%s\t%d\t%d\t0\t0\t0\t0\t0\t0", pin, when, state, verify)
}

// upload posts lines to table with the device's stamp and returns the
// number the server acknowledged ("OK: N"), -1 when it did not say OK.
func (d *sim) upload(table, stampKey, stamp string, lines []string) (int, int, error) {
	code, body, err := d.do("POST", d.url("/iclock/cdata", "table", table, stampKey, stamp), strings.Join(lines, "\n")+"\n")
	if err != nil || code != 200 || !strings.HasPrefix(body, "OK: ") {
		return code, -1, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(body, "OK: ")))
	return code, n, err
}

func newServer(t testing.TB, path string, cfg Config) (*pushstore.Store, *httptest.Server) {
	t.Helper()
	st, err := pushstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = st
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return st, srv
}

func punches(pin string, day, from, n int) []string {
	var out []string
	for i := from; i < from+n; i++ {
		out = append(out, attLine(pin, fmt.Sprintf("2026-12-%02d %02d:%02d:%02d", day, 6+i/3600, i/60%60, i%60), i%2, 1))
	}
	return out
}

// TestSimulatedDevice: handshake, uploads in the real layout with some bad
// lines, a resend, an operation log, command polling and results. What the
// server acknowledged is what it stored, and the resend adds nothing.
func TestSimulatedDevice(t *testing.T) {
	ctx := context.Background()
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{Realtime: true})
	if err := st.Allow(ctx, "CKJ8201560123", "gate", "Asia/Ho_Chi_Minh"); err != nil {
		t.Fatal(err)
	}
	d := &sim{base: srv.URL, sn: "CKJ8201560123", pushver: "2.4.1", c: srv.Client()}

	code, opts, err := d.handshake()
	if err != nil || code != 200 {
		t.Fatalf("handshake: %d %v", code, err)
	}
	if opts["FROM"] != d.sn || opts["ATTLOGStamp"] != "0" || opts["Stamp"] != "0" || opts["Realtime"] != "1" || !strings.HasPrefix(opts["TransFlag"], "TransData AttLog") {
		t.Fatalf("handshake options = %v", opts)
	}
	acked := 0
	for i := range 3 {
		lines := punches(strconv.Itoa(100+i), 1, i*50, 50)
		if i == 1 {
			lines = append(lines, "not a record", "5\tyesterday\t0\t1")
		}
		code, n, err := d.upload("ATTLOG", "Stamp", strconv.Itoa(1000+i), lines)
		if err != nil || n != 50 {
			t.Fatalf("upload %d: code %d ack %d err %v", i, code, n, err)
		}
		acked += n
	}
	// A resend of the second batch, as after a lost reply: acknowledged again,
	// nothing added.
	if _, n, err := d.upload("ATTLOG", "Stamp", "1001", punches("101", 1, 50, 50)); err != nil || n != 50 {
		t.Fatalf("resend: ack %d err %v", n, err)
	}
	got, err := st.Received(ctx, d.sn)
	if err != nil || len(got) != acked {
		t.Fatalf("stored %d rows, acknowledged %d (%v)", len(got), acked, err)
	}
	if _, n, err := d.upload("OPERLOG", "OpStamp", "77", []string{"OPLOG 4\t0\t2026-12-01 06:00:00\t0\t0\t0\t0", "USER PIN=100\tName=An\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0"}); err != nil || n != 2 {
		t.Fatalf("operlog: ack %d err %v", n, err)
	}
	dev, _, _ := st.Device(ctx, d.sn)
	if dev.Received != int64(acked) || dev.Others != 2 || dev.Bad != 2 || dev.LastUpload.IsZero() {
		t.Fatalf("device = %+v", dev)
	}
	_, opts, _ = d.handshake()
	if opts["ATTLOGStamp"] != "1001" || opts["OPERLOGStamp"] != "77" || opts["OpStamp"] != "77" {
		t.Fatalf("stamps after uploads = %v", opts)
	}

	// Command polling: "OK" when idle, then "C:ID:CMD" lines; results back.
	if _, body, _ := d.do("GET", d.url("/iclock/getrequest", "INFO", "Ver%206.60,2,0,150,192.168.1.201"), ""); body != "OK" {
		t.Fatalf("idle poll = %q", body)
	}
	if dev, _, _ := st.Device(ctx, d.sn); dev.Info != "Ver 6.60,2,0,150,192.168.1.201" {
		t.Fatalf("info = %q", dev.Info)
	}
	id1, _ := st.Enqueue(ctx, d.sn, "DATA UPDATE USERINFO PIN=100\tName=An")
	id2, _ := st.Enqueue(ctx, d.sn, "CHECK")
	_, body, _ := d.do("GET", d.url("/iclock/getrequest"), "")
	want := fmt.Sprintf("C:%d:DATA UPDATE USERINFO PIN=100\tName=An\nC:%d:CHECK\n", id1, id2)
	if body != want {
		t.Fatalf("poll = %q, want %q", body, want)
	}
	if _, body, _ := d.do("GET", d.url("/iclock/getrequest"), ""); body != "OK" {
		t.Fatalf("sent commands came back: %q", body)
	}
	code, body, _ = d.do("POST", d.url("/iclock/devicecmd"), fmt.Sprintf("ID=%d&Return=0&CMD=DATA\nID=%d&Return=0&CMD=CHECK\n", id1, id2))
	if code != 200 || body != "OK" {
		t.Fatalf("devicecmd = %d %q", code, body)
	}
	cs, _ := st.Commands(ctx, d.sn)
	for _, c := range cs {
		if c.Status != "done" || c.ReturnCode.Int64 != 0 {
			t.Fatalf("command %+v", c)
		}
	}
}

// TestOldFirmwareHandshake: without pushver the device gets the flag form
// of TransFlag older firmware reads.
func TestOldFirmwareHandshake(t *testing.T) {
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{})
	st.Allow(context.Background(), "OLD1", "", "")
	d := &sim{base: srv.URL, sn: "OLD1", c: srv.Client()}
	_, opts, _ := d.handshake()
	if opts["TransFlag"] != "1111000000" || opts["Realtime"] != "0" || opts["Delay"] != "30" || opts["ErrorDelay"] != "60" {
		t.Fatalf("options = %v", opts)
	}
}

// TestUnknownSerialRefused: every request of an unregistered serial is
// refused, nothing it sends is stored, and it is listed pending with a log
// line saying why.
func TestUnknownSerialRefused(t *testing.T) {
	ctx := context.Background()
	var logs strings.Builder
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	d := &sim{base: srv.URL, sn: "STRANGER9", c: srv.Client()}
	if code, _, _ := d.handshake(); code != http.StatusForbidden {
		t.Fatalf("handshake = %d", code)
	}
	if code, n, _ := d.upload("ATTLOG", "Stamp", "1", punches("1", 1, 0, 5)); code != http.StatusForbidden || n != -1 {
		t.Fatalf("upload = %d %d", code, n)
	}
	if code, _, _ := d.do("GET", d.url("/iclock/getrequest"), ""); code != http.StatusForbidden {
		t.Fatalf("poll = %d", code)
	}
	if got, _ := st.Received(ctx, ""); len(got) != 0 {
		t.Fatalf("stored %v", got)
	}
	p, _ := st.Devices(ctx, true)
	if len(p) != 1 || p[0].Serial != "STRANGER9" {
		t.Fatalf("pending = %+v", p)
	}
	if !strings.Contains(logs.String(), "serial=STRANGER9") || !strings.Contains(logs.String(), "pending") || strings.Count(logs.String(), "\n") != 1 {
		t.Fatalf("want one log line for the first refusal, got:\n%s", logs.String())
	}
}

// TestStampsSurviveRestart: a new store and server over the same file give
// the device the stamps it had, so it does not resend its whole log.
func TestStampsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "push.db")
	st, srv := newServer(t, path, Config{})
	st.Allow(context.Background(), "SN7", "", "")
	d := &sim{base: srv.URL, sn: "SN7", pushver: "2.2", c: srv.Client()}
	if _, n, err := d.upload("ATTLOG", "Stamp", "5555", punches("1", 2, 0, 10)); n != 10 || err != nil {
		t.Fatalf("upload: %d %v", n, err)
	}
	srv.Close()
	st.Close()
	_, srv2 := newServer(t, path, Config{})
	d.base, d.c = srv2.URL, srv2.Client()
	_, opts, _ := d.handshake()
	if opts["ATTLOGStamp"] != "5555" || opts["Stamp"] != "5555" {
		t.Fatalf("after restart: %v", opts)
	}
}

// TestBadRequests: what is not the protocol gets a 4xx and stores nothing.
func TestBadRequests(t *testing.T) {
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{MaxBody: 1024})
	st.Allow(context.Background(), "SN1", "", "")
	c := srv.Client()
	for _, tc := range []struct {
		method, url, body string
		code              int
	}{
		{"GET", "/iclock/cdata?options=all", "", 400},
		{"GET", "/iclock/cdata?SN=a%0Ab&options=all", "", 400},
		{"GET", "/iclock/cdata?SN=" + strings.Repeat("A", 40), "", 400},
		{"POST", "/iclock/cdata?SN=SN1&table=ATT%20LOG", "1\t2026-12-01 08:00:00\t0", 400},
		{"POST", "/iclock/cdata?SN=SN1", "1\t2026-12-01 08:00:00\t0", 400},
		{"POST", "/iclock/cdata?SN=SN1&table=ATTLOG", strings.Repeat(attLine("1", "2026-12-01 08:00:00", 0, 1)+"\n", 100), 413},
		{"PUT", "/iclock/cdata?SN=SN1", "", 405},
		{"GET", "/iclock/nothing?SN=SN1", "", 404},
		{"GET", "/iclock/ping?SN=SN1", "", 200},
		{"POST", "/iclock/cdata.aspx?SN=SN1&table=ATTLOG&Stamp=1", attLine("1", "2026-12-01 08:00:00", 0, 1), 200},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.url, strings.NewReader(tc.body))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.code {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.url, res.StatusCode, tc.code)
		}
	}
	if got, _ := st.Received(context.Background(), ""); len(got) != 1 {
		t.Fatalf("stored %v, want only the .aspx upload", got)
	}
}

// TestStoreFailureIsNotAcknowledged: when the store cannot commit (here: it
// is closed), the device gets a 500 and no "OK", so it keeps its records and
// resends them.
func TestStoreFailureIsNotAcknowledged(t *testing.T) {
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{})
	st.Allow(context.Background(), "SN1", "", "")
	st.Close()
	d := &sim{base: srv.URL, sn: "SN1", c: srv.Client()}
	if code, n, _ := d.upload("ATTLOG", "Stamp", "3", punches("1", 1, 0, 5)); code != http.StatusInternalServerError || n != -1 {
		t.Fatalf("upload to a failed store = %d, ack %d", code, n)
	}
}
