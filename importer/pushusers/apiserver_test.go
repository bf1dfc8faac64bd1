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

	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/employeeapi"
)

// apiFields is how the contract API names our fields.
var apiFields = map[string]string{"id": "employeeId", "name": "fullName", "password": "initPassword"}

func apiName(f string) string {
	if n, ok := apiFields[f]; ok {
		return n
	}
	return f
}

// apiServer is an employee API that enforces its contract: bearer auth,
// no unknown fields, the required fields on create, no password on
// update, no deletes. Every faultEvery-th request fails with 429 or 503
// first, so the client's retries are exercised.
type apiServer struct {
	*httptest.Server
	mu         sync.Mutex
	emps       map[string]map[string]string
	pw         map[string]string
	pwOnUpdate bool
	requests   atomic.Int64
	faults     atomic.Int64
	faultEvery int64
	latency    time.Duration
	refuse     string // an id whose create gets a 422 that echoes the body
	inFlight   atomic.Int64
	maxFlight  atomic.Int64
}

func newAPIServer(t testing.TB) *apiServer {
	s := &apiServer{emps: map[string]map[string]string{}, pw: map[string]string{}, faultEvery: 4}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) allowed(k string) bool {
	if k == "initPassword" {
		return true
	}
	for _, f := range mapping.EmployeeFields {
		if apiName(f) == k {
			return true
		}
	}
	return false
}

func (s *apiServer) serve(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxFlight.Load()
		if n <= m || s.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	if r.Header.Get("Authorization") != "Bearer tok" {
		http.Error(w, "unauthorised", http.StatusUnauthorized)
		return
	}
	if s.faultEvery > 0 && s.requests.Add(1)%s.faultEvery == 0 {
		s.faults.Add(1)
		if s.faults.Load()%2 == 0 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		} else {
			http.Error(w, "try again", http.StatusServiceUnavailable)
		}
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/employees":
		s.list(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/api/employees":
		s.create(w, r)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/employees/"):
		s.update(w, r, strings.TrimPrefix(r.URL.Path, "/api/employees/"))
	default:
		http.Error(w, "no such endpoint "+r.Method+" "+r.URL.Path, http.StatusMethodNotAllowed)
	}
}

