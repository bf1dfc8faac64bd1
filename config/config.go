// Package config reads hrsync's one YAML file. Paths in it are relative to
// the file itself (Task Scheduler starts programs in System32), secrets come
// from ${ENV_VAR} or a *_file path, and every mistake names its key and line.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
	"github.com/hrsync/hrsync/sources"
	"github.com/hrsync/hrsync/sources/sqlsrc"
	"github.com/hrsync/hrsync/sources/textfile"
)

// Config is the whole file.
type Config struct {
	Timezone string   `yaml:"timezone"`
	DataDir  string   `yaml:"data_dir"`
	LockWait Duration `yaml:"lock_wait"`
	// MaxRunTime stops a run that takes longer (exit 1; what it committed
	// stays, and the next run goes on from there); 0, the default, is no limit.
	MaxRunTime Duration           `yaml:"max_run_time"`
	HR         HR                 `yaml:"hr"`
	Sources    map[string]*Source `yaml:"sources"`
	Report     ReportConfig       `yaml:"report"`
	PushUsers  *PushUsers         `yaml:"push_users"`
	Retention  Retention          `yaml:"retention"`
	Resync     *Resync            `yaml:"resync"`
	Serve      *Serve             `yaml:"serve"`   // see serve.go
	Console    *Console           `yaml:"console"` // see console.go
	State      *State             `yaml:"state"`   // see state.go

	// Path is the file it was read from; Dir its folder; SHA256 its checksum.
	Path   string `yaml:"-"`
	Dir    string `yaml:"-"`
	SHA256 string `yaml:"-"`

	node *yaml.Node
	// secretsUnused: the command reads only the run state, so an unset
	// ${ENV} or an unreadable *_file leaves a placeholder (LoadForReading).
	secretsUnused bool
	// hrZoneSet: hr.timezone was in the file, not defaulted.
	hrZoneSet bool
	// deprecations: settings read in an old spelling (Deprecations).
	deprecations []string
}

// HR is the HR system: where punches go and where the directory lives.
type HR struct {
	URL          string `yaml:"url"`
	User         string `yaml:"user"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	CreateTables *bool  `yaml:"create_tables"`
	BatchSize    int    `yaml:"batch_size"`
	// StatementTimeout bounds each operation on the HR database (a batch,
	// the directory read, a resync employee's changes) and push_users'
	// query; 0 = sqldb.DefaultStatementTimeout (10m).
	StatementTimeout Duration `yaml:"statement_timeout"`
	// Timezone is the zone in which the HR database keeps naive date-times
	// (DATETIME, timestamp without time zone): punch times are written and
	// read as its wall clock. Default: the top-level timezone; UTC keeps
	// what hrsync did before hr.timezone existed.
	Timezone  string         `yaml:"timezone"`
	Employees EmployeesTable `yaml:"employees"`
	Punches   PunchesTable   `yaml:"punches"`
	HTTP      *HRHTTP        `yaml:"http"` // when url is https://: see deliver.go
}

// EmployeesTable says where the employee directory is and how punches match it.
type EmployeesTable struct {
	Table        string              `yaml:"table"`
	Query        string              `yaml:"query"`
	File         string              `yaml:"file"`
	Format       Format              `yaml:"format"` // how to read file: (csv, txt, xlsx, xls), as a punch source
	Columns      map[string]string   `yaml:"columns"`
	Match        []string            `yaml:"match"`
	KeyTransform []mapping.Transform `yaml:"key_transform"`
	Inactive     string              `yaml:"inactive"` // mapping.InactiveModes: reject (default) or import
}

// PunchesTable names the HR punches table and its columns.
type PunchesTable struct {
	Table   string            `yaml:"table"`
	Columns map[string]string `yaml:"columns"`
	// EmployeeIndex adds an (employee_id, punch_time) index: when hrsync
	// creates the table, and to an existing table that lacks it (for
	// resync's read of a slice, where the table's keys do not lead with the
	// time or the employee). Off by default: it slows every import several
	// times.
	EmployeeIndex *bool `yaml:"employee_index"`
	// DirectionInKey puts the direction in the key of a table hrsync
	// creates (default: yes on SQLite, MySQL/MariaDB, PostgreSQL); an
	// existing table keeps its key (sqlsink.PunchesTable.DirectionInKey).
	DirectionInKey *bool `yaml:"direction_in_key"`
}

// Source is one named place punches come from.
type Source struct {
	// A file source: a file or a glob, read in name order.
	Path string `yaml:"path"`
	// A database source: a URL (mysql://, sqlserver://, oracle://,
	// postgres://, sqlite://) and either a table (hrsync writes the SELECT
	// from the mapped columns) or a query of its own.
	URL          string `yaml:"url"`
	User         string `yaml:"user"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	Table        string `yaml:"table"`
	// StatementTimeout bounds a database source's checks, the start of a
	// read and each wait for its next row; 0 = 10m.
	StatementTimeout Duration   `yaml:"statement_timeout"`
	Query            string     `yaml:"query"`
	Watermark        *Watermark `yaml:"watermark"`
	// Pull brings remote files into Inbox before import reads them.
	Pull  *Pull  `yaml:"pull"`
	Inbox string `yaml:"inbox"`

	Timezone string       `yaml:"timezone"`
	Format   Format       `yaml:"format"`
	Mapping  mapping.Spec `yaml:"mapping"`
	Clock    Clock        `yaml:"clock"`
	// Devices: punch machines read over the ZK protocol (devices.go).
	DeviceSource `yaml:",inline"`
	// Push reads the punches `hrsync serve` received (see serve.go).
	Push bool `yaml:"push"`

	Name string `yaml:"-"`
}

