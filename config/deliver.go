package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/sinks/httpsink"
)

// HRHTTP is the hr.http: section, used when hr.url is an https:// URL: the
// HR system takes punches over its API instead of in a database table.
// Every batch goes into the outbox of the run state first, then to the
// API; what the API does not take is retried by later runs.
//
//	hr:
//	  url: https://hr.example.com/api/punches
//	  employees: { file: employees.csv }     # the directory comes from a file
//	  http:
//	    format: json                         # json (default) or csv
//	    fields: { employee_id: empCode, time: punchTime, direction: type, device_id: deviceSn }
//	    direction_values: { in: "0", out: "1" }
//	    json_root: punches                   # {"punches": [...]}; empty: a bare array
//	    time_layout: "2006-01-02 15:04:05"   # default RFC 3339
//	    zip: auto                            # never (default), auto (parts above zip_above_bytes), always
//	    max_part_bytes: 20971520             # default 20 MB
//	    batch_size: 1000                     # punches per request
//	    idempotency_header: Idempotency-Key
//	    auth: { kind: bearer, token: "${HR_TOKEN}" }   # or basic (user, password) or signature (app_id, secret)
//	    ca_file: corp-ca.pem                 # a private CA, added to the system roots
//	    concurrency: 4                       # requests in flight
//	    rate_per_second: 0                   # 0: no limit
//	    timeout: 60s                         # per request
//	    max_retries: 3                       # quick retries inside one request
//	    retry_schedule: [5m, 15m, 1h, 24h]   # after a failed batch: when later runs try again
type HRHTTP struct {
	Target            string            `yaml:"target"`
	Method            string            `yaml:"method"`
	Format            string            `yaml:"format"`
	Fields            map[string]string `yaml:"fields"`
	DirectionValues   map[string]string `yaml:"direction_values"`
	JSONRoot          string            `yaml:"json_root"`
	TimeLayout        string            `yaml:"time_layout"`
	Zip               string            `yaml:"zip"`
	ZipAboveBytes     int64             `yaml:"zip_above_bytes"`
	MaxPartBytes      int64             `yaml:"max_part_bytes"`
	BatchSize         int               `yaml:"batch_size"`
	IdempotencyHeader string            `yaml:"idempotency_header"`
	RetrySchedule     []Duration        `yaml:"retry_schedule"`
	// auth, ca_file, concurrency (default httpx.DefaultConcurrency), ...
	HTTPClient `yaml:",inline"`
}

// Retention is the retention: section: how long the run history and the
// delivered outbox events are kept. Pending and failed events are never
// pruned. Ages take d (days) and w (weeks) as well as Go durations.
//
//	retention: { runs: 180d, events: 30d }
type Retention struct {
	Runs   Age `yaml:"runs"`
	Events Age `yaml:"events"`
}

// Default retention.
const (
	DefaultRunRetention   = Age(180 * 24 * time.Hour)
	DefaultEventRetention = Age(30 * 24 * time.Hour)
)

// Age is a duration that also reads "30d" and "2w".
type Age time.Duration

// UnmarshalYAML reads 30d, 2w, 720h, 90m.
func (a *Age) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseAge(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*a = Age(v)
	return nil
}

// ParseAge reads a Go duration or a whole number of days (30d) or weeks (2w).
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 {
				break
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age (e.g. 30d, 2w, 720h)", s)
	}
	return d, nil
}

// HRIsHTTP reports whether punches go to an HTTP API (hr.url is http(s)://).
func (c *Config) HRIsHTTP() bool {
	u := strings.ToLower(c.HR.URL)
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// validateDeliver fills the defaults of hr.http and retention and checks
// them; it expands hr.http.auth's secrets.
func (c *Config) validateDeliver() error {
	if c.Retention.Runs == 0 {
		c.Retention.Runs = DefaultRunRetention
	}
	if c.Retention.Events == 0 {
		c.Retention.Events = DefaultEventRetention
	}
	if !c.HRIsHTTP() {
		if c.HR.HTTP != nil {
			return c.errAt("hr.http", "is for an HTTP target: set hr.url to an https:// URL, or remove hr.http")
		}
		return nil
	}
	if c.HR.HTTP == nil {
		c.HR.HTTP = &HRHTTP{}
	}
	h, k := c.HR.HTTP, "hr.http"
	u, err := url.Parse(c.HR.URL)
	if err != nil || u.Host == "" {
		return c.errAt("hr.url", "is not a valid URL (e.g. https://hr.example.com/api/punches)")
	}
	if u.User != nil {
		return c.errAt("hr.url", "put credentials under hr.http.auth, not in the URL")
	}
	if c.HR.Employees.File == "" {
		return c.errAt("hr.employees.file", "is required when hr.url is an HTTP API: the employee directory comes from a file")
	}
	if err := c.expandAuth(k+".auth", &h.Auth); err != nil {
		return err
	}
	if err := c.validateHTTPClient(k, &h.HTTPClient, httpx.DefaultConcurrency); err != nil {
		return err
	}
	// The sink's own parsers, so config check rejects what New would.
	if _, err := httpsink.ParseFormat(h.Format); err != nil {
		return c.errAt(k+".format", err.Error())
	}
	if _, err := httpsink.ParseZip(h.Zip); err != nil {
		return c.errAt(k+".zip", err.Error())
	}
	for _, f := range sortedKeys(h.Fields) {
		if err := httpsink.CheckField(f, h.Fields[f]); err != nil {
			return c.errAt(k+".fields."+f, err.Error())
		}
	}
	for _, n := range []struct {
		key string
		v   int64
	}{{"max_part_bytes", h.MaxPartBytes}, {"batch_size", int64(h.BatchSize)}, {"zip_above_bytes", h.ZipAboveBytes}} {
		if n.v < 0 {
			return c.errAt(k+"."+n.key, fmt.Sprintf("%d: must not be negative (0: the default)", n.v))
		}
	}
	for i, d := range h.RetrySchedule {
		if d <= 0 {
			return c.errAt(k+".retry_schedule", fmt.Sprintf("entry %d: want a positive wait such as 5m", i+1))
		}
	}
	return nil
}
