package zkemu

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Server serves one Device on a TCP listener.
type Server struct {
	ln  net.Listener
	dev *Device
	wg  sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

// Listen starts serving dev on addr ("127.0.0.1:0" for a free port).
func Listen(addr string, dev *Device) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, dev: dev, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the listening address (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the listener and every session, and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ss := &session{dev: s.dev, conn: c}
			ss.raw = func(b []byte) error {
				c.SetWriteDeadline(time.Now().Add(time.Minute))
				_, err := c.Write(b)
				return err
			}
			ss.serve()
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// session is one client connection.
type session struct {
	dev  *Device
	conn net.Conn // TCP; nil over UDP
	// raw writes bytes as they go on the wire; over UDP it drops the TCP
	// frame header of what frame builds.
	raw    func([]byte) error
	id     uint16
	authed bool
	buf    []byte // the prepared data set of a large read
	// upload is what a client sent with CMD_PREPARE_DATA and CMD_DATA,
	// for CMD_TMP_WRITE; uploadSize the size it announced.
	upload     []byte
	uploadSize int
}

var errClose = errors.New("close")

func (s *session) serve() {
	h := make([]byte, 8)
	for {
		// An idle client is dropped after a while, as devices do.
		s.conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		if _, err := io.ReadFull(s.conn, h); err != nil {
			return
		}
		if h[0] != 0x50 || h[1] != 0x50 || h[2] != 0x82 || h[3] != 0x7d {
			return
		}
		n := binary.LittleEndian.Uint32(h[4:])
		if n < 8 || n > 1<<16 {
			return
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(s.conn, p); err != nil {
			return
		}
		cmd := binary.LittleEndian.Uint16(p[0:])
		reply := binary.LittleEndian.Uint16(p[6:])
		if err := s.handle(cmd, reply, p[8:]); err != nil {
			return
		}
	}
}

func (s *session) send(cmd, reply uint16, data []byte) error {
	return s.raw(frame(cmd, s.id, reply, data))
}

func (s *session) handle(cmd, reply uint16, data []byte) error {
	d := s.dev
	switch d.fault(cmd) {
	case Cut:
		if cmd == cmdDataRdy && len(data) >= 8 {
			return s.cutChunk(reply, data)
		}
		return errClose
	case Garbage:
		s.raw([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		return nil
	case Silent:
		return nil
	case Busy:
		return s.send(ackError, reply, nil)
	}
	switch cmd {
	case cmdConnect:
		d.mu.Lock()
		d.session++
		s.id = d.session
		d.stats.Connects++
		d.mu.Unlock()
		s.authed = d.CommKey == 0
		if !s.authed {
			return s.send(ackUnauth, reply, nil)
		}
		return s.send(ackOK, reply, nil)
	case cmdAuth:
		if d.CommKey == 0 {
			s.authed = true
		} else if len(data) >= 4 {
			want := authKey(d.CommKey, s.id, data[2])
			s.authed = [4]byte(data[:4]) == want
		}
		if !s.authed {
			return s.send(ackUnauth, reply, nil)
		}
		return s.send(ackOK, reply, nil)
	case cmdExit:
		s.send(ackOK, reply, nil)
		return errClose
	}
	if !s.authed {
		return s.send(ackUnauth, reply, nil)
	}
	switch cmd {
	case cmdDisableDevice, cmdEnableDevice:
		d.mu.Lock()
		d.disabled = cmd == cmdDisableDevice
		if d.disabled {
			d.stats.Disables++
		} else {
			d.stats.Enables++
		}
		d.mu.Unlock()
		return s.send(ackOK, reply, nil)
	case cmdRefreshData:
		return s.send(ackOK, reply, nil)
	case cmdUserWRQ:
		size := 72
		if d.UserSize == 28 {
			size = 28
		}
		u, ok := parseUser(data)
		if !ok || len(data) != size {
			return s.send(ackError, reply, nil)
		}
		d.mu.Lock()
		i := 0
		for i < len(d.users) && d.users[i].UID != u.UID {
			i++
		}
		if i == len(d.users) {
			d.users = append(d.users, u)
		} else {
			d.users[i] = u
		}
		d.mu.Unlock()
		return s.send(ackOK, reply, nil)
	case cmdDeleteUser:
		if len(data) < 2 {
			return s.send(ackError, reply, nil)
		}
		uid := binary.LittleEndian.Uint16(data)
		d.mu.Lock()
		for i, u := range d.users {
			if u.UID == uid {
				d.users = append(d.users[:i], d.users[i+1:]...)
				break
			}
		}
		d.mu.Unlock()
		return s.send(ackOK, reply, nil)
	case cmdClearAttLog:
		d.mu.Lock()
		d.records = nil
		d.mu.Unlock()
		return s.send(ackOK, reply, nil)
	case cmdGetVersion:
		return s.send(ackOK, reply, append([]byte(d.Firmware), 0))
	case cmdOptionsRRQ:
		name := string(data)
		if i := strings.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		v, ok := map[string]string{
			"~SerialNumber": d.Serial, "~Platform": d.Platform, "~DeviceName": d.Name,
			"~ZKFPVersion": "10", "~OEMVendor": "ZKTeco Inc.",
		}[name]
		if !ok {
			return s.send(ackError, reply, nil)
		}
		return s.send(ackOK, reply, append([]byte(name+"="+v), 0))
	case cmdGetFreeSizes:
		d.mu.Lock()
		b := freeSizes(len(d.users), len(d.records)+d.CountSkew, len(d.tmpls))
		d.mu.Unlock()
		return s.send(ackOK, reply, b)
	case cmdGetTime:
		return s.send(ackOK, reply, binary.LittleEndian.AppendUint32(nil, packTime(d.Clock())))
	case cmdSetTime:
		if len(data) < 4 {
			return s.send(ackError, reply, nil)
		}
		t := unpackTime(binary.LittleEndian.Uint32(data), d.loc())
		d.SetClockOffset(time.Until(t))
		return s.send(ackOK, reply, nil)
	case cmdFreeData:
		s.buf, s.upload = nil, nil
		return s.send(ackOK, reply, nil)
	case cmdPrepareData: // a client's upload: the size, then CMD_DATA
		if len(data) < 4 {
			return s.send(ackError, reply, nil)
		}
		s.uploadSize, s.upload = int(binary.LittleEndian.Uint32(data)), nil
		return s.send(ackOK, reply, nil)
	case cmdData:
		if len(s.upload)+len(data) > s.uploadSize {
			return s.send(ackError, reply, nil)
		}
		s.upload = append(s.upload, data...)
		return s.send(ackOK, reply, nil)
	case cmdChecksumBuf:
		// [zkp] does not know the device's checksum; ours is a byte sum.
		var sum uint32
		for _, b := range s.upload {
			sum += uint32(b)
		}
		return s.send(ackOK, reply, binary.LittleEndian.AppendUint32(nil, sum))
	case cmdTmpWrite:
		if len(data) < 6 || int(binary.LittleEndian.Uint16(data[4:])) != len(s.upload) || len(s.upload) != s.uploadSize {
			return s.send(ackError, reply, nil)
		}
		t := Template{UID: binary.LittleEndian.Uint16(data), Finger: data[2], Flag: data[3], Data: append([]byte(nil), s.upload...)}
		d.mu.Lock()
		i := 0
		for i < len(d.tmpls) && (d.tmpls[i].UID != t.UID || d.tmpls[i].Finger != t.Finger) {
			i++
		}
		if i == len(d.tmpls) {
			d.tmpls = append(d.tmpls, t)
		} else {
			d.tmpls[i] = t
		}
		d.mu.Unlock()
		return s.send(ackOK, reply, nil)
	case cmdDataWRRQ:
		if d.Unbuffered {
			return s.send(ackUnknown, reply, nil)
		}
		return s.prepare(reply, data)
	case cmdAttLogRRQ, cmdUserTempRRQ:
		return s.direct(reply, cmd)
	case cmdDataRdy:
		return s.chunk(reply, data)
	}
	return s.send(ackUnknown, reply, nil)
}

// direct answers a read command of older firmware: CMD_PREPARE_DATA with
// the size, the data in packets of up to 0xFFC0 bytes, CMD_ACK_OK.
func (s *session) direct(reply, cmd uint16) error {
	b := s.dataSet(cmd)
	prep := make([]byte, 8)
	binary.LittleEndian.PutUint32(prep, uint32(len(b)))
	if err := s.send(cmdPrepareData, reply, prep); err != nil {
		return err
	}
	for len(b) > 0 {
		n := min(len(b), 0xffc0)
		time.Sleep(s.dev.PacketGap)
		if err := s.send(cmdData, reply, b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return s.send(ackOK, reply, nil)
}

// prepare builds the requested data set: its 4-byte size, then the entries.
func (s *session) prepare(reply uint16, data []byte) error {
	if len(data) < 3 {
		return s.send(ackError, reply, nil)
	}
	b := s.dataSet(binary.LittleEndian.Uint16(data[1:]))
	if b == nil {
		return s.send(ackError, reply, nil)
	}
	d := s.dev
	limit := d.SmallLimit
	if limit <= 0 {
		limit = 1024
	}
	if len(b) <= limit {
		return s.send(cmdData, reply, b)
	}
	s.buf = b
	// [zkp] ex_data.md "data stat": 00, size, size, an unknown 4 bytes.
	st := make([]byte, 13)
	binary.LittleEndian.PutUint32(st[1:], uint32(len(b)))
	binary.LittleEndian.PutUint32(st[5:], uint32(len(b)))
	return s.send(ackOK, reply, st)
}

// dataSet encodes the log or the user table as the device holds it; nil
// for a data set it does not have.
func (s *session) dataSet(cmd uint16) []byte {
	d := s.dev
	var b []byte
	d.mu.Lock()
	defer d.mu.Unlock()
	switch cmd {
	case cmdAttLogRRQ:
		size := d.RecordSize
		if size != 8 && size != 16 {
			size = 40
		}
		b = make([]byte, 4, 4+size*len(d.records))
		for _, r := range d.records {
			b = appendRecord(b, r, size)
		}
	case cmdDBRRQ:
		// [zkp] "Read All Templates": per entry size+6, uid, finger, flag.
		b = make([]byte, 4)
		for _, t := range d.tmpls {
			b = binary.LittleEndian.AppendUint16(b, uint16(6+len(t.Data)))
			b = binary.LittleEndian.AppendUint16(b, t.UID)
			b = append(b, t.Finger, t.Flag)
			b = append(b, t.Data...)
		}
	case cmdUserTempRRQ:
		size := d.UserSize
		if size != 28 {
			size = 72
		}
		b = make([]byte, 4, 4+size*len(d.users))
		for _, u := range d.users {
			b = appendUser(b, u, size)
		}
	default:
		return nil
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func (s *session) span(data []byte) ([]byte, bool) {
	if s.buf == nil || len(data) < 8 {
		return nil, false
	}
	start := int(binary.LittleEndian.Uint32(data))
	n := int(binary.LittleEndian.Uint32(data[4:]))
	if start < 0 || n <= 0 || start+n > len(s.buf) || n > 0xffc0 {
		return nil, false
	}
	return s.buf[start : start+n], true
}

// chunk answers CMD_DATA_RDY with CMD_PREPARE_DATA, CMD_DATA, CMD_ACK_OK,
// all with the request's reply number ([zkp] ex_data.md).
func (s *session) chunk(reply uint16, data []byte) error {
	part, ok := s.span(data)
	if !ok {
		return s.send(ackError, reply, nil)
	}
	s.dev.mu.Lock()
	s.dev.stats.Chunks++
	s.dev.mu.Unlock()
	prep := make([]byte, 8)
	binary.LittleEndian.PutUint32(prep, uint32(len(part)))
	gap := s.dev.PacketGap
	time.Sleep(gap)
	if err := s.send(cmdPrepareData, reply, prep); err != nil {
		return err
	}
	step := s.dev.DataPacket
	if step <= 0 {
		step = len(part)
	}
	for len(part) > 0 {
		n := min(step, len(part))
		time.Sleep(gap)
		if err := s.send(cmdData, reply, part[:n]); err != nil {
			return err
		}
		part = part[n:]
	}
	time.Sleep(gap)
	return s.send(ackOK, reply, nil)
}

func (s *session) cutChunk(reply uint16, data []byte) error {
	part, ok := s.span(data)
	if !ok {
		return errClose
	}
	prep := make([]byte, 8)
	binary.LittleEndian.PutUint32(prep, uint32(len(part)))
	s.send(cmdPrepareData, reply, prep)
	f := frame(cmdData, s.id, reply, part)
	s.raw(f[:len(f)/2])
	return errClose
}

// UDPServer serves one Device over UDP: each datagram is one packet
// without the TCP frame header; sessions are told apart by the client's
// address.
type UDPServer struct {
	pc   net.PacketConn
	dev  *Device
	done chan struct{}
}

// ListenUDP starts serving dev over UDP on addr.
func ListenUDP(addr string, dev *Device) (*UDPServer, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	s := &UDPServer{pc: pc, dev: dev, done: make(chan struct{})}
	go s.serve()
	return s, nil
}

// Addr is the listening address.
func (s *UDPServer) Addr() string { return s.pc.LocalAddr().String() }

// Close stops serving.
func (s *UDPServer) Close() error {
	err := s.pc.Close()
	<-s.done
	return err
}

func (s *UDPServer) serve() {
	defer close(s.done)
	sessions := map[string]*session{}
	b := make([]byte, 1<<16)
	for {
		n, from, err := s.pc.ReadFrom(b)
		if err != nil {
			return
		}
		if n < 8 {
			continue
		}
		ss := sessions[from.String()]
		if ss == nil {
			ss = &session{dev: s.dev}
			ss.raw = func(f []byte) error {
				if len(f) > 8 && f[0] == 0x50 && f[1] == 0x50 {
					f = f[8:]
				}
				_, err := s.pc.WriteTo(f, from)
				return err
			}
			sessions[from.String()] = ss
		}
		p := append([]byte(nil), b[:n]...)
		cmd := binary.LittleEndian.Uint16(p[0:])
		reply := binary.LittleEndian.Uint16(p[6:])
		if err := ss.handle(cmd, reply, p[8:]); err != nil {
			delete(sessions, from.String()) // exit or cut: forget the session
		}
	}
}
