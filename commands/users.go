package commands

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hrsync/hrsync/console"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
)

func newUsersCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Console accounts: add, list, remove",
		Example: `  hrsync users add alice --role admin < alice.pw
  hrsync users add bob --role operator --profile production --password-file bob.pw
  hrsync users list`}
	cmd.AddCommand(newUsersAddCmd(app), newUsersListCmd(app), newUsersRemoveCmd(app))
	return cmd
}

type usersAddOptions struct {
	Name, Role, Profile string
	PasswordFile        string // "": the password is read from stdin
	Args                string
}

func newUsersAddCmd(app *App) *cobra.Command {
	var o usersAddOptions
	cmd := &cobra.Command{
		Use:   "add NAME --role viewer|operator|admin",
		Short: "Add a console account, or change its password, role and profile",
		Long: `The password is read from --password-file, or from stdin (asked twice on a terminal); never
from an argument, which other users of the machine could see. Roles: viewer (reads), operator
(also retries, marks events processed and resyncs), admin (everything, approving devices too).
--profile binds the account to a resync profile (resync.profiles): the console lists and
resyncs only its departments and branches.`,
		Example: `  hrsync users add alice --role admin < alice.pw
  hrsync users add bob --role operator --profile production --password-file bob.pw`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name, o.Args = args[0], commandLine(cmd)
			return runUsersAdd(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringVar(&o.Role, "role", "", "viewer, operator or admin (required)")
	_ = cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(console.Roles, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().StringVar(&o.Profile, "profile", "", "bind the account to this resync profile (resync.profiles)")
	cmd.Flags().StringVar(&o.PasswordFile, "password-file", "", "read the password from this file (default: stdin)")
	return cmd
}

func runUsersAdd(ctx context.Context, app *App, o usersAddOptions) (err error) {
	name := strings.TrimSpace(o.Name)
	if name == "" || strings.ContainsAny(name, " \t\r\n") {
		return exitcode.Usagef("user name %q: want a name without spaces", o.Name)
	}
	role, err := console.ParseRole(o.Role)
	if err != nil {
		return exitcode.Usagef("--role %v", err)
	}
	cfg, err := app.loadConfigForReading()
	if err != nil {
		return err
	}
	if o.Profile != "" {
		var names []string
		if cfg.Resync != nil {
			for n := range cfg.Resync.Profiles {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		if !slices.Contains(names, o.Profile) {
			return exitcode.Usagef("--profile %q: no such profile in resync.profiles (have: %s)", o.Profile, strings.Join(names, ", "))
		}
	}
	pw, err := app.readPassword(o.PasswordFile)
	if err != nil {
		return err
	}
	hash, err := console.HashPassword(pw)
	if err != nil {
		return exitcode.AsUsage(err)
	}
	run, err := importer.BeginRun(ctx, cfg, importer.RunSpec{Command: "users add", Args: o.Args, SendNothing: true, Log: app.Log})
	if err != nil {
		return err
	}
	counts := report.Counts{}
	defer func() { run.End(ctx, counts, err) }()
	if err = run.State.PutUser(ctx, state.User{Name: name, PasswordHash: hash, Role: role, Profile: o.Profile}); err != nil {
		return err
	}
	counts["saved"] = 1
	if o.Profile != "" {
		role += ", profile " + o.Profile
	}
	app.say("user %s saved: %s", name, role)
	return nil
}

// readPassword reads a password from a file or stdin: the first line,
// without its line ending; on a terminal, asked twice without echo.
func (a *App) readPassword(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", exitcode.AsUsage(fmt.Errorf("--password-file: %w", err))
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if f, ok := a.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.Err, "password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.Err)
		if err != nil {
			return "", err
		}
		fmt.Fprint(a.Err, "again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.Err)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", exitcode.AsUsage(errors.New("the two passwords differ"))
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(a.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

type usersListOptions struct{ Output string }

func newUsersListCmd(app *App) *cobra.Command {
	var o usersListOptions
	cmd := &cobra.Command{Use: "list", Short: "List console accounts (never their passwords)",
		Example: `  hrsync users list
  hrsync users list --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runUsersList(cmd.Context(), app, o) }}
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

func runUsersList(ctx context.Context, app *App, o usersListOptions) error {
	sess, err := app.readSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	users, err := sess.State.Users(ctx)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		if users == nil {
			users = []state.User{}
		}
		return app.printJSON(users)
	}
	tw := app.table("NAME", "ROLE", "PROFILE", "UPDATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Profile, u.UpdatedAt.Local().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

type usersRemoveOptions struct{ Name, Args string }

func newUsersRemoveCmd(app *App) *cobra.Command {
	var o usersRemoveOptions
	cmd := &cobra.Command{Use: "remove NAME", Short: "Remove a console account; its sessions end at their next request",
		Example: `  hrsync users remove bob`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name, o.Args = args[0], commandLine(cmd)
			return runUsersRemove(cmd.Context(), app, o)
		}}
	return cmd
}

func runUsersRemove(ctx context.Context, app *App, o usersRemoveOptions) (err error) {
	cfg, err := app.loadConfigForReading()
	if err != nil {
		return err
	}
	run, err := importer.BeginRun(ctx, cfg, importer.RunSpec{Command: "users remove", Args: o.Args, SendNothing: true, Log: app.Log})
	if err != nil {
		return err
	}
	counts := report.Counts{}
	defer func() { run.End(ctx, counts, err) }()
	if err = run.State.RemoveUser(ctx, o.Name); err != nil {
		if errors.Is(err, state.ErrNoUser) {
			return exitcode.AsUsage(err)
		}
		return err
	}
	counts["removed"] = 1
	app.say("user %s removed", o.Name)
	return nil
}
