// Package schedule builds the lines that make the operating system's scheduler
// run hrsync every day or every few minutes or hours: a schtasks command for
// Windows Task Scheduler and a crontab line for cron, and the crontab with
// hrsync's line put in (MergeCrontab). It only produces text; running
// schtasks or crontab is the caller's business, so everything here is pure
// and testable on any OS.
package schedule

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Job is one scheduled hrsync run: daily, or every Every.
type Job struct {
	// Name identifies the job: the task is created as "hrsync\<Name>" in Task
	// Scheduler. Letters, digits, '-', '_' and spaces.
	Name string
	// At is the daily start time, HH:MM on a 24-hour clock ("6:30" is accepted
	// too), in the machine's local time. With Every it is the first run of
	// the day (default 00:00): the runs are At, At+Every, ...
	At string
	// Every repeats the run: whole minutes that divide an hour (1m ... 30m)
	// or whole hours that divide a day (1h ... 12h), so that cron and Task
	// Scheduler run it at the same times; 0 or 24h is daily.
	Every time.Duration
	// Executable is the absolute path of the hrsync binary.
	Executable string
	// ConfigPath is the absolute path of hrsync.yaml. It is required because
	// schedulers start programs in a folder of their own (System32 on Windows,
	// the home folder under cron) where no hrsync.yaml is.
	ConfigPath string
	// WorkDir is the folder cron changes into before the run (default: the
	// config file's folder). schtasks /Create has no "start in" option, and
	// hrsync resolves the config's paths relative to the config file, so
	// Windows ignores it.
	WorkDir string
	// LogFile is the absolute path hrsync appends its log lines to: an
	// unattended run has no console.
	LogFile string
	// Args are the hrsync subcommand and its own flags, e.g. ["import"] or
	// ["import", "--source", "gate"]. --config and --log-file are added.
	Args []string
	// RunAs is the Windows account the task runs as (default SYSTEM, which
	// needs no stored password and runs whether anyone is logged on or not).
	// Any other account gets "/RP *", so schtasks asks for its password.
	RunAs string
}

// MaxTaskRunLength is the longest /TR value schtasks accepts, in UTF-16 units.
const MaxTaskRunLength = 261

var (
	timePattern = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)
	// A drive path (C:\ or C:/) or a UNC path (\\server\share\...).
	windowsAbsPattern = regexp.MustCompile(`^([A-Za-z]:[\\/]|\\\\[^\\/]+[\\/][^\\/]+)`)
)

const maxNameLength = 64

// Windows returns the schtasks command line, for cmd.exe, that creates (or
// replaces, /F) a daily task running j:
//
//	schtasks /Create /TN "hrsync\NAME" /TR "..." /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F
//
// The task needs no console window: hrsync writes to --log-file, and as
// SYSTEM it runs whether anyone is logged on or not. Task Scheduler's "Last
// Run Result" then shows hrsync's exit code: 0x0 all rows placed, 0x1 the run
// failed, 0x2 usage or configuration error, 0x3 some rows were rejected.
func Windows(j Job) (string, error) {
	args, err := WindowsArgs(j)
	if err != nil {
		return "", err
	}
	words := make([]string, len(args))
	for i, a := range args {
		// /TN and /TR are always quoted, the way schtasks' documentation
		// shows them; everything else only when it needs to be.
		if i > 0 && (args[i-1] == "/TN" || args[i-1] == "/TR") {
			words[i] = quoteWindowsArg(a)
		} else {
			words[i] = windowsArg(a)
		}
	}
	return escapeForCmd(strings.Join(words, " ")), nil
}

