// Package httpsink delivers punches to an HR system's HTTPS API. Batches
// are encoded into parts (JSON or CSV, zipped when large) that go through
// the outbox, then sent one request per part with the part's idempotency
// key in a header.
package httpsink

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/mapping"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxPartBytes      = 20 << 20
	DefaultZipAboveBytes     = 1 << 20
	DefaultBatchSize         = 1000
	DefaultIdempotencyHeader = "Idempotency-Key"
	DefaultTimeLayout        = time.RFC3339
	// KindPunches is the outbox event kind of punch parts.
	KindPunches = "punches"
)

// Our punch fields, the keys of Config.Fields.
const (
	FieldEmployeeID = "employee_id"
	FieldTime       = "time"
	FieldDirection  = "direction"
	FieldDeviceID   = "device_id"
	FieldSource     = "source"
	FieldSourceKey  = "source_key"
)

// Fields are the keys Config.Fields accepts, in body order; the default
// body is every field under its own name.
var Fields = []string{FieldEmployeeID, FieldTime, FieldDirection, FieldDeviceID, FieldSource, FieldSourceKey}

// CheckField checks one entry of Config.Fields as New does; config calls it
// so that config check rejects what a run would.
func CheckField(field, name string) error {
	if !slices.Contains(Fields, field) {
		return fmt.Errorf("unknown field %q (want one of %s)", field, strings.Join(Fields, ", "))
	}
	if name == "" {
		return fmt.Errorf("%s maps to an empty name", field)
	}
	return nil
}

// Body formats.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// Formats are the values Config.Format accepts, in any case ("" is json).
var Formats = []string{FormatJSON, FormatCSV}

// ParseFormat reads a body format as New does: case is ignored and ""
// means json. Config calls it, so the list is declared once, here.
func ParseFormat(s string) (string, error) {
	f, err := setting.Choice(strings.ToLower(s), FormatJSON, Formats)
	if err != nil {
		return "", fmt.Errorf("%q: want %s", s, strings.Join(Formats, ", ")) // as written, not folded
	}
	return f, nil
}

// Zip modes.
const (
	ZipNever  = "never"
	ZipAuto   = "auto"
	ZipAlways = "always"
)

// ZipModes are the values Config.Zip accepts ("" is never).
var ZipModes = []string{ZipNever, ZipAuto, ZipAlways}

// ParseZip reads a zip mode as New does: "" means never.
func ParseZip(s string) (string, error) {
	return setting.Choice(s, ZipNever, ZipModes)
}

// Config describes the punch endpoint.
type Config struct {
	// Target names this endpoint in the outbox; default the URL's host and path.
	Target string
	URL    string
	Method string // default POST
	Format string // json (default) or csv
	// Fields maps our field to the target's field name, e.g.
	// {"employee_id": "empCode", "time": "punchTime"}. Only mapped fields
	// are sent, in the order of Fields. Empty: every field, our names.
	Fields map[string]string
	// DirectionValues maps our direction to the target's code, e.g.
	// {"in": "0", "out": "1"}; unmapped directions go as they are.
	DirectionValues map[string]string
	// JSONRoot wraps the JSON array in an object under this key, e.g.
	// "punches" sends {"punches": [...]}. Empty sends a bare array.
	JSONRoot string
	// TimeLayout formats punch times (Go layout); default RFC 3339.
	TimeLayout string
	// Location is the zone times are written in; default UTC.
	Location *time.Location
	// MaxPartBytes bounds one request body before zipping; default 20 MB.
	MaxPartBytes int64
	// Zip: never (default), always, or auto (parts above ZipAboveBytes).
	Zip           string
	ZipAboveBytes int64
	// BatchSize bounds the punches in one part; default 1000.
	BatchSize         int
	HTTP              httpx.Config
	IdempotencyHeader string // default Idempotency-Key
}

// Sink encodes and sends punch parts.
type Sink struct {
	cfg    Config
	fields []string // our field names, in body order
	names  []string // the target's names for them
	client *httpx.Client
}

