package schedule

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func windowsJob() Job {
	return Job{
		Name:       "punches",
		At:         "06:30",
		Executable: `C:\hrsync\hrsync.exe`,
		ConfigPath: `C:\hrsync\hrsync.yaml`,
		LogFile:    `C:\hrsync\logs\hrsync.log`,
		Args:       []string{"import"},
	}
}

func TestWindows(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Job)
		want string
	}{
		{
			name: "plain paths",
			edit: func(*Job) {},
			want: `schtasks /Create /TN "hrsync\punches" /TR "C:\hrsync\hrsync.exe import --config C:\hrsync\hrsync.yaml --log-file C:\hrsync\logs\hrsync.log" /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F`,
		},
		{
			name: "paths with spaces",
			edit: func(j *Job) {
				j.Name = "gate punches"
				j.Executable = `C:\Program Files\hrsync\hrsync.exe`
				j.ConfigPath = `D:\HR Sync\hrsync.yaml`
				j.LogFile = `D:\HR Sync\logs\hrsync.log`
			},
			want: `schtasks /Create /TN "hrsync\gate punches" /TR "\"C:\Program Files\hrsync\hrsync.exe\" import --config \"D:\HR Sync\hrsync.yaml\" --log-file \"D:\HR Sync\logs\hrsync.log\"" /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F`,
		},
		{
			name: "UNC paths kept as they are",
			edit: func(j *Job) {
				j.ConfigPath = `\\fileserver\hr\hrsync\hrsync.yaml`
				j.LogFile = `\\fileserver\hr\hrsync\hrsync.log`
			},
			want: `schtasks /Create /TN "hrsync\punches" /TR "C:\hrsync\hrsync.exe import --config \\fileserver\hr\hrsync\hrsync.yaml --log-file \\fileserver\hr\hrsync\hrsync.log" /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F`,
		},
		{
			name: "UNC path with a space",
			edit: func(j *Job) { j.ConfigPath = `\\fileserver\HR Share\hrsync.yaml` },
			want: `schtasks /Create /TN "hrsync\punches" /TR "C:\hrsync\hrsync.exe import --config \"\\fileserver\HR Share\hrsync.yaml\" --log-file C:\hrsync\logs\hrsync.log" /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F`,
		},
		{
			name: "ampersand outside cmd.exe's quotes gets a caret",
			edit: func(j *Job) { j.ConfigPath = `D:\R&D Tools\hrsync.yaml` },
			want: `schtasks /Create /TN "hrsync\punches" /TR "C:\hrsync\hrsync.exe import --config \"D:\R^&D Tools\hrsync.yaml\" --log-file C:\hrsync\logs\hrsync.log" /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F`,
		},
		{
			name: "Program Files (x86)",
			edit: func(j *Job) { j.Executable = `C:\Program Files (x86)\hrsync\hrsync.exe` },
			want: `schtasks /Create /TN "hrsync\punches" /TR "\"C:\Program Files (x86)\hrsync\hrsync.exe\" import --config C:\hrsync\hrsync.yaml --log-file C:\hrsync\logs\hrsync.log" /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F`,
		},
		{
			name: "ampersand inside cmd.exe's quotes stays",
			edit: func(j *Job) { j.ConfigPath = `D:\R&D\hrsync.yaml` },
			want: `schtasks /Create /TN "hrsync\punches" /TR "C:\hrsync\hrsync.exe import --config D:\R&D\hrsync.yaml --log-file C:\hrsync\logs\hrsync.log" /SC DAILY /ST 06:30 /RU SYSTEM /RL HIGHEST /F`,
		},
		{
			name: "subcommand flags, one-digit hour, a service account",
			edit: func(j *Job) {
				j.At = "6:05"
				j.Args = []string{"pull", "--source", "gate 1"}
				j.RunAs = `CORP\svc-hrsync`
			},
			want: `schtasks /Create /TN "hrsync\punches" /TR "C:\hrsync\hrsync.exe pull --source \"gate 1\" --config C:\hrsync\hrsync.yaml --log-file C:\hrsync\logs\hrsync.log" /SC DAILY /ST 06:05 /RU CORP\svc-hrsync /RP * /RL HIGHEST /F`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := windowsJob()
			tt.edit(&j)
			got, err := Windows(j)
			if err != nil {
				t.Fatalf("Windows: %v", err)
			}
			if got != tt.want {
				t.Errorf("Windows:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestWindowsArgsRoundTrip checks that the /TR argument, split the way the C
// runtime splits a command line, gives back exactly the executable and the
// arguments, trailing backslashes and all.
func TestWindowsArgsRoundTrip(t *testing.T) {
	j := windowsJob()
	j.Executable = `C:\Program Files\hrsync\hrsync.exe`
	j.ConfigPath = `\\fileserver\HR Share\hrsync.yaml`
	j.Args = []string{"import", "--source", `gate 1`, "--report", `D:\out dir\`}
	args, err := WindowsArgs(j)
	if err != nil {
		t.Fatal(err)
	}
	line, err := Windows(j)
	if err != nil {
		t.Fatal(err)
	}
	if got := splitWindowsCommandLine(line); strings.Join(got, "\x00") != strings.Join(args, "\x00") {
		t.Fatalf("cmd line splits into\n%q\nwant\n%q", got, args)
	}
	taskRun := args[5]
	want := append([]string{j.Executable}, j.Args...)
	want = append(want, "--config", j.ConfigPath, "--log-file", j.LogFile)
	if got := splitWindowsCommandLine(taskRun); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("/TR %s splits into\n%q\nwant\n%q", taskRun, got, want)
	}
}

// splitWindowsCommandLine follows the documented rules of the Microsoft C
// runtime ("Parsing C command-line arguments"): 2n backslashes before a quote
// give n backslashes and a quote that toggles quoting; 2n+1 give n and a
// literal quote; other backslashes are literal.
func splitWindowsCommandLine(s string) []string {
	var args []string
	var cur strings.Builder
	inQuotes, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					cur.WriteByte('"')
				} else {
					inQuotes = !inQuotes
				}
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
				i--
			}
			have = true
		case c == '"':
			inQuotes = !inQuotes
			have = true
		case (c == ' ' || c == '\t') && !inQuotes:
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	return args
}

func TestWindowsErrors(t *testing.T) {
	long := `C:\Users\consultant.name\Documents\Customer Projects\Acme Manufacturing Vietnam\Attendance Integration\hrsync`
	tests := []struct {
		name string
		edit func(*Job)
		want string // a piece of the error message
	}{
		{"bad hour", func(j *Job) { j.At = "25:00" }, `time "25:00": want HH:MM`},
		{"bad minute", func(j *Job) { j.At = "06:60" }, `time "06:60": want HH:MM`},
		{"12-hour clock", func(j *Job) { j.At = "6:30 PM" }, "24-hour clock"},
		{"no time", func(j *Job) { j.At = "" }, `time "": want HH:MM`},
		{"seconds", func(j *Job) { j.At = "06:30:00" }, "want HH:MM"},
		{"empty name", func(j *Job) { j.Name = " " }, "job name is empty"},
		{"backslash in name", func(j *Job) { j.Name = `a\b` }, `'\\' is not allowed`},
		{"quote in name", func(j *Job) { j.Name = `a"b` }, `'"' is not allowed`},
		{"relative config", func(j *Job) { j.ConfigPath = `hrsync.yaml` }, `config path "hrsync.yaml" is not absolute`},
		{"drive-relative exe", func(j *Job) { j.Executable = `C:hrsync.exe` }, "executable path"},
		{"no log file", func(j *Job) { j.LogFile = "" }, "log file path is empty"},
		{"percent", func(j *Job) { j.ConfigPath = `D:\100%\hrsync.yaml` }, "holds %"},
		{"percent in an argument", func(j *Job) { j.Args = []string{"import", "--source", "%x%"} }, "Task Scheduler expands"},
		{"no subcommand", func(j *Job) { j.Args = nil }, "no hrsync subcommand"},
		{"too long", func(j *Job) {
			j.Executable = long + `\hrsync.exe`
			j.ConfigPath = long + `\hrsync.yaml`
			j.LogFile = long + `\logs\hrsync.log`
		}, "schtasks accepts at most 261 (/TR): move hrsync and its config to a shorter path (e.g. C:\\hrsync), or schedule a .cmd file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := windowsJob()
			tt.edit(&j)
			got, err := Windows(j)
			if err == nil {
				t.Fatalf("Windows: no error, got %s", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestWindowsLengthLimitIsInclusive(t *testing.T) {
	j := windowsJob()
	fixed := len(`C:\hrsync\hrsync.exe import --config  --log-file C:\hrsync\logs\hrsync.log`)
	j.ConfigPath = `C:\` + strings.Repeat("a", MaxTaskRunLength-fixed-len(`C:\`))
	if _, err := Windows(j); err != nil {
		t.Fatalf("exactly %d characters: %v", MaxTaskRunLength, err)
	}
	j.ConfigPath += "a"
	if _, err := Windows(j); err == nil {
		t.Fatalf("%d characters: no error", MaxTaskRunLength+1)
	}
}

func TestWindowsEvery(t *testing.T) {
	tests := []struct {
		at    string
		every time.Duration
		want  string // the schedule part of the line
	}{
		{"", time.Hour, "/SC HOURLY /MO 1 /ST 00:00"},
		{"01:15", 2 * time.Hour, "/SC HOURLY /MO 2 /ST 01:15"},
		{"", 15 * time.Minute, "/SC MINUTE /MO 15 /ST 00:00"},
		{"06:30", 24 * time.Hour, "/SC DAILY /ST 06:30"},
	}
	for _, tt := range tests {
		j := windowsJob()
		j.At, j.Every = tt.at, tt.every
		got, err := Windows(j)
		if err != nil {
			t.Fatalf("every %v: %v", tt.every, err)
		}
		if !strings.Contains(got, tt.want+" /RU SYSTEM /RL HIGHEST /F") {
			t.Errorf("every %v at %q:\n got %s\nwant %s", tt.every, tt.at, got, tt.want)
		}
	}
	j := windowsJob()
	j.Every = 45 * time.Minute
	if _, err := Windows(j); err == nil || !strings.Contains(err.Error(), "cannot repeat that evenly") {
		t.Errorf("every 45m: %v", err)
	}
}

// MergeCrontab replaces this job's line and keeps every other line: a
// second install changes nothing but the job's own line.
func TestMergeCrontab(t *testing.T) {
	other := "MAILTO=ops@example.com\n# nightly backup\n0 1 * * * /usr/local/bin/backup\n15 * * * * /opt/hrsync/hrsync retry --quiet --config /etc/h.yaml --log-file /l # hrsync:retry\n"
	j := cronJob()
	first, err := Cron(j)
	if err != nil {
		t.Fatal(err)
	}
	once := MergeCrontab(other, j.Name, first)
	if want := other + first + "\n"; once != want {
		t.Fatalf("first install:\n%s\nwant\n%s", once, want)
	}
	j.At = "07:45"
	second, _ := Cron(j)
	twice := MergeCrontab(once, j.Name, second)
	if want := other + second + "\n"; twice != want {
		t.Fatalf("second install:\n%s\nwant\n%s", twice, want)
	}
	if again := MergeCrontab(twice, j.Name, second); again != twice {
		t.Fatalf("the same install twice changed the crontab:\n%s", again)
	}
	if got := MergeCrontab("", j.Name, first); got != first+"\n" {
		t.Fatalf("into an empty crontab: %q", got)
	}
	// A crontab whose last line has no line break keeps that line whole.
	if got := MergeCrontab("0 1 * * * /usr/local/bin/backup", j.Name, first); got != "0 1 * * * /usr/local/bin/backup\n"+first+"\n" {
		t.Fatalf("no final line break: %q", got)
	}
	// A job whose name ends another's is not that job.
	if got := MergeCrontab(other, "try", first); !strings.Contains(got, "# hrsync:retry") {
		t.Fatalf("job try replaced job retry:\n%s", got)
	}
}

func cronJob() Job {
	return Job{
		Name:       "punches",
		At:         "06:30",
		Executable: "/opt/hrsync/hrsync",
		ConfigPath: "/etc/hrsync/hrsync.yaml",
		LogFile:    "/var/log/hrsync/hrsync.log",
		Args:       []string{"import"},
	}
}

func TestCron(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Job)
		want string
	}{
		{
			name: "plain paths, work dir from the config",
			edit: func(*Job) {},
			want: `30 6 * * * cd /etc/hrsync && /opt/hrsync/hrsync import --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "midnight, explicit work dir",
			edit: func(j *Job) { j.At = "00:00"; j.WorkDir = "/srv/hrsync" },
			want: `0 0 * * * cd /srv/hrsync && /opt/hrsync/hrsync import --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "paths with spaces",
			edit: func(j *Job) {
				j.At = "23:59"
				j.ConfigPath = "/srv/HR Sync/hrsync.yaml"
				j.LogFile = "/srv/HR Sync/logs/hrsync.log"
			},
			want: `59 23 * * * cd '/srv/HR Sync' && /opt/hrsync/hrsync import --quiet --config '/srv/HR Sync/hrsync.yaml' --log-file '/srv/HR Sync/logs/hrsync.log' # hrsync:punches`,
		},
		{
			name: "percent signs escaped for cron",
			edit: func(j *Job) {
				j.ConfigPath = "/srv/100%/hrsync.yaml"
				j.LogFile = "/srv/100% done/hrsync.log"
			},
			want: `30 6 * * * cd /srv/100\% && /opt/hrsync/hrsync import --quiet --config /srv/100\%/hrsync.yaml --log-file '/srv/100\% done/hrsync.log' # hrsync:punches`,
		},
		{
			name: "single quote and dollar sign",
			edit: func(j *Job) { j.ConfigPath = "/srv/o'brien/$HOME/hrsync.yaml" },
			want: `30 6 * * * cd '/srv/o'\''brien/$HOME' && /opt/hrsync/hrsync import --quiet --config '/srv/o'\''brien/$HOME/hrsync.yaml' --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "subcommand flags",
			edit: func(j *Job) { j.At = "7:05"; j.Args = []string{"pull", "--source", "gate 1"} },
			want: `5 7 * * * cd /etc/hrsync && /opt/hrsync/hrsync pull --source 'gate 1' --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "hourly retry, on the hour",
			edit: func(j *Job) { j.At = ""; j.Every = time.Hour; j.Args = []string{"retry"}; j.Name = "retry" },
			want: `0 * * * * cd /etc/hrsync && /opt/hrsync/hrsync retry --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:retry`,
		},
		{
			name: "every 2 hours from 01:15",
			edit: func(j *Job) { j.At = "01:15"; j.Every = 2 * time.Hour },
			want: `15 1-23/2 * * * cd /etc/hrsync && /opt/hrsync/hrsync import --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "every 6 hours from midnight",
			edit: func(j *Job) { j.At = "00:30"; j.Every = 6 * time.Hour },
			want: `30 */6 * * * cd /etc/hrsync && /opt/hrsync/hrsync import --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "every 15 minutes",
			edit: func(j *Job) { j.At = ""; j.Every = 15 * time.Minute },
			want: `*/15 * * * * cd /etc/hrsync && /opt/hrsync/hrsync import --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "every 10 minutes from 06:35",
			edit: func(j *Job) { j.At = "06:35"; j.Every = 10 * time.Minute },
			want: `5-59/10 * * * * cd /etc/hrsync && /opt/hrsync/hrsync import --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
		{
			name: "every 24h is daily",
			edit: func(j *Job) { j.Every = 24 * time.Hour },
			want: `30 6 * * * cd /etc/hrsync && /opt/hrsync/hrsync import --quiet --config /etc/hrsync/hrsync.yaml --log-file /var/log/hrsync/hrsync.log # hrsync:punches`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := cronJob()
			tt.edit(&j)
			got, err := Cron(j)
			if err != nil {
				t.Fatalf("Cron: %v", err)
			}
			if got != tt.want {
				t.Errorf("Cron:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCronErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"bad time", func(j *Job) { j.At = "24:00" }, `time "24:00": want HH:MM`},
		{"dot instead of colon", func(j *Job) { j.At = "06.30" }, "want HH:MM"},
		{"relative executable", func(j *Job) { j.Executable = "hrsync" }, `executable path "hrsync" is not absolute`},
		{"relative log", func(j *Job) { j.LogFile = "logs/hrsync.log" }, `log file path "logs/hrsync.log" is not absolute`},
		{"relative work dir", func(j *Job) { j.WorkDir = "." }, `work dir path "." is not absolute`},
		{"Windows path", func(j *Job) { j.ConfigPath = `C:\hrsync\hrsync.yaml` }, "is not absolute"},
		{"line break", func(j *Job) { j.ConfigPath = "/srv/a\nb.yaml" }, "cannot hold a line break"},
		{"line break in an argument", func(j *Job) { j.Args = []string{"import\n"} }, "cannot hold a line break"},
		{"name with a slash", func(j *Job) { j.Name = "a/b" }, `'/' is not allowed`},
		{"long name", func(j *Job) { j.Name = strings.Repeat("x", 65) }, "longer than 64"},
		{"every 7 minutes", func(j *Job) { j.Every = 7 * time.Minute }, "every 7m: cron cannot repeat that evenly"},
		{"every 90 minutes", func(j *Job) { j.Every = 90 * time.Minute }, "every 90m: cron cannot repeat that evenly"},
		{"every 5 hours", func(j *Job) { j.Every = 5 * time.Hour }, "every 5h: cron cannot repeat that evenly through the hour or the day; use 1m, 2m"},
		{"every 2 days", func(j *Job) { j.Every = 48 * time.Hour }, "cannot repeat"},
		{"every 30 seconds", func(j *Job) { j.Every = 30 * time.Second }, "want whole minutes or hours"},
		{"negative", func(j *Job) { j.Every = -time.Hour }, "want whole minutes or hours"},
		{"daily needs a time", func(j *Job) { j.At = "" }, `time "": want HH:MM`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := cronJob()
			tt.edit(&j)
			got, err := Cron(j)
			if err == nil {
				t.Fatalf("Cron: no error, got %s", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

// TestCronLineRunsInShell runs the command part of a crontab line the way
// cron does (\% becomes %, then /bin/sh -c) against a stand-in hrsync that
// writes down its working folder and arguments, in folders whose names hold
// spaces, quotes and percent signs.
func TestCronLineRunsInShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("sh not found: ", err)
	}
	root := filepath.Join(t.TempDir(), "HR Sync 100% o'brien")
	// No logs folder: the first run must not depend on one.
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(root, "args.txt")
	exe := filepath.Join(root, "hrsync")
	script := "#!/bin/sh\npwd > \"$HRSYNC_RECORD\"\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$HRSYNC_RECORD\"; done\necho to-stdout\necho to-stderr >&2\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	j := Job{
		Name:       "punches",
		At:         "06:30",
		Executable: exe,
		ConfigPath: filepath.Join(root, "hrsync.yaml"),
		LogFile:    filepath.Join(root, "logs", "run %d.log"),
		Args:       []string{"import", "--source", "gate 1"},
	}
	line, err := Cron(j)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.SplitN(line, " ", 6)
	command := strings.ReplaceAll(fields[5], `\%`, "%")
	cmd := exec.Command(sh, "-c", command)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HRSYNC_RECORD="+record)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh -c %s: %v\n%s", command, err, out)
	}
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{root, "import", "--source", "gate 1", "--quiet", "--config", j.ConfigPath, "--log-file", j.LogFile}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("hrsync ran with\n%s\nwant\n%s", got, want)
	}
}

// unescapeCmd undoes what cmd.exe does to a line before starting a program:
// outside quotes, a caret makes the next character literal and goes away.
func unescapeCmd(line string) string {
	var b strings.Builder
	inQuotes := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '"' {
			inQuotes = !inQuotes
		} else if c == '^' && !inQuotes && i+1 < len(line) {
			i++
			c = line[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// FuzzWindowsRoundTrip checks, for any config path hrsync accepts, that the
// cmd.exe line reaches schtasks as the intended arguments, and that /TR
// splits back into exactly the executable and its arguments.
func FuzzWindowsRoundTrip(f *testing.F) {
	for _, seed := range []string{
		`C:\hrsync\hrsync.yaml`, `D:\HR Sync\hrsync.yaml`, `\\server\share\x y\h.yaml`,
		`D:\R&D Tools\a^b|c<d>.yaml`, `C:\trailing space \`, `C:\a\\\\ b\`, `C:\Program Files (x86)\h.yaml`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, config string) {
		j := windowsJob()
		j.ConfigPath = config
		args, err := WindowsArgs(j)
		if err != nil {
			return
		}
		line, err := Windows(j)
		if err != nil {
			t.Fatalf("WindowsArgs accepted %q but Windows did not: %v", config, err)
		}
		if got := splitWindowsCommandLine(unescapeCmd(line)); strings.Join(got, "\x00") != strings.Join(args, "\x00") {
			t.Fatalf("line %s\nsplits into %q\nwant %q", line, got, args)
		}
		want := []string{j.Executable, "import", "--config", config, "--log-file", j.LogFile}
		if got := splitWindowsCommandLine(args[5]); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("/TR %s\nsplits into %q\nwant %q", args[5], got, want)
		}
	})
}
