package console

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/mapping"
)

// filterKinds are the seed's filter panel, in its order (resync.Kinds
// without "employee", which the checkboxes are).
var filterKinds = []struct{ Key, Label string }{
	{"status", "Status"}, {"sbu", "SBU"}, {"state", "State"}, {"branch", "Branch"}, {"department", "Department"},
	{"sub_department", "Sub-department"}, {"designation", "Designation"}, {"employee_type", "Type"},
}

var sortKeys = []string{"id", "name", "department", "branch", "designation", "status"}

// directoryTTL is how long the console keeps the directory it read.
const directoryTTL = time.Minute

func (s *Server) employees(ctx context.Context, reload bool) ([]mapping.Employee, error) {
	all, _, err := s.directory(ctx, reload)
	return all, err
}

// directory is the cached directory and, per employee, the lower-case
// text the search box matches (id, name, attendance and employee numbers),
// made once per read rather than on every request.
func (s *Server) directory(ctx context.Context, reload bool) ([]mapping.Employee, []string, error) {
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	if s.dir != nil && !reload && s.d.Now().Sub(s.dirRead) < directoryTTL {
		return s.dir, s.dirText, nil
	}
	all, err := s.d.Resync.Employees(ctx)
	if err != nil {
		return nil, nil, err
	}
	text := make([]string, len(all))
	for i, e := range all {
		text[i] = strings.ToLower(e.ID + "\x00" + e.Name + "\x00" + e.AttendanceNo + "\x00" + e.EmployeeNo)
	}
	s.dir, s.dirText, s.dirRead = all, text, s.d.Now()
	return all, text, nil
}

type filterOption struct {
	Key, Label string
	Values     []string
	Chosen     string
}

type resyncData struct {
	Filters  []filterOption
	Rows     []*mapping.Employee
	Matched  int
	Page     int
	Pages    int
	Q        url.Values
	Search   string
	Sort     string
	Desc     bool
	Profile  string
	From, To string
	Source   string
	Sources  []string // the config's sources, when there are several
	Prev     string
	Next     string
	Sorts    []string
	Hidden   [][2]string // the filter, for "select all matching"
	Plan     *ResyncOutcome
	DryRun   bool
	Selected []string
	Message  string
}

// selection is the employees the query picks inside the account's scope.
// A filter value only employees outside the scope have is refused: the
// manager asked for what he may not touch.
func (s *Server) selection(ctx context.Context, rq *request, q url.Values) (*resyncData, []*mapping.Employee, int, error) {
	all, text, err := s.directory(ctx, q.Get("reload") != "")
	if err != nil {
		return nil, nil, http.StatusInternalServerError, err
	}
	profile := rq.User.Profile
	scoped := make([]*mapping.Employee, 0, len(all))
	scopedText := make([]string, 0, len(all))
	for i := range all {
		if s.d.Resync.InProfile(profile, &all[i]) {
			scoped = append(scoped, &all[i])
			scopedText = append(scopedText, text[i])
		}
	}
	d := &resyncData{Q: q, Profile: profile, Search: strings.TrimSpace(q.Get("q")), Sort: cmp.Or(q.Get("sort"), "id"),
		Desc: q.Get("desc") == "1", Sorts: sortKeys, From: q.Get("from"), To: q.Get("to"), Source: q.Get("source")}
	if names := s.d.Config.SourceNames(); len(names) > 1 {
		d.Sources = names
	}
	if !slices.Contains(sortKeys, d.Sort) {
		d.Sort = "id"
	}
	for _, k := range filterKinds {
		fo := filterOption{Key: k.Key, Label: k.Label, Chosen: strings.TrimSpace(q.Get(k.Key))}
		seen := map[string]bool{}
		for _, e := range scoped {
			if v := strings.TrimSpace(e.Field(k.Key)); v != "" && !seen[strings.ToLower(v)] {
				seen[strings.ToLower(v)] = true
				fo.Values = append(fo.Values, v)
			}
		}
		slices.Sort(fo.Values)
		if fo.Chosen != "" {
			d.Hidden = append(d.Hidden, [2]string{k.Key, fo.Chosen})
			if !seen[strings.ToLower(fo.Chosen)] {
				if profile != "" {
					return d, nil, http.StatusForbidden, fmt.Errorf("refused: %s %q is outside your profile %q", k.Label, fo.Chosen, profile)
				}
				return d, nil, http.StatusBadRequest, fmt.Errorf("no employee has %s %q", k.Label, fo.Chosen)
			}
		}
		d.Filters = append(d.Filters, fo)
	}
	if d.Search != "" {
		d.Hidden = append(d.Hidden, [2]string{"q", d.Search})
	}
	search := strings.ToLower(d.Search)
	var picked []*mapping.Employee
	for i, e := range scoped {
		ok := search == "" || strings.Contains(scopedText[i], search)
		for _, f := range d.Filters {
			if !ok {
				break
			}
			if f.Chosen != "" && !strings.EqualFold(strings.TrimSpace(e.Field(f.Key)), f.Chosen) {
				ok = false
			}
		}
		if ok {
			picked = append(picked, e)
		}
	}
	return d, picked, http.StatusOK, nil
}