// IsDatabase reports whether the source reads a database.
func (s *Source) IsDatabase() bool { return s.URL != "" }

// Watermark makes a database source incremental: only rows whose column is
// past the last committed value are read, minus an overlap for late punches.
type Watermark struct {
	Column  string   `yaml:"column"`
	Kind    string   `yaml:"kind"` // sqlsrc.WatermarkKinds: time (default) or id
	Overlap Duration `yaml:"overlap"`
}

// Pull is where remote export files come from (issue: pull).
type Pull struct {
	URL                      string   `yaml:"url"` // local folder, \\server\share, sftp://, ftp://, ftps://
	Pattern                  string   `yaml:"pattern"`
	User                     string   `yaml:"user"`
	Password                 Secret   `yaml:"password"`
	PasswordFile             string   `yaml:"password_file"`
	PrivateKeyFile           string   `yaml:"private_key_file"`
	Passphrase               Secret   `yaml:"passphrase"`
	PassphraseFile           string   `yaml:"passphrase_file"`
	KnownHosts               string   `yaml:"known_hosts"`
	HostKeyFingerprint       string   `yaml:"host_key_fingerprint"`
	InsecureSkipHostKeyCheck bool     `yaml:"insecure_skip_host_key_check"`
	CACertFile               string   `yaml:"ca_cert_file"`
	InsecureSkipTLSVerify    bool     `yaml:"insecure_skip_tls_verify"`
	AfterPull                string   `yaml:"after_pull"` // keep (default), delete, move
	ArchiveDir               string   `yaml:"archive_dir"`
	StableFor                Duration `yaml:"stable_for"`
	ConnectTimeout           Duration `yaml:"connect_timeout"`
	IdleTimeout              Duration `yaml:"idle_timeout"`
	Retries                  int      `yaml:"retries"`
}

// Format says how to read a file source.
type Format struct {
	Type             string `yaml:"type"` // auto (by extension), csv, txt, xlsx, xls
	Delimiter        string `yaml:"delimiter"`
	Header           *bool  `yaml:"header"`
	Encoding         string `yaml:"encoding"`
	FallbackEncoding string `yaml:"fallback_encoding"`
	Sheet            string `yaml:"sheet"`
	SheetIndex       int    `yaml:"sheet_index"`
	HeaderRow        int    `yaml:"header_row"`
	MaxLineBytes     int    `yaml:"max_line_bytes"` // text files: the longest line; 0 = textfile.DefaultMaxLineBytes
}

