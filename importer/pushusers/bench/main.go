// Command bench measures push-users: N employees, a share of them changed
// in the source, pushed into an HTTPS employee API with simulated latency
// (-target http) or into MariaDB (-target mariadb). It prints wall times.
//
//	go run ./importer/pushusers/bench -target http -n 50000 -changed 0.02 -latency 100ms -concurrency 8
//	go run ./importer/pushusers/bench -target mariadb -n 50000 -changed 0.02
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/pushusers"
)

func main() {
	target := flag.String("target", "http", "http or mariadb")
	n := flag.Int("n", 50000, "employees")
	changed := flag.Float64("changed", 0.02, "share of employees whose department changes")
	latency := flag.Duration("latency", 100*time.Millisecond, "simulated latency per HTTP request")
	concurrency := flag.Int("concurrency", 8, "HTTP requests in flight")
	pageSize := flag.Int("page-size", 500, "list page size (http)")
	dsn := flag.String("mariadb", "mysql://root@127.0.0.1:3306/test", "MariaDB URL (mariadb)")
	flag.Parse()
	if err := run(*target, *n, *changed, *latency, *concurrency, *pageSize, *dsn); err != nil {
		log.Fatal(err)
	}
}

// writeSource writes the customer's export: every employee, the first
// share of them in a new department.
func writeSource(dir string, n int, changed float64) (string, error) {
	path := filepath.Join(dir, "employees.csv")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"Emp No", "Full Name", "Init Pwd", "Status", "Dept", "Position", "Joined"})
	nChanged := int(float64(n) * changed)
	for i := 0; i < n; i++ {
		dept := fmt.Sprintf("D%02d", i%40)
		if i < nChanged {
			dept = "Moved"
		}
		w.Write([]string{empID(i), fmt.Sprintf("Person %d", i), "pw" + strconv.Itoa(i), "Active", dept, "Operator", "2020-01-01"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return "", err
	}
	return path, f.Close()
}

func empID(i int) string { return fmt.Sprintf("E%06d", i) }

func loadConfig(dir, targetYAML string) (*config.Config, error) {
	yml := `
hr: { url: sqlite://hr.db }
push_users:
  source:
    path: employees.csv
    format: { type: csv }
    columns: { id: Emp No, name: Full Name, password: Init Pwd, status: Status, department: Dept, designation: Position, onboarding_date: Joined }
  target: ` + targetYAML + "\n"
	return config.Parse(filepath.Join(dir, "hrsync.yaml"), []byte(yml))
}

func run(target string, n int, changed float64, latency time.Duration, concurrency, pageSize int, dsn string) error {
	dir, err := os.MkdirTemp("", "pushusers-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := writeSource(dir, n, changed); err != nil {
		return err
	}
	ctx := context.Background()
	var (
		cfg *config.Config
		t   pushusers.Target
	)
	switch target {
	case "http":
		srv := newServer(n, latency)
		defer srv.Close()
		cfg, err = loadConfig(dir, fmt.Sprintf(`{kind: http, url: %q, auth: {kind: bearer, token: tok}, concurrency: %d,
    endpoints: {list: {path: employees, items: data, page_param: page, size_param: size, page_size: %d}, create: {path: employees}, update: {path: "employees/{id}"}}}`,
			srv.URL+"/api/", concurrency, pageSize))
		if err != nil {
			return err
		}
		hc := pushusers.HTTPConfig(cfg, nil)
		hc.InsecureSkipVerify = true
		t, err = pushusers.NewHTTPTarget(cfg, hc)
		if err != nil {
			return err
		}
	case "mariadb":
		var cleanup func()
		cfg, t, cleanup, err = mariadbTarget(ctx, dir, dsn, n)
		if err != nil {
			return err
		}
		defer cleanup()
	default:
		return fmt.Errorf("-target %q: want http or mariadb", target)
	}
	start := time.Now()
	res, err := pushusers.Run(ctx, pushusers.Options{Config: cfg, Target: t, ReportPath: filepath.Join(dir, "report.csv")})
	if err != nil {
		return err
	}
	wall := time.Since(start)
	fmt.Printf("push-users -target %s: %d employees, %d changed%s: wall %.2fs; counts %v\n",
		target, n, int(float64(n)*changed), httpNote(target, latency, concurrency), wall.Seconds(), res.Counts)
	return nil
}

// server is an employee API with a fixed delay on every request.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	emps map[string]map[string]string
	ids  []string
}

func newServer(n int, latency time.Duration) *server {
	s := &server{emps: map[string]map[string]string{}}
	for i := 0; i < n; i++ {
		id := empID(i)
		s.ids = append(s.ids, id)
		s.emps[id] = map[string]string{"id": id, "name": fmt.Sprintf("Person %d", i), "status": "active",
			"department": fmt.Sprintf("D%02d", i%40), "designation": "Operator", "onboarding_date": "2020-01-01"}
	}
	sort.Strings(s.ids)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		switch {
		case r.Method == http.MethodGet:
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			size, _ := strconv.Atoi(r.URL.Query().Get("size"))
			s.mu.Lock()
			var items []map[string]string
			for i := (page - 1) * size; i >= 0 && i < len(s.ids) && i < page*size; i++ {
				items = append(items, s.emps[s.ids[i]])
			}
			s.mu.Unlock()
			json.NewEncoder(w).Encode(map[string]any{"data": items})
		case r.Method == http.MethodPut:
			var m map[string]string
			body, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(body, &m); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			id := strings.TrimPrefix(r.URL.Path, "/api/employees/")
			s.mu.Lock()
			for k, v := range m {
				s.emps[id][k] = v
			}
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	return s
}

func httpNote(target string, latency time.Duration, concurrency int) string {
	if target != "http" {
		return ""
	}
	return fmt.Sprintf(", latency %s, concurrency %d", latency, concurrency)
}
