package mapping

// EmployeeFields lists the named fields of an Employee, as config and
// reports spell them.
var EmployeeFields = []string{"id", "attendance_no", "employee_no", "placement_no", "name", "status",
	"sbu", "state", "branch", "factory", "department", "sub_department", "designation", "employee_type",
	"email", "onboarding_date", "resignation_date"}

func (e *Employee) fieldPtr(name string) *string {
	switch name {
	case "id":
		return &e.ID
	case "attendance_no":
		return &e.AttendanceNo
	case "employee_no":
		return &e.EmployeeNo
	case "placement_no":
		return &e.PlacementNo
	case "name":
		return &e.Name
	case "status":
		return &e.Status
	case "sbu":
		return &e.SBU
	case "state":
		return &e.State
	case "branch":
		return &e.Branch
	case "factory":
		return &e.Factory
	case "department":
		return &e.Department
	case "sub_department":
		return &e.SubDepartment
	case "designation":
		return &e.Designation
	case "employee_type":
		return &e.EmployeeType
	case "email":
		return &e.Email
	case "onboarding_date":
		return &e.OnboardingDate
	case "resignation_date":
		return &e.ResignationDate
	}
	return nil
}

// Field reads a named field; names that are not built in read Extra.
func (e *Employee) Field(name string) string {
	if p := e.fieldPtr(name); p != nil {
		return *p
	}
	return e.Extra[name]
}

// SetField writes a named field; names that are not built in go to Extra.
func (e *Employee) SetField(name, value string) {
	if p := e.fieldPtr(name); p != nil {
		*p = value
		return
	}
	if e.Extra == nil {
		e.Extra = map[string]string{}
	}
	e.Extra[name] = value
}
