// Package zkemu is a ZKTeco device emulator speaking the TCP protocol of
// port 4370 at byte level: sessions, the comm key, small and chunked data
// transfers, users, the attendance log, the clock, and fault switches. It
// serves tests of sources/zk and cmd/zkemu.
//
// It deliberately imports nothing of hrsync: its encoders are written a
// second time, from the same public description (github.com/adrobinoga/
// zk-protocol, cited as [zkp]), so a mistake in the client's decoding is not
// mirrored here. Like real devices it does not check request checksums:
// widely used clients compute them over the previous reply number.
package zkemu

import (
	"sync"
	"time"
)

// User is one user of the emulated device.
type User struct {
	UID       uint16
	PIN       string
	Name      string
	Password  string
	Card      uint32
	Privilege uint8
	Group     string
}

// Record is one attendance log entry; Time is read as a wall clock.
type Record struct {
	UID      uint16
	PIN      string
	Time     time.Time
	Verify   uint8
	State    uint8
	WorkCode uint32
}

// FaultKind is what a fault does.
type FaultKind int

const (
	// Cut closes the connection; on CMD_DATA_RDY it does so halfway through
	// the chunk's data.
	Cut FaultKind = iota + 1
	// Garbage answers with bytes that are not a packet.
	Garbage
	// Silent never answers (the connection stays open).
	Silent
	// Busy answers CMD_ACK_ERROR.
	Busy
)

// Fault fires once, on the (After+1)-th time the device receives Cmd
// (counted over all sessions from when it is injected).
type Fault struct {
	Kind  FaultKind
	Cmd   uint16
	After int
}

// Device is the emulated machine's state, shared by all its sessions.
// Set the exported fields before serving.
type Device struct {
	Serial, Firmware, Platform, Name string
	CommKey                          uint32         // 0: no key
	UserSize                         int            // 72 (default) or 28
	RecordSize                       int            // 40 (default), 16 or 8
	SmallLimit                       int            // data sets up to this size come as one CMD_DATA; default 1024
	Location                         *time.Location // the zone the clock shows; default UTC
	CountSkew                        int            // added to the record count the status reports: a miscounting firmware
	// PacketGap paces the packets of a chunk (prepare, data, ack) as a
	// real device's slow CPU does; some clients (node-zklib) take one
	// packet per socket read and stall when packets arrive back to back.
	PacketGap time.Duration
	// Unbuffered emulates older firmware without CMD_DATA_WRRQ: it answers
	// that with CMD_ACK_UNKNOWN and sends a data set in answer to the read
	// command itself.
	Unbuffered bool
	// DataPacket, when set, splits each chunk's data over CMD_DATA packets
	// of at most this many bytes, as some firmware does.
	DataPacket int

	mu       sync.Mutex
	users    []User
	tmpls    []Template
	records  []Record
	offset   time.Duration // device clock minus host clock
	disabled bool
	faults   []Fault
	seen     map[uint16]int
	session  uint16
	stats    Stats
}

// Stats counts what the device was asked.
type Stats struct {
	Connects, Disables, Enables, Chunks int
}

// NewDevice returns a device with an identity and no data.
func NewDevice() *Device {
	return &Device{
		Serial: "EMU0000000001", Firmware: "Ver 6.60 Apr 28 2018", Platform: "ZMM220_TFT", Name: "zkemu",
		session: 0x4d2,
	}
}

// SetUsers replaces the user table; users without a UID get one.
func (d *Device) SetUsers(us []User) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users = append([]User(nil), us...)
	for i := range d.users {
		if d.users[i].UID == 0 {
			d.users[i].UID = uint16(i + 1)
		}
	}
}

// Template is one fingerprint template.
type Template struct {
	UID    uint16
	Finger uint8
	Flag   uint8
	Data   []byte
}

// Templates returns a copy of the fingerprint templates.
func (d *Device) Templates() []Template {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Template(nil), d.tmpls...)
}

// SetTemplates replaces the fingerprint templates.
func (d *Device) SetTemplates(ts []Template) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tmpls = append([]Template(nil), ts...)
}

// SetRecords replaces the attendance log.
func (d *Device) SetRecords(rs []Record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records = rs
}

// Users returns a copy of the user table.
func (d *Device) Users() []User {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]User(nil), d.users...)
}

// Disabled reports whether a client left the device disabled.
func (d *Device) Disabled() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.disabled
}

// Stats returns the counters.
func (d *Device) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Inject arms a fault.
func (d *Device) Inject(f Fault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[uint16]int{}
	}
	d.seen[f.Cmd] = 0
	d.faults = append(d.faults, f)
}

// SetClockOffset makes the device clock run off by off from the host's.
func (d *Device) SetClockOffset(off time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.offset = off
}

// Clock is the device's wall clock now.
func (d *Device) Clock() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Now().Add(d.offset).In(d.loc())
}

func (d *Device) loc() *time.Location {
	if d.Location == nil {
		return time.UTC
	}
	return d.Location
}

// fault returns the fault armed for this arrival of cmd, consuming it.
func (d *Device) fault(cmd uint16) FaultKind {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		return 0
	}
	n := d.seen[cmd]
	d.seen[cmd] = n + 1
	for i, f := range d.faults {
		if f.Cmd == cmd && f.After == n {
			d.faults = append(d.faults[:i], d.faults[i+1:]...)
			return f.Kind
		}
	}
	return 0
}

// RecordCount is the number of records in the log.
func (d *Device) RecordCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.records)
}
