package zkemu

import (
	"encoding/binary"
	"strconv"
	"time"
)

// Codes from [zkp] protocol.md and sections/ex_data.md.
const (
	cmdConnect       = 1000
	cmdExit          = 1001
	cmdEnableDevice  = 1002
	cmdDisableDevice = 1003
	cmdRefreshData   = 1013
	cmdGetVersion    = 1100
	cmdAuth          = 1102
	cmdPrepareData   = 1500
	cmdData          = 1501
	cmdFreeData      = 1502
	cmdDataWRRQ      = 1503
	cmdDataRdy       = 1504
	cmdDBRRQ         = 7
	cmdUserWRQ       = 8
	cmdUserTempRRQ   = 9
	cmdClearAttLog   = 15
	cmdDeleteUser    = 18
	cmdOptionsRRQ    = 11
	cmdAttLogRRQ     = 13
	cmdGetFreeSizes  = 50
	cmdGetTime       = 201
	cmdSetTime       = 202
	cmdTmpWrite      = 87  // [zkp] "Upload Fingerprint Template"
	cmdChecksumBuf   = 119 // CMD_CHECKSUM_BUFFER

	ackOK      = 2000
	ackError   = 2001
	ackUnauth  = 2005
	ackUnknown = 0xffff
)

// Exported for tests that arm faults by command.
const (
	CmdConnect       = cmdConnect
	CmdDisableDevice = cmdDisableDevice
	CmdEnableDevice  = cmdEnableDevice
	CmdDataWRRQ      = cmdDataWRRQ
	CmdDataRdy       = cmdDataRdy
	CmdGetTime       = cmdGetTime
	CmdGetFreeSizes  = cmdGetFreeSizes
)

// frame builds one TCP frame: 50 50 82 7d, the payload length (4 bytes LE),
// then command, checksum, session, reply number and data ([zkp] "Packet
// Fields"). The checksum is the ones'-complement of the ones'-complement
// sum of the payload's 16-bit little-endian words.
func frame(cmd, session, reply uint16, data []byte) []byte {
	b := make([]byte, 16+len(data))
	copy(b, []byte{0x50, 0x50, 0x82, 0x7d})
	binary.LittleEndian.PutUint32(b[4:], uint32(8+len(data)))
	binary.LittleEndian.PutUint16(b[8:], cmd)
	binary.LittleEndian.PutUint16(b[12:], session)
	binary.LittleEndian.PutUint16(b[14:], reply)
	copy(b[16:], data)
	var sum uint32
	p := b[8:]
	for i := 0; i+1 < len(p); i += 2 {
		sum += uint32(binary.LittleEndian.Uint16(p[i:]))
	}
	if len(p)%2 == 1 {
		sum += uint32(p[len(p)-1])
	}
	for sum > 0xffff {
		sum = (sum >> 16) + (sum & 0xffff)
	}
	binary.LittleEndian.PutUint16(b[10:], uint16(^sum))
	return b
}

// packTime is [zkp] sections/terminal.md's enc_t.
func packTime(t time.Time) uint32 {
	y, m, d := t.Date()
	return uint32(((y%100)*12*31+(int(m)-1)*31+d-1)*(24*60*60) + (t.Hour()*60+t.Minute())*60 + t.Second())
}

func unpackTime(v uint32, loc *time.Location) time.Time {
	s := int(v % 60)
	mi := int(v / 60 % 60)
	h := int(v / 3600 % 24)
	days := int(v / 86400)
	return time.Date(2000+days/(31*12), time.Month(days/31%12+1), days%31+1, h, mi, s, 0, loc)
}

func putString(dst []byte, s string) {
	n := copy(dst, s)
	if n == len(dst) && n > 0 {
		dst[n-1] = 0 // keep the terminating NUL
	}
}

func pinNumber(pin string) uint32 {
	n, _ := strconv.ParseUint(pin, 10, 32)
	return uint32(n)
}

