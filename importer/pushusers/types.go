// Package pushusers keeps the employee accounts of an HR system (a database
// table, an HTTPS API or a SCIM identity provider) in step with the
// customer's own employee records. It reads the source and the target,
// plans one decision per employee under the docking rules (create with the
// required fields, update only the fields the policy allows, deactivate
// leavers, report the rest), stops before changing anything when a run
// would deactivate too many people, applies the plan and writes one report
// line per employee. The password is carried only to a create and never
// printed.
package pushusers

import (
	"context"

	"github.com/hrsync/hrsync/mapping"
)

// Outcome is what became of one employee.
type Outcome string

// Outcomes, one per employee.
const (
	Create            Outcome = "create"
	Update            Outcome = "update"
	Unchanged         Outcome = "unchanged"
	NeedsManualChange Outcome = "needs_manual_change"
	Deactivate        Outcome = "deactivate"
	Rejected          Outcome = "rejected"
	Absent            Outcome = "absent"
	AbsentDeactivated Outcome = "absent_deactivated"
	// Failed is a planned change the target refused or never answered.
	Failed Outcome = "failed"
)

// Outcomes lists every outcome in report order.
var Outcomes = []Outcome{Create, Update, Unchanged, NeedsManualChange, Deactivate, Rejected, Absent, AbsentDeactivated, Failed}

// Password is a create-only secret. It prints as asterisks in every format
// so that no log line, error or report can carry it by accident.
type Password string

// String hides the value.
func (p Password) String() string {
	if p == "" {
		return ""
	}
	return "******"
}

// GoString hides the value from %#v.
func (p Password) GoString() string { return `"` + p.String() + `"` }

// MarshalJSON hides the value.
func (p Password) MarshalJSON() ([]byte, error) { return []byte(`"` + p.String() + `"`), nil }

// Reveal returns the password itself, for the one place that sends it.
func (p Password) Reveal() string { return string(p) }

// FieldChange is one field's old and new value.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Change is one write the target must make.
type Change struct {
	// Create makes a new account from Employee (every non-empty field)
	// and Password; otherwise Fields of the account Employee.ID are set to
	// Employee's values ("" clears a field).
	Create   bool
	Employee mapping.Employee
	Fields   []string
	Password Password
}

// Target is an HR system that holds employee accounts.
type Target interface {
	// Employees lists every account, active or not.
	Employees(ctx context.Context) ([]mapping.Employee, error)
	// Apply makes the changes. errs has one entry per change (nil when it
	// was made); err is set when the target failed as a whole and nothing
	// more can be said about single changes.
	Apply(ctx context.Context, changes []Change) (errs []error, err error)
}

// Decision is the plan (and, after apply, the fate) of one employee.
type Decision struct {
	ID      string         `json:"id"`
	Name    string         `json:"name,omitempty"`
	Origin  mapping.Origin `json:"origin"`
	Outcome Outcome        `json:"outcome"`
	// Set are the fields written (on create every field given, old empty).
	Set []FieldChange `json:"set,omitempty"`
	// Manual are differences the policy does not let hrsync write.
	Manual  []FieldChange `json:"manual,omitempty"`
	Reason  string        `json:"reason,omitempty"`
	Applied bool          `json:"applied"`

	change *Change
}
