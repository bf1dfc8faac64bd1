// Package iclocksim is a ZKTeco push device for tests and benchmarks, built
// from the published request formats (PUSH SDK V3.2.0): the handshake, ATTLOG
// uploads in the real tab-separated layout, command polls and results, and
// the clock request, in the order a terminal makes them. It imports nothing
// of hrsync's, so it checks the server from the outside.
package iclocksim

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Device is one simulated terminal.
type Device struct {
	Base    string // http://host:port
	SN      string
	PushVer string // "" for old firmware
	Client  *http.Client

	mu     sync.Mutex
	offset time.Duration // the wall clock's lead over the host's UTC clock
}

// SetClock sets the device's wall clock to wall's reading (its zone is
// dropped: a terminal's clock has none); it runs on from there.
func (d *Device) SetClock(wall time.Time) {
	naive := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), time.UTC)
	d.mu.Lock()
	d.offset = naive.Sub(time.Now().UTC())
	d.mu.Unlock()
}

// Clock is the device's wall clock now, as a time in UTC whose reading is
// the wall clock's (the host's UTC clock until SetClock).
func (d *Device) Clock() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Now().UTC().Add(d.offset).Truncate(time.Second)
}

func (d *Device) url(path string, kv ...string) string {
	q := url.Values{"SN": {d.SN}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return d.Base + path + "?" + q.Encode()
}

// Do makes one request and returns the status and the body.
func (d *Device) Do(method, path, body string, kv ...string) (int, string, error) {
	req, err := http.NewRequest(method, d.url(path, kv...), strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", "iClock Proxy/1.09")
	c := d.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// Handshake sends GET /iclock/cdata?options=all and returns the options
// the server answered ("FROM" holds the serial of "GET OPTION FROM:").
func (d *Device) Handshake() (int, map[string]string, error) {
	kv := []string{"options", "all", "language", "69"}
	if d.PushVer != "" {
		kv = append(kv, "pushver", d.PushVer)
	}
	code, body, err := d.Do("GET", "/iclock/cdata", "", kv...)
	opts := map[string]string{}
	for _, l := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			opts[k] = v
		} else if s, ok := strings.CutPrefix(l, "GET OPTION FROM: "); ok {
			opts["FROM"] = s
		}
	}
	return code, opts, err
}

// AttLine is one ATTLOG record in the layout of current firmware: PIN,
// time, status, verify, workcode and five reserved fields.
func AttLine(pin string, t time.Time, state, verify int) string {
	return fmt.Sprintf("%s\t%s\t%d\t%d\t0\t0\t0\t0\t0\t0", pin, t.Format("2006-01-02 15:04:05"), state, verify)
}

// Upload posts lines to ATTLOG with the device's new stamp and returns
// the count the server acknowledged ("OK: N"), or -1 with the status when
// it did not say OK.
func (d *Device) Upload(stamp int, lines []string) (int, int, error) {
	code, body, err := d.Do("POST", "/iclock/cdata", strings.Join(lines, "\n")+"\n", "table", "ATTLOG", "Stamp", strconv.Itoa(stamp))
	if err != nil || code != http.StatusOK {
		return code, -1, err
	}
	s, ok := strings.CutPrefix(body, "OK: ")
	if !ok {
		return code, -1, fmt.Errorf("reply %q", body)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return code, n, err
}

// Command is one "C:ID:BODY" line of a poll's answer.
type Command struct {
	ID   int64
	Body string
}

// Poll sends GET /iclock/getrequest (the heartbeat) and returns the
// commands the answer holds.
func (d *Device) Poll() (int, []Command, error) {
	code, body, err := d.Do("GET", "/iclock/getrequest", "", "INFO", "Ver 6.60 Apr 28 2017,2,0,100,192.168.1.201,10,7,15,0,111")
	var cs []Command
	for _, l := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(l, "C:")
		if !ok {
			continue
		}
		id, cmd, _ := strings.Cut(rest, ":")
		n, _ := strconv.ParseInt(id, 10, 64)
		cs = append(cs, Command{ID: n, Body: cmd})
	}
	return code, cs, err
}

// Results posts POST /iclock/devicecmd: "ID=..&Return=..&CMD=.." a line.
func (d *Device) Results(cs []Command, ret int) (int, error) {
	var b strings.Builder
	for _, c := range cs {
		word, _, _ := strings.Cut(c.Body, " ")
		fmt.Fprintf(&b, "ID=%d&Return=%d&CMD=%s\n", c.ID, ret, word)
	}
	code, _, err := d.Do("POST", "/iclock/devicecmd", b.String())
	return code, err
}

// Execute runs cs as a terminal does and returns each one's Return code
// (0 done, -1 a bad parameter, as the protocol's error table has them).
// "SET OPTION DateTime=V" sets the clock, V being ZKTeco's packed seconds
// or "YYYY-MM-DD hh:mm:ss" (the two forms public servers send); the other
// commands are taken as done.
func (d *Device) Execute(cs []Command) []int {
	rets := make([]int, len(cs))
	for i, c := range cs {
		v, ok := strings.CutPrefix(c.Body, "SET OPTION DateTime=")
		if !ok {
			continue
		}
		wall, err := parseClock(v)
		if err != nil {
			rets[i] = -1
			continue
		}
		d.SetClock(wall)
	}
	return rets
}

func parseClock(v string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02 15:04:05", v); err == nil {
		return t, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("iclocksim: DateTime %q", v)
	}
	// ZKTeco's packing, decoded as the terminal's firmware does: months
	// of 31 days, years of 12 such months, from 2000.
	sec, n := n%60, n/60
	minute, n := n%60, n/60
	hour, n := n%24, n/24
	day, n := n%31+1, n/31
	month, year := n%12+1, n/12+2000
	return time.Date(int(year), time.Month(month), int(day), int(hour), int(minute), int(sec), 0, time.UTC), nil
}

// Work is one round of a terminal's command loop: poll, run what came
// (Execute) and post each result with its own code and the command word
// the protocol names ("SET OPTION" for the option command, else the
// first word). It returns the commands it ran.
func (d *Device) Work() ([]Command, error) {
	code, cs, err := d.Poll()
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("iclocksim: poll answered %d", code)
	}
	if len(cs) == 0 {
		return nil, nil
	}
	rets := d.Execute(cs)
	var b strings.Builder
	for i, c := range cs {
		word, _, _ := strings.Cut(c.Body, " ")
		if strings.HasPrefix(c.Body, "SET OPTION ") {
			word = "SET OPTION"
		}
		fmt.Fprintf(&b, "ID=%d&Return=%d&CMD=%s\n", c.ID, rets[i], word)
	}
	code, _, err = d.Do("POST", "/iclock/devicecmd", b.String())
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("iclocksim: results answered %d", code)
	}
	return cs, err
}
