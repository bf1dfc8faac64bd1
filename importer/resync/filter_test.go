package resync

import (
	"strings"
	"testing"

	"github.com/hrsync/hrsync/mapping"
)

func directory() []mapping.Employee {
	return []mapping.Employee{
		{ID: "E1", AttendanceNo: "101", Name: "An", Status: "active", SBU: "Garments", State: "HCM", Branch: "Thu Duc", Department: "Production", SubDepartment: "Sewing", Designation: "Operator", EmployeeType: "Permanent"},
		{ID: "E2", AttendanceNo: "102", Name: "Binh", Status: "Active", SBU: "Garments", State: "HCM", Branch: "Thu Duc", Department: "production", SubDepartment: "Cutting", Designation: "Supervisor", EmployeeType: "PERMANENT"},
		{ID: "E3", AttendanceNo: "103", Name: "Chi", Status: "inactive", SBU: "Textiles", State: "Dong Nai", Branch: "Bien Hoa", Department: "Production", SubDepartment: "Sewing", Designation: "Operator", EmployeeType: "Contract"},
		{ID: "E4", AttendanceNo: "104", Name: "Dung", Status: "active", SBU: "Textiles", State: "Dong Nai", Branch: "Bien Hoa", Department: "Sales", SubDepartment: "Retail", Designation: "Manager", EmployeeType: " permanent "},
	}
}

func TestSelect(t *testing.T) {
	all := directory()
	lookup := func(key string) *mapping.Employee {
		for i := range all {
			if all[i].AttendanceNo == key {
				return &all[i]
			}
		}
		return nil
	}
	tests := []struct {
		name   string
		filter map[string][]string
		want   string
	}{
		{"no filter selects all", nil, "E1,E2,E3,E4"},
		{"status", map[string][]string{"status": {"ACTIVE"}}, "E1,E2,E4"},
		{"sbu", map[string][]string{"sbu": {"textiles"}}, "E3,E4"},
		{"state", map[string][]string{"state": {"dong  nai"}}, "E3,E4"},
		{"branch", map[string][]string{"branch": {" Thu Duc "}}, "E1,E2"},
		{"department case-insensitive", map[string][]string{"department": {"PRODUCTION"}}, "E1,E2,E3"},
		{"sub_department", map[string][]string{"sub_department": {"sewing"}}, "E1,E3"},
		{"designation", map[string][]string{"designation": {"operator"}}, "E1,E3"},
		{"employee_type Permanent = PERMANENT = ' permanent '", map[string][]string{"employee_type": {"Permanent"}}, "E1,E2,E4"},
		{"employee by id", map[string][]string{"employee": {"e2"}}, "E2"},
		{"employee by punch key", map[string][]string{"employee": {"103"}}, "E3"},
		{"OR within a kind (comma list)", map[string][]string{"department": {"sales,production"}}, "E1,E2,E3,E4"},
		{"OR within a kind (repeated)", map[string][]string{"designation": {"Manager", "Supervisor"}}, "E2,E4"},
		{"AND across kinds", map[string][]string{"department": {"Production"}, "status": {"active"}}, "E1,E2"},
		{"three kinds", map[string][]string{"department": {"Production"}, "status": {"active"}, "sub_department": {"Cutting"}}, "E2"},
		{"employee AND department", map[string][]string{"employee": {"E1,E4"}, "department": {"Sales"}}, "E4"},
		{"combination selecting nobody", map[string][]string{"department": {"Sales"}, "branch": {"Thu Duc"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Filter{}
			for k, v := range tc.filter {
				f.Add(k, v...)
			}
			got, err := Select(all, f, lookup)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			if strings.Join(ids, ",") != tc.want {
				t.Errorf("got %v, want %s", ids, tc.want)
			}
		})
	}
}

func TestSelectUnknownValueNamesNearest(t *testing.T) {
	tests := []struct {
		kind, value string
		wantIn      []string
	}{
		{"department", "Prodution", []string{`--department "Prodution"`, `"Production"`}},
		{"branch", "Thu Doc", []string{`"Thu Duc"`}},
		{"employee", "E9", []string{`--employee "E9"`, `"E1"`}},
		{"sub_department", "sew", []string{`--sub-department`, `"Sewing"`}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			f := Filter{}
			f.Add(tc.kind, tc.value)
			_, err := Select(directory(), f, nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %s", err, w)
				}
			}
		})
	}
}