// New checks the configuration and builds the sink and its HTTP client.
func New(cfg Config) (*Sink, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("httpsink: url: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("httpsink: url %s: want an https:// URL", u.Redacted())
	}
	if cfg.Target == "" {
		cfg.Target = u.Host + u.Path
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	if cfg.Format, err = ParseFormat(cfg.Format); err != nil {
		return nil, fmt.Errorf("httpsink: format %w", err)
	}
	if cfg.TimeLayout == "" {
		cfg.TimeLayout = DefaultTimeLayout
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.MaxPartBytes <= 0 {
		cfg.MaxPartBytes = DefaultMaxPartBytes
	}
	if cfg.Zip, err = ParseZip(cfg.Zip); err != nil {
		return nil, fmt.Errorf("httpsink: zip %w", err)
	}
	if cfg.ZipAboveBytes <= 0 {
		cfg.ZipAboveBytes = DefaultZipAboveBytes
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.IdempotencyHeader == "" {
		cfg.IdempotencyHeader = DefaultIdempotencyHeader
	}
	s := &Sink{cfg: cfg}
	for field, name := range cfg.Fields {
		if err := CheckField(field, name); err != nil {
			return nil, fmt.Errorf("httpsink: fields: %w", err)
		}
	}
	for _, field := range Fields {
		name := field
		if len(cfg.Fields) > 0 {
			var ok bool
			if name, ok = cfg.Fields[field]; !ok {
				continue
			}
		}
		s.fields, s.names = append(s.fields, field), append(s.names, name)
	}
	httpCfg := cfg.HTTP
	httpCfg.BaseURL = ""
	if s.client, err = httpx.New(httpCfg); err != nil {
		return nil, fmt.Errorf("httpsink: %w", err)
	}
	return s, nil
}

// Target is the outbox target name of this sink's events.
func (s *Sink) Target() string { return s.cfg.Target }

func (s *Sink) value(p *mapping.Punch, field string) string {
	switch field {
	case FieldEmployeeID:
		return p.EmployeeID
	case FieldTime:
		return p.Time.In(s.cfg.Location).Format(s.cfg.TimeLayout)
	case FieldDirection:
		if v, ok := s.cfg.DirectionValues[string(p.Direction)]; ok {
			return v
		}
		return string(p.Direction)
	case FieldDeviceID:
		return p.DeviceID
	case FieldSource:
		return p.Source
	case FieldSourceKey:
		return p.SourceKey
	}
	return ""
}

// Encode turns a batch into outbox events: parts of at most BatchSize
// punches and MaxPartBytes bytes each, zipped as configured. Encoding is
// deterministic, so the same punches give the same parts and the same
// idempotency keys on a rerun.
func (s *Sink) Encode(batch []mapping.Punch) ([]outbox.Event, error) {
	events, _, err := s.EncodeParts(batch)
	return events, err
}

// EncodeParts is Encode that also says how many punches each event holds:
// events[0] holds batch[:counts[0]], the next one the counts[1] after, and
// so on, so a caller can tell each punch's fate from its event's.
func (s *Sink) EncodeParts(batch []mapping.Punch) (events []outbox.Event, counts []int, err error) {
	var part partWriter
	flush := func() error {
		if part == nil || part.count() == 0 {
			return nil
		}
		e, err := s.event(part)
		if err != nil {
			return err
		}
		events, counts = append(events, e), append(counts, part.count())
		part = nil
		return nil
	}
	for i := range batch {
		rec, err := s.record(&batch[i])
		if err != nil {
			return nil, nil, err
		}
		if part != nil && (part.count() >= s.cfg.BatchSize || part.size()+rec.size > s.cfg.MaxPartBytes) {
			if err := flush(); err != nil {
				return nil, nil, err
			}
		}
		if part == nil {
			part = s.newPart()
			if part.size()+rec.size > s.cfg.MaxPartBytes {
				o := batch[i].Origin
				return nil, nil, fmt.Errorf("httpsink: %s line %d: one punch encodes to %d bytes, more than max part bytes %d",
					o.File, o.Line, rec.size, s.cfg.MaxPartBytes)
			}
		}
		part.add(rec)
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	return events, counts, nil
}

// record is one punch, encoded for the part format.
type record struct {
	json []byte   // json: the object
	csv  []string // csv: the cells
	size int64    // bytes it adds to a part, separator included
}

func (s *Sink) record(p *mapping.Punch) (record, error) {
	values := make([]string, len(s.fields))
	for i, f := range s.fields {
		values[i] = s.value(p, f)
	}
	if s.cfg.Format == FormatCSV {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.Write(values); err != nil {
			return record{}, err
		}
		w.Flush()
		return record{csv: values, size: int64(b.Len())}, nil
	}
	// Objects keep the configured field order: build them by hand from
	// JSON-encoded names and values rather than through a map.
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range s.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		v, _ := json.Marshal(values[i])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return record{json: b.Bytes(), size: int64(b.Len()) + 1}, nil
}

type partWriter interface {
	add(r record)
	count() int
	size() int64
	bytes() []byte
}

func (s *Sink) newPart() partWriter {
	if s.cfg.Format == FormatCSV {
		p := &csvPart{}
		p.w = csv.NewWriter(&p.buf)
		p.w.Write(s.names)
		p.w.Flush()
		return p
	}
	p := &jsonPart{}
	if s.cfg.JSONRoot != "" {
		k, _ := json.Marshal(s.cfg.JSONRoot)
		p.buf.WriteByte('{')
		p.buf.Write(k)
		p.buf.WriteByte(':')
		p.closing = "]}"
	} else {
		p.closing = "]"
	}
	p.buf.WriteByte('[')
	return p
}

type jsonPart struct {
	buf     bytes.Buffer
	n       int
	closing string
}

func (p *jsonPart) add(r record) {
	if p.n > 0 {
		p.buf.WriteByte(',')
	}
	p.buf.Write(r.json)
	p.n++
}
func (p *jsonPart) count() int  { return p.n }
func (p *jsonPart) size() int64 { return int64(p.buf.Len() + len(p.closing)) }
func (p *jsonPart) bytes() []byte {
	return append(bytes.Clone(p.buf.Bytes()), p.closing...)
}

type csvPart struct {
	buf bytes.Buffer
	w   *csv.Writer
	n   int
}

func (p *csvPart) add(r record) {
	p.w.Write(r.csv)
	p.w.Flush()
	p.n++
}
func (p *csvPart) count() int    { return p.n }
func (p *csvPart) size() int64   { return int64(p.buf.Len()) }
func (p *csvPart) bytes() []byte { return bytes.Clone(p.buf.Bytes()) }

func (s *Sink) event(p partWriter) (outbox.Event, error) {
	body := p.bytes()
	contentType, name := "application/json", "punches.json"
	if s.cfg.Format == FormatCSV {
		contentType, name = "text/csv; charset=utf-8", "punches.csv"
	}
	// The key is the hash of the plain body, so zipping (or not) the same
	// punches never changes it.
	sum := sha256.Sum256(body)
	key := hex.EncodeToString(sum[:])
	if s.cfg.Zip == ZipAlways || (s.cfg.Zip == ZipAuto && int64(len(body)) > s.cfg.ZipAboveBytes) {
		zipped, err := zipOne(name, body)
		if err != nil {
			return outbox.Event{}, fmt.Errorf("httpsink: zip part: %w", err)
		}
		body, contentType = zipped, "application/zip"
	}
	return outbox.Event{
		Target:         s.cfg.Target,
		Kind:           KindPunches,
		IdempotencyKey: key,
		Payload:        body,
		ContentType:    contentType,
	}, nil
}

// zipOne makes a zip archive of one file with no timestamp, so the same
// body always zips to the same bytes.
func zipOne(name string, body []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MaxResponse bounds the reply text handed back to the outbox.
const MaxResponse = 2000

// Send posts one part. It implements outbox.Sender: any reply comes back
// as status and text; an error means no reply came.
func (s *Sink) Send(ctx context.Context, e outbox.Event) (int, string, error) {
	if e.Kind != KindPunches {
		return 0, "", &outbox.PermanentError{Err: fmt.Errorf("httpsink: event %d is %q, not punches", e.ID, e.Kind)}
	}
	h := http.Header{}
	h.Set("Content-Type", e.ContentType)
	h.Set(s.cfg.IdempotencyHeader, e.IdempotencyKey)
	resp, err := s.client.Send(ctx, httpx.Request{Method: s.cfg.Method, Path: s.cfg.URL, Header: h, Body: e.Payload})
	if err != nil {
		return 0, "", fmt.Errorf("httpsink: event %d: %w", e.ID, err)
	}
	text := httpx.Clip(string(resp.Body), MaxResponse)
	if !resp.OK() && text == "" {
		text = strconv.Itoa(resp.Status) + " " + http.StatusText(resp.Status)
	}
	return resp.Status, text, nil
}
