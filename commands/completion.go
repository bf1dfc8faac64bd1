package commands

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/outbox"
)

// completionLimit is how many run or event ids a tab offers: the latest.
const completionLimit = 50

// finishTree adds what spans commands: the examples of the root and of
// cobra's completion command, and flag values that complete from the
// config (--source) or from a fixed list (schedule --command).
func finishTree(app *App, root *cobra.Command) {
	root.Example = `  hrsync config check --config "D:\HR Sync\hrsync.yaml"
  hrsync import --dry-run
  hrsync import
  hrsync runs list
  hrsync help import`
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  source <(hrsync completion bash)
  hrsync completion powershell | Out-String | Invoke-Expression`
		examples := map[string]string{
			"bash":       "  source <(hrsync completion bash)\n  hrsync completion bash > /etc/bash_completion.d/hrsync",
			"zsh":        "  hrsync completion zsh > \"${fpath[1]}/_hrsync\"",
			"fish":       "  hrsync completion fish > ~/.config/fish/completions/hrsync.fish",
			"powershell": "  hrsync completion powershell | Out-String | Invoke-Expression\n  hrsync completion powershell >> $PROFILE",
		}
		for _, sh := range c.Commands() {
			sh.Example = examples[sh.Name()]
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("source") != nil {
			_ = c.RegisterFlagCompletionFunc("source", app.completeSources)
		}
		if c.Name() == "schedule" && c.Flags().Lookup("command") != nil {
			// runSchedule's choices.
			_ = c.RegisterFlagCompletionFunc("command", cobra.FixedCompletions(
				[]string{"import", "pull", "pull+import", "retry"}, cobra.ShellCompDirectiveNoFileComp))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeSources offers the config's source names not typed yet.
func (a *App) completeSources(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	cfg, err := config.Load(a.configPath())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var given []string
	if f := cmd.Flags().Lookup("source"); f != nil && f.Changed {
		given = []string{f.Value.String()}
		if sv, ok := f.Value.(interface{ GetSlice() []string }); ok {
			given = sv.GetSlice()
		}
	}
	var out []string
	for _, n := range cfg.SourceNames() {
		if !slices.Contains(given, n) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completionState opens the run state to read ids, only when it is there:
// a tab press never creates a data folder.
func (a *App) completionState(cmd *cobra.Command) (context.Context, *importer.Session, bool) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := config.Load(a.configPath())
	if err != nil {
		return ctx, nil, false
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return ctx, nil, false
	}
	sess, err := importer.OpenState(ctx, cfg, nil)
	return ctx, sess, err == nil
}

// completeRunIDs offers the latest run ids, each with what it was.
func (a *App) completeRunIDs(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, sess, ok := a.completionState(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer sess.Close()
	runs, err := sess.State.Runs(ctx, completionLimit)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = fmt.Sprintf("%d\t%s %s, exit %s", r.ID, r.Command, r.StartedAt.Local().Format("2006-01-02 15:04"), exitText(r.ExitCode))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeEventIDs offers the latest outbox event ids with one of the
// statuses (any, when none are given), not those already typed.
func (a *App) completeEventIDs(statuses ...string) cobra.CompletionFunc {
	if len(statuses) == 0 {
		statuses = []string{""} // outbox.List: every status
	}
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if cmd.Args != nil && cmd.Args(cmd, append(slices.Clone(args), "0")) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp // no room for another id
		}
		ctx, sess, ok := a.completionState(cmd)
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer sess.Close()
		var out []string
		for _, st := range statuses {
			events, err := outbox.List(ctx, sess.State.DB, st, completionLimit)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			for _, e := range events {
				id := fmt.Sprint(e.ID)
				if !slices.Contains(args, id) {
					out = append(out, fmt.Sprintf("%s\t%s, %s, run %d", id, statusText(viewOf(e)), e.Target, e.RunID))
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
