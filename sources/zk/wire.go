// Package zk is a client for the binary protocol ZKTeco attendance devices
// speak on port 4370 (TCP, or UDP for devices without TCP). It is written
// from public protocol descriptions; no code of any client library was
// copied. Sources:
//
//   - [zkp] Alexander Marin, "Protocol Description of ZKTeco's Standalone
//     Devices", github.com/adrobinoga/zk-protocol: protocol.md (framing,
//     packet header, checksum and its test vectors, reply numbers),
//     sections/terminal.md (connect, exit, device status, clock packing,
//     options), sections/data.md (users, templates, writing users),
//     sections/data-record.md (attendance, clearing), sections/ex_data.md
//     (the chunked transfer).
//   - The comm-key scramble (MakeKey of the SDK's commpro.c), the 28-byte
//     user and 16- and 8-byte record layouts of older firmware, and the
//     chunk sizes, as public clients describe them (pyzk's docstrings and
//     struct formats, the timekeep crate's notes); read as descriptions only.
//
// Checked how: golden bytes from [zkp]'s test vectors and quoted requests
// (wire_test.go), an emulator written separately (zkemu), and the npm
// clients node-zklib and zkteco-js against that emulator
// (TestNodeClients). Not yet checked against a physical device.
package zk

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Command and reply codes, from [zkp] protocol.md "Command/Reply Identifiers"
// except where noted.
const (
	CmdConnect       = 1000
	CmdExit          = 1001
	CmdEnableDevice  = 1002
	CmdDisableDevice = 1003
	CmdRefreshData   = 1013
	CmdGetVersion    = 1100
	CmdAuth          = 1102
	CmdPrepareData   = 1500
	CmdData          = 1501
	CmdFreeData      = 1502
	// CmdDataWRRQ and CmdDataRdy are the large-read pair of [zkp]
	// sections/ex_data.md ("Receiving Large Datasets"); other clients call
	// them CMD_PREPARE_BUFFER and CMD_READ_BUFFER.
	CmdDataWRRQ     = 1503
	CmdDataRdy      = 1504
	CmdDBRRQ        = 7
	CmdUserWRQ      = 8
	CmdUserTempRRQ  = 9
	CmdOptionsRRQ   = 11
	CmdAttLogRRQ    = 13
	CmdClearAttLog  = 15
	CmdDeleteUser   = 18
	CmdGetFreeSizes = 50
	CmdGetTime      = 201
	CmdSetTime      = 202
	// CmdTmpWrite and CmdChecksumBuffer upload a fingerprint template
	// ([zkp] sections/data-user.md "Upload Fingerprint Template").
	CmdTmpWrite       = 87
	CmdChecksumBuffer = 119

	AckOK      = 2000
	AckError   = 2001
	AckData    = 2002
	AckRetry   = 2003
	AckRepeat  = 2004
	AckUnauth  = 2005
	AckUnknown = 0xffff
)

// tcpMagic opens every TCP frame: [zkp] "Packet Fields", start = 5050827d,
// then the payload size (little endian, we read all four bytes: the two
// "zeros" are its high half on large data packets).
var tcpMagic = [4]byte{0x50, 0x50, 0x82, 0x7d}

const (
	frameHeaderLen  = 8
	packetHeaderLen = 8 // command, checksum, session id, reply number
	// maxPayload bounds what a frame may announce, so a garbage length does
	// not make us allocate gigabytes. The largest legitimate packet is one
	// chunk of a buffered read (maxChunk) plus its header.
	maxPayload = maxChunk + 1024
	// maxChunk is the chunk size asked for with CMD_DATA_RDY. 0xFFC0 is the
	// TCP chunk size public clients use with real devices.
	maxChunk = 0xffc0
)

// ErrProtocol marks a reply that is not a well-formed packet: bad magic,
// absurd length, bad checksum, short header, an unexpected reply.
var ErrProtocol = errors.New("protocol error")

// Packet is one regular packet ([zkp] "Regular Packet Payload").
type Packet struct {
	Command uint16
	Session uint16
	Reply   uint16
	Data    []byte
}

