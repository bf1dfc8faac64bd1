package commands

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/schedule"
)

type scheduleOptions struct {
	At, Job, Command, RunAs string
	Every                   time.Duration
	Install                 bool

	// What the command line does not set: tests point them elsewhere so
	// that no test touches this machine's scheduler.
	Executable string // the hrsync the job runs (default: this program)
	GOOS       string // whose scheduler --install uses (default: this machine's)
	Crontab    string // the crontab program (default: crontab on the PATH)
	Schtasks   string // the schtasks program (default: schtasks on the PATH)
}

func newScheduleCmd(app *App) *cobra.Command {
	var o scheduleOptions
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Print (or --install) the Task Scheduler and cron lines that run hrsync daily or every --every",
		Long: `Prints the schtasks /Create command for Windows Task Scheduler and the crontab line for cron
that run this hrsync binary with this config every day at --at (the machine's local time), or every
--every (1h, 15m, ...) from --at (default 00:00). The paths are absolute: schedulers start programs
in a folder of their own. --log-file is the file the scheduled runs write (default hrsync.log in the
data folder); hrsync creates it and its folder on the first run.

--install shows the line, then creates the task (schtasks /Create ... /F) or puts the line into this
user's crontab (crontab -l, then crontab -), replacing this job's earlier line and keeping the others.
Without it nothing is installed: paste the line for your system (see the README's Scheduling section).`,
		Example: `  hrsync schedule --at 06:30 --job punches --config "D:\HR Sync\hrsync.yaml"
  hrsync schedule --every 1h --job retry --command retry --install`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationLogFileIsData: "yes"},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSchedule(cmd.Context(), app, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.At, "at", "", "daily start time, HH:MM on a 24-hour clock (required without --every; with it, the first run of the day)")
	f.DurationVar(&o.Every, "every", 0, "repeat every this long: 1m ... 30m (dividing an hour) or 1h ... 12h (dividing a day); default daily")
	f.StringVar(&o.Job, "job", "", "job name: the task is hrsync\\NAME in Task Scheduler (required)")
	f.StringVar(&o.Command, "command", "import", "what to run: import, pull, pull+import (import --pull), or retry (send what the outbox holds)")
	f.StringVar(&o.RunAs, "run-as", "", "Windows account the task runs as (default SYSTEM)")
	f.BoolVar(&o.Install, "install", false, "create the task (Windows) or the crontab entry (elsewhere) after showing it")
	return cmd
}

func runSchedule(ctx context.Context, app *App, o scheduleOptions) error {
	if (o.At == "" && o.Every == 0) || o.Job == "" {
		return exitcode.AsUsage(fmt.Errorf("--job and --at (or --every) are required, e.g. --at 06:30 --job punches, or --every 1h --job retry --command retry"))
	}
	var subcommand []string
	switch o.Command {
	case "import", "retry", "pull":
		subcommand = []string{o.Command}
	case "pull+import":
		// One scheduled program, so the exit code Task Scheduler shows is
		// the whole job's: import --pull pulls, then imports.
		subcommand = []string{"import", "--pull"}
	default:
		return exitcode.AsUsage(fmt.Errorf("--command %q: want import, pull, pull+import or retry", o.Command))
	}
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	exe := o.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("finding this program's path: %w", err)
		}
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
	}
	goos := cmp.Or(o.GOOS, runtime.GOOS)
	// --log-file names the scheduled run's log (default hrsync.log in the
	// data folder); this command only writes it into the line.
	logFile := app.LogFile
	if logFile == "" {
		logFile = filepath.Join(cfg.DataDir, "hrsync.log")
	} else if logFile, err = filepath.Abs(logFile); err != nil {
		return exitcode.AsUsage(fmt.Errorf("--log-file: %w", err))
	}
	job := schedule.Job{Name: o.Job, At: o.At, Every: o.Every, Executable: exe, ConfigPath: cfg.Path, LogFile: logFile,
		Args: subcommand, RunAs: o.RunAs}
	win, winErr := schedule.Windows(job)
	cron, cronErr := schedule.Cron(job)
	// The line for this machine must work; the other one is shown when the
	// paths make sense there.
	nativeErr := cronErr
	if goos == "windows" {
		nativeErr = winErr
	}
	if nativeErr != nil {
		return exitcode.AsUsage(nativeErr)
	}
	fmt.Fprintln(app.Out, "# Windows Task Scheduler (cmd.exe, as administrator):")
	if winErr != nil {
		fmt.Fprintf(app.Out, "#   not available here: %v\n#   run hrsync schedule on the Windows machine for its line.\n", winErr)
	} else {
		fmt.Fprintln(app.Out, win)
	}
	fmt.Fprintln(app.Out, "\n# cron (crontab -e):")
	if cronErr != nil {
		fmt.Fprintf(app.Out, "#   not available here: %v\n#   run hrsync schedule on the Linux or macOS machine for its line.\n", cronErr)
	} else {
		fmt.Fprintln(app.Out, cron)
	}
	if !o.Install {
		return nil
	}
	if goos == "windows" {
		args, _ := schedule.WindowsArgs(job) // checked by Windows above
		if err := installTask(ctx, app, cmp.Or(o.Schtasks, "schtasks"), args[1:]); err != nil {
			return err
		}
		app.say("installed: Task Scheduler task hrsync\\%s", strings.TrimSpace(o.Job))
		return nil
	}
	if err := installCron(ctx, cmp.Or(o.Crontab, "crontab"), job.Name, cron); err != nil {
		return err
	}
	app.say("installed: this user's crontab runs hrsync job %q (crontab -l shows it)", strings.TrimSpace(o.Job))
	return nil
}

// installTask runs schtasks /Create ... /F, which replaces a task of the
// same name. It talks to the console itself: /RP * asks for the password.
func installTask(ctx context.Context, app *App, program string, args []string) error {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = app.In, app.Out, app.Err
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("installing the task with %s: %w", program, err)
	}
	return nil
}

// installCron puts line into the user's crontab in place of the job's
// earlier line, keeping every other line.
func installCron(ctx context.Context, program, job, line string) error {
	var current, stderr bytes.Buffer
	list := exec.CommandContext(ctx, program, "-l")
	list.Stdout, list.Stderr = &current, &stderr
	if err := list.Run(); err != nil {
		// crontab -l fails, saying "no crontab for USER", when the user has none yet.
		var exit *exec.ExitError
		if !errors.As(err, &exit) || !strings.Contains(strings.ToLower(stderr.String()), "no crontab") {
			return fmt.Errorf("reading the crontab (%s -l): %w: %s", program, err, strings.TrimSpace(stderr.String()))
		}
		current.Reset()
	}
	stderr.Reset()
	write := exec.CommandContext(ctx, program, "-")
	write.Stdin = strings.NewReader(schedule.MergeCrontab(current.String(), job, line))
	write.Stderr = &stderr
	if err := write.Run(); err != nil {
		return fmt.Errorf("writing the crontab (%s -): %w: %s", program, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
