package console

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/outbox"
)

const pageSize = 50

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"counts": func(c map[string]int64) string {
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if c[k] != 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
			}
		}
		return strings.Join(parts, ", ")
	},
	"icounts": func(c map[string]int) string {
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
		}
		return strings.Join(parts, ", ")
	},
	"exitText": exitText,
}

// runStatuses are the Runs page's status filter: a name per exit code.
var runStatuses = []struct {
	Name string
	Code exitcode.Code
}{{"ok", exitcode.OK}, {"failed", exitcode.Failed}, {"usage", exitcode.Usage}, {"rejected", exitcode.Rejected}, {"queued", exitcode.Queued}}

func exitText(c *int) string {
	if c == nil {
		return "running"
	}
	for _, s := range runStatuses {
		if int(s.Code) == *c {
			return s.Name
		}
	}
	return strconv.Itoa(*c)
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

type runsData struct {
	Runs     []state.Run
	Total    int64
	Commands []string
	Statuses []string
	Q        url.Values
	Next     string
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request, rq *request) {
	q := r.URL.Query()
	f := state.RunFilter{Command: q.Get("command"), Before: atoi64(q.Get("before")), Limit: pageSize}
	switch st := q.Get("status"); st {
	case "":
	case "running":
		f.Running = true
	default:
		i := slices.IndexFunc(runStatuses, func(x struct {
			Name string
			Code exitcode.Code
		}) bool {
			return x.Name == st
		})
		if i < 0 {
			s.fail(w, r, rq, http.StatusBadRequest, fmt.Sprintf("status %q: unknown", st))
			return
		}
		f.Exit = []int{int(runStatuses[i].Code)}
	}
	loc := s.d.Config.HR.Location()
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			s.fail(w, r, rq, http.StatusBadRequest, "from: want a day like 2025-12-01")
			return
		}
		f.From = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			s.fail(w, r, rq, http.StatusBadRequest, "to: want a day like 2025-12-15")
			return
		}
		f.To = t.AddDate(0, 0, 1)
	}
	ctx := r.Context()
	runs, err := s.d.State.PageRuns(ctx, f)
	if err != nil {
		s.fail(w, r, rq, http.StatusInternalServerError, err.Error())
		return
	}
	total, err := s.d.State.CountRuns(ctx, f)
	if err != nil {
		s.fail(w, r, rq, http.StatusInternalServerError, err.Error())
		return
	}
	cmds, _ := s.d.State.Commands(ctx)
	d := runsData{Runs: runs, Total: total, Commands: cmds, Q: q}
	for _, st := range runStatuses {
		d.Statuses = append(d.Statuses, st.Name)
	}
	d.Statuses = append(d.Statuses, "running")
	if len(runs) == pageSize {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("before", strconv.FormatInt(runs[len(runs)-1].ID, 10))
		d.Next = "/runs?" + nq.Encode()
	}
	s.render(w, r, "runs", rq, http.StatusOK, d)
}

// reportTable is one page of a run's per-row report.
type reportTable struct {
	Header   []string
	Rows     [][]string
	Outcomes map[string]int64
	Matched  int64
	Page     int
	Pages    int
	Outcome  string
	Err      string
	// Prev and Next are page numbers, 0 when there is none.
	Prev, Next int
}

type runData struct {
	Run    state.Run
	Report reportTable
	Q      url.Values
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, rq *request) {
	run, err := s.d.State.GetRun(r.Context(), atoi64(r.PathValue("id")))
	if err != nil {
		s.fail(w, r, rq, http.StatusNotFound, err.Error())
		return
	}
	q := r.URL.Query()
	pg, _ := strconv.Atoi(q.Get("page"))
	d := runData{Run: run, Q: q, Report: reportTable{Page: max(pg, 1), Outcome: q.Get("outcome")}}
	if run.ReportPath != "" {
		s.readReport(run.ReportPath, &d.Report)
	}
	s.render(w, r, "run", rq, http.StatusOK, d)
}

