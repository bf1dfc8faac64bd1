// Package scim is a SCIM 2.0 service provider (an identity provider's
// /Users endpoint, RFC 7643/7644) as a push-users target. Employees map to
// Users: the employee id is userName (or the email, by choice), externalId
// and the enterprise extension's employeeNumber; leavers get active:false,
// never a DELETE. Updates are PATCH operations that replace only the
// changed attributes; the password is sent on create only.
package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/mapping"
)

// Schema URNs.
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// Config describes the provider.
type Config struct {
	// HTTP.BaseURL is the SCIM base, e.g. https://idp.example/scim/v2.
	HTTP httpx.Config
	// UserName is the employee field used as userName: "id" (default) or "email".
	UserName string
	// ActiveValue and ResignedValue are the status spellings hrsync uses
	// for active:true and active:false.
	ActiveValue, ResignedValue string
	// PageSize is the count asked for per list page; default 100.
	PageSize int
}

// UserNames are the employee fields Config.UserName may name ("" is id).
var UserNames = []string{"id", "email"}

// ParseUserName reads Config.UserName as New does: "" means id. Config
// calls it, so the list is declared once, here.
func ParseUserName(s string) (string, error) {
	return setting.Choice(s, UserNames[0], UserNames)
}

// fields are the employee fields a SCIM User can hold.
var fields = []string{"id", "name", "status", "email", "department", "designation", "employee_type", "factory", "sbu"}

// Client talks to one SCIM provider.
type Client struct {
	cfg  Config
	http *httpx.Client
	mu   sync.Mutex
	ids  map[string]string // employee id -> SCIM resource id
}

