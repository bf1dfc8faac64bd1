package commands

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/console"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/resync"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

type consoleOptions struct {
	Listen string // "": console.listen from the config, else 127.0.0.1:8478
}

func newConsoleCmd(app *App) *cobra.Command {
	var o consoleOptions
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Serve the browser console for support: runs, deliveries, resync, devices",
		Long: `console serves the web UI over the run history, the outbox and resync until interrupted.
It listens on 127.0.0.1:8478 unless console.listen (or --listen) says otherwise, and serves
HTTPS when console.cert_file and console.key_file are given. Accounts come from hrsync users add.`,
		Example: `  hrsync users add alice --role admin < alice.pw
  hrsync console
  hrsync console --listen 0.0.0.0:8478   # with console.cert_file and key_file in the config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConsole(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringVar(&o.Listen, "listen", "", "host:port to listen on (default: console.listen, else "+config.DefaultConsoleListen+")")
	return cmd
}

func runConsole(ctx context.Context, app *App, o consoleOptions) error {
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	if o.Listen != "" {
		if _, _, err := net.SplitHostPort(o.Listen); err != nil {
			return exitcode.Usagef("--listen %q: want host:port", o.Listen)
		}
		c := cfg.ConsoleSettings()
		c.Listen = o.Listen
		cfg.Console = &c
	}
	if sess, err := importer.OpenState(ctx, cfg, app.Log); err == nil {
		if users, err := sess.State.Users(ctx); err == nil && len(users) == 0 {
			app.say("no console account yet: add one with hrsync users add NAME --role admin")
		}
		sess.Close()
	}
	srv, err := ConsoleServer(ctx, cfg, app.Log)
	if err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(srv.Addr); srv.TLSConfig == nil && !loopback(host) {
		app.say("warning: the console listens on %s without TLS: passwords and sessions cross the network in clear; give console.cert_file and key_file", srv.Addr)
	}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		srv.Shutdown(ctx) // closes the stores
		return err
	}
	scheme := "http"
	if srv.TLSConfig != nil {
		scheme = "https"
	}
	app.say("console on %s://%s (Ctrl-C stops it)", scheme, ln.Addr())
	return ServeUntil(ctx, srv, ln)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ServeUntil serves srv on ln (HTTPS when srv.TLSConfig is set) until ctx
// ends, then shuts it down, giving requests in flight a few seconds.
func ServeUntil(ctx context.Context, srv *http.Server, ln net.Listener) error {
	done := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			done <- srv.ServeTLS(ln, "", "")
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx) // closes the stores too
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}

// ConsoleServer is the console as configured: its handler over the state
// store, the outbox, resync and the push registry (the state database's
// file), listening address, and TLS when the config names certificate
// files. The stores close when the server is shut down (Shutdown, not Close).
// `hrsync serve` starts it beside the push endpoint.
func ConsoleServer(ctx context.Context, cfg *config.Config, log *slog.Logger) (*http.Server, error) {
	settings := cfg.ConsoleSettings()
	var tlsConf *tls.Config
	if settings.TLS() {
		cert, err := tls.LoadX509KeyPair(settings.CertFile, settings.KeyFile)
		if err != nil {
			return nil, &config.Error{File: cfg.Path, Key: "console.cert_file", Msg: "cannot be loaded with its key_file: " + err.Error()}
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	sess, err := importer.OpenState(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	push, err := openPushStore(ctx, cfg) // the registry serve keeps
	if err != nil {
		sess.Close()
		return nil, err
	}
	d := console.Deps{Config: cfg, State: sess.State, Push: push, Log: log}
	if !cfg.HRIsHTTP() {
		d.Resync = consoleResync{cfg: cfg, log: log}
	}
	h, err := console.New(d)
	if err != nil {
		push.Close()
		sess.Close()
		return nil, err
	}
	// The stores close once the requests in flight at Shutdown are done
	// (net/http runs the shutdown hooks at once, beside the draining).
	var inFlight sync.WaitGroup
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Done()
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Addr: settings.Listen, Handler: counted, TLSConfig: tlsConf, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	srv.RegisterOnShutdown(func() {
		inFlight.Wait()
		h.Wait() // a resync started from a page finishes before the stores close
		push.Close()
		sess.Close()
	})
	return srv, nil
}

// consoleResync is importer/resync for the console (which sits at resync's
// rank and cannot import it).
type consoleResync struct {
	cfg *config.Config
	log *slog.Logger
}

func (c consoleResync) Employees(ctx context.Context) ([]mapping.Employee, error) {
	dir, err := resync.Directory(ctx, c.cfg)
	if err != nil {
		return nil, err
	}
	return dir.All, nil
}

func (c consoleResync) InProfile(profile string, e *mapping.Employee) bool {
	return resync.InProfile(c.cfg, profile, e)
}

func (c consoleResync) Run(ctx context.Context, r console.ResyncRequest) (*console.ResyncOutcome, error) {
	shown := r.IDs
	if len(shown) > 20 {
		shown = shown[:20]
	}
	args := "resync --employee " + quoteWord(strings.Join(shown, ","))
	if len(shown) < len(r.IDs) {
		args += fmt.Sprintf(",... (%d employees)", len(r.IDs))
	}
	if r.Source != "" {
		args += " --source " + quoteWord(r.Source)
	}
	args += " --from " + quoteWord(r.From)
	if r.To != "" {
		args += " --to " + quoteWord(r.To)
	}
	if r.Profile != "" {
		args += " --profile " + quoteWord(r.Profile)
	}
	if r.DryRun {
		args += " --dry-run"
	}
	res, err := resync.Run(ctx, resync.Options{Config: c.cfg, Filter: resync.Filter{"employee": r.IDs}, Source: r.Source, From: r.From, To: r.To,
		Profile: r.Profile, DryRun: r.DryRun, User: r.User, Log: c.log, Args: args, Progress: r.Progress})
	if err != nil {
		return nil, err
	}
	out := &console.ResyncOutcome{RunID: res.RunID, ReportPath: res.ReportPath, Counts: map[string]int64{}, Err: res.Outcome()}
	for k, v := range res.Counts {
		out.Counts[string(k)] = v
	}
	for _, e := range res.Employees {
		row := console.PlanRow{ID: e.Employee.ID, Name: e.Employee.Name, Counts: map[string]int{}}
		for k, v := range e.Counts {
			row.Counts[string(k)] = v
		}
		out.Employees = append(out.Employees, row)
	}
	return out, nil
}
