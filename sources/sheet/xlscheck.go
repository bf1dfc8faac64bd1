package sheet

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sector numbers with a meaning of their own in a compound file's FAT.
const (
	cfbMaxRegSect = 0xFFFFFFFA
	cfbEndOfChain = 0xFFFFFFFE
	cfbFreeSect   = 0xFFFFFFFF
)

// checkCompoundFile validates a compound file's (OLE2) header, its FAT and
// its mini FAT against the file's size before a reader trusts them: the
// readers allocate by the header's counts and follow sector chains to
// their end, so one flipped byte (a count of 2^31 sectors, a chain that
// loops) made them allocate gigabytes. What passes here has every count
// within the file and every chain ending.
func checkCompoundFile(data []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("the file is damaged or truncated (OLE2 header: %s)", fmt.Sprintf(format, args...))
	}
	if len(data) < 512 {
		return errors.New("the file is damaged or truncated (shorter than an OLE2 header)")
	}
	u16 := func(at int) uint32 { return uint32(binary.LittleEndian.Uint16(data[at:])) }
	u32 := func(at int) uint32 { return binary.LittleEndian.Uint32(data[at:]) }
	if u16(0x1C) != 0xFFFE {
		return bad("byte order mark %#04x", u16(0x1C))
	}
	var shift uint32
	switch major := u16(0x1A); major {
	case 3:
		shift = 9
	case 4:
		shift = 12
	default:
		return bad("version %d", major)
	}
	if u16(0x1E) != shift || u16(0x20) != 6 {
		return bad("sector size 2^%d, mini sector size 2^%d", u16(0x1E), u16(0x20))
	}
	if u32(0x38) != 4096 {
		return bad("mini stream cutoff %d", u32(0x38))
	}
	size := uint32(1) << shift
	sectors := uint32((len(data) - 512 + int(size) - 1) / int(size)) // sectors after the header
	nFAT, firstDir := u32(0x2C), u32(0x30)
	firstMini, nMini := u32(0x3C), u32(0x40)
	firstDIFAT, nDIFAT := u32(0x44), u32(0x48)
	if nDir := u32(0x28); shift == 9 && nDir != 0 || nDir > sectors {
		return bad("%d directory sectors", nDir)
	}
	if nFAT > sectors || nMini > sectors || nDIFAT > sectors {
		return bad("%d FAT, %d mini FAT and %d DIFAT sectors in a file of %d sectors", nFAT, nMini, nDIFAT, sectors)
	}
	inFile := func(s uint32) bool { return s < sectors }
	if !inFile(firstDir) {
		return bad("the directory starts at sector %d of %d", firstDir, sectors)
	}
	if nMini > 0 && !inFile(firstMini) || nDIFAT > 0 && !inFile(firstDIFAT) {
		return bad("the mini FAT or DIFAT starts outside the file")
	}
	sector := func(s uint32) []byte {
		at := 512 + int(s)*int(size)
		return data[at:min(at+int(size), len(data))]
	}
	// The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
	var fatSectors []uint32
	for i := 0; i < 109 && uint32(len(fatSectors)) < nFAT; i++ {
		fatSectors = append(fatSectors, u32(0x4C+4*i))
	}
	for s, n := firstDIFAT, uint32(0); uint32(len(fatSectors)) < nFAT; n++ {
		if n >= nDIFAT || !inFile(s) {
			return bad("the DIFAT lists fewer FAT sectors than the header's %d", nFAT)
		}
		d := sector(s)
		for i := 0; i+8 <= len(d) && uint32(len(fatSectors)) < nFAT; i += 4 {
			fatSectors = append(fatSectors, binary.LittleEndian.Uint32(d[i:]))
		}
		s = binary.LittleEndian.Uint32(d[len(d)-4:])
	}
	var fat []uint32
	for _, s := range fatSectors {
		if !inFile(s) {
			return bad("FAT sector %d lies outside the file (%d sectors)", s, sectors)
		}
		fat = appendEntries(fat, sector(s))
	}
	if err := checkChains(fat, sectors, "FAT"); err != nil {
		return bad("%v", err)
	}
	if nMini == 0 {
		return nil
	}
	// The mini FAT, read both as its FAT chain and as the run of sectors
	// from its first (the way xlsReader reads it): either must be sound.
	var chained, run []uint32
	s := firstMini
	for i := uint32(0); i < nMini && inFile(s); i++ {
		chained = appendEntries(chained, sector(s))
		if int(s) >= len(fat) {
			break
		}
		s = fat[s]
	}
	for i := uint32(0); i < nMini && inFile(firstMini+i); i++ {
		run = appendEntries(run, sector(firstMini+i))
	}
	miniSectors := uint32(len(data) / 64)
	for _, m := range [][]uint32{chained, run} {
		if err := checkChains(m, miniSectors, "mini FAT"); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

func appendEntries(to []uint32, b []byte) []uint32 {
	for i := 0; i+4 <= len(b); i += 4 {
		to = append(to, binary.LittleEndian.Uint32(b[i:]))
	}
	return to
}

// checkChains fails when a chain in the table loops, so that following
// any chain ends.
func checkChains(table []uint32, limit uint32, what string) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(table))
	var path []uint32
	for start := range table {
		for s := uint32(start); ; {
			if s > cfbMaxRegSect {
				break // end of chain, free, or a FAT/DIFAT sector mark
			}
			if s >= limit || int(s) >= len(table) {
				break // past the end: a reader stops there (writers leave such links at the file's end)
			}
			if state[s] == done {
				break
			}
			if state[s] == onPath {
				return fmt.Errorf("a %s chain loops at sector %d", what, s)
			}
			state[s] = onPath
			path = append(path, s)
			s = table[s]
		}
		for _, p := range path {
			state[p] = done
		}
		path = path[:0]
	}
	return nil
}