// Clock holds the sanity guard on punch times.
type Clock struct {
	FutureTolerance Duration `yaml:"future_tolerance"`
	Floor           string   `yaml:"floor"` // YYYY-MM-DD; DefaultFloor when unset, "none" for no floor
}

// ReportConfig sets where and how per-row reports are written.
type ReportConfig struct {
	Dir    string `yaml:"dir"`
	Format string `yaml:"format"` // report.Formats; "": by the file's extension
	// Store is report.Stores: "state" also keeps each run's report in the
	// state database, for workers whose data folder goes with them.
	Store string `yaml:"store"`
}

// Duration is a time.Duration written as "5m", "90s".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 90s, 5m, 1h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Secret is a string that never prints.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "******"
}

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// Error is a configuration mistake: the file, the key and its line.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ExitCode makes every config mistake a usage error, wherever it surfaces.
func (e *Error) ExitCode() exitcode.Code { return exitcode.Usage }

// Load reads and validates the config file.
func Load(path string) (*Config, error) { return load(path, false) }

// LoadForReading reads the config for a command that only reads the run
// state (runs, events): looking at history needs no production secrets,
// so an unset ${ENV} stays as written and a *_file is not read. Everything
// else is checked as Load checks it.
func LoadForReading(path string) (*Config, error) { return load(path, true) }

func load(path string, secretsUnused bool) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(abs, data, secretsUnused)
}

var yamlFieldErr = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)

// Parse decodes config text as if read from path.
func Parse(path string, data []byte) (*Config, error) { return parse(path, data, false) }

func parse(path string, data []byte, secretsUnused bool) (*Config, error) {
	c := &Config{Path: path, Dir: filepath.Dir(path), secretsUnused: secretsUnused}
	sum := sha256.Sum256(data)
	c.SHA256 = hex.EncodeToString(sum[:])
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: path, Msg: "the file is empty"}
	}
	c.node = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, decodeError(path, err)
	}
	for name, s := range c.Sources {
		if s == nil {
			return nil, c.errAt(fmt.Sprintf("sources.%s", name), "is empty")
		}
		s.Name = name
	}
	if err := c.expandSecrets(); err != nil {
		return nil, err
	}
	c.applyDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.resolvePaths()
	return c, nil
}

func decodeError(path string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			msgs[i] = yamlFieldErr.ReplaceAllString(m, `line $1: unknown key "$2"`)
		}
		return &Error{File: path, Msg: strings.Join(msgs, "; ")}
	}
	return &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// ownerErr places an error of the package that owns the settings under key;
// a *setting.Error names a key below it.
func (c *Config) ownerErr(key string, err error) error {
	var se *setting.Error
	if errors.As(err, &se) {
		return c.errAt(key+"."+se.Key, se.Msg)
	}
	return c.errAt(key, err.Error())
}

// errAt builds an error for a dotted key, with its line when the key exists.
func (c *Config) errAt(key, msg string) error {
	return &Error{File: c.Path, Line: c.Line(key), Key: key, Msg: msg}
}

// Line finds the line of a dotted key ("sources.gate.mapping.time"), or of
// its nearest existing parent; 0 when none.
func (c *Config) Line(key string) int {
	if c.node == nil || len(c.node.Content) == 0 {
		return 0
	}
	n := c.node.Content[0]
	line := 0
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			break
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	return line
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} with the environment's value; a missing variable
// is an error naming the variable, never the value.
func (c *Config) expandEnv(key, s string) (string, error) {
	var missing string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		name := envRef.FindStringSubmatch(m)[1]
		v, ok := os.LookupEnv(name)
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		if c.secretsUnused {
			return s, nil
		}
		return "", c.errAt(key, fmt.Sprintf("environment variable %s is not set", missing))
	}
	return out, nil
}

