package mapcheck

import "hash/maphash"

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
//
// The remembered hashes sit in an open-addressing table of their own
// (linear probing, twice the window's slots, deletion by shifting back):
// a Go map of them, with its deletes, was a third of map-check's analysis.
type recentPunches struct {
	seed  maphash.Seed
	size  int
	slots []recentSlot // len a power of two, at least 2*size
	mask  uint64
	ring  []uint64
	next  int
}

type recentSlot struct {
	key uint64 // 0: empty
	at  origin
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
	n := 16
	for n < 2*size {
		n *= 2
	}
	return &recentPunches{seed: maphash.MakeSeed(), size: size, slots: make([]recentSlot, n), mask: uint64(n - 1), ring: make([]uint64, 0, size)}
}

// recentKey is what a punch is remembered by.
type recentKey struct {
	employee  string
	unix      int64
	device    string
	direction string
}

// seen records the punch and returns where its twin was, if it was seen
// within the window.
func (r *recentPunches) seen(employee string, unix int64, device, direction string, at origin) (origin, bool) {
	k := maphash.Comparable(r.seed, recentKey{employee, unix, device, direction})
	if k == 0 {
		k = 1 // 0 marks an empty slot
	}
	i := k & r.mask
	for ; r.slots[i].key != 0; i = (i + 1) & r.mask {
		if r.slots[i].key == k {
			return r.slots[i].at, true
		}
	}
	if len(r.ring) < r.size {
		r.ring = append(r.ring, k)
	} else {
		r.remove(r.ring[r.next])
		r.ring[r.next] = k
		r.next = (r.next + 1) % r.size
		// The removal may have shifted entries into the free slot found
		// above: look for one again.
		for i = k & r.mask; r.slots[i].key != 0; i = (i + 1) & r.mask {
		}
	}
	r.slots[i] = recentSlot{key: k, at: at}
	return origin{}, false
}

// remove deletes k, shifting back the entries of its probe run that
// would no longer be found past the hole.
func (r *recentPunches) remove(k uint64) {
	i := k & r.mask
	for r.slots[i].key != k {
		if r.slots[i].key == 0 {
			return
		}
		i = (i + 1) & r.mask
	}
	for j := (i + 1) & r.mask; r.slots[j].key != 0; j = (j + 1) & r.mask {
		home := r.slots[j].key & r.mask
		// The entry at j may fill the hole at i when its home slot is not
		// in the cyclic range (i, j].
		if (j-home)&r.mask >= (j-i)&r.mask {
			r.slots[i] = r.slots[j]
			i = j
		}
	}
	r.slots[i] = recentSlot{}
}
