package zk

import (
	"context"
	"encoding/binary"
	"fmt"
)

// readBuffer runs one large read ([zkp] sections/ex_data.md "Receiving Large
// Datasets"): CMD_DATA_WRRQ names the data set; a small one comes back at
// once as CMD_DATA, a large one as CMD_ACK_OK with its size at bytes 1..5,
// after which the client asks for it chunk by chunk with CMD_DATA_RDY
// (start, size), each chunk answered by CMD_PREPARE_DATA (its size),
// CMD_DATA (the bytes, possibly over several packets) and CMD_ACK_OK, all
// with the request's reply number. CMD_FREE_DATA releases the buffer.
// sink gets the bytes in order; it must not keep the slice.
func (c *Client) readBuffer(ctx context.Context, op string, cmd uint16, fct uint32, sink func([]byte) error) (int, error) {
	p, err := c.exchange(ctx, CmdDataWRRQ, bufferRequest(cmd, fct))
	if err != nil {
		return 0, c.fail(op, err)
	}
	switch p.Command {
	case CmdData:
		if err := sink(p.Data); err != nil {
			return 0, c.fail(op, err)
		}
		return len(p.Data), c.freeData(ctx)
	case AckOK:
	case AckUnknown:
		// Older firmware has no buffered reads: ask with the read command
		// itself.
		return c.readDirect(ctx, op, cmd, fct, sink)
	default:
		return 0, c.fail(op, replyError(p))
	}
	if len(p.Data) < 5 {
		return 0, c.fail(op, fmt.Errorf("%w: data status of %d bytes", ErrProtocol, len(p.Data)))
	}
	size := int(binary.LittleEndian.Uint32(p.Data[1:5]))
	if size < 0 || size > 1<<30 {
		return 0, c.fail(op, fmt.Errorf("%w: the device announces %d bytes", ErrProtocol, size))
	}
	for start := 0; start < size; {
		n := min(c.chunkSize(), size-start)
		if err := c.readChunk(ctx, start, n, sink); err != nil {
			return start, c.fail(fmt.Sprintf("%s (bytes %d-%d of %d)", op, start, start+n, size), err)
		}
		start += n
	}
	return size, c.freeData(ctx)
}

// readDirect is the read of firmware without CMD_DATA_WRRQ: the read
// command itself (CMD_ATTLOG_RRQ with no data, CMD_USERTEMP_RRQ with the
// function code as one byte) is answered by CMD_PREPARE_DATA with the total
// size, CMD_DATA packets and CMD_ACK_OK, the same sequence [zkp]
// sections/data.md shows for a template read; small sets may come as one
// CMD_DATA.
func (c *Client) readDirect(ctx context.Context, op string, cmd uint16, fct uint32, sink func([]byte) error) (int, error) {
	var data []byte
	if fct != 0 {
		data = []byte{byte(fct)}
	}
	p, err := c.exchange(ctx, cmd, data)
	if err != nil {
		return 0, c.fail(op, err)
	}
	switch p.Command {
	case CmdData:
		if err := sink(p.Data); err != nil {
			return 0, c.fail(op, err)
		}
		return len(p.Data), nil
	case CmdPrepareData:
	default:
		return 0, c.fail(op, replyError(p))
	}
	if len(p.Data) < 4 {
		return 0, c.fail(op, fmt.Errorf("%w: CMD_PREPARE_DATA of %d bytes", ErrProtocol, len(p.Data)))
	}
	size := int(binary.LittleEndian.Uint32(p.Data))
	if size > 1<<30 {
		return 0, c.fail(op, fmt.Errorf("%w: the device announces %d bytes", ErrProtocol, size))
	}
	if err := c.readData(ctx, size, sink); err != nil {
		return 0, c.fail(op, err)
	}
	return size, nil
}

// readData reads the CMD_DATA packets carrying n bytes and the CMD_ACK_OK
// that closes them.
func (c *Client) readData(ctx context.Context, n int, sink func([]byte) error) error {
	for got := 0; got < n; {
		p, err := c.read(ctx)
		if err != nil {
			return err
		}
		if p.Command != CmdData {
			return fmt.Errorf("%w: reply code %d after %d of %d bytes of data", ErrProtocol, p.Command, got, n)
		}
		if got+len(p.Data) > n {
			return fmt.Errorf("%w: data overruns its %d bytes", ErrProtocol, n)
		}
		got += len(p.Data)
		if err := sink(p.Data); err != nil {
			return err
		}
	}
	p, err := c.read(ctx)
	if err != nil {
		return err
	}
	if p.Command != AckOK {
		return fmt.Errorf("%w: data ends with reply code %d, not CMD_ACK_OK", ErrProtocol, p.Command)
	}
	return nil
}