// WindowsArgs returns the same schtasks command as Windows, as an argument
// list for exec.Command (which quotes each argument itself), so a caller can
// install the task without going through cmd.exe.
func WindowsArgs(j Job) ([]string, error) {
	name, at, err := validateCommon(j)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct{ what, value string }{
		{"executable", j.Executable},
		{"config", j.ConfigPath},
		{"log file", j.LogFile},
	} {
		if err := checkWindowsPath(p.what, p.value); err != nil {
			return nil, fmt.Errorf("job %q: %w", name, err)
		}
	}
	for _, a := range j.Args {
		if strings.ContainsAny(a, "%\"\r\n") || !utf8.ValidString(a) {
			return nil, fmt.Errorf("job %q: argument %q: %% (Task Scheduler expands %%NAME%%), quotes, line breaks and invalid UTF-8 cannot be passed through schtasks", name, a)
		}
	}

	words := append([]string{j.Executable}, j.Args...)
	words = append(words, "--config", j.ConfigPath, "--log-file", j.LogFile)
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = windowsArg(w)
	}
	taskRun := strings.Join(quoted, " ")
	if n := len(utf16.Encode([]rune(taskRun))); n > MaxTaskRunLength {
		return nil, fmt.Errorf("job %q: the command Task Scheduler would run is %d characters, schtasks accepts at most %d (/TR): "+
			"move hrsync and its config to a shorter path (e.g. C:\\hrsync), or schedule a .cmd file that holds the command: %s",
			name, n, MaxTaskRunLength, taskRun)
	}

	runAs := j.RunAs
	if runAs == "" {
		runAs = "SYSTEM"
	}
	if strings.ContainsAny(runAs, "%\"\r\n") {
		return nil, fmt.Errorf("job %q: run-as account %q: no %%, quotes or line breaks", name, runAs)
	}
	args := []string{"schtasks", "/Create", "/TN", `hrsync\` + name, "/TR", taskRun}
	switch every := everyOf(j); {
	case every >= time.Hour:
		args = append(args, "/SC", "HOURLY", "/MO", fmt.Sprint(int(every/time.Hour)))
	case every > 0:
		args = append(args, "/SC", "MINUTE", "/MO", fmt.Sprint(int(every/time.Minute)))
	default:
		args = append(args, "/SC", "DAILY")
	}
	args = append(args, "/ST", at, "/RU", runAs)
	if !strings.EqualFold(runAs, "SYSTEM") {
		args = append(args, "/RP", "*")
	}
	return append(args, "/RL", "HIGHEST", "/F"), nil
}

// Cron returns the crontab line that runs j every day at j.At (or every
// j.Every):
//
//	30 6 * * * cd /abs && /abs/hrsync import --quiet --config /abs/hrsync.yaml --log-file /abs/x.log # hrsync:NAME
//
// There is no shell redirection into the log: its folder may not exist
// before the first run, and hrsync creates it for --log-file. --quiet
// leaves on the console only what went wrong, which cron mails to the
// user. The trailing comment (sh ignores it) marks the line as this job's,
// for MergeCrontab.
func Cron(j Job) (string, error) {
	name, at, err := validateCommon(j)
	if err != nil {
		return "", err
	}
	workDir := j.WorkDir
	if workDir == "" {
		workDir = path.Dir(j.ConfigPath)
	}
	for _, p := range []struct{ what, value string }{
		{"executable", j.Executable},
		{"config", j.ConfigPath},
		{"log file", j.LogFile},
		{"work dir", workDir},
	} {
		if err := checkUnixPath(p.what, p.value); err != nil {
			return "", fmt.Errorf("job %q: %w", name, err)
		}
	}
	for _, a := range j.Args {
		if strings.ContainsAny(a, "\r\n") {
			return "", fmt.Errorf("job %q: argument %q: a crontab line cannot hold a line break", name, a)
		}
	}

	words := append([]string{j.Executable}, j.Args...)
	words = append(words, "--quiet", "--config", j.ConfigPath, "--log-file", j.LogFile)
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	hour, minute := atoi(at[:2]), atoi(at[3:])
	minutes, hours := fmt.Sprint(minute), fmt.Sprint(hour)
	switch every := everyOf(j); {
	case every >= time.Hour:
		hours = cronStep(hour, int(every/time.Hour), 23)
	case every > 0:
		minutes, hours = cronStep(minute, int(every/time.Minute), 59), "*"
	}
	line := fmt.Sprintf("%s %s * * * cd %s && %s%s",
		minutes, hours, shellQuote(workDir), strings.Join(quoted, " "), cronMarker(name))
	// cron turns an unescaped % into a line break (and what follows into
	// stdin); \% reaches the shell as a plain %.
	return strings.ReplaceAll(line, "%", `\%`), nil
}

// cronStep is a cron field for every step from start's place in the
// cycle: "*/15", "5-59/15", or "*" for a step of 1.
func cronStep(start, step, last int) string {
	switch first := start % step; {
	case step == 1:
		return "*"
	case first == 0:
		return fmt.Sprintf("*/%d", step)
	default:
		return fmt.Sprintf("%d-%d/%d", first, last, step)
	}
}

// cronMarker ends the crontab line of job name.
func cronMarker(name string) string { return " # hrsync:" + name }

// MergeCrontab returns the crontab current with line, the line Cron made
// for job name, in place of that job's earlier line (found by its marker)
// or added at the end. Every other line stays as it was, so installing
// twice gives the same crontab.
func MergeCrontab(current, name, line string) string {
	marker := cronMarker(strings.TrimSpace(name))
	var b strings.Builder
	for _, l := range strings.SplitAfter(current, "\n") {
		if l == "" || strings.HasSuffix(strings.TrimRight(l, "\r\n"), marker) {
			continue
		}
		b.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			b.WriteByte('\n')
		}
	}
	b.WriteString(line)
	b.WriteByte('\n')
	return b.String()
}

// everyOf is j's interval, 0 when it runs daily.
func everyOf(j Job) time.Duration {
	if j.Every == 24*time.Hour {
		return 0
	}
	return j.Every
}

// checkEvery accepts the intervals both schedulers repeat evenly.
func checkEvery(d time.Duration) error {
	const allowed = "1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h or 24h"
	switch {
	case d == 0 || d == 24*time.Hour:
		return nil
	case d < 0 || d%time.Minute != 0:
		return fmt.Errorf("every %s: want whole minutes or hours (%s)", everyText(d), allowed)
	case d < time.Hour && time.Hour%d == 0:
		return nil
	case d >= time.Hour && d%time.Hour == 0 && (24*time.Hour)%d == 0:
		return nil
	}
	return fmt.Errorf("every %s: cron cannot repeat that evenly through the hour or the day; use %s", everyText(d), allowed)
}

// everyText writes d the way it was likely typed: 7m, 90m, 5h.
func everyText(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d > 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// validateCommon checks what both schedulers need and returns the trimmed
// name and the time as HH:MM.
func validateCommon(j Job) (name, at string, err error) {
	name = strings.TrimSpace(j.Name)
	if name == "" {
		return "", "", errors.New("job name is empty: give one with --job, e.g. --job punches")
	}
	if len([]rune(name)) > maxNameLength {
		return "", "", fmt.Errorf("job name %q is longer than %d characters", name, maxNameLength)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != ' ' {
			return "", "", fmt.Errorf("job name %q: %q is not allowed (letters, digits, '-', '_' and spaces only)", name, r)
		}
	}
	if err := checkEvery(j.Every); err != nil {
		return "", "", fmt.Errorf("job %q: %w", name, err)
	}
	if j.At == "" && everyOf(j) > 0 {
		j.At = "00:00"
	}
	m := timePattern.FindStringSubmatch(strings.TrimSpace(j.At))
	if m == nil {
		return "", "", fmt.Errorf("job %q: time %q: want HH:MM on a 24-hour clock, e.g. 06:30 or 18:00", name, j.At)
	}
	at = fmt.Sprintf("%02d:%s", atoi(m[1]), m[2])
	if len(j.Args) == 0 || strings.TrimSpace(j.Args[0]) == "" {
		return "", "", fmt.Errorf("job %q: no hrsync subcommand to run (e.g. import)", name)
	}
	return name, at, nil
}

func checkWindowsPath(what, p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%s path is empty", what)
	case !windowsAbsPattern.MatchString(p):
		return fmt.Errorf("%s path %q is not absolute: Task Scheduler starts hrsync in C:\\Windows\\System32; give a full path (C:\\... or \\\\server\\share\\...)", what, p)
	case strings.ContainsAny(p, "%"):
		return fmt.Errorf("%s path %q holds %%: Task Scheduler and cmd.exe would read %%NAME%% as an environment variable; use a folder without %%", what, p)
	case strings.ContainsAny(p, "\"*?<>|\r\n\t") || !utf8.ValidString(p):
		return fmt.Errorf("%s path %q holds a character Windows paths cannot hold", what, p)
	}
	return nil
}

func checkUnixPath(what, p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%s path is empty", what)
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s path %q is not absolute: cron starts jobs in the home folder with a minimal PATH; give a path that starts with /", what, p)
	case strings.ContainsAny(p, "\r\n"):
		return fmt.Errorf("%s path %q: a crontab line cannot hold a line break", what, p)
	}
	return nil
}

// windowsArg quotes s the way the Microsoft C runtime (and Go's os.Args on
// Windows) splits a command line: quotes only when needed, backslashes
// doubled only where they precede a quote. UNC paths without spaces pass
// unchanged.
func windowsArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	return quoteWindowsArg(s)
}

// quoteWindowsArg always wraps s in quotes: `"` becomes `\"`, and a run of
// backslashes before a quote (or before the closing quote) is doubled.
func quoteWindowsArg(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// escapeForCmd puts a caret before cmd.exe's operators where cmd.exe sees
// them outside quotes. cmd.exe toggles its quote state at every `"`, including
// the escaped `\"` inside /TR, so a path like "C:\R&D Tools" sits outside
// cmd's quotes even though schtasks receives it inside one argument.
// Parentheses only matter inside an if/for block, so "Program Files (x86)"
// is left as it reads.
func escapeForCmd(line string) string {
	var b strings.Builder
	inQuotes := false
	for _, r := range line {
		if r == '"' {
			inQuotes = !inQuotes
		} else if !inQuotes && strings.ContainsRune("&|<>^", r) {
			b.WriteByte('^')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// shellQuote leaves plain words alone and wraps anything else in single
// quotes, the only quoting in which sh treats every character literally.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// atoi converts the one- or two-digit numbers timePattern matched.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
