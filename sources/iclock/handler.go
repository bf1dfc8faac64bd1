// Package iclock receives the punches ZKTeco terminals push over HTTP (the
// "ADMS" or iclock push protocol) and stores each upload before it tells the
// device "OK", so a crash never loses a record the device thinks delivered.
//
// The requests and replies follow ZKTeco's published PUSH SDK descriptions:
// "PUSH SDK HTTP Protocol V3.2.0" (2018) and "Attendance PUSH Communication
// Protocol" (doc 4.8, 2024), as found in public copies:
//
//	GET  /iclock/cdata?SN=..&options=all[&pushver=..]  handshake: options and stamps
//	POST /iclock/cdata?SN=..&table=ATTLOG&Stamp=..     punches, tab-separated lines
//	POST /iclock/cdata?SN=..&table=OPERLOG&OpStamp=..  operation log, user data (counted)
//	GET  /iclock/getrequest?SN=..                      heartbeat and command poll ("C:ID:SET OPTION DateTime=.." sets the clock)
//	POST /iclock/devicecmd?SN=..                       command results
//	GET  /iclock/rtdata?SN=..&type=time                the device sets its clock from ours
//
// The ".aspx" spellings some firmware uses are accepted too.
package iclock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/pushstore"
)

// Store is what the handler needs of the durable store (pushstore.Store).
type Store interface {
	// Save commits an upload durably; pushstore.ErrNotAllowed for a
	// serial that is not allowed.
	Save(ctx context.Context, b pushstore.Batch) (pushstore.Result, error)
	// Touch records a call and returns the registry row, adding an
	// unknown serial as pending (first is then true).
	Touch(ctx context.Context, serial, remote, info string) (d pushstore.Device, first bool, err error)
	Stamps(ctx context.Context, serial string) (map[string]string, error)
	// TakeCommands marks up to max queued commands sent, each body
	// rewritten by expand first (what is stored is what was sent).
	TakeCommands(ctx context.Context, serial string, max int, expand func(string) string) ([]pushstore.Command, error)
	CommandResults(ctx context.Context, serial string, rs []pushstore.CommandResult) (unknown int, err error)
}

// Config sets the handler up. Zero values take the defaults noted.
type Config struct {
	Store Store
	Log   *slog.Logger // nil: slog.Default()

	MaxBody     int64 // bytes per upload; default 4 MiB (a device sends a few hundred records per POST)
	MaxCommands int   // commands per poll; default 16

	// What the handshake tells the device (PUSH SDK "options" reply).
	ErrorDelay    int    // seconds before retrying after a failure; default 60
	Delay         int    // seconds between polls; default 30
	TransTimes    string // daily upload times; default "00:00;14:05"
	TransInterval int    // minutes between checks for new data; default 1
	Realtime      bool   // upload each punch as it happens, not only at TransInterval; default off

	// Zone is the time zone of a device whose registry row names none,
	// for the clock it is given (rtdata, the queued clock command); nil: UTC.
	Zone *time.Location
	Now  func() time.Time // nil: time.Now
}

// Handler is the push endpoint.
type Handler struct {
	c   Config
	log *slog.Logger
}

