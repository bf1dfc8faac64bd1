// Package commands is hrsync's command line: flags become option structs,
// option structs become calls into the importer, results become output and
// exit codes. No SQL, no parsing, no business rules live here.
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/runlock"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// Version is stamped in by the release build (-ldflags "-X ...commands.Version=v1.2.3").
var Version = "dev"

// App is the state shared by every command: streams, global flags, logger.
type App struct {
	In             io.Reader
	Out, Err       io.Writer
	ConfigPath     string
	Quiet, Verbose bool
	LogFile        string
	Log            *slog.Logger
	// fileLog is the log file alone, for what the console has said already.
	fileLog   *slog.Logger
	logCloser io.Closer
	// IsTerminal reports whether stderr is a terminal (progress bars, tables).
	IsTerminal func() bool
	// ran is set when a command's own RunE starts: an error before that is
	// cobra's (unknown command or flag, a bad flag value, wrong arguments).
	ran bool
	// jsonErrors: --output json was asked, so a failure is JSON on stdout too.
	jsonErrors bool
}

// Execute runs hrsync with args and returns the process exit code.
func Execute(args []string, in io.Reader, out, errOut io.Writer) int {
	tuneGC()
	app := &App{In: in, Out: out, Err: errOut, Log: slog.New(slog.DiscardHandler), fileLog: slog.New(slog.DiscardHandler)}
	app.IsTerminal = func() bool {
		f, ok := errOut.(*os.File)
		return ok && term.IsTerminal(int(f.Fd()))
	}
	root := NewRoot(app)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd, err := app.execute(ctx, root)
	app.jsonErrors = wantsJSON(cmd, args)
	if app.logCloser != nil {
		defer app.logCloser.Close()
	}
	if err != nil && !app.ran {
		err = exitcode.AsUsage(err)
	}
	return int(app.exitCode(err))
}

// execute runs the command tree; a panic in the command (a bug) ends as a
// failure, exit 1, with its stack in the log, not as the runtime's exit 2,
// the code of a usage error.
func (a *App) execute(ctx context.Context, root *cobra.Command) (cmd *cobra.Command, err error) {
	defer func() {
		if p := recover(); p != nil {
			a.ran = true
			a.logFile().Error("internal error", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error (a bug: please report it with the log): %v", p)
		}
	}()
	return root.ExecuteContextC(ctx)
}

// exitCode says what went wrong, unless the output has said it already (a
// completed run's outcome), and returns the code the error stands for.
func (a *App) exitCode(err error) exitcode.Code {
	code := exitcode.For(err)
	switch {
	case err == nil:
	case exitcode.IsIncomplete(err):
		a.logFile().Info("hrsync exited", "exit", code, "outcome", err)
	default:
		if errors.Is(err, runlock.ErrBusy) {
			fmt.Fprintf(a.Err, "hrsync: %v\nAnother scheduled run of this config is still working; this run did nothing. It is safe to run again later.\n", err)
		} else {
			fmt.Fprintf(a.Err, "hrsync: %v\n", err)
		}
		if a.jsonErrors {
			printJSONError(a, err, code)
		}
		a.logFile().Error("hrsync exited", "exit", code, "err", err)
	}
	return code
}

// markRun wraps every command's RunE so that Execute knows when hrsync's
// own code began: whatever cobra refused before that is a usage error.
func markRun(app *App, cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			app.ran = true
			return run(c, args)
		}
	}
	for _, sub := range cmd.Commands() {
		markRun(app, sub)
	}
}

// tuneGC lets the collector run less often, under a soft memory limit: on
// two cores the default pace took about a sixth of a large import's CPU,
// while the live heap stays small (1M-punch CSV import: 4.8 → 3.9 CPU-s,
// max RSS 85 → 84 MB; 1M-row .xlsx: 86 MB). GOGC and GOMEMLIMIT, when
// set, win, as the Go runtime documents.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	setMemoryLimit(memoryLimit)
}

// memoryLimit is the runtime's soft memory limit (see tuneGC).
const memoryLimit = 48 << 20

// setMemoryLimit sets the runtime's soft memory limit, unless GOMEMLIMIT
// set it, which wins as the Go runtime documents.
func setMemoryLimit(bytes int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(bytes)
	}
}