// bufferRequest is CMD_DATA_WRRQ's 11 bytes: 01, the read command, a
// function code, 4 zero bytes; [zkp] quotes 010d000000000000000000 for the
// attendance log and 0109000500000000000000 for the users.
func bufferRequest(cmd uint16, fct uint32) []byte {
	req := make([]byte, 0, 11)
	req = append(req, 1)
	req = binary.LittleEndian.AppendUint16(req, cmd)
	req = binary.LittleEndian.AppendUint32(req, fct)
	return binary.LittleEndian.AppendUint32(req, 0)
}

// chunkSize is what one CMD_DATA_RDY asks for: 0xFFC0 over TCP, 16 KiB
// over UDP, the sizes public clients use with real devices (a UDP reply
// must fit one datagram).
func (c *Client) chunkSize() int {
	if c.opt.UDP {
		return 16 * 1024
	}
	return maxChunk
}

func (c *Client) readChunk(ctx context.Context, start, n int, sink func([]byte) error) error {
	var rq [8]byte
	binary.LittleEndian.PutUint32(rq[0:], uint32(start))
	binary.LittleEndian.PutUint32(rq[4:], uint32(n))
	p, err := c.exchange(ctx, CmdDataRdy, rq[:])
	if err != nil {
		return err
	}
	switch p.Command {
	case CmdData: // some firmware answers with the data at once
		if len(p.Data) != n {
			return fmt.Errorf("%w: chunk of %d bytes, asked for %d", ErrProtocol, len(p.Data), n)
		}
		return sink(p.Data)
	case CmdPrepareData:
	default:
		return replyError(p)
	}
	if len(p.Data) < 4 || int(binary.LittleEndian.Uint32(p.Data)) != n {
		return fmt.Errorf("%w: CMD_PREPARE_DATA does not announce the %d bytes asked for", ErrProtocol, n)
	}
	return c.readData(ctx, n, sink)
}

func (c *Client) freeData(ctx context.Context) error {
	_, err := c.simple(ctx, "free the data buffer", CmdFreeData, nil)
	return err
}

// table decodes a data set that is a 4-byte total size and then entries of
// one size, as it arrives. The entry size is the total over the device's
// own count (so a count that does not match the data is caught here);
// entry gets each entry's bytes.
type table struct {
	what    string
	count   int   // the device's count
	sizes   []int // acceptable entry sizes
	entry   func([]byte) error
	head    []byte
	total   int
	size    int // entry size, once known
	pending []byte
	seen    int // bytes of entries seen
	n       int // entries decoded
}

func (t *table) feed(b []byte) error {
	if t.size < 0 {
		if len(b) > 0 {
			return fmt.Errorf("%w: the device counts no %s but sends more bytes", ErrCount, t.what)
		}
		return nil
	}
	if t.size == 0 {
		need := 4 - len(t.head)
		if len(b) < need {
			t.head = append(t.head, b...)
			return nil
		}
		t.head = append(t.head, b[:need]...)
		b = b[need:]
		t.total = int(binary.LittleEndian.Uint32(t.head))
		if err := t.pickSize(); err != nil {
			return err
		}
		if t.size < 0 {
			return t.feed(b)
		}
	}
	if t.seen+len(b) > t.total {
		return fmt.Errorf("%w: the %s run past their announced %d bytes", ErrProtocol, t.what, t.total)
	}
	t.seen += len(b)
	if len(t.pending) > 0 {
		k := min(t.size-len(t.pending), len(b))
		t.pending = append(t.pending, b[:k]...)
		b = b[k:]
		if len(t.pending) < t.size {
			return nil
		}
		if err := t.emit(t.pending); err != nil {
			return err
		}
		t.pending = t.pending[:0]
	}
	for len(b) >= t.size {
		if err := t.emit(b[:t.size]); err != nil {
			return err
		}
		b = b[t.size:]
	}
	t.pending = append(t.pending, b...)
	return nil
}

func (t *table) emit(b []byte) error {
	t.n++
	return t.entry(b)
}

