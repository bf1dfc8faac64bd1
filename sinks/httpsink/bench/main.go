// Command bench measures punch delivery to an in-process HTTPS target with
// a fixed per-request latency: sending each part straight away versus
// going through the outbox (enqueue every part in the SQLite state DB,
// then Deliver). It prints one line per mode.
//
//	go run ./sinks/httpsink/bench -punches 1000000 -batch 1000 -latency 20ms -concurrency 4
package main

import (
	"context"
	"database/sql"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/httpsink"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type target struct {
	latency  time.Duration
	requests atomic.Int64
	bytes    atomic.Int64
	mu       sync.Mutex
	keys     map[string]bool
}

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(t.latency)
	n, _ := io.Copy(io.Discard, r.Body)
	t.requests.Add(1)
	t.bytes.Add(n)
	t.mu.Lock()
	t.keys[r.Header.Get("Idempotency-Key")] = true
	t.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

func run() error {
	total := flag.Int("punches", 1_000_000, "punches to deliver")
	batch := flag.Int("batch", 1000, "punches per request")
	latency := flag.Duration("latency", 20*time.Millisecond, "target latency per request")
	conc := flag.Int("concurrency", 4, "requests in flight")
	zipMode := flag.String("zip", "never", "never, auto or always")
	syncMode := flag.String("sync", "NORMAL", "SQLite synchronous setting for the state DB (NORMAL or FULL)")
	flag.Parse()

	tgt := &target{latency: *latency, keys: map[string]bool{}}
	srv := httptest.NewTLSServer(tgt)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "httpsink-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		return err
	}
	sink, err := httpsink.New(httpsink.Config{
		URL: srv.URL + "/punches", BatchSize: *batch, Zip: *zipMode,
		HTTP: httpx.Config{CAFile: ca, Concurrency: *conc, Auth: httpx.Auth{Kind: httpx.AuthBearer, Token: "t"}},
	})
	if err != nil {
		return err
	}
	ctx := context.Background()
	fmt.Printf("%d punches, %d per request, %v latency, %d concurrent, zip %s, GOMAXPROCS cores %d\n",
		*total, *batch, *latency, *conc, *zipMode, numCPU())
	fmt.Printf("floor (requests × latency / concurrency): %v\n",
		time.Duration((*total+*batch-1) / *batch)**latency/time.Duration(*conc))

	// Direct: encode and send, no state kept.
	start := time.Now()
	if err := direct(ctx, sink, *total, *batch, *conc); err != nil {
		return err
	}
	directWall := time.Since(start)
	fmt.Printf("direct:  %6.2fs wall  %d requests  %.0f MB sent\n", directWall.Seconds(), tgt.requests.Load(), float64(tgt.bytes.Load())/1e6)

	// Outbox: enqueue every part (committed), then deliver.
	tgt.requests.Store(0)
	tgt.bytes.Store(0)
	tgt.keys = map[string]bool{}
	dbPath := filepath.Join(dir, "state.db")
	db, err := sql.Open("sqlite", dbPath+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+*syncMode+")")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := outbox.Migrate(ctx, db); err != nil {
		return err
	}
	start = time.Now()
	var ids []int64
	var enqOnly time.Duration
	for from := 0; from < *total; from += *batch {
		events, err := sink.Encode(punches(from, min(*batch, *total-from)))
		if err != nil {
			return err
		}
		t0 := time.Now()
		got, err := outbox.EnqueueAll(ctx, db, events)
		enqOnly += time.Since(t0)
		if err != nil {
			return err
		}
		ids = append(ids, got...)
	}
	enqueued := time.Since(start)
	sum, err := outbox.Deliver(ctx, db, sink, outbox.Options{Target: sink.Target(), Concurrency: *conc}, ids...)
	if err != nil {
		return err
	}
	outboxWall := time.Since(start)
	db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	st, _ := os.Stat(dbPath)
	fmt.Printf("outbox:  %6.2fs wall  (encode+enqueue %.2fs of which SQLite %.2fs, deliver %.2fs)  %d requests  %d succeeded  %d distinct keys  state DB %.0f MB  sync=%s\n",
		outboxWall.Seconds(), enqueued.Seconds(), enqOnly.Seconds(), (outboxWall - enqueued).Seconds(), tgt.requests.Load(), sum.Succeeded, len(tgt.keys), float64(st.Size())/1e6, *syncMode)
	fmt.Printf("outbox overhead: %+.0f%%\n", 100*(outboxWall.Seconds()/directWall.Seconds()-1))

	// Outbox, pipelined: each batch is committed to the outbox and then
	// delivered while the next batches are encoded and enqueued.
	tgt.requests.Store(0)
	tgt.keys = map[string]bool{}
	if _, err := db.ExecContext(ctx, `DELETE FROM outbox_events`); err != nil {
		return err
	}
	start = time.Now()
	delivered, err := pipelined(ctx, db, sink, *total, *batch, *conc)
	if err != nil {
		return err
	}
	pipeWall := time.Since(start)
	fmt.Printf("outbox, pipelined: %6.2fs wall  %d requests  %d succeeded  %d distinct keys\n",
		pipeWall.Seconds(), tgt.requests.Load(), delivered, len(tgt.keys))
	fmt.Printf("pipelined outbox overhead: %+.0f%%\n", 100*(pipeWall.Seconds()/directWall.Seconds()-1))
	return nil
}

