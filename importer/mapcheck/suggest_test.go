package mapcheck

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
	"gopkg.in/yaml.v3"
)

// draftConfig writes a config whose source has a path and no mapping.
func draftConfig(t *testing.T, file string) string {
	t.Helper()
	return writeConfig(t, "  new:\n    path: \""+fixture(t, file)+"\"\n")
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"gbk.csv", []string{`encoding: gbk`, `employee_key: { column: "工号", transform: [strip_leading_zeros] }`,
			`time: { column: "打卡时间", layout: "2006-1-2 15:04:05" }`, `direction: { column: "状态", codes: { in: ["上班签到"], out: ["下班签退"] } }`,
			`device: { column: "机器号" }`}},
		{"utf16.txt", []string{`employee_key: { column: "Mã NV" }`, `time: { column: "Thời gian", layout: "1/2/2006 3:04:05 PM" }`,
			`direction: { column: "Trạng thái", codes: { in: ["Vào"], out: ["Ra"] } }`}},
		{"french.csv", []string{`employee_key: { column: "Matricule" }`, `time: { column: "Date/Heure", layout: "excel" }`,
			`direction: { column: "Sens", codes: { in: ["Entrée"], out: ["Sortie"] } }`}},
		{"gate.csv", []string{`employee_key: { column: "Emp No", transform: [{strip_suffix: "@company"}] }`, `time: { column: "Date/Time", layout: "2/1/2006 15:04:05" }`,
			`direction: { column: "Status", codes: { in: ["I"], out: ["O"] } }`, `device: { column: "Device" }`}},
		{"ambiguous.csv", []string{`AMBIGUOUS day/month`}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cfgPath := draftConfig(t, tc.file)
			res, err := Suggest(context.Background(), SuggestOptions{ConfigPath: cfgPath, ConfigGiven: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.YAML, w) {
					t.Fatalf("suggestion lacks %s:\n%s", w, res.YAML)
				}
			}
		})
	}
}

// TestSuggestionRunsClean pastes each suggestion into the config and runs
// map-check with it: every row of these exports has an employee, so every
// row must be placed.
func TestSuggestionRunsClean(t *testing.T) {
	for _, file := range []string{"gbk.csv", "french.csv"} {
		t.Run(file, func(t *testing.T) {
			res, err := Suggest(context.Background(), SuggestOptions{Files: []string{fixture(t, file)}, ConfigPath: draftConfig(t, file), ConfigGiven: true})
			if err != nil {
				t.Fatal(err)
			}
			sug := res.Suggestions[len(res.Suggestions)-1]
			cfgPath := writeConfig(t, sug.YAML)
			cfg, err := config.Load(cfgPath)
			if err != nil {
				t.Fatalf("%v\n%s", err, sug.YAML)
			}
			doc := check(t, sug.YAML, RunOptions{})
			if doc.ExitCode != 0 || cfg == nil {
				t.Fatalf("exit %d: %s\n%s", doc.ExitCode, doc.Verdict, sug.YAML)
			}
		})
	}
}

