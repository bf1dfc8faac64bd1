package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/employeeapi"
	"github.com/hrsync/hrsync/sinks/scim"
)

// PushUsers is the push_users: section: where employee records come from,
// which system receives them, and which fields a run may change.
//
//	push_users:
//	  source:
//	    path: exports/employees.csv          # a file (csv, txt, xlsx, xls) or a glob, OR
//	    # url: mysql://hr-db/hrms            # a database (sqlite, mysql, postgres, sqlserver, oracle)
//	    # user: sync ; password: ${HRMS_PW}  # or password_file:
//	    # query: "SELECT code, full_name, ... FROM staff"
//	    format: { type: csv }                # same keys as a punch source's format
//	    columns:                             # employee field: source column (header or query column)
//	      id: Emp No
//	      name: Full Name
//	      password: Init Pwd                 # sent on create only, never reported
//	      status: Status
//	      onboarding_date: Joined
//	    extra: { cost_center: CC }           # passed through under these names
//	    date_layouts: ["2006-01-02", "02/01/2006"]
//	    status_values: { active: [Active, 在职], resigned: [Resigned, Left, 离职] }
//	  target:
//	    kind: database                       # the hr: section's employees table, OR
//	    # kind: http   url: https://hr.example/api   auth: {kind: bearer, token: "${T}"}
//	    #   endpoints: { list: {path: /employees, items: data, page_param: page, size_param: size, page_size: 500},
//	    #                create: {method: POST, path: /employees}, update: {method: PUT, path: "/employees/{id}"} }
//	    #   fields: { id: employeeId, name: fullName, password: initPassword }
//	    # kind: scim   url: https://idp.example/scim/v2   auth: {kind: bearer, token_file: scim.token}
//	    concurrency: 8                       # http and scim: hr.http's client block
//	    rate_per_second: 20                  # (auth, ca_file, timeout, max_retries too)
//	  policy: { email: if_empty }            # per field: always, if_empty or never
//	  required: [id, password, status, onboarding_date, name]
//	  max_deactivate_share: 0.10
//
// The default policy is the docking rules: status, factory, department,
// onboarding_date (employment date), resignation_date, designation
// (position) and employee_type (labor type) are updated always; every other
// field never, so a difference there is reported for a person to fix.
type PushUsers struct {
	Source             UsersSource       `yaml:"source"`
	Target             UsersTarget       `yaml:"target"`
	Policy             map[string]string `yaml:"policy"`
	Required           []string          `yaml:"required"`
	MaxDeactivateShare *float64          `yaml:"max_deactivate_share"`
}

// UsersSource is where the customer's employee records are read.
type UsersSource struct {
	Path         string              `yaml:"path"`
	URL          string              `yaml:"url"`
	User         string              `yaml:"user"`
	Password     Secret              `yaml:"password"`
	PasswordFile string              `yaml:"password_file"`
	Query        string              `yaml:"query"`
	Format       Format              `yaml:"format"`
	Columns      map[string]string   `yaml:"columns"`
	Extra        map[string]string   `yaml:"extra"`
	DateLayouts  []string            `yaml:"date_layouts"`
	StatusValues map[string][]string `yaml:"status_values"`
}

// UsersTarget is the system that receives the employee records.
type UsersTarget struct {
	Kind string `yaml:"kind"` // TargetKinds: database (default), http, scim, iclock

	// iclock: the pushing devices that get the users (default: every
	// approved one); see serve.go.
	Devices []string `yaml:"devices"`

	// http and scim: the url, and auth, ca_file, concurrency (default
	// DefaultUsersConcurrency), ...
	URL        string `yaml:"url"`
	HTTPClient `yaml:",inline"`

	// http
	Endpoints APIEndpoints      `yaml:"endpoints"`
	Fields    map[string]string `yaml:"fields"`

	// scim: which field becomes userName (id or email).
	UserName string `yaml:"user_name"`

	// database: the column that receives the password on create ("" = the
	// table has none; the password is then checked but not stored).
	PasswordColumn string `yaml:"password_column"`

	// How the target spells the two statuses (database and http).
	ActiveValue   string `yaml:"active_value"`
	ResignedValue string `yaml:"resigned_value"`
}

// APIEndpoints are the generic HTTP target's three calls.
type APIEndpoints struct {
	List   ListEndpoint `yaml:"list"`
	Create Endpoint     `yaml:"create"`
	Update Endpoint     `yaml:"update"`
}

// Endpoint is one call: a method and a path ("{id}" is the employee id).
type Endpoint struct {
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
}