// eachReportRow calls fn with the report's header and each row, CSV
// (hrsync's, with a BOM) or JSON lines.
func eachReportRow(path string, fn func(header, row []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if b, _ := br.Peek(3); string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	if strings.EqualFold(filepath.Ext(path), ".jsonl") {
		var header []string
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			if header == nil {
				for k := range m {
					header = append(header, k)
				}
				sort.Strings(header)
			}
			row := make([]string, len(header))
			for i, k := range header {
				if v, ok := m[k]; ok && v != nil {
					row[i] = fmt.Sprint(v)
				}
			}
			if err := fn(header, row); err != nil {
				return err
			}
		}
		return sc.Err()
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return err
	}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(header, row); err != nil {
			return err
		}
	}
}

func (s *Server) readReport(path string, t *reportTable) {
	t.Outcomes = map[string]int64{}
	first := int64(t.Page-1) * pageSize
	err := eachReportRow(path, func(header, row []string) error {
		t.Header = header
		oc := cell(header, row, "outcome")
		t.Outcomes[oc]++
		if t.Outcome != "" && oc != t.Outcome {
			return nil
		}
		if t.Matched >= first && t.Matched < first+pageSize {
			t.Rows = append(t.Rows, row)
		}
		t.Matched++
		return nil
	})
	if err != nil {
		t.Err = err.Error()
	}
	t.Pages = int((t.Matched + pageSize - 1) / pageSize)
	if t.Page > 1 {
		t.Prev = t.Page - 1
	}
	if t.Page < t.Pages {
		t.Next = t.Page + 1
	}
}

func cell(header, row []string, name string) string {
	for i, h := range header {
		if h == name && i < len(row) {
			return row[i]
		}
	}
	return ""
}

