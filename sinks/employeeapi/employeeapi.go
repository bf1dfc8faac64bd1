// Package employeeapi is a generic HTTPS JSON employee API as a push-users
// target: a list endpoint (paged or not), a create endpoint and an update
// endpoint, with the target's own field names. Requests go through the
// shared httpx client (auth, retries with backoff, rate limit, concurrency
// cap). The password is sent on create only and never appears in errors.
package employeeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/mapping"
)

// Endpoint is one call; "{id}" in Path is replaced by the escaped employee id.
type Endpoint struct {
	Method string
	Path   string
}

// ListEndpoint lists the accounts. With PageParam set it asks for page
// after page (FirstPage, FirstPage+1, ...) until a page has fewer than
// PageSize items.
type ListEndpoint struct {
	Path      string
	Items     string // key of the array in the reply object; "" = the reply is the array
	PageParam string
	SizeParam string
	PageSize  int
	FirstPage int
}

// Config describes the API.
type Config struct {
	HTTP   httpx.Config
	List   ListEndpoint
	Create Endpoint // default method POST
	Update Endpoint // default method PUT
	// Fields maps our field names (id, name, password, status, ..., and
	// extra attribute names) to the API's; unmapped fields use our name.
	Fields map[string]string
}

// Client talks to one employee API.
type Client struct {
	cfg     Config
	http    *httpx.Client
	ours    map[string]string // API name -> our field
	maxPage int
}

// CheckPaths tests the three calls' paths as New does; a *setting.Error
// names the key (list.path, create.path, update.path). Config calls it, so
// that config check rejects what push-users would.
func CheckPaths(list, create, update string) error {
	for _, p := range []struct{ key, path string }{{"list.path", list}, {"create.path", create}, {"update.path", update}} {
		if p.path == "" {
			return &setting.Error{Key: p.key, Msg: "is required"}
		}
	}
	if !strings.Contains(update, "{id}") {
		return &setting.Error{Key: "update.path", Msg: fmt.Sprintf("%q must contain {id} (the employee id)", update)}
	}
	return nil
}

// New builds a client.
func New(cfg Config) (*Client, error) {
	if err := CheckPaths(cfg.List.Path, cfg.Create.Path, cfg.Update.Path); err != nil {
		return nil, fmt.Errorf("employee API: %w", err)
	}
	if cfg.Create.Method == "" {
		cfg.Create.Method = http.MethodPost
	}
	if cfg.Update.Method == "" {
		cfg.Update.Method = http.MethodPut
	}
	if cfg.List.PageParam != "" && cfg.List.PageSize <= 0 {
		cfg.List.PageSize = 100
	}
	hc, err := httpx.New(cfg.HTTP)
	if err != nil {
		return nil, fmt.Errorf("employee API: %w", err)
	}
	c := &Client{cfg: cfg, http: hc, ours: map[string]string{}, maxPage: 1_000_000}
	for ours, theirs := range cfg.Fields {
		c.ours[theirs] = ours
	}
	return c, nil
}

func (c *Client) name(field string) string {
	if n, ok := c.cfg.Fields[field]; ok && n != "" {
		return n
	}
	return field
}

func (c *Client) field(name string) string {
	if f, ok := c.ours[name]; ok {
		return f
	}
	return name
}

// Employees reads every account from the list endpoint.
func (c *Client) Employees(ctx context.Context) ([]mapping.Employee, error) {
	var out []mapping.Employee
	l := c.cfg.List
	for page := l.FirstPage; page < l.FirstPage+c.maxPage; page++ {
		path := l.Path
		if l.PageParam != "" {
			q := url.Values{}
			q.Set(l.PageParam, strconv.Itoa(page))
			if l.SizeParam != "" {
				q.Set(l.SizeParam, strconv.Itoa(l.PageSize))
			}
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			path += sep + q.Encode()
		}
		resp, err := c.http.Send(ctx, httpx.Request{Method: http.MethodGet, Path: path, Header: http.Header{"Accept": {"application/json"}}})
		if err != nil {
			return nil, fmt.Errorf("list employees: %w", err)
		}
		if !resp.OK() {
			return nil, fmt.Errorf("list employees: GET %s: HTTP %d: %s", path, resp.Status, httpx.Snippet(resp.Body))
		}
		items, err := c.items(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("list employees: GET %s: %w", path, err)
		}
		for i, it := range items {
			e := c.employee(it)
			if e.ID == "" {
				return nil, fmt.Errorf("list employees: GET %s: item %d has no %q", path, i+1, c.name("id"))
			}
			out = append(out, e)
		}
		if l.PageParam == "" || len(items) < l.PageSize {
			return out, nil
		}
	}
	return nil, fmt.Errorf("list employees: more than %d pages", c.maxPage)
}

func (c *Client) items(body []byte) ([]map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if c.cfg.List.Items == "" {
		var items []map[string]any
		if err := dec.Decode(&items); err != nil {
			return nil, fmt.Errorf("reply is not a JSON array of objects: %w", err)
		}
		return items, nil
	}
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("reply is not a JSON object: %w", err)
	}
	raw, ok := obj[c.cfg.List.Items]
	if !ok {
		return nil, fmt.Errorf("reply has no %q key", c.cfg.List.Items)
	}
	var items []map[string]any
	d2 := json.NewDecoder(bytes.NewReader(raw))
	d2.UseNumber()
	if err := d2.Decode(&items); err != nil && string(raw) != "null" {
		return nil, fmt.Errorf("%q is not an array of objects: %w", c.cfg.List.Items, err)
	}
	return items, nil
}

func (c *Client) employee(item map[string]any) mapping.Employee {
	var e mapping.Employee
	for k, v := range item {
		f := c.field(k)
		if f == "password" {
			continue
		}
		e.SetField(f, text(v))
	}
	return e
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Create posts a new account: every non-empty field and the password.
func (c *Client) Create(ctx context.Context, e mapping.Employee, password string) error {
	body := map[string]string{}
	for _, f := range mapping.EmployeeFields {
		if v := e.Field(f); v != "" {
			body[c.name(f)] = v
		}
	}
	for k, v := range e.Extra {
		if v != "" {
			body[c.name(k)] = v
		}
	}
	if password != "" {
		body[c.name("password")] = password
	}
	return c.send(ctx, "create employee "+e.ID, c.cfg.Create, e.ID, body, password)
}

// Update sends the id and the named fields; never a password.
func (c *Client) Update(ctx context.Context, e mapping.Employee, fields []string) error {
	body := map[string]string{c.name("id"): e.ID}
	for _, f := range fields {
		if f == "password" {
			continue
		}
		body[c.name(f)] = e.Field(f)
	}
	return c.send(ctx, "update employee "+e.ID, c.cfg.Update, e.ID, body, "")
}

func (c *Client) send(ctx context.Context, what string, ep Endpoint, id string, body map[string]string, password string) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	path := strings.ReplaceAll(ep.Path, "{id}", url.PathEscape(id))
	resp, err := c.http.Send(ctx, httpx.Request{Method: ep.Method, Path: path, Body: data,
		Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}})
	if err != nil {
		return fmt.Errorf("%s: %w", what, httpx.HideSecret(err, password))
	}
	if !resp.OK() {
		msg := httpx.Snippet(resp.Body)
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "******")
		}
		return fmt.Errorf("%s: %s %s: HTTP %d after %d attempt(s): %s", what, ep.Method, path, resp.Status, resp.Attempts, msg)
	}
	return nil
}