// ListEndpoint lists the target's employees, page by page when PageParam is set.
type ListEndpoint struct {
	Path      string `yaml:"path"`
	Items     string `yaml:"items"` // the key holding the array; "" = the body is the array
	PageParam string `yaml:"page_param"`
	SizeParam string `yaml:"size_param"`
	PageSize  int    `yaml:"page_size"`
	FirstPage *int   `yaml:"first_page"`
}

// Policy modes.
const (
	PolicyAlways  = "always"
	PolicyIfEmpty = "if_empty"
	PolicyNever   = "never"
)

// PolicyModes are the values of push_users.policy. Like TargetKinds they are
// declared here because the package that applies them sits above config.
var PolicyModes = []string{PolicyAlways, PolicyIfEmpty, PolicyNever}

// Status classes: what a status means, whatever the source calls it. They
// are the keys of push_users.source.status_values and the default spellings
// of target.active_value and target.resigned_value.
const (
	StatusActive   = "active"
	StatusResigned = "resigned"
)

// StatusClasses are the keys push_users.source.status_values accepts.
var StatusClasses = []string{StatusActive, StatusResigned}

// DefaultUsersPolicy is the docking rules: the fields an update may change.
var DefaultUsersPolicy = map[string]string{
	"status": PolicyAlways, "factory": PolicyAlways, "department": PolicyAlways,
	"onboarding_date": PolicyAlways, "resignation_date": PolicyAlways,
	"designation": PolicyAlways, "employee_type": PolicyAlways,
}

// DefaultUsersRequired are the fields a new account needs.
var DefaultUsersRequired = []string{"id", "password", "status", "onboarding_date", "name"}

// DefaultDateLayouts read source dates when none are configured.
var DefaultDateLayouts = []string{"2006-01-02", "2006/01/02", "2006.01.02", "2006-01-02 15:04:05", "2006/01/02 15:04:05", time.RFC3339}

// UserSourceFields are the fields push_users.source.columns may map.
var UserSourceFields = append(append([]string(nil), mapping.EmployeeFields...), "password")

// Target kinds.
const (
	TargetDatabase = "database"
	TargetHTTP     = "http"
	TargetSCIM     = "scim"
	// TargetDevices: every punch machine the sources list (devices:).
	TargetDevices = "devices"
)

// TargetKinds are the values push_users.target.kind accepts ("" is
// database). They are declared here, not by the package that opens them
// (importer/pushusers sits above config), and that package uses these names.
var TargetKinds = []string{TargetDatabase, TargetHTTP, TargetSCIM, TargetDevices, TargetIclock}

func (c *Config) expandPushUsersSecrets() error {
	p := c.PushUsers
	if p == nil {
		return nil
	}
	var err error
	if p.Source.URL, err = c.expandEnv("push_users.source.url", p.Source.URL); err != nil {
		return err
	}
	if p.Source.User, err = c.expandEnv("push_users.source.user", p.Source.User); err != nil {
		return err
	}
	if err := c.secretFrom("push_users.source.password", &p.Source.Password, p.Source.PasswordFile); err != nil {
		return err
	}
	if p.Target.URL, err = c.expandEnv("push_users.target.url", p.Target.URL); err != nil {
		return err
	}
	return c.expandAuth("push_users.target.auth", &p.Target.Auth)
}