func sortField(e *mapping.Employee, key string) string {
	if key == "id" || key == "name" {
		if key == "id" {
			return e.ID
		}
		return e.Name
	}
	return e.Field(key)
}

func (s *Server) resyncPage(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.d.Resync == nil {
		s.fail(w, r, rq, http.StatusNotFound, "resync needs an HR database (hr.url is an HTTP API here)")
		return
	}
	q := r.URL.Query()
	d, picked, status, err := s.selection(r.Context(), rq, q)
	if err != nil {
		s.fail(w, r, rq, status, err.Error())
		return
	}
	// Sort keys made once per request, not per comparison.
	type keyed struct {
		key string
		e   *mapping.Employee
	}
	ks := make([]keyed, len(picked))
	for i, e := range picked {
		ks[i] = keyed{strings.ToLower(sortField(e, d.Sort)), e}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		c := strings.Compare(a.key, b.key)
		if c == 0 {
			c = strings.Compare(a.e.ID, b.e.ID)
		}
		if d.Desc {
			c = -c
		}
		return c
	})
	for i := range ks {
		picked[i] = ks[i].e
	}
	d.Matched = len(picked)
	d.Pages = max((d.Matched+pageSize-1)/pageSize, 1)
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = min(max(d.Page, 1), d.Pages)
	lo := (d.Page - 1) * pageSize
	d.Rows = picked[lo:min(lo+pageSize, len(picked))]
	link := func(p int) string {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", strconv.Itoa(p))
		return "/resync?" + nq.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	s.render(w, r, "resync", rq, http.StatusOK, d)
}

