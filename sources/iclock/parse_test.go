package iclock

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseATTLOGLayouts(t *testing.T) {
	body := "11\t2025-08-27 10:57:49\t0\t25\t0\t0\t0\t0\t0\t0\r\n" + // 10 fields, newer firmware
		"7\t2025-08-27 10:58:00\t1\t1\r\n" + // four fields, older firmware
		"\r\n" + // blank: skipped, not bad
		"8\t2025-08-27 10:58:00\t4\t15\t12\t0\n" +
		"9\t2025-02-30 10:00:00\t0\t1\n" + // no such day
		"\t2025-08-27 10:58:00\t0\t1\n" + // empty PIN
		"10\t2025-08-27 10:58:00\tx\t1\n" + // status not a number
		"garbage without tabs\n" +
		"12\t2025-08-27 10:59:00\t0" // no final newline, three fields
	ps, bad := ParseATTLOG([]byte(body))
	if len(ps) != 4 || len(bad) != 4 {
		t.Fatalf("punches=%d bad=%d: %+v %+v", len(ps), len(bad), ps, bad)
	}
	if p := ps[0]; p.PIN != "11" || p.Time != "2025-08-27 10:57:49" || p.State != 0 || p.Verify != 25 || p.WorkCode != "0" {
		t.Errorf("first = %+v", p)
	}
	if p := ps[2]; p.State != 4 || p.Verify != 15 || p.WorkCode != "12" {
		t.Errorf("third = %+v", p)
	}
	if bad[0].Line != 5 || bad[1].Line != 6 || bad[2].Line != 7 || bad[3].Line != 8 {
		t.Errorf("bad line numbers = %+v", bad)
	}
}

func TestParseOtherAndCommandResults(t *testing.T) {
	n, bad := ParseOther([]byte("OPLOG 4\t0\t2025-08-27 10:00:00\t0\t0\t0\t0\nUSER PIN=1\tName=An\tPri=0\nlowercase line\n"))
	if n != 2 || len(bad) != 1 {
		t.Fatalf("other: ok=%d bad=%+v", n, bad)
	}
	rs, bad := ParseCommandResults([]byte("ID=12&Return=0&CMD=DATA\nID=x&Return=0\nID=13&Return=-1002&CMD=CHECK\n"))
	if len(rs) != 2 || len(bad) != 1 || rs[1].ID != 13 || rs[1].Return != -1002 || rs[1].Cmd != "CHECK" {
		t.Fatalf("results = %+v bad=%+v", rs, bad)
	}
}

// FuzzParseATTLOG: any body parses without a panic; every non-blank line is
// either a punch or a bad line; a punch has a PIN and a well-formed time.
func FuzzParseATTLOG(f *testing.F) {
	f.Add([]byte("11\t2025-08-27 10:57:49\t0\t25\t0\t0\t0\t0\t0\t0\n"))
	f.Add([]byte("7\t2025-08-27 10:58:00\t1\t1\r\n\r\n\t\t\t\n"))
	f.Add([]byte("\xff\xfe1\t2025-08-27 10:58:00\t1\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, bad := ParseATTLOG(body)
		lines := 0
		eachLine(body, func(int, string) { lines++ })
		if len(ps)+len(bad) != lines {
			t.Fatalf("%d punches + %d bad != %d lines", len(ps), len(bad), lines)
		}
		for _, p := range ps {
			if p.PIN == "" || len(p.PIN) > maxPIN || len(p.Time) != len(timeLayout) || !utf8.ValidString(p.Raw) {
				t.Fatalf("bad punch %+v", p)
			}
		}
		for _, b := range bad {
			if len(b.Text) > 3*maxLine || !utf8.ValidString(b.Text) || b.Reason == "" || strings.ContainsRune(b.Text, '\n') {
				t.Fatalf("bad line %+v", b)
			}
		}
	})
}

// FuzzParseOthers: the OPERLOG/USERINFO and command-result parsers account
// for every non-blank line and never panic.
func FuzzParseOthers(f *testing.F) {
	f.Add([]byte("OPLOG 4\t0\t2025-08-27 10:00:00\t0\nUSER PIN=1\tName=An\n"))
	f.Add([]byte("ID=12&Return=0&CMD=DATA\nID=&Return=\n&&==\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		lines := 0
		eachLine(body, func(int, string) { lines++ })
		n, bad := ParseOther(body)
		if n+len(bad) != lines {
			t.Fatalf("other: %d + %d != %d", n, len(bad), lines)
		}
		rs, bad := ParseCommandResults(body)
		if len(rs)+len(bad) != lines {
			t.Fatalf("results: %d + %d != %d", len(rs), len(bad), lines)
		}
		for _, r := range rs {
			if r.ID <= 0 {
				t.Fatalf("result id %d", r.ID)
			}
		}
	})
}

func TestCommandBodies(t *testing.T) {
	got, err := UpdateUser("100", "Nguyễn An", 0, "12345")
	if err != nil || got != "DATA UPDATE USERINFO PIN=100\tName=Nguyễn An\tPri=0\tPasswd=\tCard=12345\tGrp=1\tTZ=0000000100000000" {
		t.Fatalf("UpdateUser = %q, %v", got, err)
	}
	for _, name := range []string{"a\tPri=14", "a\nC:1:REBOOT", "a\x00"} {
		if _, err := UpdateUser("1", name, 0, ""); err == nil {
			t.Errorf("UpdateUser took name %q", name)
		}
	}
	if _, err := DeleteUser(""); err == nil {
		t.Error("DeleteUser took an empty PIN")
	}
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if q := QueryAttLog(from, from.Add(24*time.Hour)); q != "DATA QUERY ATTLOG StartTime=2026-12-01 00:00:00\tEndTime=2026-12-02 00:00:00" {
		t.Errorf("QueryAttLog = %q", q)
	}
}
