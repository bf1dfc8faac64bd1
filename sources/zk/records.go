package zk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
)

// DecodeTime turns the device's packed clock value into a wall-clock time
// in loc (the device has no zone; loc says which one its clock shows).
// The packing is [zkp] sections/terminal.md "Get Time":
// ((year%100)*12*31 + (month-1)*31 + day-1)*86400 + (hour*60+min)*60 + sec,
// every month 31 days long, so it is decoded field by field, not as seconds.
func DecodeTime(v uint32, loc *time.Location) time.Time {
	sec := int(v % 60)
	v /= 60
	minute := int(v % 60)
	v /= 60
	hour := int(v % 24)
	v /= 24
	day := int(v%31) + 1
	v /= 31
	month := time.Month(v%12 + 1)
	v /= 12
	year := int(v) + 2000
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(year, month, day, hour, minute, sec, 0, loc)
}

// EncodeTime is DecodeTime's inverse for the wall clock of t (its own zone).
// Years outside 2000..2099 do not fit the packing and are refused.
func EncodeTime(t time.Time) (uint32, error) {
	if t.Year() < 2000 || t.Year() > 2099 {
		return 0, fmt.Errorf("the device clock holds years 2000-2099, not %d", t.Year())
	}
	days := ((t.Year()%100)*12+int(t.Month())-1)*31 + t.Day() - 1
	return uint32(days*86400 + (t.Hour()*60+t.Minute())*60 + t.Second()), nil
}

// User is one entry of the device's user table.
type User struct {
	UID       uint16 // the device's internal serial number for the user
	PIN       string // the user id people type and HR knows
	Name      string
	Password  string
	Card      uint32
	Privilege uint8 // the permission token: bit 0 disabled, bits 1-3 level
	Group     string
}

// Record is one attendance log entry. Time is the device's wall clock in
// the location the caller gave.
type Record struct {
	UID      uint16 // 0 where the layout carries only the PIN
	PIN      string
	Time     time.Time
	Verify   uint8 // how the user was verified (fingerprint, card, password...)
	State    uint8 // the punch state (check-in, check-out, break...)
	WorkCode uint32
}

// User entry sizes: 72 bytes on TFT / newer firmware ([zkp]
// sections/data.md "Read All User IDs"), 28 bytes on older black-and-white
// firmware (layout as public clients describe it: uid 2, privilege 1,
// password 5, name 8, card 4, pad 1, group 1, timezone 2, user id 4 as a
// number).
const (
	UserSize72 = 72
	UserSize28 = 28
)

// Attendance entry sizes: 40 bytes ([zkp] sections/data-record.md "Read
// Attendance Records"), 16 bytes (user id 4 as a number, time 4, verify 1,
// state 1, reserved 2, work code 4) and 8 bytes (uid 2, verify 1, time 4,
// state 1), the latter two as public clients describe older firmware.
const (
	RecordSize40 = 40
	RecordSize16 = 16
	RecordSize8  = 8
)

// cstr returns b up to its first NUL.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// DecodeUser decodes one user entry of size len(b) (72 or 28).
func DecodeUser(b []byte) (User, error) {
	le := binary.LittleEndian
	switch len(b) {
	case UserSize72:
		// [zkp]: sn 0..2, permission 2, password 3..11, name 11..35,
		// card 35..39, then (group as a string) and the user id at 48.
		// The description shows 9 bytes of user id at 48; the field is 24
		// bytes wide on firmware with long PINs, so we read up to 72.
		return User{
			UID:       le.Uint16(b[0:2]),
			Privilege: b[2],
			Password:  cstr(b[3:11]),
			Name:      cstr(b[11:35]),
			Card:      le.Uint32(b[35:39]),
			Group:     cstr(b[40:47]),
			PIN:       cstr(b[48:72]),
		}, nil
	case UserSize28:
		return User{
			UID:       le.Uint16(b[0:2]),
			Privilege: b[2],
			Password:  cstr(b[3:8]),
			Name:      cstr(b[8:16]),
			Card:      le.Uint32(b[16:20]),
			Group:     strconv.Itoa(int(b[21])),
			PIN:       strconv.FormatUint(uint64(le.Uint32(b[24:28])), 10),
		}, nil
	}
	return User{}, fmt.Errorf("%w: a user entry is 72 or 28 bytes, not %d", ErrProtocol, len(b))
}

// EncodeUser encodes u as an entry of size 72 or 28, the inverse of
// DecodeUser. Strings longer than their field (less its NUL) are refused,
// as is a PIN that is not a number on the 28-byte layout, which stores it
// as one.
func EncodeUser(u User, size int) ([]byte, error) {
	le := binary.LittleEndian
	e := make([]byte, size)
	put := func(field, s string, dst []byte) error {
		if len(s) >= len(dst) {
			return fmt.Errorf("user %q: %s %q is longer than the device's %d bytes", u.PIN, field, s, len(dst)-1)
		}
		copy(dst, s)
		return nil
	}
	le.PutUint16(e[0:], u.UID)
	e[2] = u.Privilege
	switch size {
	case UserSize72:
		for _, f := range []struct {
			name, s string
			dst     []byte
		}{{"password", u.Password, e[3:11]}, {"name", u.Name, e[11:35]}, {"group", u.Group, e[40:47]}, {"PIN", u.PIN, e[48:72]}} {
			if err := put(f.name, f.s, f.dst); err != nil {
				return nil, err
			}
		}
		le.PutUint32(e[35:], u.Card)
		e[39] = 1 // [zkp]: "Fixed 01 00 ..."
		return e, nil
	case UserSize28:
		pin, err := strconv.ParseUint(u.PIN, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %q: this device stores PINs as numbers", u.PIN)
		}
		group := 0
		if u.Group != "" {
			if group, err = strconv.Atoi(u.Group); err != nil || group < 0 || group > 255 {
				return nil, fmt.Errorf("user %q: group %q is not a number from 0 to 255", u.PIN, u.Group)
			}
		}
		if err := put("password", u.Password, e[3:8]); err != nil {
			return nil, err
		}
		if err := put("name", u.Name, e[8:16]); err != nil {
			return nil, err
		}
		le.PutUint32(e[16:], u.Card)
		e[21] = byte(group)
		le.PutUint32(e[24:], uint32(pin))
		return e, nil
	}
	return nil, fmt.Errorf("a user entry is 72 or 28 bytes, not %d", size)
}

