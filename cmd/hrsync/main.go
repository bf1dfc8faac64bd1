// Command hrsync moves attendance punches and employee records from a
// customer's systems into the HR system. See README.md.
package main

import (
	"os"
	_ "time/tzdata" // Windows has no zone database; carry our own

	"github.com/hrsync/hrsync/commands"
)

func main() {
	os.Exit(commands.Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
