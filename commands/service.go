package commands

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
)

// serviceOptions name the Windows service and the config it serves.
type serviceOptions struct {
	Name    string
	Config  string // absolute; the service starts in System32
	LogFile string // absolute; "" for <data_dir>/serve.log
}

// defaultServiceName is the service's name unless --name gives another
// (two configs on one machine are two services).
const defaultServiceName = "hrsync"

func newServiceCmd(app *App) *cobra.Command {
	var o serviceOptions
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Run `hrsync serve` as a Windows service: install, start, stop, uninstall",
		Long: `service registers "hrsync serve --config FILE --log-file FILE" with the Windows
service manager (automatic start, restarted after a failure), and starts,
stops or removes it. It needs an elevated prompt. On Linux use the systemd
unit in examples/systemd instead (see the README).`,
		Example: `  hrsync service install --config C:\hrsync\hrsync.yaml
  hrsync service start
  hrsync service stop
  hrsync service uninstall`,
		Args: cobra.NoArgs,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.Name, "name", defaultServiceName, "the service's name")
	sub := func(use, short string, run func(context.Context, *App, serviceOptions) error) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
			Example: "  hrsync service " + use + " --name hrsync",
			RunE: func(c *cobra.Command, _ []string) error {
				if err := checkServiceName(o.Name); err != nil {
					return err
				}
				return run(c.Context(), app, o)
			}}
		return c
	}
	install := sub("install", "Register the service (automatic start) for this config", func(ctx context.Context, app *App, o serviceOptions) error {
		cfg, err := app.loadConfig()
		if err != nil {
			return err
		}
		return installService(ctx, app, installOptions(cfg, o))
	})
	install.Example = `  hrsync service install --config C:\hrsync\hrsync.yaml`
	install.Flags().StringVar(&o.LogFile, "service-log", "", "the service's log file (default <data_dir>/serve.log)")
	cmd.AddCommand(install,
		sub("start", "Start the service", startService),
		sub("stop", "Stop the service (requests in flight are answered first)", stopService),
		sub("uninstall", "Stop and remove the service", uninstallService))
	return cmd
}

// installOptions are o for the config the service will serve: the config's
// own (absolute) path, the log file <data_dir>/serve.log unless given
// (serviceArgs makes both absolute).
func installOptions(cfg *config.Config, o serviceOptions) serviceOptions {
	o.Config = cfg.Path
	if o.LogFile == "" {
		o.LogFile = filepath.Join(cfg.DataDir, "serve.log")
	}
	return o
}