// validatePushUsers expands the section's secrets, fills its defaults and
// checks it. It is a no-op when the section is absent.
func (c *Config) validatePushUsers() error {
	p := c.PushUsers
	if p == nil {
		return nil
	}
	if err := c.expandPushUsersSecrets(); err != nil {
		return err
	}
	const k = "push_users"
	s := &p.Source
	switch {
	case s.Path == "" && s.URL == "":
		return c.errAt(k+".source", "set path (a csv/xlsx/xls file) or url and query (a database)")
	case s.Path != "" && s.URL != "":
		return c.errAt(k+".source", "set either path or url, not both")
	case s.URL != "" && s.Query == "":
		return c.errAt(k+".source.query", "is required with url (SELECT ... FROM ...)")
	case s.URL != "" && !strings.Contains(s.URL, "://"):
		return c.errAt(k+".source.url", "must be a URL such as mysql://host/db or sqlserver://host/db")
	}
	if s.URL != "" {
		if err := sqldb.CheckScheme(s.URL); err != nil {
			return c.errAt(k+".source.url", err.Error())
		}
	}
	if s.Format.Type == "" {
		s.Format.Type = "auto"
	}
	if err := c.validateFormat(k+".source.format", &s.Format); err != nil {
		return err
	}
	if len(s.Columns) == 0 {
		return c.errAt(k+".source.columns", "map at least the employee id (id: \"Emp No\")")
	}
	for _, f := range sortedKeys(s.Columns) {
		if !contains(UserSourceFields, f) {
			return c.errAt(k+".source.columns."+f, fmt.Sprintf("unknown field %q (fields: %s; put other columns under extra)", f, strings.Join(UserSourceFields, ", ")))
		}
		if strings.TrimSpace(s.Columns[f]) == "" {
			return c.errAt(k+".source.columns."+f, "names no column")
		}
	}
	if s.Columns["id"] == "" {
		return c.errAt(k+".source.columns.id", "is required: the column holding the employee id")
	}
	for _, f := range sortedKeys(s.Extra) {
		if contains(UserSourceFields, f) {
			return c.errAt(k+".source.extra."+f, fmt.Sprintf("%q is an employee field: map it under columns", f))
		}
	}
	if len(s.DateLayouts) == 0 {
		s.DateLayouts = DefaultDateLayouts
	}
	for cls := range s.StatusValues {
		if !contains(StatusClasses, cls) {
			return c.errAt(k+".source.status_values."+cls, "want "+strings.Join(StatusClasses, " or "))
		}
	}

	t := &p.Target
	if t.Kind == "" {
		t.Kind = TargetDatabase
	}
	switch t.Kind {
	case TargetDatabase:
	case TargetDevices:
		if len(c.AllDevices()) == 0 {
			return c.errAt(k+".target.kind", "devices: needs a source that lists devices: (the punch machines users are written to)")
		}
	case TargetIclock:
		if err := c.validateIclockTarget(k+".target", t); err != nil {
			return err
		}
	case TargetHTTP, TargetSCIM:
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c.errAt(k+".target.url", "is required: an https:// URL")
		}
		if u.User != nil {
			return c.errAt(k+".target.url", "put credentials under auth, not in the URL")
		}
		if err := c.validateHTTPClient(k+".target", &t.HTTPClient, DefaultUsersConcurrency); err != nil {
			return err
		}
	default:
		return c.errAt(k+".target.kind", fmt.Sprintf("%q: want %s", t.Kind, strings.Join(TargetKinds, ", ")))
	}
	if t.Kind == TargetHTTP {
		e := t.Endpoints
		if err := employeeapi.CheckPaths(e.List.Path, e.Create.Path, e.Update.Path); err != nil {
			return c.ownerErr(k+".target.endpoints", err)
		}
		for _, f := range sortedKeys(t.Fields) {
			if !contains(UserSourceFields, f) && !containsKey(s.Extra, f) {
				return c.errAt(k+".target.fields."+f, fmt.Sprintf("unknown field %q", f))
			}
		}
	}
	if t.Kind == TargetSCIM {
		var err error
		if t.UserName, err = scim.ParseUserName(t.UserName); err != nil {
			return c.errAt(k+".target.user_name", err.Error())
		}
	}
	if t.ActiveValue == "" {
		t.ActiveValue = StatusActive
	}
	if t.ResignedValue == "" {
		t.ResignedValue = StatusResigned
	}

	policy := map[string]string{}
	for f, m := range DefaultUsersPolicy {
		policy[f] = m
	}
	for _, f := range sortedKeys(p.Policy) {
		if f == "id" || f == "password" {
			return c.errAt(k+".policy."+f, "cannot be updated: the id is the match key and the password is used on create only")
		}
		if !contains(UserSourceFields, f) && !containsKey(s.Extra, f) {
			return c.errAt(k+".policy."+f, fmt.Sprintf("unknown field %q", f))
		}
		m := p.Policy[f]
		if !contains(PolicyModes, m) {
			return c.errAt(k+".policy."+f, fmt.Sprintf("%q: want %s", m, strings.Join(PolicyModes, ", ")))
		}
		policy[f] = m
	}
	p.Policy = policy
	if p.Required == nil {
		p.Required = DefaultUsersRequired
	}
	for _, f := range p.Required {
		if !contains(UserSourceFields, f) {
			return c.errAt(k+".required", fmt.Sprintf("unknown field %q", f))
		}
		if _, mapped := s.Columns[f]; !mapped {
			return c.errAt(k+".source.columns", fmt.Sprintf("field %q is required to create an account but no column is mapped to it", f))
		}
	}
	if p.MaxDeactivateShare == nil {
		def := 0.10
		p.MaxDeactivateShare = &def
	}
	if v := *p.MaxDeactivateShare; v < 0 || v > 1 {
		return c.errAt(k+".max_deactivate_share", fmt.Sprintf("%g: want a share between 0 and 1 (0.10 = 10%%)", v))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func containsKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