// DecodeRecord decodes one attendance entry of size len(b) (40, 16 or 8).
// uidPIN maps a uid to its PIN for the 8-byte layout, which carries only the
// uid; nil leaves the PIN as the uid in decimal.
func DecodeRecord(b []byte, loc *time.Location, uidPIN func(uint16) (string, bool)) (Record, error) {
	le := binary.LittleEndian
	switch len(b) {
	case RecordSize40:
		// [zkp]: sn 0..2, user id 2.. (string; 24 bytes wide up to the verify
		// byte), verify 26, time 27..31, state 31; the rest is fixed.
		return Record{
			UID:    le.Uint16(b[0:2]),
			PIN:    cstr(b[2:26]),
			Verify: b[26],
			Time:   DecodeTime(le.Uint32(b[27:31]), loc),
			State:  b[31],
		}, nil
	case RecordSize16:
		return Record{
			PIN:      strconv.FormatUint(uint64(le.Uint32(b[0:4])), 10),
			Time:     DecodeTime(le.Uint32(b[4:8]), loc),
			Verify:   b[8],
			State:    b[9],
			WorkCode: le.Uint32(b[12:16]),
		}, nil
	case RecordSize8:
		uid := le.Uint16(b[0:2])
		pin := strconv.Itoa(int(uid))
		if uidPIN != nil {
			if p, ok := uidPIN(uid); ok {
				pin = p
			}
		}
		return Record{
			UID:    uid,
			PIN:    pin,
			Verify: b[2],
			Time:   DecodeTime(le.Uint32(b[3:7]), loc),
			State:  b[7],
		}, nil
	}
	return Record{}, fmt.Errorf("%w: an attendance entry is 40, 16 or 8 bytes, not %d", ErrProtocol, len(b))
}

// Sizes is the device status of CMD_GET_FREE_SIZES ([zkp]
// sections/terminal.md "Get Device Status": 4-byte little-endian fields at
// the byte offsets below).
type Sizes struct {
	Users, Fingers, Records, OpLogs, Admins, Passwords int
	FingerCap, UserCap, RecordCap                      int
	FingerFree, UserFree, RecordFree                   int
	Faces, FaceCap                                     int
}

// ParseSizes decodes the status structure; 80 bytes are needed, faces are
// read when the device sends 92.
func ParseSizes(b []byte) (Sizes, error) {
	if len(b) < 80 {
		return Sizes{}, fmt.Errorf("%w: device status of %d bytes, want at least 80", ErrProtocol, len(b))
	}
	f := func(off int) int { return int(int32(binary.LittleEndian.Uint32(b[off:]))) }
	s := Sizes{
		Users: f(16), Fingers: f(24), Records: f(32), OpLogs: f(40),
		Admins: f(48), Passwords: f(52), FingerCap: f(56), UserCap: f(60),
		RecordCap: f(64), FingerFree: f(68), UserFree: f(72), RecordFree: f(76),
	}
	if len(b) >= 92 {
		s.Faces, s.FaceCap = f(80), f(88)
	}
	return s, nil
}

// Template is one fingerprint template ([zkp] sections/data.md "Read All
// Templates": per entry its size + 6 (2 bytes), the uid (2), the finger
// index 0-9 (1), a flag (1: valid, 3: duress, 0: invalid), the template).
type Template struct {
	UID    uint16
	Finger uint8
	Flag   uint8
	Data   []byte
}

// ParseTemplates decodes the templates data set: a 4-byte total size, then
// the entries.
func ParseTemplates(b []byte) ([]Template, error) {
	le := binary.LittleEndian
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: templates data of %d bytes", ErrProtocol, len(b))
	}
	total := int(le.Uint32(b))
	b = b[4:]
	if total != len(b) {
		return nil, fmt.Errorf("%w: templates data announces %d bytes, holds %d", ErrProtocol, total, len(b))
	}
	var out []Template
	for len(b) > 0 {
		if len(b) < 6 {
			return nil, fmt.Errorf("%w: a template entry of %d bytes", ErrProtocol, len(b))
		}
		n := int(le.Uint16(b))
		if n < 6 || n > len(b) {
			return nil, fmt.Errorf("%w: a template entry announces %d bytes, %d are left", ErrProtocol, n, len(b))
		}
		out = append(out, Template{UID: le.Uint16(b[2:]), Finger: b[4], Flag: b[5], Data: append([]byte(nil), b[6:n]...)})
		b = b[n:]
	}
	return out, nil
}
