package pushusers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/scim"
)

// scimServer is a SCIM 2.0 /Users endpoint that enforces what hrsync
// relies on: known attributes only, userName unique, employeeNumber and
// password required on create, PatchOp replace on known paths only (never
// the password), no DELETE. Every fourth request fails with 429 or 503.
type scimServer struct {
	*httptest.Server
	mu         sync.Mutex
	users      map[string]map[string]any // SCIM id -> resource
	pw         map[string]string         // employee number -> password
	pwOnUpdate bool
	next       int
	requests   atomic.Int64
	faults     atomic.Int64
}

func newSCIMServer(t testing.TB) *scimServer {
	s := &scimServer{users: map[string]map[string]any{}, pw: map[string]string{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

var scimTopLevel = map[string]bool{"schemas": true, "externalId": true, "userName": true, "name": true, "displayName": true,
	"title": true, "userType": true, "active": true, "emails": true, "password": true, scim.SchemaEnterprise: true}

var scimPatchPaths = map[string]bool{"active": true, "name.formatted": true, "displayName": true, "emails": true, "title": true,
	"userType": true, scim.SchemaEnterprise + ":department": true, scim.SchemaEnterprise + ":division": true,
	scim.SchemaEnterprise + ":organization": true}

func scimError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status": strconv.Itoa(status), "detail": detail})
}

func (s *scimServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer scimtok" {
		scimError(w, http.StatusUnauthorized, "bad token")
		return
	}
	if s.requests.Add(1)%4 == 0 {
		if s.faults.Add(1)%2 == 0 {
			w.Header().Set("Retry-After", "0")
			scimError(w, http.StatusTooManyRequests, "slow down")
		} else {
			scimError(w, http.StatusInternalServerError, "hiccup")
		}
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/scim/v2/Users":
		s.list(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/scim/v2/Users":
		s.create(w, r)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/scim/v2/Users/"):
		s.patch(w, r, strings.TrimPrefix(r.URL.Path, "/scim/v2/Users/"))
	default:
		scimError(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+" is not supported")
	}
}

func (s *scimServer) list(w http.ResponseWriter, r *http.Request) {
	start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
	count, _ := strconv.Atoi(r.URL.Query().Get("count"))
	if start < 1 {
		start = 1
	}
	if count <= 0 || count > 3 {
		count = 3 // a provider may return fewer than asked: paging must cope
	}
	s.mu.Lock()
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	res := []map[string]any{}
	for i := start - 1; i < len(ids) && i < start-1+count; i++ {
		res = append(res, s.users[ids[i]])
	}
	total := len(ids)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/scim+json")
	json.NewEncoder(w).Encode(map[string]any{"schemas": []string{scim.SchemaList}, "totalResults": total,
		"itemsPerPage": len(res), "startIndex": start, "Resources": res})
}

func (s *scimServer) create(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var u map[string]any
	if err := json.Unmarshal(body, &u); err != nil {
		scimError(w, http.StatusBadRequest, "invalidSyntax: "+err.Error())
		return
	}
	for k := range u {
		if !scimTopLevel[k] {
			scimError(w, http.StatusBadRequest, "invalidSyntax: unknown attribute "+k)
			return
		}
	}
	ent, _ := u[scim.SchemaEnterprise].(map[string]any)
	num, _ := ent["employeeNumber"].(string)
	name, _ := u["name"].(map[string]any)
	var missing []string
	if u["userName"] == nil {
		missing = append(missing, "userName")
	}
	if num == "" {
		missing = append(missing, "employeeNumber")
	}
	if u["password"] == nil {
		missing = append(missing, "password")
	}
	if name == nil || name["formatted"] == nil {
		missing = append(missing, "name.formatted")
	}
	if len(missing) > 0 {
		scimError(w, http.StatusBadRequest, "invalidValue: missing "+strings.Join(missing, ", "))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.users {
		if other["userName"] == u["userName"] {
			scimError(w, http.StatusConflict, "uniqueness")
			return
		}
	}
	s.pw[num] = u["password"].(string)
	delete(u, "password")
	s.next++
	u["id"] = "u-" + strconv.Itoa(s.next)
	s.users[u["id"].(string)] = u
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(u)
}

func (s *scimServer) patch(w http.ResponseWriter, r *http.Request, id string) {
	var req struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value any    `json:"value"`
		} `json:"Operations"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || len(req.Schemas) != 1 || req.Schemas[0] != scim.SchemaPatchOp {
		scimError(w, http.StatusBadRequest, "invalidSyntax: want a PatchOp")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		scimError(w, http.StatusNotFound, "no such user")
		return
	}
	for _, op := range req.Operations {
		if op.Path == "password" {
			s.pwOnUpdate = true
		}
		if strings.ToLower(op.Op) != "replace" || !scimPatchPaths[op.Path] {
			scimError(w, http.StatusBadRequest, "invalidPath: "+op.Op+" "+op.Path)
			return
		}
	}
	for _, op := range req.Operations {
		if rest, ok := strings.CutPrefix(op.Path, scim.SchemaEnterprise+":"); ok {
			ent, _ := u[scim.SchemaEnterprise].(map[string]any)
			if ent == nil {
				ent = map[string]any{}
				u[scim.SchemaEnterprise] = ent
			}
			ent[rest] = op.Value
		} else if rest, ok := strings.CutPrefix(op.Path, "name."); ok {
			n, _ := u["name"].(map[string]any)
			if n == nil {
				n = map[string]any{}
				u["name"] = n
			}
			n[rest] = op.Value
		} else {
			u[op.Path] = op.Value
		}
	}
	w.Header().Set("Content-Type", "application/scim+json")
	json.NewEncoder(w).Encode(u)
}

func (s *scimServer) seedAll(emps []mapping.Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range emps {
		s.next++
		id := "u-" + strconv.Itoa(s.next)
		s.users[id] = map[string]any{"id": id, "userName": e.ID, "externalId": e.ID, "name": map[string]any{"formatted": e.Name},
			"displayName": e.Name, "title": e.Designation, "active": e.Status == "active",
			scim.SchemaEnterprise: map[string]any{"employeeNumber": e.ID, "department": e.Department}}
	}
}

func str(v any) string { s, _ := v.(string); return s }

func newSCIMHarness(t *testing.T) *harness {
	s := newSCIMServer(t)
	c, err := scim.New(scim.Config{HTTP: httpx.Config{BaseURL: s.URL + "/scim/v2", Auth: httpx.Auth{Kind: "bearer", Token: "scimtok"},
		InsecureSkipVerify: true, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetries: 5, Concurrency: 8}})
	if err != nil {
		t.Fatal(err)
	}
	held := c.Fields()
	return &harness{
		target: PerEmployee(c, 8),
		seed:   func(t *testing.T, emps []mapping.Employee) { s.seedAll(emps) },
		dump: func(t *testing.T) map[string]mapping.Employee {
			s.mu.Lock()
			defer s.mu.Unlock()
			out := map[string]mapping.Employee{}
			for _, u := range s.users {
				ent, _ := u[scim.SchemaEnterprise].(map[string]any)
				n, _ := u["name"].(map[string]any)
				e := mapping.Employee{ID: str(ent["employeeNumber"]), Name: str(n["formatted"]), Department: str(ent["department"]),
					Designation: str(u["title"]), Status: "resigned"}
				if u["active"] == true {
					e.Status = "active"
				}
				out[e.ID] = e
			}
			return out
		},
		holds: func(f string) bool { return contains(held, f) },
		passwords: func() (map[string]string, bool) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.pw, s.pwOnUpdate
		},
	}
}

func TestRulesSCIM(t *testing.T) { runRuleSuite(t, newSCIMHarness) }
