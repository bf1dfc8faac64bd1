package mapcheck

import (
	"encoding/binary"
	"hash/maphash"
)

// recentPunches finds punches that repeat inside the input with bounded
// memory: it remembers the last `size` distinct punch keys (employee, time
// to the second, device, and the direction where the identity has it) as
// 64-bit hashes, evicting the oldest first.
//
// Why a window and not a set of every key: a set grows with the input,
// and map-check must stay flat in rows. Clock exports are sorted by time,
// so a repeated punch sits near its twin (the same second, the same
// device); a window of 131,072 punches spans days of a 5,000-person site.
// What it misses: a twin further back than the window, e.g. a file that
// repeats a whole month exported earlier in the same run. The import
// itself still catches those (the HR database's unique key); the report
// says how large the window was. A hash collision (two different punches
// with equal 64-bit hashes) would count a false duplicate; at this size the
// chance is about 1 in 10^9 per run.
type recentPunches struct {
	seed  maphash.Seed
	size  int
	index map[uint64]origin
	ring  []uint64
	next  int
}

type origin struct {
	file int32
	line int32
}

const defaultDuplicateWindow = 1 << 17

func newRecentPunches(size int) *recentPunches {
	if size <= 0 {
		size = defaultDuplicateWindow
	}
	return &recentPunches{seed: maphash.MakeSeed(), size: size, index: make(map[uint64]origin, size), ring: make([]uint64, 0, size)}
}

// seen records the punch and returns where its twin was, if it was seen
// within the window.
func (r *recentPunches) seen(employee string, unix int64, device, direction string, at origin) (origin, bool) {
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(employee)
	h.WriteByte(0)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(unix))
	h.Write(b[:])
	h.WriteString(device)
	h.WriteByte(0)
	h.WriteString(direction)
	k := h.Sum64()
	if first, ok := r.index[k]; ok {
		return first, true
	}
	if len(r.ring) < r.size {
		r.ring = append(r.ring, k)
	} else {
		delete(r.index, r.ring[r.next])
		r.ring[r.next] = k
		r.next = (r.next + 1) % r.size
	}
	r.index[k] = at
	return origin{}, false
}
