package commands

import "github.com/spf13/cobra"

// deviceProtocolCommands are the `devices` subcommands that talk to the
// configured machines over the ZK protocol (sources/zk).
func deviceProtocolCommands(app *App) []*cobra.Command { return nil }
