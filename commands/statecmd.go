package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/state"
)

func newStateCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "state", Short: "The run state's schema: check its version, apply migrations",
		Long: `The state (history, watermarks, pulled-file ledger, outbox, device positions, console accounts,
resync changes) is the embedded file <data_dir>/state.db, or the database of the config's state:
section. Runs apply pending migrations themselves and refuse a state a newer hrsync migrated;
these commands do it ahead, e.g. from a deployment's init step.`,
		Example: `  hrsync state check --config hrsync.yaml
  hrsync state migrate --config hrsync.yaml`}
	cmd.AddCommand(&cobra.Command{
		Use:     "check",
		Short:   "Connect, report the state's version and pending migrations; exit 1 when behind or ahead",
		Example: "  hrsync state check --config hrsync.yaml",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runStateCheck(cmd.Context(), app) },
	}, &cobra.Command{
		Use:     "migrate",
		Short:   "Apply the pending migrations and say which",
		Example: "  hrsync state migrate --config hrsync.yaml",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runStateMigrate(cmd.Context(), app) },
	})
	return cmd
}

func openStateOnly(ctx context.Context, app *App) (*state.Store, error) {
	cfg, err := app.loadConfigForReading()
	if err != nil {
		return nil, err
	}
	o := importer.StateOptions(cfg)
	o.NoMigrate = true
	return state.OpenWith(ctx, o)
}

func runStateCheck(ctx context.Context, app *App) error {
	st, err := openStateOnly(ctx, app)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Out, "state %s: version %d\n", st.Where, s.Version)
	for _, m := range s.Pending {
		fmt.Fprintf(app.Out, "  pending %d: %s\n", m.Version, m.Name)
	}
	switch {
	case len(s.Unknown) > 0:
		return fmt.Errorf("the state holds versions %v this hrsync does not know (a newer hrsync migrated it): upgrade hrsync", s.Unknown)
	case len(s.Pending) > 0:
		return fmt.Errorf("%d migrations pending: run hrsync state migrate", len(s.Pending))
	}
	fmt.Fprintln(app.Out, "up to date")
	return nil
}

func runStateMigrate(ctx context.Context, app *App) error {
	st, err := openStateOnly(ctx, app)
	if err != nil {
		return err
	}
	defer st.Close()
	done, err := st.Migrate(ctx)
	for _, m := range done {
		fmt.Fprintf(app.Out, "applied %d: %s\n", m.Version, m.Name)
	}
	if err != nil {
		return err
	}
	s, err := st.Status(ctx)
	if err != nil {
		return err
	}
	var vs []string
	for _, v := range s.Applied {
		vs = append(vs, fmt.Sprint(v))
	}
	if len(done) == 0 {
		fmt.Fprintf(app.Out, "state %s: up to date at version %d\n", st.Where, s.Version)
	} else {
		fmt.Fprintf(app.Out, "state %s: now at version %d (applied: %s)\n", st.Where, s.Version, strings.Join(vs, ", "))
	}
	return nil
}
