package iclock

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hrsync/hrsync/internal/pushstore"
)

// The ATTLOG line layout is the one the ZKTeco PUSH SDK describes ("PUSH SDK
// HTTP Protocol V3.2.0", 2018, section "Upload the Attendance Records";
// "Attendance PUSH Communication Protocol", doc 4.8, 2024): fields separated
// by HT, one record per line (LF or CR LF),
//
//	PIN  time (YYYY-MM-DD hh:mm:ss, device clock)  status  verify  workcode  reserved  reserved ...
//
// e.g. "11\t2025-08-27 10:57:49\t0\t25\t0\t0\t0\t0\t0\t0" (the example in the
// MIT-licensed palmcode-ae/zkteco-iclock-parser README). Older firmware sends
// only the first four fields; newer firmware adds more reserved fields, which
// are kept in Raw and otherwise ignored.

const (
	timeLayout = "2006-01-02 15:04:05"
	maxPIN     = 24  // the longest user id any documented firmware allows is 24
	maxField   = 64  // workcode and the like
	maxLine    = 512 // a real ATTLOG line is under 100 bytes
)

// ParseATTLOG reads an ATTLOG upload. Every non-blank line is either a
// punch or a bad line with its reason, so len(punches)+len(bad) is the
// number of non-blank lines; it never panics on any input.
func ParseATTLOG(body []byte) (punches []pushstore.Punch, bad []pushstore.BadLine) {
	eachLine(body, func(n int, line string) {
		p, reason := parseAttLine(line)
		if reason != "" {
			bad = append(bad, pushstore.BadLine{Line: n, Text: clip(line), Reason: reason})
			return
		}
		punches = append(punches, p)
	})
	return punches, bad
}

// eachLine calls fn for each non-blank line with its 1-based number,
// without the line end.
func eachLine(body []byte, fn func(n int, line string)) {
	n := 0
	for len(body) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		fn(n, string(line))
	}
}

func clip(s string) string {
	if len(s) > maxLine {
		s = s[:maxLine]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func parseAttLine(line string) (pushstore.Punch, string) {
	var p pushstore.Punch
	if len(line) > maxLine {
		return p, "line longer than " + strconv.Itoa(maxLine) + " bytes"
	}
	if !utf8.ValidString(line) {
		return p, "not UTF-8"
	}
	f := strings.Split(line, "\t")
	if len(f) < 3 {
		return p, "fewer than 3 tab-separated fields (PIN, time, status)"
	}
	p.PIN = strings.TrimSpace(f[0])
	switch {
	case p.PIN == "":
		return p, "empty PIN"
	case len(p.PIN) > maxPIN:
		return p, "PIN longer than " + strconv.Itoa(maxPIN)
	case strings.IndexFunc(p.PIN, isControlOrSpace) >= 0:
		return p, "PIN has a control character or a space"
	}
	t, err := time.Parse(timeLayout, strings.TrimSpace(f[1]))
	if err != nil {
		return p, "time is not YYYY-MM-DD hh:mm:ss"
	}
	p.Time = t.Format(timeLayout)
	var ok bool
	if p.State, ok = small(f[2]); !ok {
		return p, "status is not a number 0-999"
	}
	if len(f) > 3 && strings.TrimSpace(f[3]) != "" {
		if p.Verify, ok = small(f[3]); !ok {
			return p, "verify is not a number 0-999"
		}
	}
	if len(f) > 4 {
		p.WorkCode = strings.TrimSpace(f[4])
		if len(p.WorkCode) > maxField || strings.IndexFunc(p.WorkCode, isControlOrSpace) >= 0 {
			return p, "bad workcode"
		}
	}
	p.Raw = line
	return p, ""
}

func isControlOrSpace(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' }

// small reads a status or verify code: a decimal 0-999.
func small(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 3 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ParseOther reads an OPERLOG or USERINFO upload: each line is a record
// type word and its data ("OPLOG 4\t0\t2026-...", "USER PIN=1\tName=...",
// "FP PIN=1\tFID=..."), as the PUSH SDK describes for operation logs and
// user data. They are counted, not kept: hrsync imports punches.
func ParseOther(body []byte) (ok int, bad []pushstore.BadLine) {
	eachLine(body, func(n int, line string) {
		if reason := otherLine(line); reason != "" {
			bad = append(bad, pushstore.BadLine{Line: n, Text: clip(line), Reason: reason})
			return
		}
		ok++
	})
	return ok, bad
}

func otherLine(line string) string {
	if len(line) > 64<<10 { // templates and photos in base64 can be long
		return "line longer than 64 KiB"
	}
	word, _, found := strings.Cut(line, " ")
	if !found || word == "" {
		return "no record type word"
	}
	for _, c := range []byte(word) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return "record type is not an upper-case word"
		}
	}
	return ""
}

// ParseCommandResults reads a POST /iclock/devicecmd body: one line per
// command, "ID=iiii&Return=vvvv&CMD=ssss" (PUSH SDK V3.2.0, "Reply of
// command"). A line without a numeric ID and Return is bad.
func ParseCommandResults(body []byte) (rs []pushstore.CommandResult, bad []pushstore.BadLine) {
	eachLine(body, func(n int, line string) {
		var r pushstore.CommandResult
		var haveID, haveRet bool
		for kv := range strings.SplitSeq(line, "&") {
			k, v, _ := strings.Cut(kv, "=")
			switch strings.TrimSpace(k) {
			case "ID":
				id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				haveID = err == nil && id > 0
				r.ID = id
			case "Return":
				ret, err := strconv.Atoi(strings.TrimSpace(v))
				haveRet = err == nil
				r.Return = ret
			case "CMD":
				r.Cmd = clip(strings.TrimSpace(v))
			}
		}
		if !haveID || !haveRet {
			bad = append(bad, pushstore.BadLine{Line: n, Text: clip(line), Reason: "no numeric ID and Return"})
			return
		}
		rs = append(rs, r)
	})
	return rs, bad
}
