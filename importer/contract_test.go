package importer

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sinks/sinktest"
)

// apiTarget is an HR API that applies each body once per idempotency key
// and keeps a punch once by its own unique key, as the HTTP targets hrsync
// writes to do.
type apiTarget struct {
	mu     sync.Mutex
	seen   map[string]bool
	stored map[mapping.Key]bool
}

func (a *apiTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var rows []map[string]string
	if err == nil {
		err = json.Unmarshal(body, &rows)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if key := r.Header.Get("Idempotency-Key"); !a.seen[key] {
		a.seen[key] = true
		for _, row := range rows {
			at, err := time.Parse(time.RFC3339, row["time"])
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			a.stored[mapping.Key{EmployeeID: row["employee_id"], Unix: at.Unix(), DeviceID: row["device_id"]}] = true
		}
	}
	io.WriteString(w, `{"ok": true}`)
}

// TestOutboxWriterContract runs the punch-sink suite on the writer an
// import to an HTTP API uses: batches committed to the outbox, then sent.
func TestOutboxWriterContract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Target {
		target := &apiTarget{seen: map[string]bool{}, stored: map[mapping.Key]bool{}}
		srv := httptest.NewTLSServer(target)
		t.Cleanup(srv.Close)
		cfg := testConfig(t, "")
		cfg.HR.URL = srv.URL + "/punches"
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg.HR.HTTP.CAFile = ca
		sess, err := OpenState(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sess.Close() })
		return sinktest.Target{
			Open: func(t *testing.T) sinks.PunchSink {
				id, err := sess.State.StartRun(context.Background(), state.Run{Command: "import", StartedAt: time.Now()})
				if err != nil {
					t.Fatal(err)
				}
				w, err := newOutboxWriter(sess, id, time.Now)
				if err != nil {
					t.Fatal(err)
				}
				return w
			},
			Stored: func(t *testing.T) []mapping.Key {
				target.mu.Lock()
				defer target.mu.Unlock()
				var keys []mapping.Key
				for k := range target.stored {
					keys = append(keys, k)
				}
				return keys
			},
		}
	})
}
