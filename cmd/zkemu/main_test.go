package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/zk"
)

// TestServeFiles serves an attlog.dat and a users CSV with a comm key from
// the environment, and reads them back with the client.
func TestServeFiles(t *testing.T) {
	dir := t.TempDir()
	logPath, usersPath := filepath.Join(dir, "attlog.dat"), filepath.Join(dir, "users.csv")
	os.WriteFile(logPath, []byte("     1234\t2025-03-01 08:01:02\t1\t0\t1\t0\n     1234\t2025-03-01 17:02:03\t1\t1\t1\t0\n"), 0o600)
	os.WriteFile(usersPath, []byte("pin,name,card\n1234,Bao Tran,777\n"), 0o600)
	t.Setenv("ZKEMU_COMM_KEY", "4711")
	s, d, err := start([]string{"--listen", "127.0.0.1:0", "--log", logPath, "--users", usersPath, "--tz", "Asia/Ho_Chi_Minh"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d.CommKey != 4711 {
		t.Fatal("comm key not read from the environment")
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	ctx := context.Background()
	c, err := zk.Dial(ctx, s.Addr(), zk.Options{CommKey: 4711, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	us, err := c.ReadUsers(ctx)
	if err != nil || len(us) != 1 || us[0].PIN != "1234" || us[0].Card != 777 {
		t.Fatalf("%+v %v", us, err)
	}
	var rs []zk.Record
	if _, err := c.ReadAttendance(ctx, func(r zk.Record) error { rs = append(rs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].UID != us[0].UID || rs[1].State != 1 || !rs[1].Time.Equal(time.Date(2025, 3, 1, 17, 2, 3, 0, loc)) {
		t.Fatalf("%+v", rs)
	}
	if _, _, err := start([]string{"--listen", "127.0.0.1:0", "--log", filepath.Join(dir, "missing.dat")}); err == nil {
		t.Fatal("a missing log started")
	}
}
