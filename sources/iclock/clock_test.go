package iclock

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestClock: rtdata?type=time gives the device the server's UTC clock in
// ZKTeco's encoding and the offset of the device's zone; an unregistered
// device is refused.
func TestClock(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 1, 2, 3, 0, time.UTC)
	st, srv := newServer(t, filepath.Join(t.TempDir(), "push.db"), Config{Now: func() time.Time { return now }})
	if err := st.Allow(ctx, "HCM1", "", "Asia/Ho_Chi_Minh"); err != nil {
		t.Fatal(err)
	}
	d := &sim{base: srv.URL, sn: "HCM1", c: srv.Client()}
	code, body, err := d.do("GET", d.url("/iclock/rtdata", "type", "time"), "")
	// (26*12*31 + 11*31 + 2)*86400 + 3723
	want := "DateTime=" + "865299723" + ",ServerTZ=+0700"
	if err != nil || code != 200 || body != want {
		t.Fatalf("rtdata: %d %q %v, want %q", code, body, err, want)
	}
	if got := EncodeTime(now); got != 865299723 {
		t.Fatalf("EncodeTime %d", got)
	}
	u := &sim{base: srv.URL, sn: "STRANGER", c: srv.Client()}
	if code, _, _ := u.do("GET", u.url("/iclock/rtdata", "type", "time"), ""); code != 403 {
		t.Fatalf("unregistered: %d", code)
	}
}