// secretFrom fills a secret from ${ENV} or a file.
func (c *Config) secretFrom(key string, s *Secret, file string) error {
	v, err := c.expandEnv(key, string(*s))
	if err != nil {
		return err
	}
	if file != "" {
		if v != "" {
			return c.errAt(key, "set either the value or the _file, not both")
		}
		if c.secretsUnused {
			*s = Secret("(in " + file + ")")
			return nil
		}
		b, err := os.ReadFile(c.Resolve(file))
		if err != nil {
			return c.errAt(key+"_file", fmt.Sprintf("cannot read: %v", err))
		}
		v = strings.TrimRight(string(b), "\r\n")
	}
	*s = Secret(v)
	return nil
}

func (c *Config) expandSecrets() error {
	if err := c.expandStateSecrets(); err != nil {
		return err
	}
	var err error
	if c.HR.URL, err = c.expandEnv("hr.url", c.HR.URL); err != nil {
		return err
	}
	if c.HR.User, err = c.expandEnv("hr.user", c.HR.User); err != nil {
		return err
	}
	if err := c.secretFrom("hr.password", &c.HR.Password, c.HR.PasswordFile); err != nil {
		return err
	}
	for _, name := range c.SourceNames() {
		s, key := c.Sources[name], "sources."+name
		if s.URL, err = c.expandEnv(key+".url", s.URL); err != nil {
			return err
		}
		if s.User, err = c.expandEnv(key+".user", s.User); err != nil {
			return err
		}
		if err := c.secretFrom(key+".password", &s.Password, s.PasswordFile); err != nil {
			return err
		}
		if p := s.Pull; p != nil {
			if p.URL, err = c.expandEnv(key+".pull.url", p.URL); err != nil {
				return err
			}
			if p.User, err = c.expandEnv(key+".pull.user", p.User); err != nil {
				return err
			}
			if err := c.secretFrom(key+".pull.password", &p.Password, p.PasswordFile); err != nil {
				return err
			}
			if err := c.secretFrom(key+".pull.passphrase", &p.Passphrase, p.PassphraseFile); err != nil {
				return err
			}
		}
		if err := c.expandDeviceSecrets(key, s); err != nil {
			return err
		}
	}
	return nil
}

// Resolve makes a path from the config absolute, relative to the config's
// folder. Parse has done so for every path of the file already; Resolve
// leaves an absolute path as it is.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, `\\`) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

func (c *Config) applyDefaults() {
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	c.hrZoneSet = c.HR.Timezone != ""
	if c.HR.Timezone == "" {
		c.HR.Timezone = c.Timezone
	}
	if c.DataDir == "" {
		c.DataDir = "hrsync-data"
	}
	if c.LockWait == 0 {
		c.LockWait = Duration(5 * time.Minute)
	}

	if c.HR.Employees.Table == "" && c.HR.Employees.Query == "" && c.HR.Employees.File == "" {
		c.HR.Employees.Table = "employees"
	}
	if len(c.HR.Employees.Match) == 0 {
		c.HR.Employees.Match = []string{"attendance_no", "employee_no"}
	}
	if c.HR.Employees.Inactive == "" {
		c.HR.Employees.Inactive = mapping.InactiveReject
	}
	if c.HR.Punches.Table == "" {
		c.HR.Punches.Table = "attendance_punches"
	}
	if c.Report.Dir == "" {
		c.Report.Dir = filepath.Join(c.DataDir, "reports")
	}
	for _, s := range c.Sources {
		if s.Timezone == "" {
			s.Timezone = c.Timezone
		}
		if s.Format.Type == "" {
			s.Format.Type = "auto"
		}
		applyDeviceDefaults(s)
		if s.Clock.Floor == "" {
			s.Clock.Floor = DefaultFloor
		}
	}
}

// DefaultFloor is clock.floor when a source sets none: a punch before it is
// a device clock reset or an Excel serial read as a date (61 is 1900-03-01),
// not attendance. "none" turns the floor off.
const DefaultFloor = "2000-01-01"

