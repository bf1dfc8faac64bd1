package fetch

import (
	"os"
	"runtime"
)

// SyncDir makes a rename in dir durable. Windows cannot open a folder for
// syncing (NTFS journals the rename itself), so there it is a no-op.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
