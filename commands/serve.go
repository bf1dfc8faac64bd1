package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/iclock"
)

type serveOptions struct {
	Listen      string        // overrides serve.listen
	ImportEvery time.Duration // overrides serve.import_every; <0 turns it off
	Args        string        // the command as typed, for the history of its imports
	// ready, in tests, is told each endpoint's address once it accepts.
	ready func(name, addr string)
	// started is called once every endpoint accepts (the Windows service
	// reports Running then).
	started func()
}

func newServeCmd(app *App) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive the punches ZKTeco terminals push (ADMS / iclock), stored before they are acknowledged",
		Long: `serve runs the push endpoint ZKTeco terminals call (ADMS, /iclock/...): the
handshake, record uploads (stored durably before "OK: N"), command polling and
results, and the clock request. Only approved serials are accepted: an unknown
device is refused, logged once, and listed by "hrsync devices pending".

Received punches reach the HR system through a source with "push: true", by
"hrsync import" or by serve itself every serve.import_every. GET /healthz
answers "ok" while the push store does. SIGINT or SIGTERM stop it after the
requests in flight are answered.

The default address, ` + config.DefaultListen + `, is reachable from this machine only:
set serve.listen (or --listen) to an address of the LAN the devices are on,
e.g. ":8081".`,
		Example: `  hrsync serve --config hrsync.yaml
  hrsync serve --listen :8081 --import-every 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = commandLine(cmd)
			if handled, err := runAsWindowsService(cmd.Context(), func(ctx context.Context, started func()) error {
				o := o
				o.started = started
				return runServe(ctx, app, o)
			}); handled {
				return err
			}
			return runServe(cmd.Context(), app, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "", "host:port to listen on (default serve.listen, else "+config.DefaultListen+")")
	f.DurationVar(&o.ImportEvery, "import-every", 0, "import what was received at this interval (default serve.import_every; -1s: never)")
	return cmd
}

// endpoint is one HTTP server serve runs; every endpoint starts with serve
// and shuts down with it: the push endpoint, and the support console when
// the config has a console: section.
type endpoint struct {
	name     string
	srv      *http.Server
	certFile string // both set, or srv.TLSConfig holding the certificate: HTTPS
	keyFile  string
}

func (ep endpoint) tls() bool { return ep.certFile != "" || ep.srv.TLSConfig != nil }

// shutdownGrace is how long serve waits for requests in flight (an upload
// being committed) when told to stop.
const shutdownGrace = 30 * time.Second

func runServe(ctx context.Context, app *App, o serveOptions) error {
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	s := cfg.ServeSettings()
	if o.Listen != "" {
		s.Listen = o.Listen
		if _, _, err := net.SplitHostPort(s.Listen); err != nil {
			return exitcode.Usagef("--listen %q: want host:port, e.g. :8081", o.Listen)
		}
	}
	switch {
	case o.ImportEvery < 0:
		s.ImportEvery = 0
	case o.ImportEvery > 0:
		if len(cfg.PushSources()) == 0 {
			return exitcode.Usagef("--import-every: no source has push: true, so there is nothing to import")
		}
		s.ImportEvery = config.Duration(max(o.ImportEvery, time.Second))
	}
	log := serveLog(app)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := pushstore.Open(ctx, s.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	endpoints := []endpoint{pushEndpoint(cfg, s, st, log)}
	if cfg.Console != nil { // a console: section: the support console is served beside the devices
		srv, err := ConsoleServer(ctx, cfg, log)
		if err != nil {
			return err
		}
		endpoints = append(endpoints, endpoint{name: "console", srv: srv})
	}

	var background sync.WaitGroup
	if s.ImportEvery > 0 {
		background.Go(func() { importLoop(ctx, cfg, st, time.Duration(s.ImportEvery), o.Args, log) })
	}
	listening := 0
	err = serveEndpoints(ctx, endpoints, func(name, addr string) {
		if o.ready != nil {
			o.ready(name, addr)
		}
		if listening++; listening == len(endpoints) && o.started != nil {
			o.started()
		}
	}, log)
	stop()
	background.Wait() // the import batch in flight finishes
	return err
}

// serveLog is the log serve writes: the log file, and stderr at info level
// unless --quiet (a service's stderr is its journal), debug with --verbose.
func serveLog(app *App) *slog.Logger {
	if app.Quiet || app.Verbose {
		return app.Log
	}
	console := slog.NewTextHandler(app.Err, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: dropTime})
	return slog.New(slog.NewMultiHandler(app.Log.Handler(), console))
}

// pushEndpoint is the iclock handler behind the per-device rate limit, with
// the health endpoint beside it.
func pushEndpoint(cfg *config.Config, s config.Serve, st *pushstore.Store, log *slog.Logger) endpoint {
	var zone *time.Location
	if loc, err := time.LoadLocation(pushZone(cfg)); err == nil {
		zone = loc
	}
	h := iclock.New(iclock.Config{Store: st, Log: log, MaxBody: s.MaxBody, Delay: int(time.Duration(s.Delay) / time.Second), Zone: zone})
	mux := http.NewServeMux()
	approved := func(ctx context.Context, serial string) bool {
		d, ok, err := st.Device(ctx, serial)
		return err == nil && ok && d.Allowed
	}
	mux.Handle("/iclock/", limitDevices(h, s.RateLimit, approved, log))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			log.Error("health: the push store does not answer", "err", err)
			http.Error(w, "push store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	ep := endpoint{name: "push", srv: &http.Server{
		Addr:              s.Listen,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a 4 MiB upload over a slow site link
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}
	if s.TLS() {
		ep.certFile, ep.keyFile = s.CertFile, s.KeyFile
	}
	return ep
}

// serveEndpoints listens on every endpoint, serves until ctx ends or one of
// them fails, then shuts them all down, waiting up to shutdownGrace for
// the requests in flight.
func serveEndpoints(ctx context.Context, eps []endpoint, ready func(name, addr string), log *slog.Logger) error {
	var lns []net.Listener
	for _, ep := range eps {
		ln, err := net.Listen("tcp", ep.srv.Addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("%s endpoint: %w", ep.name, err)
		}
		lns = append(lns, ln)
	}
	errc := make(chan error, len(eps))
	for i, ep := range eps {
		scheme := "http"
		if ep.tls() {
			scheme = "https"
		}
		addr := lns[i].Addr().String()
		log.Info("serve: listening", "endpoint", ep.name, "address", scheme+"://"+addr)
		if host, _, _ := net.SplitHostPort(ep.srv.Addr); host != "" && ep.name == "push" {
			if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
				log.Info("serve: the address is loopback, so only this machine can reach it; devices on the LAN need serve.listen such as :8081", "endpoint", ep.name)
			}
		}
		go func() {
			var err error
			if ep.tls() {
				err = ep.srv.ServeTLS(lns[i], ep.certFile, ep.keyFile)
			} else {
				err = ep.srv.Serve(lns[i])
			}
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			} else if err != nil {
				err = fmt.Errorf("%s endpoint: %w", ep.name, err)
			}
			errc <- err
		}()
		if ready != nil {
			ready(ep.name, addr)
		}
	}
	var failed error
	pending := len(eps)
	select {
	case <-ctx.Done():
		log.Info("serve: stopping; answering the requests in flight")
	case failed = <-errc:
		pending--
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, ep := range eps {
		if err := ep.srv.Shutdown(sctx); err != nil {
			log.Warn("serve: shutdown", "endpoint", ep.name, "err", err)
		}
	}
	for ; pending > 0; pending-- {
		if err := <-errc; err != nil && failed == nil {
			failed = err
		}
	}
	if failed == nil {
		log.Info("serve: stopped")
	}
	return failed
}

// pushZone is the zone of a device whose registry row names none, for its
// clock (rtdata, set-time): the push sources' timezone, which their punches
// are read in, when they share one; else the config's.
func pushZone(cfg *config.Config) string {
	zone := ""
	for _, n := range cfg.PushSources() {
		switch z := cfg.Sources[n].Timezone; {
		case zone == "":
			zone = z
		case z != zone:
			return cfg.Timezone
		}
	}
	if zone == "" {
		return cfg.Timezone
	}
	return zone
}

// limitDevices answers 429 to a caller that calls more often than perSecond
// on average, with bursts of 4 times as many; perSecond < 0 turns the limit
// off. An approved serial has a limit of its own (several terminals behind
// one NAT address are not held back by each other); any other call is
// limited by its remote address, so a caller trying serial after serial
// shares one limit, which is spent before the store is asked about the
// serial. A real terminal polls every few seconds; a loop gone wrong, or
// someone trying serials, is held back before it reaches the store.
func limitDevices(next http.Handler, perSecond float64, approved func(ctx context.Context, serial string) bool, log *slog.Logger) http.Handler {
	if perSecond < 0 {
		return next
	}
	l := &deviceLimits{every: rate.Limit(perSecond), burst: max(1, int(4*perSecond)), m: map[string]*rate.Limiter{},
		approved: approved, known: map[string]bool{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key, ok := l.admit(r); !ok {
			log.Debug("serve: rate limit", "key", key, "serial", clipSerial(r.URL.Query().Get("SN")), "remote", r.RemoteAddr)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clipSerial keeps a claimed serial short enough for a log line.
func clipSerial(sn string) string {
	if len(sn) > 32 {
		return sn[:32] + "..."
	}
	return sn
}

type deviceLimits struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	m     map[string]*rate.Limiter // "sn:SERIAL" or "ip:ADDRESS"

	approved func(ctx context.Context, serial string) bool
	// known holds the serials found approved: only an approval adds one,
	// so callers cannot grow it. A device rejected later keeps its own
	// limit; the handler refuses its calls.
	known map[string]bool
}

// maxLimited bounds the limiters kept: past it they start afresh, which at
// worst gives each caller one more burst.
const maxLimited = 20000

// admit charges r to its limiter and tells whether it may go on, and the
// limiter's key.
func (l *deviceLimits) admit(r *http.Request) (string, bool) {
	sn := r.URL.Query().Get("SN")
	if l.isKnown(sn) {
		return "sn:" + sn, l.allow("sn:" + sn)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	key := "ip:" + host
	if !l.allow(key) {
		return key, false
	}
	// The address's limit paid for this look-up.
	if sn != "" && len(sn) <= 32 && l.approved != nil && l.approved(r.Context(), sn) {
		l.mu.Lock()
		if len(l.known) >= maxLimited {
			clear(l.known)
		}
		l.known[sn] = true
		l.mu.Unlock()
	}
	return key, true
}

func (l *deviceLimits) isKnown(sn string) bool {
	if sn == "" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.known[sn]
}

func (l *deviceLimits) allow(key string) bool {
	l.mu.Lock()
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxLimited {
			clear(l.m)
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[key] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}

// serveBatchRows is how many received punches one of serve's import runs
// takes at most: one batch of the engine, so a run is one transaction.
const serveBatchRows = 5000

// importLoop imports what the push sources have not yet imported, every
// interval, as runs of up to serveBatchRows punches each, until ctx ends.
// A run in flight when ctx ends finishes (it commits and reports), so a
// stop never leaves a batch half reported.
func importLoop(ctx context.Context, cfg *config.Config, st *pushstore.Store, every time.Duration, args string, log *slog.Logger) {
	log.Info("serve: importing received punches", "every", every.String(), "sources", strings.Join(cfg.PushSources(), ","))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			full, err := importBatch(context.WithoutCancel(ctx), cfg, st, args, log)
			if err != nil {
				log.Error("serve: import", "err", err)
				break
			}
			if !full {
				break
			}
		}
	}
}

// importBatch runs one import of the push sources that have punches waiting,
// and tells whether a source filled its batch (more are waiting).
func importBatch(ctx context.Context, cfg *config.Config, st *pushstore.Store, args string, log *slog.Logger) (full bool, err error) {
	sess, err := importer.OpenState(ctx, cfg, log)
	if err != nil {
		return false, err
	}
	var due []string
	for _, name := range cfg.PushSources() {
		n, err := importer.PushBacklog(ctx, sess, st, name)
		if err != nil {
			sess.Close()
			return false, err
		}
		if n > 0 {
			due = append(due, name)
		}
	}
	sess.Close()
	if len(due) == 0 {
		return false, nil
	}
	res, err := importer.Import(ctx, importer.Options{Config: cfg, Sources: due, PushRows: serveBatchRows, Log: log, Args: args})
	if err != nil {
		return false, err
	}
	level := slog.LevelInfo
	if res.Outcome() != nil {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "serve: import batch", "run", res.RunID, "counts", countsText(res.Counts), "report", res.ReportPath)
	return res.Counts.Total() >= int64(serveBatchRows) && res.Counts[mapping.Failed] == 0, nil
}
