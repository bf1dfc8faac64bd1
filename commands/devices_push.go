package commands

import "github.com/spf13/cobra"

// deviceRegistryCommands are the `devices` subcommands over the push
// endpoint's registry (internal/pushstore).
func deviceRegistryCommands(app *App) []*cobra.Command { return nil }