// HRTables are the HR database's tables as the sink takes them; the
// employees table is empty when the directory comes from hr.employees.file.
func (c *Config) HRTables() (sqlsink.EmployeesTable, sqlsink.PunchesTable) {
	var emps sqlsink.EmployeesTable
	if e := c.HR.Employees; e.File == "" {
		emps = sqlsink.EmployeesTable{Table: e.Table, Query: e.Query, Columns: e.Columns}
	}
	p := c.HR.Punches
	return emps, sqlsink.PunchesTable{Table: p.Table, Columns: p.Columns, EmployeeIndex: p.EmployeeIndex, DirectionInKey: p.DirectionInKey}
}

// MatchFields are the employee fields a punch key may match.
var MatchFields = []string{"attendance_no", "employee_no", "placement_no", "id", "email"}

func (c *Config) validate() error {
	if c.HR.URL == "" {
		return c.errAt("hr.url", "is required (e.g. sqlite://hr.db)")
	}
	if !strings.Contains(c.HR.URL, "://") {
		return c.errAt("hr.url", "must be a URL such as sqlite://hr.db, mysql://host/db, postgres://host/db")
	}
	// sqldb's schemes and sqlsink's table rules, so config check rejects
	// a database URL or a column a run would.
	if !c.HRIsHTTP() {
		if err := sqldb.CheckScheme(c.HR.URL); err != nil {
			return c.errAt("hr.url", err.Error())
		}
		emps, punches := c.HRTables()
		if err := sqlsink.CheckTables(c.HR.URL, emps, punches); err != nil {
			return c.ownerErr("hr", err)
		}
		if err := sqlsink.CheckBatchSize(c.HR.BatchSize); err != nil {
			return c.errAt("hr.batch_size", strings.TrimPrefix(err.Error(), "batch_size: "))
		}
		if err := sqldb.CheckStatementTimeout(time.Duration(c.HR.StatementTimeout)); err != nil {
			return c.errAt("hr.statement_timeout", err.Error())
		}
	}
	if c.MaxRunTime < 0 {
		return c.errAt("max_run_time", fmt.Sprintf("%s: want a positive duration such as 2h, or 0 for no limit", time.Duration(c.MaxRunTime)))
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return c.errAt("timezone", fmt.Sprintf("unknown time zone %q (use an IANA name such as Asia/Ho_Chi_Minh)", c.Timezone))
	}
	if _, err := time.LoadLocation(c.HR.Timezone); err != nil {
		return c.errAt("hr.timezone", fmt.Sprintf("unknown time zone %q (use an IANA name such as Asia/Ho_Chi_Minh, or UTC)", c.HR.Timezone))
	}
	if c.hrZoneSet && c.HRIsHTTP() {
		// Said so rather than ignored: an API's times follow its layout.
		return c.errAt("hr.timezone", "is for an HR database; an HTTP target's times are written with hr.http.time_layout in the top-level timezone")
	}
	for _, m := range c.HR.Employees.Match {
		if !contains(MatchFields, m) {
			return c.errAt("hr.employees.match", fmt.Sprintf("unknown field %q (one of %s)", m, strings.Join(MatchFields, ", ")))
		}
	}
	if err := c.validateFormat("hr.employees.format", &c.HR.Employees.Format); err != nil {
		return err
	}
	if _, err := mapping.ParseInactive(c.HR.Employees.Inactive); err != nil {
		return c.errAt("hr.employees.inactive", err.Error())
	}
	if _, err := report.ParseFormat(c.Report.Format); err != nil {
		return c.errAt("report.format", err.Error())
	}
	store, err := report.ParseStore(c.Report.Store)
	if err != nil {
		return c.errAt("report.store", err.Error())
	}
	c.Report.Store = store
	if len(c.Sources) == 0 && c.PushUsers == nil {
		return c.errAt("sources", "at least one source is required")
	}
	for _, name := range c.SourceNames() {
		if err := c.validateSource(c.Sources[name]); err != nil {
			return err
		}
	}
	if err := c.validateDeliver(); err != nil {
		return err
	}
	if err := c.validateResync(); err != nil {
		return err
	}
	if err := c.validateServe(); err != nil {
		return err
	}
	if err := c.validateConsole(); err != nil {
		return err
	}
	if err := c.validateState(); err != nil {
		return err
	}
	return c.validatePushUsers()
}