func TestSuggestWithoutConfig(t *testing.T) {
	res, err := Suggest(context.Background(), SuggestOptions{ConfigPath: filepath.Join(t.TempDir(), "none.yaml"), Files: []string{fixture(t, "utf16.txt")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.YAML, `employee_key: { column: "Mã NV" }   # header is a known name`) {
		t.Fatalf("yaml:\n%s", res.YAML)
	}
}

func TestLoadDraftKeepsTheFile(t *testing.T) {
	path := draftConfig(t, "gate.csv")
	before, _ := os.ReadFile(path)
	cfg, draft, err := LoadDraft(path)
	if err != nil || len(draft) != 1 || draft[0] != "new" || cfg.Sources["new"] == nil {
		t.Fatalf("draft = %v, err = %v", draft, err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("LoadDraft changed the file")
	}
}

func TestSynonyms(t *testing.T) {
	tests := map[string]string{
		"Emp No": mapping.FieldEmployeeKey, "工号": mapping.FieldEmployeeKey, "考勤号码": mapping.FieldEmployeeKey, "Mã NV": mapping.FieldEmployeeKey,
		"Matricule": mapping.FieldEmployeeKey, "AC-No.": mapping.FieldEmployeeKey, "打卡时间": mapping.FieldTime, "Thời gian": mapping.FieldTime,
		"Date/Time": mapping.FieldTime, "Status": mapping.FieldDirection, "  STATUS ": mapping.FieldDirection, "机器号": mapping.FieldDevice,
	}
	for header, want := range tests {
		roles := synonymRole(header)
		if len(roles) == 0 || roles[0] != want {
			t.Errorf("%q: roles %v, want %s", header, roles, want)
		}
	}
}

// TestSuggestKeepsTheSourceSettings: what the draft source says (format,
// zone, clock) is in the proposal as YAML, so pasting it loses nothing.
func TestSuggestKeepsTheSourceSettings(t *testing.T) {
	cfgPath := writeConfig(t, "  new:\n    path: \""+fixture(t, "gate.csv")+"\"\n    format: { delimiter: \",\", header: true }\n    timezone: Asia/Ho_Chi_Minh\n    clock: { floor: 2020-01-01 }\n")
	res, err := Suggest(context.Background(), SuggestOptions{ConfigPath: cfgPath, ConfigGiven: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`format: { delimiter: ",", header: true }`, `timezone: "Asia/Ho_Chi_Minh"`, `clock: { floor: 2020-01-01 }`} {
		if !strings.Contains(res.YAML, w) {
			t.Fatalf("lacks %s:\n%s", w, res.YAML)
		}
	}
}

// TestDirectoryTransformIsYAML: a fix that needs hr.employees.key_transform
// prints it as YAML, the existing steps first.
func TestDirectoryTransformIsYAML(t *testing.T) {
	g := ColumnGuess{Index: 1, Header: "Emp", fixDir: []mapping.Transform{{Kind: mapping.TransformStripLeadingZeros}}}
	s := &Suggestion{Columns: []ColumnGuess{g}, Mapping: map[string]string{mapping.FieldEmployeeKey: "Emp"}}
	got := directoryYAML([]*Suggestion{s}, &DirectoryView{KeyTransform: []mapping.Transform{{Kind: mapping.TransformTrim}}})
	if !strings.Contains(got, "hr:\n  employees:\n    key_transform: [trim, strip_leading_zeros]\n") {
		t.Fatalf("%s", got)
	}
}

// Every transform suggest prints decodes back to itself, a lookup's whole
// table included (its String only counts the entries).
func TestTransformsYAMLPastesBack(t *testing.T) {
	in := []mapping.Transform{
		{Kind: mapping.TransformTrim},
		{Kind: mapping.TransformStripSuffix, Arg: "@acme"},
		{Kind: mapping.TransformLookup, Table: map[string]string{"A1": "1001", "B \"2\"": "1002"}},
		{Kind: mapping.TransformPadLeft, Width: 5, Char: "0"},
	}
	var out []mapping.Transform
	if err := yaml.Unmarshal([]byte(transformsYAML(in)), &out); err != nil {
		t.Fatalf("%s: %v", transformsYAML(in), err)
	}
	for i := range out {
		out[i].Line = 0
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("%s decodes to %+v", transformsYAML(in), out)
	}
}

// A device source without mapping: is no draft: its mapping is the pull
// CSV's, so map-check checks it (it said "no source has a mapping yet").
func TestDeviceSourceIsNoDraft(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no\nE1,1\n"), 0o644)
	os.WriteFile(path, []byte("hr:\n  url: sqlite://hr.db\n  employees: { file: employees.csv }\nsources:\n  machines:\n    devices:\n      - { name: gate, url: \"zk://127.0.0.1:4370\" }\n"), 0o644)
	cfg, draft, err := LoadDraft(path)
	if err != nil || len(draft) != 0 || cfg.Sources["machines"].Mapping.EmployeeKey.Column.IsZero() {
		t.Fatalf("draft %v, err %v", draft, err)
	}
}
