package zk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Errors a caller may test for with errors.Is; every error the client
// returns is an *Error naming the device's address.
var (
	// ErrUnauthorized: the device answered CMD_ACK_UNAUTH, the comm key is
	// wrong or missing.
	ErrUnauthorized = errors.New("the device refused the comm key (CMD_ACK_UNAUTH)")
	// ErrRefused: the device answered CMD_ACK_ERROR, typically because it is
	// busy (a menu open, an enrolment, another client).
	ErrRefused = errors.New("the device refused the command (CMD_ACK_ERROR): busy or unsupported")
	// ErrCount: the records read differ from the device's own record count.
	ErrCount = errors.New("the records read differ from the device's record count")
	// ErrTimeout: the device did not answer within the timeout.
	ErrTimeout = errors.New("no answer from the device within the timeout")
)

// Error is a failed operation on one device. It never holds the comm key.
type Error struct {
	Addr string // host:port as dialled
	Op   string // what the client was doing
	Err  error
}

func (e *Error) Error() string { return "zk device " + e.Addr + ": " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Dialer opens the TCP connection; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Options configure a client. The zero value is usable.
type Options struct {
	CommKey  uint32         // the device's communication key; 0 is the factory default
	Timeout  time.Duration  // bound on each connect, write and read; default 10s
	Location *time.Location // the zone the device clock shows; default UTC
	Dialer   Dialer         // default a net.Dialer
	// UDP speaks the protocol over UDP, for devices without TCP: the same
	// packets without the TCP frame header, one per datagram, and smaller
	// chunks.
	UDP bool
}

const defaultTimeout = 10 * time.Second

// Client is one session with one device. It is not safe for concurrent use:
// the protocol is one request, one reply, in order.
type Client struct {
	addr    string
	opt     Options
	conn    net.Conn
	session uint16
	reply   uint16
	// broken is set once the byte stream can no longer be trusted (an I/O
	// error, a timeout, a garbage reply): nothing more is sent on it.
	broken   bool
	buf      []byte            // the last packet read; reused
	userSize int               // the user entry size the device used, once read
	pins     map[uint16]string // UID to PIN, from the last ReadUsers
	out      []byte            // the frame being written; reused
}

// Dial connects to addr (host:port), opens a session and authenticates
// with the comm key when the device asks for one.
func Dial(ctx context.Context, addr string, opt Options) (*Client, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = defaultTimeout
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Dialer == nil {
		opt.Dialer = &net.Dialer{}
	}
	c := &Client{addr: addr, opt: opt}
	dctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	network := "tcp"
	if opt.UDP {
		network = "udp"
	}
	conn, err := opt.Dialer.DialContext(dctx, network, addr)
	if err != nil {
		if dctx.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w (%s)", ErrTimeout, opt.Timeout)
		}
		return nil, &Error{Addr: addr, Op: "connect", Err: err}
	}
	c.conn = conn
	if err := c.open(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// open sends CMD_CONNECT and, on CMD_ACK_UNAUTH, CMD_AUTH ([zkp]
// sections/terminal.md "Connection": session id and reply number zero, the
// session id taken from the reply).
func (c *Client) open(ctx context.Context) error {
	p, err := c.exchange(ctx, CmdConnect, nil)
	if err != nil {
		return c.fail("connect", err)
	}
	c.session = p.Session
	switch p.Command {
	case AckOK:
		return nil
	case AckUnauth:
		// A device with a key answers UNAUTH; key 0 is tried too, the SDK's
		// default.
		key := CommKey(c.opt.CommKey, c.session, 50)
		p, err = c.exchange(ctx, CmdAuth, key[:])
		if err != nil {
			return c.fail("authenticate", err)
		}
		if p.Command != AckOK {
			return c.fail("authenticate", replyError(p))
		}
		return nil
	}
	return c.fail("connect", replyError(p))
}

// Addr is the device's address as dialled.
func (c *Client) Addr() string { return c.addr }

// Close ends the session with CMD_EXIT and closes the connection.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	if !c.broken {
		ctx, cancel := context.WithTimeout(context.Background(), c.opt.Timeout)
		_, _ = c.exchange(ctx, CmdExit, nil) // the device may close first
		cancel()
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

func (c *Client) fail(op string, err error) error {
	if !errors.Is(err, ErrRefused) && !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrCount) {
		c.broken = true
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Addr: c.addr, Op: op, Err: err}
}

// replyError explains a reply that is not the one expected.
func replyError(p Packet) error {
	switch p.Command {
	case AckError:
		return ErrRefused
	case AckUnauth:
		return ErrUnauthorized
	case AckUnknown:
		return errors.New("the device does not know the command (CMD_ACK_UNKNOWN)")
	}
	return fmt.Errorf("%w: unexpected reply code %d", ErrProtocol, p.Command)
}

// deadline bounds one I/O step: the timeout, or the context's deadline when
// that comes first.
func (c *Client) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(c.opt.Timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// exchange sends one command and reads its first reply packet.
func (c *Client) exchange(ctx context.Context, cmd uint16, data []byte) (Packet, error) {
	if c.conn == nil {
		return Packet{}, errors.New("the client is closed")
	}
	if c.broken {
		return Packet{}, errors.New("the connection failed earlier; reconnect")
	}
	if err := ctx.Err(); err != nil {
		return Packet{}, err
	}
	if cmd == CmdConnect {
		c.session, c.reply = 0, 0
	} else {
		c.reply++
	}
	c.out = AppendFrame(c.out[:0], Packet{Command: cmd, Session: c.session, Reply: c.reply, Data: data})
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.conn.SetWriteDeadline(c.deadline(ctx))
	out := c.out
	if c.opt.UDP {
		out = out[frameHeaderLen:]
	}
	if _, err := c.conn.Write(out); err != nil {
		return Packet{}, c.ioError(ctx, err)
	}
	return c.read(ctx)
}

// read reads the next packet of the current exchange: its reply number and
// (after connect) its session must match.
func (c *Client) read(ctx context.Context) (Packet, error) {
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.conn.SetReadDeadline(c.deadline(ctx))
	if c.opt.UDP {
		if cap(c.buf) < maxPayload {
			c.buf = make([]byte, maxPayload)
		}
		c.buf = c.buf[:maxPayload]
		n, err := c.conn.Read(c.buf)
		if err != nil {
			return Packet{}, c.ioError(ctx, err)
		}
		return c.check(c.buf[:n])
	}
	var h [frameHeaderLen]byte
	if _, err := io.ReadFull(c.conn, h[:]); err != nil {
		return Packet{}, c.ioError(ctx, err)
	}
	n, err := ParseFrameHeader(h[:])
	if err != nil {
		return Packet{}, err
	}
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	if _, err := io.ReadFull(c.conn, c.buf); err != nil {
		return Packet{}, c.ioError(ctx, err)
	}
	return c.check(c.buf)
}

// check parses a reply and matches it to the request.
func (c *Client) check(payload []byte) (Packet, error) {
	p, err := ParsePacket(payload)
	if err != nil {
		return Packet{}, err
	}
	if p.Reply != c.reply {
		return Packet{}, fmt.Errorf("%w: reply number %d answers request %d", ErrProtocol, p.Reply, c.reply)
	}
	if c.session != 0 && p.Session != c.session {
		return Packet{}, fmt.Errorf("%w: reply for session %d, ours is %d", ErrProtocol, p.Session, c.session)
	}
	return p, nil
}

func (c *Client) ioError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w (%s)", ErrTimeout, c.opt.Timeout)
	}
	if errors.Is(err, syscall.ECONNREFUSED) && c.opt.UDP {
		return fmt.Errorf("nothing listens on this UDP port: %w", err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the device closed the connection: %w", err)
	}
	return err
}

// simple runs a command whose only good answer is CMD_ACK_OK.
func (c *Client) simple(ctx context.Context, op string, cmd uint16, data []byte) (Packet, error) {
	p, err := c.exchange(ctx, cmd, data)
	if err != nil {
		return p, c.fail(op, err)
	}
	if p.Command != AckOK {
		return p, c.fail(op, replyError(p))
	}
	return p, nil
}

// Disable locks the device's keypad and readers ([zkp] "Read All User IDs":
// reads are bracketed by CMD_DISABLEDEVICE and CMD_ENABLEDEVICE).
func (c *Client) Disable(ctx context.Context) error {
	_, err := c.simple(ctx, "disable device", CmdDisableDevice, nil)
	return err
}

// Enable returns the device to normal work.
func (c *Client) Enable(ctx context.Context) error {
	_, err := c.simple(ctx, "enable device", CmdEnableDevice, nil)
	return err
}

// WhileDisabled disables the device, runs fn and re-enables the device
// whatever happened. When this session broke (a cut, a timeout, a garbage
// reply), the device is re-enabled over a fresh session, so an error never
// leaves it disabled while it can be reached at all.
func (c *Client) WhileDisabled(ctx context.Context, fn func() error) (err error) {
	if err := c.Disable(ctx); err != nil {
		if c.broken {
			// The command may have reached the device before the session
			// broke; make sure it is enabled.
			return errors.Join(err, c.reenable(ctx))
		}
		return err
	}
	defer func() { err = errors.Join(err, c.reenable(ctx)) }()
	return fn()
}

func (c *Client) reenable(ctx context.Context) error {
	// The caller's context may be what ended the read; re-enabling still
	// gets its own timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*c.opt.Timeout)
	defer cancel()
	if !c.broken {
		if err := c.Enable(ctx); err == nil || !c.broken {
			return err
		}
	}
	fresh, err := Dial(ctx, c.addr, c.opt)
	if err != nil {
		return &Error{Addr: c.addr, Op: "re-enable device over a new session", Err: err}
	}
	defer fresh.Close()
	return fresh.Enable(ctx)
}

// Sizes reads the user and record counts and capacities.
func (c *Client) Sizes(ctx context.Context) (Sizes, error) {
	p, err := c.simple(ctx, "read free sizes", CmdGetFreeSizes, nil)
	if err != nil {
		return Sizes{}, err
	}
	s, err := ParseSizes(p.Data)
	if err != nil {
		return Sizes{}, c.fail("read free sizes", err)
	}
	return s, nil
}

// Time reads the device clock ([zkp] sections/terminal.md "Get Time").
func (c *Client) Time(ctx context.Context) (time.Time, error) {
	p, err := c.simple(ctx, "read device time", CmdGetTime, nil)
	if err != nil {
		return time.Time{}, err
	}
	if len(p.Data) < 4 {
		return time.Time{}, c.fail("read device time", fmt.Errorf("%w: time reply of %d bytes", ErrProtocol, len(p.Data)))
	}
	return DecodeTime(binary.LittleEndian.Uint32(p.Data), c.opt.Location), nil
}

// Drift reads the device clock and returns how far it is ahead of the host
// (negative: behind), against the host time halfway through the request.
// The device clock has whole seconds, so the drift is good to about one.
func (c *Client) Drift(ctx context.Context) (device time.Time, drift time.Duration, err error) {
	sent := time.Now()
	device, err = c.Time(ctx)
	if err != nil {
		return device, 0, err
	}
	mid := sent.Add(time.Since(sent) / 2)
	return device, device.Sub(mid.Truncate(time.Second)), nil
}

// SetTime sets the device clock to t's wall clock in the device's zone,
// then refreshes the device so it takes effect ("Set Time").
func (c *Client) SetTime(ctx context.Context, t time.Time) error {
	v, err := EncodeTime(t.In(c.opt.Location))
	if err != nil {
		return &Error{Addr: c.addr, Op: "set device time", Err: err}
	}
	if _, err := c.simple(ctx, "set device time", CmdSetTime, binary.LittleEndian.AppendUint32(nil, v)); err != nil {
		return err
	}
	_, err = c.simple(ctx, "refresh after setting the time", CmdRefreshData, nil)
	return err
}

// Option reads one configuration value by name, e.g. "~SerialNumber"
// ([zkp] "Generic Read of Parameters": the reply is "name=value\0").
func (c *Client) Option(ctx context.Context, name string) (string, error) {
	p, err := c.exchange(ctx, CmdOptionsRRQ, append([]byte(name), 0))
	if err != nil {
		return "", c.fail("read option "+name, err)
	}
	switch p.Command {
	case AckOK:
	case AckError:
		return "", nil // the firmware does not have that option
	default:
		return "", c.fail("read option "+name, replyError(p))
	}
	s := cstr(p.Data)
	_, v, ok := strings.Cut(s, "=")
	if !ok {
		return "", c.fail("read option "+name, fmt.Errorf("%w: option reply %q has no '='", ErrProtocol, s))
	}
	return v, nil
}

// Info is what identifies a device.
type Info struct {
	Serial, Firmware, Platform, DeviceName string
}

// Info reads serial number, firmware version, platform and device name.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var in Info
	var err error
	if in.Serial, err = c.Option(ctx, "~SerialNumber"); err != nil {
		return in, err
	}
	if in.Platform, err = c.Option(ctx, "~Platform"); err != nil {
		return in, err
	}
	if in.DeviceName, err = c.Option(ctx, "~DeviceName"); err != nil {
		return in, err
	}
	p, err := c.simple(ctx, "read firmware version", CmdGetVersion, nil)
	if err != nil {
		return in, err
	}
	in.Firmware = cstr(p.Data)
	return in, nil
}
