package commands

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// annotationLogFileIsData marks a command (schedule) whose --log-file is a
// value it prints, not a file this process writes.
const annotationLogFileIsData = "hrsync.log-file-is-data"

// setupLogging builds the loggers from --log-file, --quiet and --verbose:
//
//   - the log file (when given) gets every line, debug ones with --verbose;
//     its folder is created (0700, the file 0600: a scheduled task's first
//     run finds no data folder yet);
//   - stderr gets every line with --verbose, none otherwise: the commands
//     print their own messages there;
//   - the MySQL driver's own lines go to the log file, and to stderr unless
//     --quiet (the driver printed them on stderr before).
//
// openFile is false for a command that does not write the log itself.
func (a *App) setupLogging(openFile bool) error {
	var file slog.Handler = slog.DiscardHandler
	level := slog.LevelInfo
	if a.Verbose {
		level = slog.LevelDebug
	}
	if a.LogFile != "" && openFile {
		f, err := openLogFile(a.LogFile)
		if err != nil {
			return exitcode.AsUsage(fmt.Errorf("--log-file: %w", err))
		}
		a.logCloser = f
		file = slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})
	}
	console := func(min slog.Level) slog.Handler {
		return slog.NewTextHandler(a.Err, &slog.HandlerOptions{Level: min, ReplaceAttr: dropTime})
	}
	main := []slog.Handler{file}
	driver := []slog.Handler{file}
	switch {
	case a.Quiet:
	case a.Verbose:
		main = append(main, console(slog.LevelDebug))
		driver = append(driver, console(slog.LevelDebug))
	default:
		driver = append(driver, console(slog.LevelWarn))
	}
	a.fileLog = slog.New(file)
	a.Log = slog.New(slog.NewMultiHandler(main...))
	routeDriverLog(slog.New(slog.NewMultiHandler(driver...)).With("driver", "mysql"))
	return nil
}

// logFile is the log file alone (a discarding logger before setup).
func (a *App) logFile() *slog.Logger {
	if a.fileLog == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.fileLog
}

func openLogFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}

// dropTime leaves the timestamp out of console lines: the terminal's
// reader is watching them happen.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// The MySQL driver has one logger for the whole process, which every
// connection copies when its DSN is parsed. It is installed once and
// forwards to the logger of the latest setup.
var (
	driverLog        atomic.Pointer[slog.Logger]
	driverLogInstall sync.Once
)

func routeDriverLog(l *slog.Logger) {
	driverLog.Store(l)
	driverLogInstall.Do(func() { _ = mysql.SetLogger(driverLogger{}) })
}

// driverLogger is the mysql.Logger that writes through hrsync's logger:
// "[mysql] packets.go:58 unexpected EOF" becomes a warning with
// driver=mysql, in the log file and under -q's rule.
type driverLogger struct{}

func (driverLogger) Print(v ...any) {
	l := driverLog.Load()
	if l == nil {
		return
	}
	l.Warn(strings.TrimSpace(fmt.Sprint(v...)))
}
