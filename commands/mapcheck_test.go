package commands

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMapCheckCommand(t *testing.T) {
	td, err := filepath.Abs("../importer/mapcheck/testdata")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(cfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: "`+td+`/employees.csv", match: [attendance_no] }
sources:
  vn:
    path: "`+td+`/utf16.txt"
    mapping:
      employee_key: { column: Mã NV }
      time: { column: Thời gian, layout: "1/2/2006 3:04:05 PM" }
  draft:
    path: "`+td+`/gbk.csv"
`), 0o644)
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"map-check", "--source", "vn", "--output", "json"}, 3, `"exit_code": 3`},
		{[]string{"map-check", "--source", "vn", "--max-unmapped", "30"}, 0, "within --max-unmapped 30%"},
		{[]string{"map-check", "--source", "vn", "--max-unmapped", "20%"}, 3, "above --max-unmapped 20%"},
		{[]string{"map-check", "--source", "vn", "--sample", "3"}, 0, "every one of 3 rows"},
		{[]string{"map-check", "--max-unmapped", "abc"}, 2, ""},
		{[]string{"map-check", "--suggest"}, 0, `employee_key: { column: "工号", transform: [strip_leading_zeros] }`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Execute(append(tc.args, "--config", cfg), nil, &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.out) {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errOut.String())
			}
			if tc.args[len(tc.args)-1] == "json" {
				var v map[string]any
				if err := json.Unmarshal(out.Bytes(), &v); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