func (c *Config) validateSource(s *Source) error {
	key := "sources." + s.Name
	if err := c.validateDevices(s); err != nil {
		return err
	}
	if s.Push {
		if s.HasDevices() {
			return c.errAt(key+".push", "a push source receives what devices send to hrsync serve; devices: are pulled over the network: set one or the other")
		}
		return c.validatePushSource(s)
	}
	switch {
	case s.Path == "" && s.URL == "" && s.Pull == nil && !s.HasDevices():
		return c.errAt(key+".path", "is required (a file or a glob such as exports/*.csv), or url: for a database source, or pull: to read an inbox")
	case s.Path != "" && s.URL != "":
		return c.errAt(key+".url", "set either path (files) or url (a database), not both")
	case s.URL != "" && (s.Table == "") == (s.Query == ""):
		return c.errAt(key+".table", "a database source needs either table or query")
	case s.URL == "" && (s.Table != "" || s.Query != "" || s.Watermark != nil):
		return c.errAt(key+".url", "table, query and watermark need url: (a database source)")
	}
	if s.URL != "" {
		if err := sqldb.CheckScheme(s.URL); err != nil {
			return c.errAt(key+".url", err.Error())
		}
		if err := sqldb.CheckStatementTimeout(time.Duration(s.StatementTimeout)); err != nil {
			return c.errAt(key+".statement_timeout", err.Error())
		}
	} else if s.StatementTimeout != 0 {
		return c.errAt(key+".statement_timeout", "is for a database source (url:)")
	}
	if err := c.validatePull(s); err != nil {
		return err
	}
	if w := s.Watermark; w != nil {
		// sqlsrc's own check, so config check rejects what a read would.
		if err := (sqlsrc.Watermark{Column: w.Column, Kind: w.Kind, Overlap: time.Duration(w.Overlap)}).Check(); err != nil {
			return c.ownerErr(key+".watermark", err)
		}
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		return c.errAt(key+".timezone", fmt.Sprintf("unknown time zone %q", s.Timezone))
	}
	if err := c.validateFormat(key+".format", &s.Format); err != nil {
		return err
	}
	if s.Clock.Floor != "none" {
		if _, err := time.Parse("2006-01-02", s.Clock.Floor); err != nil {
			return c.errAt(key+".clock.floor", fmt.Sprintf("%q: want a date like 2020-01-01, or none", s.Clock.Floor))
		}
	}
	if err := s.Mapping.Validate(); err != nil {
		return c.errAt(key+".mapping", err.Error())
	}
	return nil
}

// validateFormat checks a format: block with the readers' own parsers
// (sources, textfile), so config check rejects what import would.
func (c *Config) validateFormat(key string, f *Format) error {
	if err := sources.ParseFormatType(f.Type); err != nil {
		return c.errAt(key+".type", err.Error())
	}
	if _, err := textfile.ParseDelimiter(f.Delimiter); err != nil {
		return c.errAt(key+".delimiter", err.Error())
	}
	if _, err := textfile.ParseEncoding(f.Encoding); err != nil {
		return c.errAt(key+".encoding", err.Error())
	}
	if _, err := textfile.ParseEncoding(f.FallbackEncoding); err != nil {
		return c.errAt(key+".fallback_encoding", err.Error())
	}
	if _, err := textfile.ParseMaxLineBytes(f.MaxLineBytes); err != nil {
		return c.errAt(key+".max_line_bytes", err.Error())
	}
	return nil
}

// SourceNames lists the sources in name order.
func (c *Config) SourceNames() []string {
	names := make([]string, 0, len(c.Sources))
	for n := range c.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Location returns a source's time zone (validated already).
func (s *Source) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Location returns the zone of the HR database's naive date-times
// (validated already).
func (h *HR) Location() *time.Location {
	loc, err := time.LoadLocation(h.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
