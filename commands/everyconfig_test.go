package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
)

// oddConfigs are configs no example ships but a first day produces: each
// must end in a message and an exit code, never a panic.
var oddConfigs = map[string]string{
	"empty":           "",
	"no sources":      "hr: { url: sqlite://hr.db }\n",
	"push-users only": "hr: { url: sqlite://hr.db }\npush_users:\n  source: { path: staff.csv, columns: { id: id, name: name, status: status } }\n  target: { kind: database }\n",
	"http target": "hr:\n  url: https://127.0.0.1:1/api/punches\n  employees: { file: employees.csv }\n" +
		"sources:\n  gate:\n    path: punches.csv\n    mapping: { employee_key: Pin, time: { column: Time, layout: \"2006-01-02 15:04:05\" } }\n",
}

// commandArgs are the arguments each command needs to get past its own
// checks; --dry-run is added wherever the command has it.
var commandArgs = map[string][]string{
	"mark-processed": {"1", "--note", "by hand"},
	"schedule":       {"--at", "06:30", "--job", "punches"},
	"resync":         {"--from", "2025-12-01"},
	"runs show":      {"1"},
	"events show":    {"1"},
	// serve runs until stopped: an address it refuses ends it once the
	// config is read.
	"serve": {"--listen", "no-port"},
	// A port nothing can listen on: the console opens its stores, then
	// stops with a message instead of serving until the test times out.
	"console":      {"--listen", "127.0.0.1:no-port"},
	"users add":    {"ada", "--role", "admin"},
	"users remove": {"ada"},
}

// leafCommands lists the command tree's runnable commands, as typed.
func leafCommands(cmd *cobra.Command, prefix []string) [][]string {
	var out [][]string
	for _, sub := range cmd.Commands() {
		path := append(slices.Clone(prefix), sub.Name())
		if sub.Runnable() {
			out = append(out, path)
		}
		out = append(out, leafCommands(sub, path)...)
	}
	return out
}

// TestEveryConfigEveryCommand feeds every example config, and a few odd
// ones, to every command (with --dry-run where it has one), each in a
// fresh copy of its folder: no panic, an exit code in the table.
func TestEveryConfigEveryCommand(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*", "*.yaml"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no example configs: %v", err)
	}
	// The examples' secrets come from the environment, as in production.
	t.Setenv("ZK_DB_USER", "zkreader")
	t.Setenv("ZK_DB_PASSWORD", "not-a-real-password")
	configs := map[string]func(t *testing.T) string{}
	// A database server's tables are shared, not this test's to write:
	// configs pointing at one run their dry runs only.
	dryOnly := map[string]bool{}
	for _, ex := range examples {
		name := filepath.Base(filepath.Dir(ex))
		if c, err := config.Load(ex); err == nil && !c.HRIsHTTP() && !strings.HasPrefix(c.HR.URL, "sqlite://") {
			dryOnly[name] = true
		}
		configs[name] = func(t *testing.T) string {
			return filepath.Join(copyDir(t, filepath.Dir(ex)), filepath.Base(ex))
		}
	}
	for name, body := range oddConfigs {
		configs[name] = func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no,name,status\nE1,1001,Ann,active\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "punches.csv"), []byte("Pin,Time\n1001,2025-12-01 08:00:00\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "staff.csv"), []byte("id,name,status\nE1,Ann,active\n"), 0o644)
			p := filepath.Join(dir, "hrsync.yaml")
			os.WriteFile(p, []byte(body), 0o644)
			return p
		}
	}
	root := NewRoot(&App{})
	cmds := append(leafCommands(root, nil), []string{"completion", "bash"})
	for cfgName, cfgPath := range configs {
		for _, path := range cmds {
			// The real run too, where there is a dry run: each in its own
			// copy, and the no-sources panic came only without --dry-run.
			// (completion joins the tree only as it executes.)
			dry := []bool{false}
			if c, _, err := root.Find(path); err == nil && c.Flags().Lookup("dry-run") != nil {
				dry = append(dry, true)
				if dryOnly[cfgName] {
					dry = dry[1:]
				}
			}
			for _, dryRun := range dry {
				name := cfgName + "/" + strings.Join(path, " ")
				if dryRun {
					name += " --dry-run"
				}
				t.Run(name, func(t *testing.T) {
					args := append(slices.Clone(path), commandArgs[strings.Join(path, " ")]...)
					if dryRun {
						args = append(args, "--dry-run")
					}
					args = append(args, "--config", cfgPath(t))
					var code exitcode.Code
					var stdout, stderr string
					func() {
						defer func() {
							if p := recover(); p != nil {
								t.Fatalf("hrsync %s panicked: %v", strings.Join(args, " "), p)
							}
						}()
						code, stdout, stderr = run(args...)
					}()
					if code < exitcode.OK || code > exitcode.Queued {
						t.Fatalf("hrsync %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout, stderr)
					}
					if code == exitcode.Usage || code == exitcode.Failed {
						if strings.TrimSpace(stderr+stdout) == "" {
							t.Fatalf("hrsync %s: exit %d and no message", strings.Join(args, " "), code)
						}
					}
					t.Log(fmt.Sprintf("exit %d", code), strings.TrimSpace(stderr))
				})
			}
		}
	}
}

// copyDir copies a folder's files (not its subfolders) to a temp folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644)
	}
	return dst
}