func (s *apiServer) list(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	if page < 1 || size < 1 || size > 500 {
		http.Error(w, "page >= 1 and 1 <= size <= 500 required", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	ids := make([]string, 0, len(s.emps))
	for id := range s.emps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var items []map[string]string
	for i := (page - 1) * size; i < len(ids) && i < page*size; i++ {
		items = append(items, s.emps[ids[i]])
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": items, "page": page})
}

func (s *apiServer) decode(w http.ResponseWriter, r *http.Request) (map[string]string, []byte, bool) {
	body, _ := io.ReadAll(r.Body)
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
		return nil, body, false
	}
	for k := range m {
		if !s.allowed(k) {
			http.Error(w, "unknown field "+k, http.StatusBadRequest)
			return nil, body, false
		}
	}
	return m, body, true
}

func (s *apiServer) create(w http.ResponseWriter, r *http.Request) {
	m, body, ok := s.decode(w, r)
	if !ok {
		return
	}
	if m["employeeId"] == s.refuse && s.refuse != "" {
		http.Error(w, "cannot create "+string(body), http.StatusUnprocessableEntity)
		return
	}
	var missing []string
	for _, k := range []string{"employeeId", "initPassword", "status", "onboarding_date", "fullName"} {
		if m[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		http.Error(w, "missing required "+strings.Join(missing, ","), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.emps[m["employeeId"]]; dup {
		http.Error(w, "exists", http.StatusConflict)
		return
	}
	s.pw[m["employeeId"]] = m["initPassword"]
	delete(m, "initPassword")
	s.emps[m["employeeId"]] = m
	w.WriteHeader(http.StatusCreated)
}

func (s *apiServer) update(w http.ResponseWriter, r *http.Request, id string) {
	m, _, ok := s.decode(w, r)
	if !ok {
		return
	}
	if _, has := m["initPassword"]; has {
		s.mu.Lock()
		s.pwOnUpdate = true
		s.mu.Unlock()
		http.Error(w, "the password cannot be changed by an update", http.StatusBadRequest)
		return
	}
	if m["employeeId"] != id {
		http.Error(w, "employeeId in the body differs from the path", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, exists := s.emps[id]
	if !exists {
		http.Error(w, "no such employee", http.StatusNotFound)
		return
	}
	for k, v := range m {
		e[k] = v
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *apiServer) seedAll(emps []mapping.Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range emps {
		m := map[string]string{}
		for _, f := range mapping.EmployeeFields {
			if v := e.Field(f); v != "" {
				m[apiName(f)] = v
			}
		}
		s.emps[e.ID] = m
	}
}

func (s *apiServer) client(t testing.TB, concurrency int) *employeeapi.Client {
	c, err := employeeapi.New(employeeapi.Config{
		HTTP: httpx.Config{BaseURL: s.URL + "/api/", Auth: httpx.Auth{Kind: "bearer", Token: "tok"},
			InsecureSkipVerify: true, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
			MaxRetries: 5, Concurrency: concurrency},
		List:   employeeapi.ListEndpoint{Path: "employees", Items: "data", PageParam: "page", SizeParam: "size", PageSize: 3, FirstPage: 1},
		Create: employeeapi.Endpoint{Path: "employees"},
		Update: employeeapi.Endpoint{Path: "employees/{id}"},
		Fields: apiFields,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newAPIHarness(t *testing.T) *harness {
	s := newAPIServer(t)
	return &harness{
		target: PerEmployee(s.client(t, 8), 8),
		seed:   func(t *testing.T, emps []mapping.Employee) { s.seedAll(emps) },
		dump: func(t *testing.T) map[string]mapping.Employee {
			s.mu.Lock()
			defer s.mu.Unlock()
			out := map[string]mapping.Employee{}
			for id, m := range s.emps {
				var e mapping.Employee
				for _, f := range mapping.EmployeeFields {
					e.SetField(f, m[apiName(f)])
				}
				out[id] = e
			}
			return out
		},
		holds: func(string) bool { return true },
		passwords: func() (map[string]string, bool) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.pw, s.pwOnUpdate
		},
	}
}

func TestRulesHTTP(t *testing.T) { runRuleSuite(t, newAPIHarness) }

func TestHTTPRetriesAndRefusals(t *testing.T) {
	s := newAPIServer(t)
	s.refuse = "N1"
	s.seedAll(seedEmployees())
	cfg := writeConfig(t, sourceCSV, "  max_deactivate_share: 0.5\n")
	h := &harness{target: PerEmployee(s.client(t, 8), 8)}
	res, err, rep := runOnce(t, cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := decision(res, "N1")
	if d.Outcome != Failed || !strings.Contains(d.Reason, "422") || !strings.Contains(d.Reason, "******") {
		t.Errorf("N1: the refusal should be reported with the password hidden: %+v", d)
	}
	if !strings.Contains(rep, "failed") {
		t.Errorf("report:\n%s", rep)
	}
	if exitcode.For(res.Outcome()) != exitcode.Failed {
		t.Errorf("exit %d, want 1 for a failed change", exitcode.For(res.Outcome()))
	}
	if s.faults.Load() == 0 {
		t.Error("no 429/503 was injected; the retry path went untested")
	}
	if decision(res, "E2").Outcome != Update || !decision(res, "E2").Applied {
		t.Errorf("E2 should be updated despite the injected faults: %+v", decision(res, "E2"))
	}
	t.Logf("%d requests, %d answered 429/503 and retried", s.requests.Load(), s.faults.Load())
}

func TestHTTPContractRejectsPasswordOnUpdate(t *testing.T) {
	s := newAPIServer(t)
	s.faultEvery = 0
	s.seedAll(seedEmployees())
	c := s.client(t, 1)
	err := c.Update(t.Context(), mapping.Employee{ID: "E1", Department: "X"}, []string{"department", "password"})
	if err != nil {
		t.Fatalf("the client must drop a password from an update, got %v", err)
	}
	if s.pwOnUpdate {
		t.Error("the client sent a password on update")
	}
	err = c.Create(t.Context(), mapping.Employee{ID: "Z9", Name: "Zed"}, "pw")
	if err == nil || !strings.Contains(err.Error(), "missing required") {
		t.Errorf("the server's refusal should come back as an error naming the fields: %v", err)
	}
}
