package commands

import "github.com/spf13/cobra"

// newDevicesCmd is the parent of every device command. Its children come from
// two files so the two ways hrsync meets a punch machine stay apart:
// devices_push.go (the registry the push endpoint of `hrsync serve` keeps:
// list, pending, approve) and devices_zk.go (what is read from or written to
// the machines themselves over the ZK protocol on port 4370).
func newDevicesCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "devices",
		Short:   "Punch machines: the registry of pushing devices and the devices a config pulls from",
		Example: `  hrsync devices --help`,
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(deviceRegistryCommands(app)...)
	cmd.AddCommand(deviceProtocolCommands(app)...)
	return cmd
}