// Checksum is the 16-bit ones'-complement sum of the little-endian words of
// the payload with its checksum field zero, an odd last byte padded with
// zero ([zkp] "Checksum"). Carries are folded until none is left, which is
// the description's single fold for payloads of ordinary size.
func Checksum(p []byte) uint16 {
	var sum uint32
	for len(p) >= 2 {
		sum += uint32(p[0]) | uint32(p[1])<<8
		p = p[2:]
	}
	if len(p) == 1 {
		sum += uint32(p[0])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// AppendFrame appends p as one TCP frame (magic, length, payload) to dst.
func AppendFrame(dst []byte, p Packet) []byte {
	n := packetHeaderLen + len(p.Data)
	dst = append(dst, tcpMagic[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	start := len(dst)
	dst = binary.LittleEndian.AppendUint16(dst, p.Command)
	dst = append(dst, 0, 0)
	dst = binary.LittleEndian.AppendUint16(dst, p.Session)
	dst = binary.LittleEndian.AppendUint16(dst, p.Reply)
	dst = append(dst, p.Data...)
	binary.LittleEndian.PutUint16(dst[start+2:], Checksum(dst[start:]))
	return dst
}

// ParseFrameHeader checks the 8-byte TCP frame header and returns the
// payload length it announces.
func ParseFrameHeader(h []byte) (int, error) {
	if len(h) < frameHeaderLen {
		return 0, fmt.Errorf("%w: frame header of %d bytes", ErrProtocol, len(h))
	}
	if [4]byte(h[:4]) != tcpMagic {
		return 0, fmt.Errorf("%w: frame starts % x, not 50 50 82 7d", ErrProtocol, h[:4])
	}
	n := binary.LittleEndian.Uint32(h[4:8])
	if n < packetHeaderLen || n > maxPayload {
		return 0, fmt.Errorf("%w: frame announces a payload of %d bytes", ErrProtocol, n)
	}
	return int(n), nil
}

// ParsePacket decodes a payload (without the TCP frame header) and checks
// its checksum. Data aliases payload.
func ParsePacket(payload []byte) (Packet, error) {
	if len(payload) < packetHeaderLen {
		return Packet{}, fmt.Errorf("%w: packet of %d bytes is shorter than its header", ErrProtocol, len(payload))
	}
	got := binary.LittleEndian.Uint16(payload[2:4])
	if want := checksumWithout(payload); got != want {
		return Packet{}, fmt.Errorf("%w: checksum %04x, the packet sums to %04x", ErrProtocol, got, want)
	}
	return Packet{
		Command: binary.LittleEndian.Uint16(payload[0:2]),
		Session: binary.LittleEndian.Uint16(payload[4:6]),
		Reply:   binary.LittleEndian.Uint16(payload[6:8]),
		Data:    payload[packetHeaderLen:],
	}, nil
}

// checksumWithout is Checksum of payload with bytes 2..3 taken as zero,
// without copying the payload.
func checksumWithout(payload []byte) uint16 {
	var sum uint32
	sum += uint32(payload[0]) | uint32(payload[1])<<8
	p := payload[4:]
	for len(p) >= 2 {
		sum += uint32(p[0]) | uint32(p[1])<<8
		p = p[2:]
	}
	if len(p) == 1 {
		sum += uint32(p[0])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// CommKey derives the CMD_AUTH payload from the numeric comm key and the
// session id. This is the MakeKey scramble of ZKTeco's SDK (commpro.c) as
// public clients describe it (e.g. the timekeep Rust crate's "scramble_comm_key"
// notes and pyzk's docstring, read as descriptions only): reverse the key's
// 32 bits, add the session id, XOR the bytes with "ZKSO", swap the two
// 16-bit halves, then XOR bytes 0, 1 and 3 with ticks and put ticks itself
// in byte 2. Clients send ticks = 50.
func CommKey(key uint32, session uint16, ticks byte) [4]byte {
	var k uint32
	for i := range 32 {
		k <<= 1
		if key&(1<<i) != 0 {
			k |= 1
		}
	}
	k += uint32(session)
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], k)
	b[0] ^= 'Z'
	b[1] ^= 'K'
	b[2] ^= 'S'
	b[3] ^= 'O'
	b = [4]byte{b[2], b[3], b[0], b[1]}
	return [4]byte{b[0] ^ ticks, b[1] ^ ticks, ticks, b[3] ^ ticks}
}
