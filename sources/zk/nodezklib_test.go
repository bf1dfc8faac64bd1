package zk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/zk"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

// nodeScript drives node-zklib (MIT-style ISC licence; an independent client
// that talks to real devices) against the emulator and prints what it got.
const nodeScript = `
const ZKLib = require('node-zklib');
(async () => {
  const zk = new ZKLib(process.argv[2], Number(process.argv[3]), 20000, 5200);
  await zk.createSocket();
  const info = await zk.getInfo();
  const users = await zk.getUsers();
  const logs = await zk.getAttendances();
  await zk.disconnect();
  if (users.err || logs.err) throw (users.err || logs.err);
  process.stdout.write(JSON.stringify({
    info,
    users: users.data.map(u => ({uid: u.uid, pin: u.userId, name: u.name, card: u.cardno, role: u.role})),
    records: logs.data.map(r => [r.userSn, r.deviceUserId, r.recordTime.toISOString()]),
  }));
})().catch(e => { console.error(String(e && e.message || e)); process.exit(1); });
`

type nodeOut struct {
	Info struct {
		UserCounts, LogCounts, LogCapacity int
	}
	Users []struct {
		UID  uint16
		PIN  string
		Name string
		Card uint32
		Role uint8
	}
	Records [][3]any
}

// TestNodeZklib checks the emulator against an independent client: the
// npm package node-zklib reads the same users and records from it as our
// client does. Skipped when node or npm is missing or the install fails.
func TestNodeZklib(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no npm install")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; install Node.js to check the emulator against node-zklib")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH; install npm to check the emulator against node-zklib")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--silent", "node-zklib@1.3.0")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install node-zklib failed (offline?): %v\n%s", err, out)
	}
	script := filepath.Join(dir, "pull.js")
	if err := os.WriteFile(script, []byte(nodeScript), 0o600); err != nil {
		t.Fatal(err)
	}

	d := zkemu.NewDevice()
	d.SetUsers(users())
	d.SetRecords(zkemu.Generate(100_000, 3, start))
	d.PacketGap = 15 * time.Millisecond // node-zklib takes one packet per socket read; see PacketGap
	s, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host, port, _ := splitHostPort(s.Addr())

	run := exec.CommandContext(ctx, node, script, host, port)
	run.Dir = dir
	run.Env = append(os.Environ(), "TZ=UTC") // node-zklib builds dates in the local zone
	run.Stderr = os.Stderr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("node-zklib: %v", err)
	}
	var got nodeOut
	// node-zklib prints "ok tcp" on stdout before our JSON.
	if i := bytes.IndexByte(out, '{'); i >= 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output: %v", err)
	}

	c := dial(t, s.Addr(), zk.Options{})
	ours, err := c.ReadUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var recs []zk.Record
	if _, err := c.ReadAttendance(context.Background(), func(r zk.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}

	if got.Info.UserCounts != len(ours) || got.Info.LogCounts != len(recs) {
		t.Errorf("node-zklib info %+v; we read %d users, %d records", got.Info, len(ours), len(recs))
	}
	if len(got.Users) != len(ours) {
		t.Fatalf("node-zklib %d users, ours %d", len(got.Users), len(ours))
	}
	for i, u := range got.Users {
		o := ours[i]
		if u.UID != o.UID || u.PIN != o.PIN || u.Name != o.Name || u.Card != o.Card || u.Role != o.Privilege {
			t.Errorf("user %d: node-zklib %+v, ours %+v", i, u, o)
		}
	}
	if len(got.Records) != len(recs) {
		t.Fatalf("node-zklib %d records, ours %d", len(got.Records), len(recs))
	}
	for i, r := range got.Records {
		o := recs[i]
		want := [3]any{float64(o.UID), o.PIN, o.Time.UTC().Format("2006-01-02T15:04:05.000Z")}
		if fmt.Sprint(r) != fmt.Sprint(want) {
			t.Fatalf("record %d: node-zklib %v, ours %v", i, r, want)
		}
	}
	if d.Disabled() {
		t.Fatal("left disabled")
	}
	t.Logf("node-zklib and zk agree on %d users and %d records", len(ours), len(recs))
}

func splitHostPort(addr string) (string, string, error) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:], nil
		}
	}
	return addr, "", fmt.Errorf("no port in %q", addr)
}
