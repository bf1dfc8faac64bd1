package zk

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenChecksum uses the two test vectors of [zkp] protocol.md
// ("Checksum", "Test Vectors"): a CMD_OPTIONS_RRQ for "ZKFaceVersion" whose
// checksum is 175a, and a device's CMD_ACK_OK reply whose checksum is 6a29.
func TestGoldenChecksum(t *testing.T) {
	req := unhex(t, "0b005a17f38d03005a4b4661636556657273696f6e00")
	if got := checksumWithout(req); got != 0x175a {
		t.Fatalf("vector 1: %04x, want 175a", got)
	}
	zeroed := append([]byte(nil), req...)
	zeroed[2], zeroed[3] = 0, 0
	if got := Checksum(zeroed); got != 0x175a {
		t.Fatalf("vector 1 with the field zero: %04x", got)
	}
	// Vector 1 is exactly the payload AppendFrame builds for that request,
	// after the TCP header of "Packet Fields" (5050827d, size 22, zeros).
	frame := AppendFrame(nil, Packet{Command: CmdOptionsRRQ, Session: 0x8df3, Reply: 3, Data: []byte("ZKFaceVersion\x00")})
	if want := append(unhex(t, "5050827d16000000"), req...); !bytes.Equal(frame, want) {
		t.Fatalf("frame\n got % x\nwant % x", frame, want)
	}
	p, err := ParsePacket(unhex(t, "d007296af38d0a0009"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Command != AckOK || p.Session != 0x8df3 || p.Reply != 10 || !bytes.Equal(p.Data, []byte{9}) {
		t.Fatalf("vector 2: %+v", p)
	}
	bad := unhex(t, "d007296bf38d0a0009")
	if _, err := ParsePacket(bad); !errors.Is(err, ErrProtocol) {
		t.Fatalf("a wrong checksum parsed: %v", err)
	}
}

// TestGoldenBufferRequests: the CMD_DATA_WRRQ payloads [zkp] quotes in
// sections/data-record.md (attendance) and sections/data.md (users).
func TestGoldenBufferRequests(t *testing.T) {
	if got := hex.EncodeToString(bufferRequest(CmdAttLogRRQ, 0)); got != "010d000000000000000000" {
		t.Fatalf("attendance request %s", got)
	}
	if got := hex.EncodeToString(bufferRequest(CmdUserTempRRQ, 5)); got != "0109000500000000000000" {
		t.Fatalf("users request %s", got)
	}
	if got := hex.EncodeToString(bufferRequest(CmdDBRRQ, 2)); got != "0107000200000000000000" {
		t.Fatalf("templates request %s", got)
	}
}

// TestTimePacking: the formula of [zkp] sections/terminal.md, worked by
// hand for 2025-03-01 06:00:00: ((25*12*31 + 2*31 + 0)*86400 + 6*3600).
func TestTimePacking(t *testing.T) {
	at := time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)
	v, err := EncodeTime(at)
	if err != nil || v != 808898400 {
		t.Fatalf("%d %v", v, err)
	}
	if got := DecodeTime(v, time.UTC); !got.Equal(at) {
		t.Fatalf("%s", got)
	}
	for _, tm := range []time.Time{
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 34, 56, 0, time.UTC),
	} {
		v, _ := EncodeTime(tm)
		if got := DecodeTime(v, time.UTC); !got.Equal(tm) {
			t.Errorf("%s -> %d -> %s", tm, v, got)
		}
	}
	if _, err := EncodeTime(time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("1999 encoded")
	}
}

// TestCommKeyByHand: key 0, session 0, ticks 50, worked by hand from the
// MakeKey steps: "ZKSO" = 5a 4b 53 4f, halves swapped 53 4f 5a 4b, bytes
// 0, 1, 3 XOR 0x32 and 0x32 in byte 2.
func TestCommKeyByHand(t *testing.T) {
	if got := CommKey(0, 0, 50); got != [4]byte{0x61, 0x7d, 0x32, 0x79} {
		t.Fatalf("% x", got)
	}
	// Key 1 reverses to 0x80000000: byte 3 becomes 0x80^'O' = 0xcf, which
	// lands in byte 1 after the swap: 0xcf^0x32 = 0xfd.
	if got := CommKey(1, 0, 50); got != [4]byte{0x61, 0xfd, 0x32, 0x79} {
		t.Fatalf("% x", got)
	}
}

func TestFrameHeaderErrors(t *testing.T) {
	for _, h := range []string{"5050827d07000000", "5050827d00001000", "4854545020343030", "5050"} {
		if _, err := ParseFrameHeader(unhex(t, h)); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: %v", h, err)
		}
	}
}

// FuzzParsePacket: any bytes either parse or give ErrProtocol, never a
// panic; what parses encodes back to the same bytes.
func FuzzParsePacket(f *testing.F) {
	f.Add(unhex(f, "5050827d160000000b005a17f38d03005a4b4661636556657273696f6e00"))
	f.Add(unhex(f, "5050827d09000000d007296af38d0a0009"))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseFrameHeader(b)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatal(err)
			}
			return
		}
		body := b[frameHeaderLen:]
		if len(body) > n {
			body = body[:n]
		}
		p, err := ParsePacket(body)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatal(err)
			}
			return
		}
		again := AppendFrame(nil, p)
		if !bytes.Equal(again[frameHeaderLen:], body) {
			t.Fatalf("re-encoded % x, was % x", again[frameHeaderLen:], body)
		}
	})
}

// FuzzParseRecords feeds arbitrary data sets, split at an arbitrary point,
// to the table decoder with every layout, and the entry decoders directly.
func FuzzParseRecords(f *testing.F) {
	seed := binary.LittleEndian.AppendUint32(nil, 80)
	seed = append(seed, make([]byte, 80)...)
	f.Add(seed, 2, 7)
	f.Add([]byte{1, 2, 3}, 0, 0)
	f.Fuzz(func(t *testing.T, b []byte, count, split int) {
		for _, sizes := range [][]int{{40, 16, 8}, {72, 28}} {
			tb := &table{what: "x", count: count % 5000, sizes: sizes}
			tb.entry = func(e []byte) error {
				if len(e) == 72 || len(e) == 28 {
					_, err := DecodeUser(e)
					return err
				}
				_, err := DecodeRecord(e, time.UTC, nil)
				return err
			}
			k := 0
			if len(b) > 0 {
				k = (split%len(b) + len(b)) % len(b)
			}
			err := tb.feed(b[:k])
			if err == nil {
				err = tb.feed(b[k:])
			}
			if err == nil {
				err = tb.done(len(b))
			}
			if err != nil && !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrCount) {
				t.Fatal(err)
			}
		}
		for _, n := range []int{8, 16, 28, 40, 72} {
			if len(b) >= n {
				DecodeRecord(b[:n], time.UTC, nil)
				DecodeUser(b[:n])
			}
		}
		ParseSizes(b)
		if ts, err := ParseTemplates(b); err != nil && !errors.Is(err, ErrProtocol) {
			t.Fatal(err)
		} else if err == nil {
			n := 0
			for _, tp := range ts {
				n += 6 + len(tp.Data)
			}
			if n+4 != len(b) {
				t.Fatalf("templates cover %d of %d bytes", n+4, len(b))
			}
		}
	})
}
