package zkemu

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ReadAttlog reads a ZKTeco attlog.dat (the device's USB export): per line,
// tab-separated, the PIN (space padded), "YYYY-MM-DD HH:MM:SS", a device
// field, the punch state, the verify mode and the work code. Records get
// the UID of their PIN's user when uidOf knows it.
func ReadAttlog(r io.Reader, loc *time.Location, uidOf func(pin string) uint16) ([]Record, error) {
	if loc == nil {
		loc = time.UTC
	}
	var out []Record
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) < 2 {
			return nil, fmt.Errorf("attlog line %d: want PIN<TAB>time...", line)
		}
		t, err := time.ParseInLocation("2006-01-02 15:04:05", strings.TrimSpace(f[1]), loc)
		if err != nil {
			return nil, fmt.Errorf("attlog line %d: %v", line, err)
		}
		num := func(i int) uint64 {
			if i >= len(f) {
				return 0
			}
			n, _ := strconv.ParseUint(strings.TrimSpace(f[i]), 10, 32)
			return n
		}
		rec := Record{PIN: strings.TrimSpace(f[0]), Time: t, State: uint8(num(3)), Verify: uint8(num(4)), WorkCode: uint32(num(5))}
		if uidOf != nil {
			rec.UID = uidOf(rec.PIN)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}

// ReadUsersCSV reads users from a CSV file with a header naming some of
// pin, name, card, privilege, password, group, uid (pin is required).
func ReadUsersCSV(r io.Reader) ([]User, error) {
	rd := csv.NewReader(r)
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["pin"]; !ok {
		return nil, fmt.Errorf("users CSV: the header has no pin column")
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var out []User
	for n, row := range rows[1:] {
		u := User{PIN: get(row, "pin"), Name: get(row, "name"), Password: get(row, "password"), Group: get(row, "group")}
		for _, f := range []struct {
			name string
			bits int
			set  func(uint64)
		}{
			{"card", 32, func(v uint64) { u.Card = uint32(v) }},
			{"privilege", 8, func(v uint64) { u.Privilege = uint8(v) }},
			{"uid", 16, func(v uint64) { u.UID = uint16(v) }},
		} {
			if s := get(row, f.name); s != "" {
				v, err := strconv.ParseUint(s, 10, f.bits)
				if err != nil {
					return nil, fmt.Errorf("users CSV row %d: %s %q: %v", n+2, f.name, s, err)
				}
				f.set(v)
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// Generate makes n records for pins 1..users, three seconds apart from
// start, alternating check-in and check-out: a log of any size for tests
// and benchmarks.
func Generate(n, users int, start time.Time) []Record {
	out := make([]Record, n)
	for i := range out {
		pin := 1 + i%users
		out[i] = Record{
			UID: uint16(pin), PIN: strconv.Itoa(pin), Time: start.Add(time.Duration(i) * 3 * time.Second),
			Verify: 1, State: uint8(i % 2),
		}
	}
	return out
}