// resyncPost plans (action=plan) or runs (action=run) the resync of the
// ticked employees, or of every one the filter matches (all=1). Each id is
// checked against the account's profile here, and resync checks the scope
// again before it reads anything.
func (s *Server) resyncPost(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.d.Resync == nil {
		s.fail(w, r, rq, http.StatusNotFound, "resync needs an HR database (hr.url is an HTTP API here)")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rq, http.StatusBadRequest, err.Error())
		return
	}
	d, picked, status, err := s.selection(r.Context(), rq, r.PostForm)
	if err != nil {
		s.fail(w, r, rq, status, err.Error())
		return
	}
	var ids []string
	if r.PostForm.Get("all") == "1" {
		for _, e := range picked {
			ids = append(ids, e.ID)
		}
	} else {
		all, _ := s.employees(r.Context(), false)
		byID := make(map[string]*mapping.Employee, len(all))
		for i := range all {
			byID[all[i].ID] = &all[i]
		}
		for _, id := range r.PostForm["emp"] {
			e := byID[id]
			if e == nil {
				s.fail(w, r, rq, http.StatusBadRequest, fmt.Sprintf("no employee %q in the directory", id))
				return
			}
			if !s.d.Resync.InProfile(rq.User.Profile, e) {
				s.d.Log.Warn("console: refused a resync outside the profile", "user", rq.User.Name, "profile", rq.User.Profile, "employee", id)
				s.fail(w, r, rq, http.StatusForbidden, fmt.Sprintf("refused: employee %s (department %q, branch %q) is outside your profile %q", id, e.Department, e.Branch, rq.User.Profile))
				return
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		s.fail(w, r, rq, http.StatusBadRequest, "tick at least one employee, or select all matching")
		return
	}
	dry := r.PostForm.Get("action") != "run"
	req := ResyncRequest{User: auditName(rq.User), Profile: rq.User.Profile, IDs: ids, Source: d.Source, From: d.From, To: d.To, DryRun: dry}
	if !dry {
		// The real run goes on past this request; its page follows it.
		job := s.startResync(req, d, rq.User.Name)
		http.Redirect(w, r, fmt.Sprintf("/resync/jobs/%d", job.id), http.StatusSeeOther)
		return
	}
	out, err := s.d.Resync.Run(r.Context(), req)
	if err != nil {
		s.fail(w, r, rq, http.StatusConflict, "resync: "+err.Error())
		return
	}
	d.Plan, d.DryRun = out, dry
	if r.PostForm.Get("all") == "1" {
		d.Hidden = append(d.Hidden, [2]string{"all", "1"})
	} else {
		d.Selected = ids
	}
	if out.Err != nil {
		d.Message = out.Err.Error()
	}
	s.render(w, r, "plan", rq, http.StatusOK, d)
}

// resyncJob is a real resync the console runs past the request that
// started it, so a long one neither holds a request open nor ends when the
// browser goes away; its page reloads with the progress until it is done.
type resyncJob struct {
	id                 int64
	user               string // the account that started it: only it (or an admin) follows it
	data               *resyncData
	rows, bytes, total atomic.Int64
	done               chan struct{}
	out                *ResyncOutcome
	err                error
}

func (s *Server) startResync(req ResyncRequest, d *resyncData, user string) *resyncJob {
	s.jobsMu.Lock()
	if s.jobs == nil {
		s.jobs = map[int64]*resyncJob{}
	}
	s.lastJob++
	job := &resyncJob{id: s.lastJob, user: user, data: d, done: make(chan struct{})}
	s.jobs[job.id] = job
	s.jobsMu.Unlock()
	req.Progress = func(p importer.Progress) {
		job.rows.Store(p.Rows)
		job.bytes.Store(p.Bytes)
		job.total.Store(p.TotalBytes)
	}
	s.running.Go(func() {
		defer close(job.done)
		job.out, job.err = s.d.Resync.Run(context.Background(), req)
	})
	return job
}

// Wait returns once every resync the console started has ended: a
// shutdown waits for them before the stores close.
func (s *Server) Wait() { s.running.Wait() }

type progressData struct {
	Rows, Bytes, Total int64
}

// Percent is how much of the source's bytes have been read, when known.
func (p progressData) Percent() int64 {
	if p.Total <= 0 {
		return -1
	}
	return min(100, p.Bytes*100/p.Total)
}

func (s *Server) resyncJobPage(w http.ResponseWriter, r *http.Request, rq *request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.jobsMu.Lock()
	job := s.jobs[id]
	s.jobsMu.Unlock()
	if job == nil || (job.user != rq.User.Name && roleRank(rq.User.Role) < roleRank(Admin)) {
		s.fail(w, r, rq, http.StatusNotFound, "no such resync (the console keeps them until it restarts; the run history has every one)")
		return
	}
	select {
	case <-job.done:
	default:
		w.Header().Set("Refresh", "2")
		s.render(w, r, "progress", rq, http.StatusOK, progressData{Rows: job.rows.Load(), Bytes: job.bytes.Load(), Total: job.total.Load()})
		return
	}
	if job.err != nil {
		s.fail(w, r, rq, http.StatusConflict, "resync: "+job.err.Error())
		return
	}
	d := *job.data
	d.Plan, d.DryRun = job.out, false
	if job.out.Err != nil {
		d.Message = job.out.Err.Error()
	}
	s.render(w, r, "plan", rq, http.StatusOK, &d)
}

type devicesData struct {
	Devices []deviceRow
	None    bool
	// Pulled are the machines the config reads over the network, with the
	// clock drift their last pull measured.
	Pulled []pulledRow
}

type pulledRow struct {
	Source, Device, Serial string
	Records                int
	CheckedAt              time.Time
	Drift, Tolerance       time.Duration
	Never                  bool // no pull has reached it yet
}

// Beyond says whether the measured drift is past the device's tolerance.
func (p pulledRow) Beyond() bool {
	return !p.Never && (p.Drift > p.Tolerance || -p.Drift > p.Tolerance)
}

type deviceRow struct {
	Serial, Name, TimeZone, RemoteAddr string
	Allowed, Online                    bool
	LastSeen, LastUpload               time.Time
	Received                           int64
}

func (s *Server) devicesPage(w http.ResponseWriter, r *http.Request, rq *request) {
	d := devicesData{None: s.d.Push == nil}
	if s.d.Push != nil {
		devs, err := s.d.Push.Devices(r.Context(), false)
		if err != nil {
			s.fail(w, r, rq, http.StatusInternalServerError, err.Error())
			return
		}
		now := s.d.Now()
		for _, v := range devs {
			d.Devices = append(d.Devices, deviceRow{Serial: v.Serial, Name: v.Name, TimeZone: v.TimeZone, RemoteAddr: v.RemoteAddr,
				Allowed: v.Allowed, Online: v.Online(now, 5*time.Minute), LastSeen: v.LastSeen, LastUpload: v.LastUpload, Received: v.Received})
		}
	}
	for _, dc := range s.d.Config.AllDevices() {
		p, err := s.d.State.DevicePosition(r.Context(), dc.Source, dc.Name)
		if err != nil {
			s.fail(w, r, rq, http.StatusInternalServerError, err.Error())
			return
		}
		d.Pulled = append(d.Pulled, pulledRow{Source: dc.Source, Device: dc.Name, Serial: p.Serial, Records: p.Count,
			CheckedAt: p.CheckedAt, Drift: p.Drift, Tolerance: dc.Drift, Never: p.CheckedAt.IsZero()})
	}
	s.render(w, r, "devices", rq, http.StatusOK, d)
}

// approveDevice allows a pending device, as a run in the history with the
// admin's name.
func (s *Server) approveDevice(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.d.Push == nil {
		s.fail(w, r, rq, http.StatusNotFound, "no push registry")
		return
	}
	serial := strings.TrimSpace(r.PostFormValue("serial"))
	name := strings.TrimSpace(r.PostFormValue("name"))
	tz := strings.TrimSpace(r.PostFormValue("timezone"))
	if serial == "" {
		s.fail(w, r, rq, http.StatusBadRequest, "which device? (serial)")
		return
	}
	run, err := importer.BeginRun(r.Context(), s.d.Config, importer.RunSpec{Command: "devices approve",
		Args:        fmt.Sprintf("devices approve %s --name %s --timezone %s", strconv.Quote(serial), strconv.Quote(name), strconv.Quote(tz)),
		SendNothing: true, User: auditName(rq.User), Log: s.d.Log})
	if err != nil {
		s.fail(w, r, rq, http.StatusConflict, err.Error())
		return
	}
	err = s.d.Push.Allow(r.Context(), serial, name, tz)
	counts := report.Counts{}
	if err == nil {
		counts["approved"] = 1
	}
	run.End(r.Context(), counts, err)
	if err != nil {
		s.fail(w, r, rq, http.StatusBadRequest, err.Error())
		return
	}
	http.Redirect(w, r, "/devices", http.StatusSeeOther)
}
