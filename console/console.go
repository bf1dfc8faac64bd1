// Package console is the browser UI for support: the run history and its
// reports, the outbox with Retry and Mark as processed, resync by filter and
// selection, and the push device registry. It is an http.Handler built from
// explicit dependencies; `hrsync console` serves it alone and `hrsync serve`
// beside the push endpoint. Pages are rendered on the server with
// html/template (every value escaped); the little JavaScript there is only
// enhances forms that work without it.
package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/mapping"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Roles, from least to most allowed. A viewer reads; an operator also
// retries, marks processed and resyncs (inside his profile, when he has
// one); an admin may do everything, approving devices included.
const (
	Viewer   = "viewer"
	Operator = "operator"
	Admin    = "admin"
)

// Roles lists the roles in order.
var Roles = []string{Viewer, Operator, Admin}

// ParseRole checks a role name.
func ParseRole(s string) (string, error) {
	r, err := setting.Choice(s, "", Roles)
	if err == nil && r == "" {
		err = fmt.Errorf("a role is required: %s", strings.Join(Roles, ", "))
	}
	return r, err
}

func roleRank(r string) int {
	for i, v := range Roles {
		if v == r {
			return i
		}
	}
	return -1
}

// HashPassword is the bcrypt hash `hrsync users add` stores.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", errors.New("the password must have at least 8 characters")
	}
	if len(pw) > 72 {
		return "", errors.New("the password must have at most 72 bytes (bcrypt's limit)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// Resyncer is what the Resync page needs of importer/resync, which sits at
// this package's rank; commands gives it.
type Resyncer interface {
	// Employees is the whole HR directory.
	Employees(ctx context.Context) ([]mapping.Employee, error)
	// InProfile reports whether e is inside the resync profile ("": all).
	InProfile(profile string, e *mapping.Employee) bool
	// Run resyncs (or, DryRun, plans) the employees for the days.
	Run(ctx context.Context, r ResyncRequest) (*ResyncOutcome, error)
}

// ResyncRequest is one resync asked for in the console.
type ResyncRequest struct {
	User     string // the account, for the history
	Profile  string // the account's profile; "" for none
	IDs      []string
	Source   string // "" when the config has one source
	From, To string // YYYY-MM-DD
	DryRun   bool
	// Progress, when set, is told how far the read of the source has got.
	Progress func(importer.Progress)
}

// ResyncOutcome is what a resync did or would do.
type ResyncOutcome struct {
	RunID      int64
	ReportPath string
	Employees  []PlanRow
	Counts     map[string]int64
	// Err is the run's outcome when incomplete (rejected rows, unreadable
	// files): shown, not a failure of the page.
	Err error
}

// PlanRow is the plan, or what was done, for one employee.
type PlanRow struct {
	ID, Name string
	Counts   map[string]int
}

// Deps are what the console works with.
type Deps struct {
	Config *config.Config
	// State is the state store, open for the console's life.
	State *state.Store
	// Push is the device registry; nil hides the Devices page's data.
	Push *pushstore.Store
	// Resync; nil when resync is not possible (an HTTP HR target).
	Resync Resyncer
	Log    *slog.Logger
	Now    func() time.Time
}

// Server is the console's handler.
type Server struct {
	d        Deps
	settings config.Console
	pages    map[string]*template.Template
	mux      *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*session
	failures map[string][]time.Time // login failures by user name and by client address

	dirMu   sync.Mutex
	dir     []mapping.Employee
	dirText []string
	dirRead time.Time

	jobsMu  sync.Mutex
	jobs    map[int64]*resyncJob // real resyncs, running or done, by number
	lastJob int64
	running sync.WaitGroup
}

type session struct {
	user    string
	csrf    string
	expires time.Time
}

// New builds the console.
func New(d Deps) (*Server, error) {
	if d.Config == nil || d.State == nil {
		return nil, errors.New("console: a config and a state store are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{d: d, settings: d.Config.ConsoleSettings(), sessions: map[string]*session{}, failures: map[string][]time.Time{}}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("console: template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.auth(Viewer, s.logout))
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/runs", http.StatusSeeOther) })
	m.HandleFunc("GET /runs", s.auth(Viewer, s.runsPage))
	m.HandleFunc("GET /runs/{id}", s.auth(Viewer, s.runPage))
	m.HandleFunc("GET /runs/{id}/{file}", s.auth(Viewer, s.reportDownload))
	m.HandleFunc("GET /deliveries", s.auth(Viewer, s.deliveriesPage))
	m.HandleFunc("GET /deliveries/{id}", s.auth(Viewer, s.deliveryPage))
	m.HandleFunc("POST /deliveries/{id}/retry", s.auth(Operator, s.retry))
	m.HandleFunc("POST /deliveries/{id}/processed", s.auth(Operator, s.markProcessed))
	m.HandleFunc("GET /resync", s.auth(Viewer, s.resyncPage))
	m.HandleFunc("POST /resync", s.auth(Operator, s.resyncPost))
	m.HandleFunc("GET /resync/jobs/{id}", s.auth(Operator, s.resyncJobPage))
	m.HandleFunc("GET /devices", s.auth(Viewer, s.devicesPage))
	m.HandleFunc("POST /devices/approve", s.auth(Admin, s.approveDevice))
	s.mux = m
}

// ServeHTTP adds the headers every answer carries and serves the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if s.settings.TLS() {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	s.mux.ServeHTTP(w, r)
}

const sessionCookie = "hrsync_session"
const loginCSRFCookie = "hrsync_login"

func token() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.settings.TLS(), SameSite: http.SameSiteStrictMode}
}