// New builds a client.
func New(cfg Config) (*Client, error) {
	var err error
	if cfg.UserName, err = ParseUserName(cfg.UserName); err != nil {
		return nil, fmt.Errorf("scim: user_name %w", err)
	}
	if cfg.ActiveValue == "" {
		cfg.ActiveValue = "active"
	}
	if cfg.ResignedValue == "" {
		cfg.ResignedValue = "resigned"
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.HTTP.BaseURL != "" && !strings.HasSuffix(cfg.HTTP.BaseURL, "/") {
		cfg.HTTP.BaseURL += "/"
	}
	hc, err := httpx.New(cfg.HTTP)
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	return &Client{cfg: cfg, http: hc, ids: map[string]string{}}, nil
}

// Fields lists the employee fields a SCIM User holds; the others
// (dates, branch, ...) are not compared.
func (c *Client) Fields() []string { return fields }

// user is the part of a SCIM User hrsync reads and writes.
type user struct {
	Schemas     []string    `json:"schemas,omitempty"`
	ID          string      `json:"id,omitempty"`
	ExternalID  string      `json:"externalId,omitempty"`
	UserName    string      `json:"userName,omitempty"`
	Name        *name       `json:"name,omitempty"`
	DisplayName string      `json:"displayName,omitempty"`
	Title       string      `json:"title,omitempty"`
	UserType    string      `json:"userType,omitempty"`
	Active      *bool       `json:"active,omitempty"`
	Emails      []email     `json:"emails,omitempty"`
	Password    string      `json:"password,omitempty"`
	Enterprise  *enterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
}

type name struct {
	Formatted string `json:"formatted,omitempty"`
}

type email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

type enterprise struct {
	EmployeeNumber string `json:"employeeNumber,omitempty"`
	Department     string `json:"department,omitempty"`
	Division       string `json:"division,omitempty"`
	Organization   string `json:"organization,omitempty"`
}

type listResponse struct {
	TotalResults int               `json:"totalResults"`
	ItemsPerPage int               `json:"itemsPerPage"`
	StartIndex   int               `json:"startIndex"`
	Resources    []json.RawMessage `json:"Resources"`
}

// Employees pages through /Users (startIndex, count) and maps each User.
func (c *Client) Employees(ctx context.Context) ([]mapping.Employee, error) {
	var out []mapping.Employee
	ids := map[string]string{}
	start := 1
	for {
		path := fmt.Sprintf("Users?startIndex=%d&count=%d", start, c.cfg.PageSize)
		resp, err := c.http.Send(ctx, httpx.Request{Method: http.MethodGet, Path: path, Header: http.Header{"Accept": {"application/scim+json"}}})
		if err != nil {
			return nil, fmt.Errorf("scim: list users: %w", err)
		}
		if !resp.OK() {
			return nil, fmt.Errorf("scim: list users: GET %s: HTTP %d: %s", path, resp.Status, httpx.Snippet(resp.Body))
		}
		var lr listResponse
		if err := json.Unmarshal(resp.Body, &lr); err != nil {
			return nil, fmt.Errorf("scim: list users: GET %s: not a ListResponse: %w", path, err)
		}
		for i, raw := range lr.Resources {
			var u user
			if err := json.Unmarshal(raw, &u); err != nil {
				return nil, fmt.Errorf("scim: list users: GET %s: resource %d: %w", path, i+1, err)
			}
			e := c.employee(&u)
			if e.ID == "" || u.ID == "" {
				continue // not one of ours: no employee number and no usable name
			}
			ids[e.ID] = u.ID
			out = append(out, e)
		}
		start += len(lr.Resources)
		if len(lr.Resources) == 0 || start > lr.TotalResults {
			break
		}
	}
	c.mu.Lock()
	c.ids = ids
	c.mu.Unlock()
	return out, nil
}

func (c *Client) employee(u *user) mapping.Employee {
	var e mapping.Employee
	if u.Enterprise != nil {
		e.ID = u.Enterprise.EmployeeNumber
		e.Department = u.Enterprise.Department
		e.Factory = u.Enterprise.Division
		e.SBU = u.Enterprise.Organization
	}
	if e.ID == "" {
		e.ID = u.ExternalID
	}
	if e.ID == "" && c.cfg.UserName == "id" {
		e.ID = u.UserName
	}
	if u.Name != nil {
		e.Name = u.Name.Formatted
	}
	if e.Name == "" {
		e.Name = u.DisplayName
	}
	e.Designation, e.EmployeeType = u.Title, u.UserType
	e.Status = c.cfg.ActiveValue
	if u.Active != nil && !*u.Active {
		e.Status = c.cfg.ResignedValue
	}
	e.Email = primaryEmail(u.Emails)
	return e
}

func primaryEmail(es []email) string {
	for _, m := range es {
		if m.Primary {
			return m.Value
		}
	}
	if len(es) > 0 {
		return es[0].Value
	}
	return ""
}

func (c *Client) active(status string) bool {
	return !strings.EqualFold(strings.TrimSpace(status), c.cfg.ResignedValue)
}

// Create posts a new User with the enterprise extension and the password.
func (c *Client) Create(ctx context.Context, e mapping.Employee, password string) error {
	active := c.active(e.Status)
	u := user{
		Schemas:     []string{SchemaUser, SchemaEnterprise},
		ExternalID:  e.ID,
		UserName:    e.ID,
		DisplayName: e.Name,
		Title:       e.Designation,
		UserType:    e.EmployeeType,
		Active:      &active,
		Password:    password,
		Enterprise:  &enterprise{EmployeeNumber: e.ID, Department: e.Department, Division: e.Factory, Organization: e.SBU},
	}
	if c.cfg.UserName == "email" {
		if e.Email == "" {
			return fmt.Errorf("scim: create user %s: user_name is the email and the employee has none", e.ID)
		}
		u.UserName = e.Email
	}
	if e.Name != "" {
		u.Name = &name{Formatted: e.Name}
	}
	if e.Email != "" {
		u.Emails = []email{{Value: e.Email, Type: "work", Primary: true}}
	}
	body, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("scim: create user %s: %w", e.ID, err)
	}
	resp, err := c.http.Send(ctx, httpx.Request{Method: http.MethodPost, Path: "Users", Body: body, Header: scimHeader()})
	if err != nil {
		return fmt.Errorf("scim: create user %s: %w", e.ID, httpx.HideSecret(err, password))
	}
	if !resp.OK() {
		return fmt.Errorf("scim: create user %s: POST Users: HTTP %d after %d attempt(s): %s", e.ID, resp.Status, resp.Attempts, strings.ReplaceAll(httpx.Snippet(resp.Body), nonEmpty(password), "******"))
	}
	var created user
	if json.Unmarshal(resp.Body, &created) == nil && created.ID != "" {
		c.mu.Lock()
		c.ids[e.ID] = created.ID
		c.mu.Unlock()
	}
	return nil
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// Update replaces the changed attributes with one PATCH.
func (c *Client) Update(ctx context.Context, e mapping.Employee, changed []string) error {
	c.mu.Lock()
	rid := c.ids[e.ID]
	c.mu.Unlock()
	if rid == "" {
		return fmt.Errorf("scim: update user %s: no SCIM user with this employee number was listed", e.ID)
	}
	var ops []patchOp
	for _, f := range changed {
		switch f {
		case "status":
			ops = append(ops, patchOp{"replace", "active", c.active(e.Status)})
		case "name":
			ops = append(ops, patchOp{"replace", "name.formatted", e.Name}, patchOp{"replace", "displayName", e.Name})
		case "email":
			ops = append(ops, patchOp{"replace", "emails", []email{{Value: e.Email, Type: "work", Primary: true}}})
		case "designation":
			ops = append(ops, patchOp{"replace", "title", e.Designation})
		case "employee_type":
			ops = append(ops, patchOp{"replace", "userType", e.EmployeeType})
		case "department":
			ops = append(ops, patchOp{"replace", SchemaEnterprise + ":department", e.Department})
		case "factory":
			ops = append(ops, patchOp{"replace", SchemaEnterprise + ":division", e.Factory})
		case "sbu":
			ops = append(ops, patchOp{"replace", SchemaEnterprise + ":organization", e.SBU})
		}
	}
	if len(ops) == 0 {
		return nil
	}
	body, err := json.Marshal(map[string]any{"schemas": []string{SchemaPatchOp}, "Operations": ops})
	if err != nil {
		return fmt.Errorf("scim: update user %s: %w", e.ID, err)
	}
	path := "Users/" + url.PathEscape(rid)
	resp, err := c.http.Send(ctx, httpx.Request{Method: http.MethodPatch, Path: path, Body: body, Header: scimHeader()})
	if err != nil {
		return fmt.Errorf("scim: update user %s: %w", e.ID, err)
	}
	if !resp.OK() {
		return fmt.Errorf("scim: update user %s: PATCH %s: HTTP %d after %d attempt(s): %s", e.ID, path, resp.Status, resp.Attempts, httpx.Snippet(resp.Body))
	}
	return nil
}

func scimHeader() http.Header {
	return http.Header{"Content-Type": {"application/scim+json"}, "Accept": {"application/scim+json"}}
}

// nonEmpty keeps strings.ReplaceAll from matching everywhere on "".
func nonEmpty(s string) string {
	if s == "" {
		return "\x00never"
	}
	return s
}
