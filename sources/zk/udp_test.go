package zk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/zk"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

func serveUDP(t *testing.T, d *zkemu.Device) string {
	t.Helper()
	s, err := zkemu.ListenUDP("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

// TestUDP reads users, a chunked log (16 KiB chunks) and the clock over
// UDP, with a comm key.
func TestUDP(t *testing.T) {
	d := zkemu.NewDevice()
	d.CommKey = 1234
	d.SetUsers(users())
	want := zkemu.Generate(20_000, 3, start)
	d.SetRecords(want)
	c := dial(t, serveUDP(t, d), zk.Options{UDP: true, CommKey: 1234})
	us, err := c.ReadUsers(context.Background())
	if err != nil || len(us) != 3 || us[1].PIN != "1234" {
		t.Fatalf("%+v %v", us, err)
	}
	i := 0
	n, err := c.ReadAttendance(context.Background(), func(r zk.Record) error {
		if !r.Time.Equal(want[i].Time) || r.PIN != want[i].PIN {
			t.Fatalf("record %d: %+v", i, r)
		}
		i++
		return nil
	})
	if err != nil || n != len(want) {
		t.Fatalf("%d %v", n, err)
	}
	if st := d.Stats(); st.Chunks < 48 {
		t.Fatalf("%d chunks: not 16 KiB ones", st.Chunks)
	}
	if _, err := c.Time(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestUDPNoAnswer: a silent device over UDP times out, and the device is
// re-enabled over a new session.
func TestUDPNoAnswer(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(5000, 3, start))
	addr := serveUDP(t, d)
	c := dial(t, addr, zk.Options{UDP: true, Timeout: 300 * time.Millisecond})
	d.Inject(zkemu.Fault{Kind: zkemu.Silent, Cmd: zkemu.CmdDataRdy, After: 1})
	_, err := c.ReadAttendance(context.Background(), func(zk.Record) error { return nil })
	if !errors.Is(err, zk.ErrTimeout) || !strings.Contains(err.Error(), addr) || d.Disabled() {
		t.Fatalf("%v, disabled %v", err, d.Disabled())
	}
	// Nothing listens: a clear error, not a hang.
	_, err = zk.Dial(context.Background(), "127.0.0.1:1", zk.Options{UDP: true, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("%v", err)
	}
	t.Log(err)
}