// tuneForServerImport tunes the runtime for an import that writes into a
// database server; GOMAXPROCS and GOMEMLIMIT, when set, win.
//
// One P more than there are cores: the writer goroutines wait on the
// server's replies while the read, prepare and report stages keep every P
// busy, and Go notices a reply only when a P looks for work, which can take
// milliseconds, hundreds of times a run. A spare P lets the operating
// system run the writer as soon as its reply arrives (1M punches into
// PostgreSQL on two cores: 2.87 → 2.61 s, medians of three).
//
// A 96 MiB soft memory limit instead of 48: two batches in flight hold
// about 40 MB live, and under 48 MiB the collector ran all the time (1M
// punches: client CPU 1.3–2.0 → 0.8–1.0 CPU-s, wall 2.2–2.9 → 1.9–2.7 s
// into MariaDB and PostgreSQL, max RSS 66 → 106 MB).
//
// SQLite works on our own cores, where the extra P only adds switching
// (4.0 → 4.5 s), so it keeps the defaults.
func tuneForServerImport(cfg *config.Config) {
	if d, ok := sqldb.DialectOf(cfg.HR.URL); !ok || d == sqldb.SQLite {
		return
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.NumCPU() + 1)
	}
	setMemoryLimit(serverImportMemoryLimit)
}

// serverImportMemoryLimit is the soft memory limit of an import into a
// database server (see tuneForServerImport).
const serverImportMemoryLimit = 96 << 20

// NewRoot builds the command tree.
func NewRoot(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:           "hrsync",
		Short:         "Move attendance punches and employee records into the HR system",
		Long:          "hrsync reads punches from exports and databases, matches them to employees and writes them into the HR system once, reporting every row it could not place.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// schedule writes --log-file into the lines it prints; the
			// scheduled run opens it, not the one that prints.
			return app.setupLogging(cmd.Annotations[annotationLogFileIsData] == "")
		},
	}
	root.SetIn(app.In)
	root.SetOut(app.Out)
	root.SetErr(app.Err)
	pf := root.PersistentFlags()
	pf.StringVarP(&app.ConfigPath, "config", "c", "", "config file (default $HRSYNC_CONFIG or hrsync.yaml in the working folder)")
	pf.BoolVarP(&app.Quiet, "quiet", "q", false, "print only errors")
	pf.BoolVarP(&app.Verbose, "verbose", "v", false, "print more detail")
	pf.StringVar(&app.LogFile, "log-file", "", "append plain timestamped log lines to this file")
	root.AddCommand(newVersionCmd(app), newConfigCmd(app), newImportCmd(app))
	root.AddCommand(newPushUsersCmd(app))
	root.AddCommand(newMapCheckCmd(app))
	root.AddCommand(newRunsCmd(app))
	root.AddCommand(newEventsCmd(app))
	root.AddCommand(newRetryCmd(app))
	root.AddCommand(newMarkProcessedCmd(app))
	root.AddCommand(newScheduleCmd(app))
	root.AddCommand(newResyncCmd(app))
	root.AddCommand(newPullCmd(app))
	root.AddCommand(newDevicesCmd(app))
	root.AddCommand(newServeCmd(app), newServiceCmd(app))
	root.AddCommand(newConsoleCmd(app), newUsersCmd(app))
	root.AddCommand(newStateCmd(app))
	finishTree(app, root)
	markRun(app, root)
	return root
}

// configPath resolves --config, then $HRSYNC_CONFIG, then ./hrsync.yaml.
func (a *App) configPath() string {
	if a.ConfigPath != "" {
		return a.ConfigPath
	}
	if p := os.Getenv("HRSYNC_CONFIG"); p != "" {
		return p
	}
	return "hrsync.yaml"
}

// loadConfig reads the config; its errors are usage errors (exit 2).
func (a *App) loadConfig() (*config.Config, error) {
	c, err := config.Load(a.configPath())
	if err != nil {
		return nil, exitcode.AsUsage(err)
	}
	return c, nil
}

// loadConfigForReading reads the config for commands that only read the
// run state: they need no secrets (see config.LoadForReading).
func (a *App) loadConfigForReading() (*config.Config, error) {
	c, err := config.LoadForReading(a.configPath())
	return c, exitcode.AsUsage(err)
}

// say prints a line to stderr unless --quiet.
func (a *App) say(format string, args ...any) {
	if !a.Quiet {
		fmt.Fprintf(a.Err, format+"\n", args...)
	}
}

// commandLine is the command as typed, for the run history. Flag values that
// look like secrets are hidden.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		parts = append(parts, flagWords(f)...)
	})
	for _, a := range cmd.Flags().Args() {
		parts = append(parts, quoteWord(a))
	}
	return strings.Join(parts, " ")
}

func isSecretName(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "secret") || strings.Contains(n, "token") || strings.Contains(n, "key")
}
