package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/schedule"
)

type scheduleOptions struct {
	At, Job, Command, RunAs string
}

func newScheduleCmd(app *App) *cobra.Command {
	var o scheduleOptions
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Print the Task Scheduler (schtasks) and cron lines that run hrsync every day",
		Long: `Prints the schtasks /Create command for Windows Task Scheduler and the crontab line for cron
that run this hrsync binary with this config every day at --at (the machine's local time). The paths
are absolute: schedulers start programs in a folder of their own. Nothing is installed: paste the line
for your system (see the README's Scheduling section).`,
		Example: `  hrsync schedule --at 06:30 --job punches --config "D:\HR Sync\hrsync.yaml"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSchedule(app, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.At, "at", "", "daily start time, HH:MM on a 24-hour clock (required)")
	f.StringVar(&o.Job, "job", "", "job name: the task is hrsync\\NAME in Task Scheduler (required)")
	f.StringVar(&o.Command, "command", "import", "what to run: import, pull, pull+import (import --pull), or retry (send what the outbox holds)")
	f.StringVar(&o.RunAs, "run-as", "", "Windows account the task runs as (default SYSTEM)")
	return cmd
}

func runSchedule(app *App, o scheduleOptions) error {
	if o.At == "" || o.Job == "" {
		return exitcode.AsUsage(fmt.Errorf("--at and --job are required, e.g. --at 06:30 --job punches"))
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
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program's path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	// --log-file names the scheduled run's log; default hrsync.log in the data dir.
	logFile := app.LogFile
	if logFile == "" {
		logFile = filepath.Join(cfg.DataDir, "hrsync.log")
	} else if logFile, err = filepath.Abs(logFile); err != nil {
		return exitcode.AsUsage(fmt.Errorf("--log-file: %w", err))
	}
	job := schedule.Job{Name: o.Job, At: o.At, Executable: exe, ConfigPath: cfg.Path, LogFile: logFile,
		Args: subcommand, RunAs: o.RunAs}
	win, winErr := schedule.Windows(job)
	cron, cronErr := schedule.Cron(job)
	// The line for this machine must work; the other one is shown when the
	// paths make sense there.
	nativeErr := cronErr
	if runtime.GOOS == "windows" {
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
	return nil
}