// New returns the handler for cfg.
func New(cfg Config) *Handler {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 4 << 20
	}
	if cfg.MaxCommands <= 0 {
		cfg.MaxCommands = 16
	}
	if cfg.ErrorDelay <= 0 {
		cfg.ErrorDelay = 60
	}
	if cfg.Delay <= 0 {
		cfg.Delay = 30
	}
	if cfg.TransTimes == "" {
		cfg.TransTimes = "00:00;14:05"
	}
	if cfg.TransInterval <= 0 {
		cfg.TransInterval = 1
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{c: cfg, log: cfg.Log}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, ".aspx")
	q := r.URL.Query()
	sn := q.Get("SN")
	if path != "/iclock/ping" && !ValidSerial(sn) {
		http.Error(w, "bad SN", http.StatusBadRequest)
		return
	}
	switch {
	case path == "/iclock/cdata" && r.Method == http.MethodGet:
		h.handshake(w, r, sn)
	case path == "/iclock/cdata" && r.Method == http.MethodPost:
		h.upload(w, r, sn)
	case path == "/iclock/getrequest" && r.Method == http.MethodGet:
		h.poll(w, r, sn)
	case path == "/iclock/devicecmd" && r.Method == http.MethodPost:
		h.results(w, r, sn)
	case path == "/iclock/rtdata" && r.Method == http.MethodGet:
		h.clock(w, r, sn)
	case path == "/iclock/ping":
		// Newer firmware pings while it works through a long upload.
		reply(w, "OK")
	case path == "/iclock/cdata" || path == "/iclock/getrequest" || path == "/iclock/devicecmd":
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

// ValidSerial bounds what a serial may be before it reaches a log line or
// the database: ZKTeco serials are short letters and digits.
func ValidSerial(sn string) bool {
	if sn == "" || len(sn) > 32 {
		return false
	}
	for _, c := range []byte(sn) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// info is the INFO a poll carries (PUSH SDK: firmware version, users,
// fingerprints, records, IP, algorithm versions...), printable ASCII only,
// since it goes to the registry and to listings.
func info(r *http.Request) string {
	v := r.URL.Query().Get("INFO")
	if strings.IndexFunc(v, func(c rune) bool { return c < 0x20 || c > 0x7e }) >= 0 {
		return ""
	}
	return v
}

// validStamp: a stamp is the device's counter, digits only.
func validStamp(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func reply(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, body)
}

// refuse answers a device that is not allowed. The warning is logged on its
// first call only (it is listed as pending from then on): a refused device
// retries every ErrorDelay and would fill the log.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, d pushstore.Device, first bool) {
	level := slog.LevelDebug
	if first {
		level = slog.LevelWarn
	}
	h.log.Log(r.Context(), level, "iclock: refused a device that is not allowed; it is listed as pending", "serial", d.Serial, "remote", r.RemoteAddr, "path", r.URL.Path)
	http.Error(w, "device not registered", http.StatusForbidden)
}

func (h *Handler) fail(w http.ResponseWriter, sn, what string, err error) {
	h.log.Error("iclock: "+what, "serial", sn, "err", err)
	http.Error(w, "server error", http.StatusInternalServerError)
}

// allowed records the call and tells whether the device may go on.
func (h *Handler) allowed(w http.ResponseWriter, r *http.Request, sn string) bool {
	_, ok := h.device(w, r, sn)
	return ok
}

// device records the call and returns the registry row of a device that
// may go on.
func (h *Handler) device(w http.ResponseWriter, r *http.Request, sn string) (pushstore.Device, bool) {
	d, first, err := h.c.Store.Touch(r.Context(), sn, r.RemoteAddr, info(r))
	if err != nil {
		h.fail(w, sn, "registry", err)
		return d, false
	}
	if !d.Allowed {
		h.refuse(w, r, d, first)
		return d, false
	}
	return d, true
}

// clock answers GET /iclock/rtdata?type=time, the request with which push
// firmware sets its clock ("Attendance PUSH Communication Protocol",
// appendix 5): "DateTime=N,ServerTZ=+HHMM", N the UTC time in ZKTeco's
// encoding and ServerTZ the offset of the device's zone from the registry
// (or the configured default). This is how a pushing device's clock is
// set: on its boot, and at the intervals its firmware keeps.
func (h *Handler) clock(w http.ResponseWriter, r *http.Request, sn string) {
	d, ok := h.device(w, r, sn)
	if !ok {
		return
	}
	if r.URL.Query().Get("type") != "time" {
		reply(w, "OK")
		return
	}
	now := h.c.Now()
	_, off := now.In(h.zone(d)).Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	reply(w, fmt.Sprintf("DateTime=%d,ServerTZ=%c%02d%02d", EncodeTime(now.UTC()), sign, off/3600, off/60%60))
}

// zone is the device's clock zone: its registry row's, else the default.
func (h *Handler) zone(d pushstore.Device) *time.Location {
	if d.TimeZone != "" {
		if l, err := time.LoadLocation(d.TimeZone); err == nil {
			return l
		}
	}
	return h.c.Zone
}

// EncodeTime is ZKTeco's packing of a date and time into seconds, the one
// the push protocol's rtdata reply and the device protocol use:
// ((year-2000)*12*31 + (month-1)*31 + day-1)*86400 + (hour*60+minute)*60 + second.
func EncodeTime(t time.Time) int64 {
	days := int64(t.Year()-2000)*12*31 + int64(t.Month()-1)*31 + int64(t.Day()-1)
	return days*86400 + int64(t.Hour()*3600+t.Minute()*60+t.Second())
}

// handshake answers GET /iclock/cdata?options=all with the options the
// PUSH SDK lists ("GET OPTION FROM: SN" and one key=value a line). Firmware
// of push version 2 and later reads per-table stamps (ATTLOGStamp,
// OPERLOGStamp, ATTPHOTOStamp) and a TransFlag of table names; older firmware
// reads Stamp, OpStamp, PhotoStamp and a TransFlag of ten 0/1 flags. Each
// generation ignores the other's keys, so both sets of stamps are sent.
// A device without a saved stamp gets 0: it uploads its whole log once, and
// the store drops what it already holds.
func (h *Handler) handshake(w http.ResponseWriter, r *http.Request, sn string) {
	if !h.allowed(w, r, sn) {
		return
	}
	st, err := h.c.Store.Stamps(r.Context(), sn)
	if err != nil {
		h.fail(w, sn, "stamps", err)
		return
	}
	get := func(table string) string {
		if v := st[table]; v != "" {
			return v
		}
		return "0"
	}
	realtime := 0
	if h.c.Realtime {
		realtime = 1
	}
	transFlag := "1111000000" // old firmware: AttLog, OpLog, AttPhoto, EnrollUser on
	if pv := r.URL.Query().Get("pushver"); pv != "" && pv[0] >= '2' && pv[0] <= '9' {
		transFlag = "TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET OPTION FROM: %s\n", sn)
	fmt.Fprintf(&b, "ATTLOGStamp=%s\nOPERLOGStamp=%s\nATTPHOTOStamp=%s\n", get("ATTLOG"), get("OPERLOG"), get("ATTPHOTO"))
	fmt.Fprintf(&b, "Stamp=%s\nOpStamp=%s\nPhotoStamp=%s\n", get("ATTLOG"), get("OPERLOG"), get("ATTPHOTO"))
	fmt.Fprintf(&b, "ErrorDelay=%d\nDelay=%d\nTransTimes=%s\nTransInterval=%d\n", h.c.ErrorDelay, h.c.Delay, h.c.TransTimes, h.c.TransInterval)
	fmt.Fprintf(&b, "TransFlag=%s\nRealtime=%d\nEncrypt=0\n", transFlag, realtime)
	reply(w, b.String())
}

// upload stores a POST /iclock/cdata and only then answers "OK: N", N the
// records accepted. Malformed lines are stored as such (and logged with
// their count), not retried: a device resends a refused batch forever.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, sn string) {
	q := r.URL.Query()
	table := strings.ToUpper(q.Get("table"))
	if table == "" || len(table) > 16 || strings.IndexFunc(table, func(c rune) bool { return (c < 'A' || c > 'Z') && (c < '0' || c > '9') }) >= 0 {
		http.Error(w, "bad table", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.c.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.log.Warn("iclock: upload too large, nothing stored", "serial", sn, "table", table, "limit", h.c.MaxBody)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.log.Warn("iclock: upload cut short, nothing stored", "serial", sn, "table", table, "err", err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	b := pushstore.Batch{Serial: sn, Table: table}
	stamp := q.Get("Stamp")
	var accepted int
	switch table {
	case "ATTLOG":
		b.Punches, b.Bad = ParseATTLOG(body)
		accepted = len(b.Punches)
	case "OPERLOG", "USERINFO":
		if table == "OPERLOG" && q.Get("OpStamp") != "" {
			stamp = q.Get("OpStamp")
		}
		b.Others, b.Bad = ParseOther(body)
		accepted = b.Others
	default:
		// options, ATTPHOTO, templates...: lines of their own layouts,
		// counted so the device moves on.
		eachLine(body, func(int, string) { b.Others++ })
		accepted = b.Others
	}
	if validStamp(stamp) {
		b.Stamp = stamp
	}
	res, err := h.c.Store.Save(r.Context(), b)
	if errors.Is(err, pushstore.ErrNotAllowed) {
		d, first, err := h.c.Store.Touch(r.Context(), sn, r.RemoteAddr, "")
		if err != nil {
			h.fail(w, sn, "registry", err)
			return
		}
		h.refuse(w, r, d, first)
		return
	}
	if err != nil {
		h.fail(w, sn, "store "+table+", nothing acknowledged", err)
		return
	}
	if res.Bad > 0 {
		h.log.Warn("iclock: malformed lines stored aside", "serial", sn, "table", table, "bad", res.Bad, "first_line", b.Bad[0].Line, "first_reason", b.Bad[0].Reason)
	}
	h.log.Debug("iclock: upload stored", "serial", sn, "table", table, "accepted", accepted, "added", res.Added, "duplicates", res.Duplicates, "bad", len(b.Bad))
	reply(w, "OK: "+strconv.Itoa(accepted))
}

// poll answers GET /iclock/getrequest: "OK" when nothing is queued, else the
// queued commands, one "C:ID:COMMAND" a line (PUSH SDK "Get command"), a
// clock command with the time of this answer.
func (h *Handler) poll(w http.ResponseWriter, r *http.Request, sn string) {
	d, ok := h.device(w, r, sn)
	if !ok {
		return
	}
	// A clock command gets the device's wall clock as of this poll.
	wall := h.c.Now().In(h.zone(d))
	cs, err := h.c.Store.TakeCommands(r.Context(), sn, h.c.MaxCommands, func(body string) string { return ExpandTime(body, wall) })
	if err != nil {
		h.fail(w, sn, "commands", err)
		return
	}
	if len(cs) == 0 {
		reply(w, "OK")
		return
	}
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "C:%d:%s\n", c.ID, c.Body)
	}
	reply(w, b.String())
}

// results stores a POST /iclock/devicecmd and answers "OK".
func (h *Handler) results(w http.ResponseWriter, r *http.Request, sn string) {
	if !h.allowed(w, r, sn) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.c.MaxBody))
	if err != nil {
		http.Error(w, "bad body", http.StatusRequestEntityTooLarge)
		return
	}
	rs, bad := ParseCommandResults(body)
	unknown, err := h.c.Store.CommandResults(r.Context(), sn, rs)
	if err != nil {
		h.fail(w, sn, "command results", err)
		return
	}
	if len(bad) > 0 || unknown > 0 {
		h.log.Warn("iclock: command results not matched", "serial", sn, "malformed", len(bad), "unknown_ids", unknown)
	}
	reply(w, "OK")
}
