package zkemu

import (
	"strings"
	"testing"
	"time"
)

func TestReadAttlog(t *testing.T) {
	in := "        1\t2025-03-01 08:01:02\t1\t0\t1\t0\n     1234\t2025-03-01 17:30:00\t1\t1\t15\t7\n\n"
	rs, err := ReadAttlog(strings.NewReader(in), time.UTC, func(pin string) uint16 {
		if pin == "1234" {
			return 2
		}
		return 0
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].PIN != "1234" || rs[1].UID != 2 || rs[1].State != 1 || rs[1].Verify != 15 || rs[1].WorkCode != 7 ||
		!rs[0].Time.Equal(time.Date(2025, 3, 1, 8, 1, 2, 0, time.UTC)) {
		t.Fatalf("%+v", rs)
	}
	if _, err := ReadAttlog(strings.NewReader("1\tnot a time\n"), nil, nil); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("%v", err)
	}
}

func TestReadUsersCSV(t *testing.T) {
	us, err := ReadUsersCSV(strings.NewReader("pin,name,card,privilege\n1,Ana Lima,4242,0\n1234,Bao Tran,,14\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 2 || us[0].Card != 4242 || us[1].Privilege != 14 || us[1].Name != "Bao Tran" {
		t.Fatalf("%+v", us)
	}
	if _, err := ReadUsersCSV(strings.NewReader("name\nx\n")); err == nil {
		t.Fatal("no pin column accepted")
	}
	if _, err := ReadUsersCSV(strings.NewReader("pin,card\n1,x\n")); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Fatalf("%v", err)
	}
}

// TestTimeRoundTrip: the emulator's own packing against the formula.
func TestTimeRoundTrip(t *testing.T) {
	at := time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)
	if v := packTime(at); v != 808898400 {
		t.Fatalf("%d", v)
	}
	if got := unpackTime(packTime(at), time.UTC); !got.Equal(at) {
		t.Fatalf("%s", got)
	}
}