func (t *table) pickSize() error {
	if t.count <= 0 {
		if t.total != 0 {
			return fmt.Errorf("%w: the device counts no %s but sends %d bytes of them", ErrCount, t.what, t.total)
		}
		t.size = -1 // nothing may follow
		return nil
	}
	if t.total%t.count == 0 {
		for _, s := range t.sizes {
			if t.total/t.count == s {
				t.size = s
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %d bytes of %s are not %d entries of %v bytes", ErrCount, t.total, t.what, t.count, t.sizes)
}

// done checks that every announced byte came and the count matches.
func (t *table) done(read int) error {
	if read == 0 && t.count == 0 {
		return nil
	}
	if len(t.head) < 4 {
		return fmt.Errorf("%w: the %s data ends before its 4-byte size", ErrProtocol, t.what)
	}
	if t.seen != t.total || len(t.pending) != 0 {
		return fmt.Errorf("%w: %d of the announced %d bytes of %s arrived", ErrProtocol, t.seen, t.total, t.what)
	}
	if t.n != t.count {
		return fmt.Errorf("%w: %d %s read, the device counts %d", ErrCount, t.n, t.what, t.count)
	}
	return nil
}

// ReadAttendance reads the whole attendance log with the device disabled,
// handing fn each record in log order, and checks the number read against
// the device's record count. Memory stays that of one chunk. The 8-byte
// layout of old firmware carries only the UID: call ReadUsers first on
// this session to get PINs (else the PIN is the UID in decimal).
func (c *Client) ReadAttendance(ctx context.Context, fn func(Record) error) (int, error) {
	var n int
	err := c.WhileDisabled(ctx, func() error {
		s, err := c.Sizes(ctx)
		if err != nil {
			return err
		}
		t := &table{what: "attendance records", count: s.Records, sizes: []int{RecordSize40, RecordSize16, RecordSize8}}
		t.entry = func(b []byte) error {
			r, err := DecodeRecord(b, c.opt.Location, c.pinOf)
			if err != nil {
				return err
			}
			return fn(r)
		}
		read, err := c.readBuffer(ctx, "read attendance log", CmdAttLogRRQ, 0, t.feed)
		if err != nil {
			return err
		}
		if err := t.done(read); err != nil {
			return c.fail("read attendance log", err)
		}
		n = t.n
		return nil
	})
	return n, err
}

// ReadUsers reads the user table with the device disabled.
func (c *Client) ReadUsers(ctx context.Context) ([]User, error) {
	var users []User
	err := c.WhileDisabled(ctx, func() error {
		s, err := c.Sizes(ctx)
		if err != nil {
			return err
		}
		t := &table{what: "users", count: s.Users, sizes: []int{UserSize72, UserSize28}}
		t.entry = func(b []byte) error {
			u, err := DecodeUser(b)
			if err == nil {
				users = append(users, u)
			}
			return err
		}
		// Function code 5 as in [zkp]'s users request.
		defer func() {
			if t.size > 0 {
				c.userSize = t.size
			}
			c.pins = make(map[uint16]string, len(users))
			for _, u := range users {
				c.pins[u.UID] = u.PIN
			}
		}()
		read, err := c.readBuffer(ctx, "read users", CmdUserTempRRQ, 5, t.feed)
		if err != nil {
			return err
		}
		if err := t.done(read); err != nil {
			return c.fail("read users", err)
		}
		return nil
	})
	return users, err
}

// UserEntrySize is the user entry size the device used in the last
// ReadUsers (72 or 28); 72 before any.
func (c *Client) UserEntrySize() int {
	if c.userSize == 0 {
		return UserSize72
	}
	return c.userSize
}

// WriteUsers creates or updates users (matched by UID) with the device
// disabled, then refreshes it so they take effect ([zkp] sections/data.md
// "Set User Info": CMD_USER_WRQ with an entry, CMD_REFRESHDATA). Entries
// take the layout of the last ReadUsers; read the users first on a device
// of unknown firmware. Nothing is written when an entry does not encode.
func (c *Client) WriteUsers(ctx context.Context, users []User) error {
	entries := make([][]byte, len(users))
	for i, u := range users {
		e, err := EncodeUser(u, c.UserEntrySize())
		if err != nil {
			return &Error{Addr: c.addr, Op: "write users", Err: err}
		}
		entries[i] = e
	}
	return c.WhileDisabled(ctx, func() error {
		for i, e := range entries {
			if _, err := c.simple(ctx, fmt.Sprintf("write user %q", users[i].PIN), CmdUserWRQ, e); err != nil {
				return err
			}
		}
		_, err := c.simple(ctx, "refresh after writing users", CmdRefreshData, nil)
		return err
	})
}

// DeleteUser removes the user with this UID ([zkp] "Delete User":
// CMD_DELETE_USER with the uid, then CMD_REFRESHDATA).
func (c *Client) DeleteUser(ctx context.Context, uid uint16) error {
	return c.WhileDisabled(ctx, func() error {
		if _, err := c.simple(ctx, fmt.Sprintf("delete user %d", uid), CmdDeleteUser, binary.LittleEndian.AppendUint16(nil, uid)); err != nil {
			return err
		}
		_, err := c.simple(ctx, "refresh after deleting a user", CmdRefreshData, nil)
		return err
	})
}

// ClearAttendance deletes the device's whole attendance log ([zkp]
// sections/data-record.md "Clear All Attendance Records"). The caller must
// know every record is safe elsewhere: a record punched after the last read
// is lost too, so it should check the record count first (see
// ReadAttendance) while the device stays disabled.
func (c *Client) ClearAttendance(ctx context.Context, expectCount int) error {
	return c.WhileDisabled(ctx, func() error {
		s, err := c.Sizes(ctx)
		if err != nil {
			return err
		}
		if s.Records != expectCount {
			return c.fail("clear attendance log", fmt.Errorf("%w: the device now holds %d records, %d were read; not clearing", ErrCount, s.Records, expectCount))
		}
		if _, err := c.simple(ctx, "clear attendance log", CmdClearAttLog, nil); err != nil {
			return err
		}
		_, err = c.simple(ctx, "refresh after clearing the log", CmdRefreshData, nil)
		return err
	})
}

// pinOf maps a UID to its PIN from the last ReadUsers.
func (c *Client) pinOf(uid uint16) (string, bool) {
	p, ok := c.pins[uid]
	return p, ok
}

// ReadTemplates reads every fingerprint template with the device disabled
// and checks their number against the device's count.
func (c *Client) ReadTemplates(ctx context.Context) ([]Template, error) {
	var out []Template
	err := c.WhileDisabled(ctx, func() error {
		s, err := c.Sizes(ctx)
		if err != nil {
			return err
		}
		var b []byte
		// [zkp]: CMD_DATA_WRRQ with 0107000200000000000000.
		if _, err := c.readBuffer(ctx, "read templates", CmdDBRRQ, 2, func(p []byte) error { b = append(b, p...); return nil }); err != nil {
			return err
		}
		if out, err = ParseTemplates(b); err != nil {
			return c.fail("read templates", err)
		}
		if len(out) != s.Fingers {
			return c.fail("read templates", fmt.Errorf("%w: %d templates read, the device counts %d", ErrCount, len(out), s.Fingers))
		}
		return nil
	})
	return out, err
}

// WriteTemplates uploads fingerprint templates with the device disabled
// ([zkp] sections/data-user.md "Upload Fingerprint Template"): per
// template CMD_PREPARE_DATA with its size, CMD_DATA with its bytes,
// CMD_CHECKSUM_BUFFER (how the device computes the sum is not described,
// so its value is not checked), CMD_TMP_WRITE with uid, finger, flag and
// size, CMD_FREE_DATA; then CMD_REFRESHDATA. The users (UIDs) must exist.
func (c *Client) WriteTemplates(ctx context.Context, ts []Template) error {
	for _, t := range ts {
		if len(t.Data) == 0 || len(t.Data) > 0xffff-6 {
			return &Error{Addr: c.addr, Op: "write templates", Err: fmt.Errorf("a template of %d bytes", len(t.Data))}
		}
	}
	return c.WhileDisabled(ctx, func() error {
		for _, t := range ts {
			op := fmt.Sprintf("write template %d of uid %d", t.Finger, t.UID)
			if _, err := c.simple(ctx, op, CmdPrepareData, binary.LittleEndian.AppendUint32(nil, uint32(len(t.Data)))); err != nil {
				return err
			}
			if _, err := c.simple(ctx, op, CmdData, t.Data); err != nil {
				return err
			}
			if _, err := c.simple(ctx, op, CmdChecksumBuffer, nil); err != nil {
				return err
			}
			req := binary.LittleEndian.AppendUint16(nil, t.UID)
			req = append(req, t.Finger, t.Flag)
			req = binary.LittleEndian.AppendUint16(req, uint16(len(t.Data)))
			if _, err := c.simple(ctx, op, CmdTmpWrite, req); err != nil {
				return err
			}
			if err := c.freeData(ctx); err != nil {
				return err
			}
		}
		_, err := c.simple(ctx, "refresh after writing templates", CmdRefreshData, nil)
		return err
	})
}