// request is what a handler knows of the signed-in account.
type request struct {
	User state.User
	CSRF string
}

type handler func(w http.ResponseWriter, r *http.Request, rq *request)

// auth admits a request with a live session whose account has at least
// role, reading the account afresh (a removed or demoted account loses its
// rights at once); a POST must carry the session's CSRF token.
func (s *Server) auth(role string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var sess *session
		if err == nil {
			s.mu.Lock()
			sess = s.sessions[c.Value]
			if sess != nil && s.d.Now().After(sess.expires) {
				delete(s.sessions, c.Value)
				sess = nil
			}
			if sess != nil {
				sess.expires = s.d.Now().Add(time.Duration(s.settings.SessionTTL))
			}
			s.mu.Unlock()
		}
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		u, err := s.d.State.GetUser(r.Context(), sess.user)
		if err != nil {
			s.dropSession(c.Value)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue("csrf"), sess.csrf) {
			s.d.Log.Warn("console: refused a form without its CSRF token", "user", u.Name, "path", r.URL.Path)
			http.Error(w, "refused: the form's CSRF token is missing or wrong; reload the page and try again", http.StatusForbidden)
			return
		}
		rq := &request{User: u, CSRF: sess.csrf}
		if roleRank(u.Role) < roleRank(role) {
			s.d.Log.Warn("console: refused an action the role does not allow", "user", u.Name, "role", u.Role, "path", r.URL.Path)
			s.fail(w, r, rq, http.StatusForbidden, fmt.Sprintf("refused: this needs the %s role; %s is %s", role, u.Name, u.Role))
			return
		}
		h(w, r, rq)
	}
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (s *Server) dropSession(id string) {
	s.mu.Lock()
	delete(s.sessions, id)
	s.mu.Unlock()
}

// Login limits: this many failures for one name or one address within the
// window, and further tries are refused until the window has passed.
const (
	maxFailures   = 5
	failureWindow = 15 * time.Minute
)

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limited reports whether a key has used up its failures, dropping old ones.
func (s *Server) limited(keys ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, over := s.d.Now(), false
	for _, k := range keys {
		kept := s.failures[k][:0]
		for _, t := range s.failures[k] {
			if now.Sub(t) < failureWindow {
				kept = append(kept, t)
			}
		}
		s.failures[k] = kept
		if len(kept) >= maxFailures {
			over = true
		}
	}
	return over
}