// appendUser encodes one user entry: 72 bytes as in [zkp] sections/data.md
// (the group string at 40, the 24-byte user id at 48), or the 28-byte
// layout of older firmware.
func appendUser(dst []byte, u User, size int) []byte {
	e := make([]byte, size)
	binary.LittleEndian.PutUint16(e[0:], u.UID)
	e[2] = u.Privilege
	if size == 28 {
		putString(e[3:8], u.Password)
		putString(e[8:16], u.Name)
		binary.LittleEndian.PutUint32(e[16:], u.Card)
		g, _ := strconv.Atoi(u.Group)
		e[21] = byte(g)
		binary.LittleEndian.PutUint32(e[24:], pinNumber(u.PIN))
		return append(dst, e...)
	}
	putString(e[3:11], u.Password)
	putString(e[11:35], u.Name)
	binary.LittleEndian.PutUint32(e[35:], u.Card)
	e[39] = 1 // [zkp]: "Fixed 01 00 .."
	putString(e[40:47], u.Group)
	putString(e[48:72], u.PIN)
	return append(dst, e...)
}

// appendRecord encodes one attendance entry: 40 bytes as in [zkp]
// sections/data-record.md, or the 16- and 8-byte layouts of older firmware.
func appendRecord(dst []byte, r Record, size int) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, size)...) // no allocation: append grows dst
	e := dst[n:]
	switch size {
	case 8:
		binary.LittleEndian.PutUint16(e[0:], r.UID)
		e[2] = r.Verify
		binary.LittleEndian.PutUint32(e[3:], packTime(r.Time))
		e[7] = r.State
	case 16:
		binary.LittleEndian.PutUint32(e[0:], pinNumber(r.PIN))
		binary.LittleEndian.PutUint32(e[4:], packTime(r.Time))
		e[8] = r.Verify
		e[9] = r.State
		binary.LittleEndian.PutUint32(e[12:], r.WorkCode)
	default:
		binary.LittleEndian.PutUint16(e[0:], r.UID)
		putString(e[2:26], r.PIN)
		e[26] = r.Verify
		binary.LittleEndian.PutUint32(e[27:], packTime(r.Time))
		e[31] = r.State
		e[36] = 0xff // [zkp]: "Fixed 00 00 00 00 FF 00 00 00"
	}
	return dst
}

// freeSizes is the 92-byte status of [zkp] sections/terminal.md.
func freeSizes(users, records, fingers int) []byte {
	b := make([]byte, 92)
	put := func(off, v int) { binary.LittleEndian.PutUint32(b[off:], uint32(v)) }
	userCap, recCap := max(3000, users), max(100000, records)
	put(16, users)
	put(24, fingers)
	put(32, records)
	put(56, 3000) // fingerprint capacity
	put(60, userCap)
	put(64, recCap)
	put(68, 3000)
	put(72, userCap-users)
	put(76, recCap-records)
	return b
}

// authKey is the SDK's MakeKey scramble (see sources/zk.CommKey for its
// description), written again here on purpose.
func authKey(key uint32, session uint16, ticks byte) [4]byte {
	var rev uint32
	for i := 0; i < 32; i++ {
		rev = rev<<1 | (key>>i)&1
	}
	k := rev + uint32(session)
	x := [4]byte{byte(k) ^ 'Z', byte(k>>8) ^ 'K', byte(k>>16) ^ 'S', byte(k>>24) ^ 'O'}
	return [4]byte{x[2] ^ ticks, x[3] ^ ticks, ticks, x[1] ^ ticks}
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// parseUser decodes an entry a client writes with CMD_USER_WRQ, in the
// device's layout.
func parseUser(e []byte) (User, bool) {
	le := binary.LittleEndian
	switch len(e) {
	case 72:
		return User{UID: le.Uint16(e), Privilege: e[2], Password: cString(e[3:11]), Name: cString(e[11:35]),
			Card: le.Uint32(e[35:]), Group: cString(e[40:47]), PIN: cString(e[48:72])}, true
	case 28:
		return User{UID: le.Uint16(e), Privilege: e[2], Password: cString(e[3:8]), Name: cString(e[8:16]),
			Card: le.Uint32(e[16:]), Group: strconv.Itoa(int(e[21])), PIN: strconv.FormatUint(uint64(le.Uint32(e[24:])), 10)}, true
	}
	return User{}, false
}
