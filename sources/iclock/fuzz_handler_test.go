package iclock

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/pushstore"
)

// FuzzHandler sends any method, path, query and body. It must never panic,
// never store a punch for a serial the registry does not allow, and never
// answer "OK: N" to one.
func FuzzHandler(f *testing.F) {
	f.Add("POST", "/iclock/cdata", "SN=STRANGER&table=ATTLOG&Stamp=1", []byte("1\t2026-12-01 08:00:00\t0\t1\n"))
	f.Add("POST", "/iclock/cdata", "SN=OK1&table=ATTLOG&Stamp=9", []byte("1\t2026-12-01 08:00:00\t0\t1\t0\n2\tbad\n"))
	f.Add("GET", "/iclock/cdata", "SN=OK1&options=all&pushver=2.4.1", []byte(nil))
	f.Add("GET", "/iclock/getrequest.aspx", "SN=OK1&INFO=Ver%206.60", []byte(nil))
	f.Add("POST", "/iclock/devicecmd", "SN=OK1", []byte("ID=1&Return=0&CMD=DATA\n"))
	f.Add("GET", "/iclock/rtdata", "SN=OK1&type=time", []byte(nil))
	f.Add("POST", "/iclock/cdata", "SN=STRANGER&table=OPERLOG&OpStamp=3", []byte("OPLOG 4\t0\t2026-12-01 08:00:00\t0\t0\t0\t0\n"))
	ctx := context.Background()
	st, err := pushstore.Open(ctx, filepath.Join(f.TempDir(), "push.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if err := st.Allow(ctx, "OK1", "", "Asia/Ho_Chi_Minh"); err != nil {
		f.Fatal(err)
	}
	h := New(Config{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 64 << 10,
		Now: func() time.Time { return time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC) }})
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		if len(method) == 0 || len(method) > 8 || len(path) == 0 || path[0] != '/' {
			return
		}
		u := &url.URL{Path: path, RawQuery: query}
		req := httptest.NewRequest("GET", "/", bytes.NewReader(body))
		req.Method, req.URL = method, u
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		sn := u.Query().Get("SN")
		if sn == "OK1" {
			return
		}
		if bytes.HasPrefix(rec.Body.Bytes(), []byte("OK: ")) {
			t.Fatalf("acknowledged %q from a serial not allowed", sn)
		}
		if sn == "" { // Received("") is every device's
			return
		}
		if got, _ := st.Received(ctx, sn); len(got) != 0 {
			t.Fatalf("stored %d punches of %q", len(got), sn)
		}
	})
}