// sweepLocked drops ended sessions and old failures, so neither map grows
// with names nobody uses again. s.mu is held.
func (s *Server) sweepLocked() {
	now := s.d.Now()
	for id, sess := range s.sessions {
		if now.After(sess.expires) {
			delete(s.sessions, id)
		}
	}
	for k, ts := range s.failures {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= failureWindow {
			delete(s.failures, k)
		}
	}
}

func (s *Server) failed(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 10000 {
		s.sweepLocked()
	}
	for _, k := range keys {
		s.failures[k] = append(s.failures[k], s.d.Now())
	}
}

// dummyHash is compared against when the name is unknown, so a wrong name
// takes as long as a wrong password. It is made at the first sign-in, not
// when the package loads: a bcrypt hash costs about 0.1 s of CPU, which every
// hrsync process (an import of 100k rows takes 0.5 s) paid at start.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user, no such password"), bcrypt.DefaultCost)
	return h
})

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	t := token()
	http.SetCookie(w, s.cookie(loginCSRFCookie, t, 3600))
	s.render(w, r, "login", nil, http.StatusOK, map[string]any{"CSRF": t, "Error": r.URL.Query().Get("error") != ""})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		http.Error(w, "refused: the form's CSRF token is missing or wrong; reload the page and try again", http.StatusForbidden)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	keys := []string{"user:" + strings.ToLower(name), "addr:" + clientAddr(r)}
	if s.limited(keys...) {
		s.d.Log.Warn("console: login refused, too many failures", "user", name, "addr", clientAddr(r))
		w.Header().Set("Retry-After", "900")
		http.Error(w, "too many failed sign-ins; wait 15 minutes and try again", http.StatusTooManyRequests)
		return
	}
	u, err := s.d.State.GetUser(r.Context(), name)
	hash := dummyHash()
	if err == nil {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(r.PostFormValue("password"))) != nil || err != nil {
		s.failed(keys...)
		s.d.Log.Warn("console: failed sign-in", "user", name, "addr", clientAddr(r))
		http.Redirect(w, r, "/login?error=1", http.StatusSeeOther)
		return
	}
	id := token()
	s.mu.Lock()
	s.sweepLocked()
	s.sessions[id] = &session{user: u.Name, csrf: token(), expires: s.d.Now().Add(time.Duration(s.settings.SessionTTL))}
	s.mu.Unlock()
	http.SetCookie(w, s.cookie(sessionCookie, id, 0))
	http.SetCookie(w, s.cookie(loginCSRFCookie, "", -1))
	s.d.Log.Info("console: signed in", "user", u.Name, "role", u.Role, "addr", clientAddr(r))
	http.Redirect(w, r, "/runs", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, rq *request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.dropSession(c.Value)
	}
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// auditName is how the run history names an account's run.
func auditName(u state.User) string { return u.Name + " (console)" }

// page is what every template gets.
type page struct {
	Title string
	Nav   string
	User  state.User
	CSRF  string
	Data  any
	Error string
}

// Can reports whether the signed-in account has at least role.
func (p page) Can(role string) bool { return roleRank(p.User.Role) >= roleRank(role) }

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, rq *request, status int, data any) {
	t := s.pages[name]
	p := page{Title: name, Nav: name, Data: data}
	if rq != nil {
		p.User, p.CSRF = rq.User, rq.CSRF
	}
	if e, ok := data.(errorData); ok {
		p.Error = e.Msg
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		s.d.Log.Error("console: rendering", "page", name, "err", err)
	}
}

type errorData struct{ Msg string }

// fail shows a refusal or an error on the error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, status int, msg string) {
	s.render(w, r, "error", rq, status, errorData{Msg: msg})
}
