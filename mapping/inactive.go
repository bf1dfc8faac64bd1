package mapping

import "github.com/hrsync/hrsync/internal/setting"

// What import does with a punch of an employee who is not active
// (hr.employees.inactive): reject it with code Inactive, or import it.
const (
	InactiveReject = "reject"
	InactiveImport = "import"
)

// InactiveModes are the values hr.employees.inactive accepts ("" is reject).
var InactiveModes = []string{InactiveReject, InactiveImport}

// ParseInactive reads an inactive mode: "" means reject. Config calls it, so
// the list is declared once, here, beside the Inactive outcome it decides.
func ParseInactive(s string) (string, error) {
	return setting.Choice(s, InactiveReject, InactiveModes)
}