// pipelined enqueues batches on one goroutine and delivers committed ones
// on another, taking whatever has been enqueued since the last round.
func pipelined(ctx context.Context, db *sql.DB, sink *httpsink.Sink, total, batch, conc int) (int, error) {
	committed := make(chan []int64, 64)
	var encErr error
	go func() {
		defer close(committed)
		for from := 0; from < total; from += batch {
			events, err := sink.Encode(punches(from, min(batch, total-from)))
			if err == nil {
				var ids []int64
				if ids, err = outbox.EnqueueAll(ctx, db, events); err == nil {
					committed <- ids
					continue
				}
			}
			encErr = err
			return
		}
	}()
	succeeded := 0
	for ids := range committed {
		// Gather what else is already committed, so a round keeps conc
		// requests busy.
	gather:
		for len(ids) < 4*conc {
			select {
			case more, ok := <-committed:
				if !ok {
					break gather
				}
				ids = append(ids, more...)
			default:
				break gather
			}
		}
		sum, err := outbox.Deliver(ctx, db, sink, outbox.Options{Target: sink.Target(), Concurrency: conc}, ids...)
		if err != nil {
			return succeeded, err
		}
		succeeded += sum.Succeeded
	}
	return succeeded, encErr
}

// direct encodes batches and sends their parts with conc workers.
func direct(ctx context.Context, sink *httpsink.Sink, total, batch, conc int) error {
	parts := make(chan outbox.Event, conc)
	errs := make(chan error, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for e := range parts {
				status, text, err := sink.Send(ctx, e)
				if err == nil && status >= 300 {
					err = fmt.Errorf("status %d: %s", status, text)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	var encErr error
	for from := 0; from < total && encErr == nil; from += batch {
		events, err := sink.Encode(punches(from, min(batch, total-from)))
		if err != nil {
			encErr = err
		}
		for _, e := range events {
			parts <- e
		}
	}
	close(parts)
	wg.Wait()
	if encErr != nil {
		return encErr
	}
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// punches makes n distinct punches starting at number from.
func punches(from, n int) []mapping.Punch {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]mapping.Punch, n)
	for i := range out {
		k := from + i
		dir := mapping.DirIn
		if k%2 == 1 {
			dir = mapping.DirOut
		}
		out[i] = mapping.Punch{
			EmployeeID: fmt.Sprintf("E%06d", k%20000),
			SourceKey:  fmt.Sprintf("%d", k%20000),
			Time:       base.Add(time.Duration(k) * time.Second),
			Direction:  dir,
			DeviceID:   fmt.Sprintf("dev-%02d", k%37),
			Source:     "zk",
		}
	}
	return out
}

func numCPU() int { return runtime.GOMAXPROCS(0) }