// reportDownload sends a run's report, filtered by outcome, as CSV or as
// an .xlsx workbook (streamed: one row in memory at a time).
func (s *Server) reportDownload(w http.ResponseWriter, r *http.Request, rq *request) {
	file := r.PathValue("file")
	if file != "report.csv" && file != "report.xlsx" {
		http.NotFound(w, r)
		return
	}
	run, err := s.d.State.GetRun(r.Context(), atoi64(r.PathValue("id")))
	if err != nil || run.ReportPath == "" {
		http.Error(w, "no report for this run", http.StatusNotFound)
		return
	}
	outcome := r.URL.Query().Get("outcome")
	keep := func(header, row []string) bool { return outcome == "" || cell(header, row, "outcome") == outcome }
	if file == "report.xlsx" {
		x := excelize.NewFile()
		defer x.Close()
		sw, err := x.NewStreamWriter("Sheet1")
		if err == nil {
			n := 0
			err = eachReportRow(run.ReportPath, func(header, row []string) error {
				if n == 0 {
					n++
					if err := sw.SetRow("A1", cells(header)); err != nil {
						return err
					}
				}
				if !keep(header, row) {
					return nil
				}
				n++
				at, _ := excelize.CoordinatesToCellName(1, n)
				return sw.SetRow(at, cells(row))
			})
		}
		if err == nil {
			err = sw.Flush()
		}
		if err != nil {
			s.fail(w, r, rq, http.StatusInternalServerError, "report: "+err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d.xlsx"`, run.ID))
		if err := x.Write(w); err != nil {
			s.d.Log.Warn("console: report download", "run", run.ID, "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d.csv"`, run.ID))
	io.WriteString(w, "\xef\xbb\xbf")
	cw := csv.NewWriter(w)
	wrote := false
	err = eachReportRow(run.ReportPath, func(header, row []string) error {
		if !wrote {
			wrote = true
			if err := cw.Write(header); err != nil {
				return err
			}
		}
		if !keep(header, row) {
			return nil
		}
		return cw.Write(row)
	})
	cw.Flush()
	if err != nil {
		s.d.Log.Warn("console: report download", "run", run.ID, "err", err)
	}
}

// cells are a report row for a workbook, formula-safe as the report's own
// files are.
func cells(row []string) []any {
	out := make([]any, len(row))
	for i, c := range row {
		out[i] = report.SafeCell(c)
	}
	return out
}

type deliveriesData struct {
	Events   []outbox.Event
	Counts   map[string]int
	Statuses []string
	Status   string
	Next     string
}

func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request, rq *request) {
	status := r.URL.Query().Get("status")
	events, err := outbox.Page(r.Context(), s.d.State.DB, status, atoi64(r.URL.Query().Get("before")), pageSize)
	if err != nil {
		s.fail(w, r, rq, http.StatusBadRequest, err.Error())
		return
	}
	d := deliveriesData{Events: events, Status: status, Counts: map[string]int{},
		Statuses: []string{outbox.Pending, outbox.Succeeded, outbox.Failed, outbox.Processed}}
	for _, st := range d.Statuses {
		d.Counts[st], _ = outbox.Count(r.Context(), s.d.State.DB, st)
	}
	if len(events) == pageSize {
		d.Next = fmt.Sprintf("/deliveries?status=%s&before=%d", url.QueryEscape(status), events[len(events)-1].ID)
	}
	s.render(w, r, "deliveries", rq, http.StatusOK, d)
}

// maxShownPayload bounds the payload text put on a page.
const maxShownPayload = 1 << 20

type deliveryData struct {
	Event     outbox.Event
	Payload   string
	Cut       bool
	Replies   []outbox.Reply
	CanRetry  bool
	CanClose  bool
	Message   string
	NeedsNote bool
}

func (s *Server) deliveryPage(w http.ResponseWriter, r *http.Request, rq *request) {
	s.showDelivery(w, r, rq, http.StatusOK, r.URL.Query().Get("done"))
}

func (s *Server) showDelivery(w http.ResponseWriter, r *http.Request, rq *request, status int, msg string) {
	e, err := outbox.Get(r.Context(), s.d.State.DB, atoi64(r.PathValue("id")))
	if err != nil {
		s.fail(w, r, rq, http.StatusNotFound, err.Error())
		return
	}
	d := deliveryData{Event: e, Payload: e.PayloadText(), Message: msg,
		CanRetry: e.Status == outbox.Failed || e.Status == outbox.Pending,
		CanClose: e.Status == outbox.Failed || e.Status == outbox.Pending}
	if len(d.Payload) > maxShownPayload {
		d.Payload, d.Cut = d.Payload[:maxShownPayload], true
	}
	d.Replies, _ = outbox.Replies(r.Context(), s.d.State.DB, e.ID)
	s.render(w, r, "delivery", rq, status, d)
}

// retry is `hrsync retry ID`: the same function, under the run lock, in the
// history with the account's name.
func (s *Server) retry(w http.ResponseWriter, r *http.Request, rq *request) {
	id := atoi64(r.PathValue("id"))
	res, err := importer.Retry(r.Context(), s.d.Config, importer.RunSpec{
		Args: fmt.Sprintf("retry %d", id), User: auditName(rq.User), Log: s.d.Log}, []int64{id})
	if err != nil {
		s.fail(w, r, rq, http.StatusConflict, "retry: "+err.Error())
		return
	}
	msg := fmt.Sprintf("run %d sent %d: %d succeeded, %d will be retried, %d failed for good", res.RunID,
		res.Summary.Due, res.Summary.Succeeded, res.Summary.Retrying, res.Summary.GaveUp)
	if len(res.Skipped) > 0 {
		msg += "; " + strings.Join(res.Skipped, "; ") + ": nothing to send"
	}
	http.Redirect(w, r, fmt.Sprintf("/deliveries/%d?done=%s", id, url.QueryEscape(msg)), http.StatusSeeOther)
}

// markProcessed is `hrsync mark-processed ID --note`.
func (s *Server) markProcessed(w http.ResponseWriter, r *http.Request, rq *request) {
	id := atoi64(r.PathValue("id"))
	note := strings.TrimSpace(r.PostFormValue("note"))
	if note == "" {
		s.showDelivery(w, r, rq, http.StatusBadRequest, "a note is required: say what was done with the batch")
		return
	}
	args := fmt.Sprintf("mark-processed %d --note %s", id, strconv.Quote(note))
	if err := importer.MarkProcessed(r.Context(), s.d.Config, importer.RunSpec{Args: args, User: auditName(rq.User), Log: s.d.Log}, id, note); err != nil {
		s.showDelivery(w, r, rq, http.StatusConflict, "mark processed: "+err.Error())
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/deliveries/%d?done=%s", id, url.QueryEscape("marked processed")), http.StatusSeeOther)
}
