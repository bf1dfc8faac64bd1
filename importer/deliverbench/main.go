// Command deliverbench measures `hrsync import` into an HTTPS punch API
// through the real import path (read, map, directory lookup, report,
// encode, send) against an in-process TLS target that answers after a
// fixed latency. It runs the same import three ways and prints one line
// each: a dry run (read, map and report, nothing sent: the floor of the
// local work); direct (each batch's parts sent straight away, nothing
// kept); and outbox (the shipped path: each batch's parts committed to the
// run state first, then delivered and marked).
//
//	go run ./importer/deliverbench -punches 1000000 -batch 1000 -latency 20ms -concurrency 4
package main

import (
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sinks/httpsink"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "deliverbench:", err)
		os.Exit(1)
	}
}

// target answers every request after latency and counts what it got.
type target struct {
	latency  time.Duration
	requests atomic.Int64
	bytes    atomic.Int64
}

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(t.latency)
	n, _ := io.Copy(io.Discard, r.Body)
	t.requests.Add(1)
	t.bytes.Add(n)
	w.WriteHeader(http.StatusCreated)
}

func run() error {
	total := flag.Int("punches", 1_000_000, "punches to import")
	batch := flag.Int("batch", 1000, "punches per request (hr.http.batch_size)")
	latency := flag.Duration("latency", 20*time.Millisecond, "target latency per request")
	conc := flag.Int("concurrency", 4, "requests in flight (hr.http.concurrency)")
	employees := flag.Int("employees", 5000, "employees in the directory")
	flag.Parse()

	tgt := &target{latency: *latency}
	srv := httptest.NewUnstartedServer(tgt)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	work, err := os.MkdirTemp("", "deliverbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := writeData(work, srv, *total, *employees, *batch, *conc); err != nil {
		return err
	}
	requests := (*total + *batch - 1) / *batch
	fmt.Printf("%d punches, %d per request (%d requests), %v latency, %d concurrent, %d cores\n",
		*total, *batch, requests, *latency, *conc, runtime.NumCPU())
	fmt.Printf("floor (requests x latency / concurrency): %.2fs\n", (time.Duration(requests) * *latency / time.Duration(*conc)).Seconds())
	fmt.Printf("%-9s %9s %9s %12s %s\n", "mode", "wall s", "requests", "punches/s", "outcomes")

	ctx := context.Background()
	modes := []struct {
		name   string
		dryRun bool
		writer func(*config.Config) (sinks.PunchSink, error)
	}{
		{"dry run", true, nil},
		{"direct", false, func(cfg *config.Config) (sinks.PunchSink, error) {
			sink, err := importer.NewHTTPSink(cfg)
			return &directWriter{sink: sink, concurrency: *conc}, err
		}},
		{"outbox", false, nil},
	}
	var direct time.Duration
	for i, m := range modes {
		cfg, err := config.Load(filepath.Join(work, "hrsync.yaml"))
		if err != nil {
			return err
		}
		cfg.DataDir = fmt.Sprintf("data-%d", i) // a fresh run state (and outbox) per mode
		opts := importer.Options{Config: cfg, DryRun: m.dryRun, ReportPath: filepath.Join(work, fmt.Sprintf("report-%d.csv", i))}
		if m.writer != nil {
			if opts.Writer, err = m.writer(cfg); err != nil {
				return err
			}
		}
		tgt.requests.Store(0)
		start := time.Now()
		res, err := importer.Import(ctx, opts)
		wall := time.Since(start)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		fmt.Printf("%-9s %9.2f %9d %12.0f %v\n", m.name, wall.Seconds(), tgt.requests.Load(), float64(*total)/wall.Seconds(), res.Counts)
		switch m.name {
		case "direct":
			direct = wall
		case "outbox":
			fmt.Printf("outbox overhead: %+.2fs (%+.1f%%)\n", (wall - direct).Seconds(), 100*(wall-direct).Seconds()/direct.Seconds())
		}
	}
	return nil
}

func writeData(dir string, srv *httptest.Server, total, employees, batch, conc int) error {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o644); err != nil {
		return err
	}
	ef, err := os.Create(filepath.Join(dir, "employees.csv"))
	if err != nil {
		return err
	}
	defer ef.Close()
	if err := gen.WriteEmployeesCSV(ef, employees); err != nil {
		return err
	}
	pf, err := os.Create(filepath.Join(dir, "punches.csv"))
	if err != nil {
		return err
	}
	defer pf.Close()
	spec := gen.Spec{Employees: employees, Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: total, Seed: 1}
	if _, err := gen.WritePunchesCSV(pf, spec); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(fmt.Sprintf(`timezone: Asia/Ho_Chi_Minh
hr:
  url: %s/punches
  employees: { file: employees.csv }
  http:
    batch_size: %d
    concurrency: %d
    ca_file: ca.pem
    auth: { kind: bearer, token: bench }
sources:
  gate:
    path: punches.csv
    format: { type: csv, delimiter: ",", encoding: utf-8 }
`+gen.MappingYAML(4), srv.URL, batch, conc)), 0o644)
}

// directWriter sends each batch's parts at once, up to concurrency in
// flight, and keeps nothing: what the import would do without the outbox.
type directWriter struct {
	sink        *httpsink.Sink
	concurrency int
}

func (w *directWriter) WritePunches(ctx context.Context, batch []mapping.Punch, out []sinks.Outcome) error {
	events, _, err := w.sink.EncodeParts(batch)
	if err != nil {
		return err
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, w.concurrency)
	)
	for _, e := range events {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			status, _, err := w.sink.Send(ctx, e)
			if err == nil && (status < 200 || status > 299) {
				err = fmt.Errorf("HTTP %d", status)
			}
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for i := range out {
		out[i] = sinks.Outcome{Code: mapping.Imported}
	}
	return nil
}

func (w *directWriter) Close() error { return nil }
