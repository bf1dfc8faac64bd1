package zk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/zk"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

var start = time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)

func serve(t *testing.T, d *zkemu.Device) string {
	t.Helper()
	s, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

func dial(t *testing.T, addr string, opt zk.Options) *zk.Client {
	t.Helper()
	c, err := zk.Dial(context.Background(), addr, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func users() []zkemu.User {
	return []zkemu.User{
		{PIN: "1", Name: "Ana Lima", Card: 4242, Privilege: 0},
		{PIN: "1234", Name: "Bao Tran", Password: "99", Privilege: 14, Group: "1"},
		{PIN: "77", Name: "Chidi Okafor", Card: 1, Privilege: 6},
	}
}

// TestReadAttendance100k pulls a 100,000-record log (4 MB, about 62
// chunks) and checks every record and the count.
func TestReadAttendance100k(t *testing.T) {
	d := zkemu.NewDevice()
	want := zkemu.Generate(100_000, 500, start)
	d.SetRecords(want)
	c := dial(t, serve(t, d), zk.Options{})
	i := 0
	n, err := c.ReadAttendance(context.Background(), func(r zk.Record) error {
		w := want[i]
		if r.PIN != w.PIN || !r.Time.Equal(w.Time) || r.State != w.State || r.Verify != w.Verify || r.UID != w.UID {
			return fmt.Errorf("record %d: got %+v, want %+v", i, r, w)
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) || i != len(want) {
		t.Fatalf("read %d (%d), want %d", n, i, len(want))
	}
	if st := d.Stats(); st.Chunks < 60 || d.Disabled() || st.Enables != 1 {
		t.Fatalf("stats %+v, disabled %v", st, d.Disabled())
	}
}

// TestSplitChunks: chunks whose data comes in several CMD_DATA packets.
func TestSplitChunks(t *testing.T) {
	d := zkemu.NewDevice()
	d.DataPacket = 1000
	d.SetRecords(zkemu.Generate(30_000, 7, start))
	c := dial(t, serve(t, d), zk.Options{})
	n, err := c.ReadAttendance(context.Background(), func(zk.Record) error { return nil })
	if err != nil || n != 30_000 {
		t.Fatalf("%d %v", n, err)
	}
}

// TestRecordLayouts reads every record size, large (chunked) and small
// (answered at once with CMD_DATA).
func TestRecordLayouts(t *testing.T) {
	for _, size := range []int{40, 16, 8} {
		for _, n := range []int{0, 3, 5000} {
			t.Run(fmt.Sprintf("%d-bytes-%d-records", size, n), func(t *testing.T) {
				d := zkemu.NewDevice()
				d.RecordSize = size
				want := zkemu.Generate(n, 50, start)
				for i := range want {
					want[i].WorkCode = uint32(i % 3)
				}
				d.SetRecords(want)
				c := dial(t, serve(t, d), zk.Options{})
				var got []zk.Record
				if _, err := c.ReadAttendance(context.Background(), func(r zk.Record) error { got = append(got, r); return nil }); err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("%d records, want %d", len(got), n)
				}
				for i, r := range got {
					if r.PIN != want[i].PIN || !r.Time.Equal(want[i].Time) || r.State != want[i].State {
						t.Fatalf("record %d: %+v, want %+v", i, r, want[i])
					}
					if size == 16 && r.WorkCode != want[i].WorkCode {
						t.Fatalf("record %d work code %d", i, r.WorkCode)
					}
				}
			})
		}
	}
}

func TestReadUsers(t *testing.T) {
	for _, size := range []int{72, 28} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			d := zkemu.NewDevice()
			d.UserSize = size
			d.SetUsers(users())
			c := dial(t, serve(t, d), zk.Options{})
			got, err := c.ReadUsers(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := users()
			if len(got) != len(want) {
				t.Fatalf("%d users", len(got))
			}
			for i, u := range got {
				w := want[i]
				name := w.Name
				if size == 28 {
					name = name[:7] // 8 bytes with the NUL
				}
				if u.PIN != w.PIN || u.Name != name || u.Card != w.Card || u.Privilege != w.Privilege || u.UID != uint16(i+1) {
					t.Errorf("user %d: %+v, want %+v", i, u, w)
				}
			}
			if d.Disabled() {
				t.Fatal("left disabled")
			}
		})
	}
}

// TestManyUsers goes through the chunked path with users.
func TestManyUsers(t *testing.T) {
	d := zkemu.NewDevice()
	var us []zkemu.User
	for i := range 3000 {
		us = append(us, zkemu.User{PIN: fmt.Sprint(10000 + i), Name: fmt.Sprintf("User %d", i)})
	}
	d.SetUsers(us)
	c := dial(t, serve(t, d), zk.Options{})
	got, err := c.ReadUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3000 || got[2999].PIN != "12999" || got[2999].Name != "User 2999" {
		t.Fatalf("%d users, last %+v", len(got), got[len(got)-1])
	}
}

func TestTime(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	d := zkemu.NewDevice()
	d.Location = loc
	d.SetClockOffset(-90 * time.Second)
	c := dial(t, serve(t, d), zk.Options{Location: loc})
	got, err := c.Time(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if drift := time.Since(got); drift < 88*time.Second || drift > 92*time.Second {
		t.Fatalf("drift %s, want about 90s (device %s)", drift, got)
	}
	if _, drift, err := c.Drift(context.Background()); err != nil || drift < -91*time.Second || drift > -89*time.Second {
		t.Fatalf("Drift %s %v, want about -90s", drift, err)
	}
	if err := c.SetTime(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err = c.Time(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if drift := time.Since(got); drift < -2*time.Second || drift > 2*time.Second {
		t.Fatalf("after set-time drift %s", drift)
	}
}

func TestInfoAndSizes(t *testing.T) {
	d := zkemu.NewDevice()
	d.Serial = "BOCK194960123"
	d.SetUsers(users())
	d.SetRecords(zkemu.Generate(10, 3, start))
	c := dial(t, serve(t, d), zk.Options{})
	in, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if in.Serial != "BOCK194960123" || in.Firmware != d.Firmware || in.Platform != d.Platform || in.DeviceName != d.Name {
		t.Fatalf("%+v", in)
	}
	s, err := c.Sizes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Users != 3 || s.Records != 10 || s.UserCap == 0 || s.RecordFree != s.RecordCap-10 {
		t.Fatalf("%+v", s)
	}
	if v, err := c.Option(context.Background(), "NoSuchOption"); err != nil || v != "" {
		t.Fatalf("%q %v", v, err)
	}
}

func TestCommKey(t *testing.T) {
	d := zkemu.NewDevice()
	d.CommKey = 314159
	d.SetUsers(users())
	addr := serve(t, d)
	c := dial(t, addr, zk.Options{CommKey: 314159})
	if _, err := c.ReadUsers(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, key := range []uint32{0, 314158} {
		_, err := zk.Dial(context.Background(), addr, zk.Options{CommKey: key})
		if !errors.Is(err, zk.ErrUnauthorized) || !strings.Contains(err.Error(), addr) {
			t.Fatalf("key %d: %v", key, err)
		}
		if strings.Contains(err.Error(), "314") {
			t.Fatalf("the error shows a key: %v", err)
		}
	}
}

// TestFaults: each fault gives an error naming the device and what failed,
// and the device is enabled again afterwards.
func TestFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault zkemu.Fault
		is    error
		text  string
	}{
		{"cut mid-transfer", zkemu.Fault{Kind: zkemu.Cut, Cmd: zkemu.CmdDataRdy, After: 3}, nil, "closed the connection"},
		{"busy on the read", zkemu.Fault{Kind: zkemu.Busy, Cmd: zkemu.CmdDataWRRQ}, zk.ErrRefused, "read attendance log"},
		{"busy on disable", zkemu.Fault{Kind: zkemu.Busy, Cmd: zkemu.CmdDisableDevice}, zk.ErrRefused, "disable device"},
		{"garbage reply", zkemu.Fault{Kind: zkemu.Garbage, Cmd: zkemu.CmdDataRdy, After: 1}, zk.ErrProtocol, "not 50 50 82 7d"},
		{"never answers", zkemu.Fault{Kind: zkemu.Silent, Cmd: zkemu.CmdDataRdy, After: 2}, zk.ErrTimeout, "no answer"},
		{"garbage on disable", zkemu.Fault{Kind: zkemu.Garbage, Cmd: zkemu.CmdDisableDevice}, zk.ErrProtocol, "disable device"},
		{"garbage on sizes", zkemu.Fault{Kind: zkemu.Garbage, Cmd: zkemu.CmdGetFreeSizes}, zk.ErrProtocol, "read free sizes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := zkemu.NewDevice()
			d.SetRecords(zkemu.Generate(20_000, 100, start))
			addr := serve(t, d)
			c := dial(t, addr, zk.Options{Timeout: 500 * time.Millisecond})
			d.Inject(tc.fault)
			n, err := c.ReadAttendance(context.Background(), func(zk.Record) error { return nil })
			if err == nil {
				t.Fatalf("no error, %d records", n)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q lacks %q or the address", err, tc.text)
			}
			if d.Disabled() {
				t.Errorf("device left disabled after: %v", err)
			}
			t.Log(err)
		})
	}
}

// TestNeverAnswersConnect: a device that accepts TCP but never answers.
func TestNeverAnswersConnect(t *testing.T) {
	d := zkemu.NewDevice()
	d.Inject(zkemu.Fault{Kind: zkemu.Silent, Cmd: zkemu.CmdConnect})
	addr := serve(t, d)
	began := time.Now()
	_, err := zk.Dial(context.Background(), addr, zk.Options{Timeout: 300 * time.Millisecond})
	if !errors.Is(err, zk.ErrTimeout) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("%v", err)
	}
	if time.Since(began) > 3*time.Second {
		t.Fatalf("took %s", time.Since(began))
	}
}

// TestCountMismatch: a log whose size does not match the device's own
// record count fails with ErrCount, and the device is re-enabled.
func TestCountMismatch(t *testing.T) {
	for _, skew := range []int{1, -1, 5000} {
		d := zkemu.NewDevice()
		d.SetRecords(zkemu.Generate(5000, 10, start))
		d.CountSkew = skew
		c := dial(t, serve(t, d), zk.Options{})
		_, err := c.ReadAttendance(context.Background(), func(zk.Record) error { return nil })
		if !errors.Is(err, zk.ErrCount) || d.Disabled() {
			t.Fatalf("skew %d: %v, disabled %v", skew, err, d.Disabled())
		}
		t.Log(err)
	}
}

// TestCallbackErrorReenables: the caller's error stops the read mid-chunk;
// the session is given up and the device re-enabled over a new one.
func TestCallbackErrorReenables(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(5000, 10, start))
	c := dial(t, serve(t, d), zk.Options{})
	stop := errors.New("stop")
	_, err := c.ReadAttendance(context.Background(), func(zk.Record) error { return stop })
	if !errors.Is(err, stop) || d.Disabled() {
		t.Fatalf("%v, disabled %v", err, d.Disabled())
	}
	if st := d.Stats(); st.Connects != 2 || st.Enables != 1 {
		t.Fatalf("%+v", st)
	}
}

// TestCancel: cancelling the context mid-read ends the read with the
// context's error and the device is re-enabled all the same.
func TestCancel(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(50_000, 10, start))
	d.PacketGap = 5 * time.Millisecond
	c := dial(t, serve(t, d), zk.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := c.ReadAttendance(ctx, func(zk.Record) error {
		if n++; n == 2000 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || d.Disabled() {
		t.Fatalf("%v, disabled %v", err, d.Disabled())
	}
	c.Close()
	if _, err := c.Time(context.Background()); err == nil {
		t.Fatal("a closed client answered")
	}
}

// BenchmarkReadAttendance100k: go test -bench ReadAttendance -benchmem ./sources/zk/
func BenchmarkReadAttendance100k(b *testing.B) {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(100_000, 500, start))
	s, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		c, err := zk.Dial(context.Background(), s.Addr(), zk.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n, err := c.ReadAttendance(context.Background(), func(zk.Record) error { return nil })
		if err != nil || n != 100_000 {
			b.Fatal(n, err)
		}
		c.Close()
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// TestUnbufferedFirmware: older firmware answers CMD_DATA_WRRQ with
// CMD_ACK_UNKNOWN; the client falls back to the read commands themselves.
func TestUnbufferedFirmware(t *testing.T) {
	for _, n := range []int{0, 2, 100_000} {
		d := zkemu.NewDevice()
		d.Unbuffered = true
		d.RecordSize, d.UserSize = 8, 28
		d.SetUsers(users())
		pins := map[uint16]string{}
		for _, u := range d.Users() {
			pins[u.UID] = u.PIN
		}
		want := zkemu.Generate(n, 3, start)
		d.SetRecords(want)
		c := dial(t, serve(t, d), zk.Options{})
		us, err := c.ReadUsers(context.Background())
		if err != nil || len(us) != 3 || us[1].PIN != "1234" {
			t.Fatalf("%+v %v", us, err)
		}
		i := 0
		got, err := c.ReadAttendance(context.Background(), func(r zk.Record) error {
			if !r.Time.Equal(want[i].Time) || r.UID != want[i].UID || r.PIN != pins[r.UID] {
				t.Fatalf("record %d: %+v", i, r)
			}
			i++
			return nil
		})
		if err != nil || got != n || d.Disabled() {
			t.Fatalf("%d records of %d: %v", got, n, err)
		}
	}
}

// TestWriteUsers creates, updates and deletes users on both layouts.
func TestWriteUsers(t *testing.T) {
	for _, size := range []int{72, 28} {
		d := zkemu.NewDevice()
		d.UserSize = size
		d.SetUsers(users())
		c := dial(t, serve(t, d), zk.Options{})
		us, err := c.ReadUsers(context.Background())
		if err != nil || c.UserEntrySize() != size {
			t.Fatalf("%v, entry size %d", err, c.UserEntrySize())
		}
		us[0].Name, us[0].Card = "Ana L", 99
		add := zk.User{UID: 9, PIN: "5005", Name: "N Hire", Privilege: 0}
		if err := c.WriteUsers(context.Background(), []zk.User{us[0], add}); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteUser(context.Background(), us[2].UID); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReadUsers(context.Background())
		if err != nil || len(got) != 3 || got[0].Name != "Ana L" || got[0].Card != 99 || got[2].PIN != "5005" || got[2].UID != 9 {
			t.Fatalf("size %d: %+v %v", size, got, err)
		}
		long := zk.User{UID: 10, PIN: "6006", Name: strings.Repeat("x", 30)}
		if err := c.WriteUsers(context.Background(), []zk.User{long}); err == nil || !strings.Contains(err.Error(), "longer") {
			t.Fatalf("size %d: %v", size, err)
		}
		if d.Disabled() {
			t.Fatal("left disabled")
		}
	}
	if _, err := zk.EncodeUser(zk.User{PIN: "A12"}, 28); err == nil {
		t.Fatal("a letter PIN encoded on the 28-byte layout")
	}
}

// TestClearAttendance clears only when the count is still the one read.
func TestClearAttendance(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetRecords(zkemu.Generate(1000, 3, start))
	c := dial(t, serve(t, d), zk.Options{})
	n, err := c.ReadAttendance(context.Background(), func(zk.Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	d.SetRecords(zkemu.Generate(1001, 3, start)) // a punch after the read
	if err := c.ClearAttendance(context.Background(), n); !errors.Is(err, zk.ErrCount) || d.RecordCount() != 1001 {
		t.Fatalf("%v, %d records left", err, d.RecordCount())
	}
	if err := c.ClearAttendance(context.Background(), 1001); err != nil || d.RecordCount() != 0 || d.Disabled() {
		t.Fatalf("%v, %d records left", err, d.RecordCount())
	}
}

func TestReadTemplates(t *testing.T) {
	d := zkemu.NewDevice()
	d.SetUsers(users())
	var want []zkemu.Template
	for i := range 600 { // about 600 KB: a chunked read
		data := make([]byte, 500+i%700)
		for j := range data {
			data[j] = byte(i + j)
		}
		want = append(want, zkemu.Template{UID: uint16(1 + i%3), Finger: uint8(i % 10), Flag: 1, Data: data})
	}
	d.SetTemplates(want)
	c := dial(t, serve(t, d), zk.Options{})
	got, err := c.ReadTemplates(context.Background())
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d templates: %v", len(got), err)
	}
	for i, g := range got {
		w := want[i]
		if g.UID != w.UID || g.Finger != w.Finger || g.Flag != w.Flag || string(g.Data) != string(w.Data) {
			t.Fatalf("template %d differs", i)
		}
	}
	if d.Disabled() {
		t.Fatal("left disabled")
	}
}
