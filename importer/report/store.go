package report

import (
	"fmt"
	"strings"

	"github.com/hrsync/hrsync/internal/setting"
)

// Where a run's report is kept (report.store): StoreFile leaves it in its
// file only; StoreState also copies it, compressed, into the state
// database when the run ends, for workers whose disk goes with them.
const (
	StoreFile  = "file"
	StoreState = "state"
)

// Stores are the values report.store takes; "" is StoreFile.
var Stores = []string{StoreFile, StoreState}

// ParseStore reads report.store in any case.
func ParseStore(s string) (string, error) {
	v, err := setting.Choice(strings.ToLower(s), StoreFile, Stores)
	if err != nil {
		return "", fmt.Errorf("%q: want %s", s, strings.Join(Stores, ", "))
	}
	return v, nil
}
