package pushusers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

// harness is one kind of target under the rule suite.
type harness struct {
	target Target
	// seed replaces the target's accounts.
	seed func(t *testing.T, emps []mapping.Employee)
	// dump reads the accounts back as the target holds them.
	dump func(t *testing.T) map[string]mapping.Employee
	// holds says whether the target stores a field (SCIM has no dates).
	holds func(field string) bool
	// passwords returns the passwords the target received per employee id
	// on create, and whether one ever arrived on an update.
	passwords func() (byID map[string]string, onUpdate bool)
}

const secretPW = "S3cr3t-Pw!"

func seedEmployees() []mapping.Employee {
	return []mapping.Employee{
		{ID: "E1", Name: "Ann", Status: "active", Department: "Sales", Designation: "Clerk", OnboardingDate: "2020-01-01"},
		{ID: "E2", Name: "Bob", Status: "active", Department: "Ops", Designation: "Operator", OnboardingDate: "2020-02-01"},
		{ID: "E3", Name: "Cid", Status: "active", Department: "Ops", Designation: "Operator", OnboardingDate: "2020-03-01"},
		{ID: "E4", Name: "Dan", Status: "active", Department: "Ops", Designation: "Operator", OnboardingDate: "2020-04-01"},
		{ID: "E5", Name: "Eva", Status: "resigned", Department: "Ops", Designation: "Operator", OnboardingDate: "2019-01-01", ResignationDate: "2021-01-01"},
		{ID: "E6", Name: "Fay", Status: "active", Department: "Ops", Designation: "Operator", OnboardingDate: "2020-06-01"},
		{ID: "E7", Name: "Gus", Status: "active", Department: "Ops", Designation: "Operator", OnboardingDate: "2020-07-01"},
	}
}

// The source: E1 unchanged, E2 moves department, E3 resigns, E4 absent,
// E6's name differs (the policy forbids it) and her position changes, E7
// has a bad date, N1 joins, N2 joins without password or onboarding date.
const sourceCSV = `Emp No,Full Name,Init Pwd,Status,Dept,Position,Joined,Left
E1,Ann,,Active,Sales,Clerk,2020-01-01,
E2,Bob,,Active,Assembly,Operator,01/02/2020,
E3,Cid,,Resigned,Ops,Operator,2020-03-01,2026-10-31
E6,Fay Smith,,Active,Ops,Lead,2020-06-01,
E7,Gus,,Active,Ops,Operator,31.31.2020,
N1,Nia,` + secretPW + `,Active,Sales,Clerk,2026-11-01,
N2,Ned,,Active,Sales,Clerk,,
`

func writeConfig(t *testing.T, csv, extra string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	yml := `
hr: { url: sqlite://hr.db }
push_users:
  source:
    path: employees.csv
    columns: { id: Emp No, name: Full Name, password: Init Pwd, status: Status, department: Dept, designation: Position, onboarding_date: Joined, resignation_date: Left }
    date_layouts: ["2006-01-02", "02/01/2006"]
    status_values: { active: [Active], resigned: [Resigned] }
  target: { kind: database }
` + extra
	cfg, err := config.Parse(filepath.Join(dir, "hrsync.yaml"), []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func checksum(t *testing.T, h *harness) string {
	t.Helper()
	m := h.dump(t)
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	sum := sha256.New()
	for _, id := range ids {
		e := m[id]
		for _, f := range mapping.EmployeeFields {
			fmt.Fprintf(sum, "%s\x00", e.Field(f))
		}
		fmt.Fprintln(sum)
	}
	return hex.EncodeToString(sum.Sum(nil))
}

func runOnce(t *testing.T, cfg *config.Config, h *harness, mod func(*Options)) (Result, error, string) {
	t.Helper()
	rep := filepath.Join(t.TempDir(), "report.csv")
	var logs bytes.Buffer
	o := Options{Config: cfg, Target: h.target, ReportPath: rep,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&o)
	}
	res, err := Run(context.Background(), o)
	if strings.Contains(logs.String(), secretPW) {
		t.Fatalf("the log contains the password:\n%s", logs.String())
	}
	if res.Plan != nil {
		js, _ := json.Marshal(res.Plan.Decisions)
		if strings.Contains(string(js), secretPW) || strings.Contains(fmt.Sprintf("%+v %#v", res.Plan.Decisions, res.Plan.Decisions), secretPW) {
			t.Fatal("a decision prints the password")
		}
	}
	data, _ := os.ReadFile(o.ReportPath)
	if strings.Contains(string(data), secretPW) {
		t.Fatalf("the report contains the password:\n%s", data)
	}
	if err != nil && strings.Contains(err.Error(), secretPW) {
		t.Fatalf("the error contains the password: %v", err)
	}
	return res, err, string(data)
}

func outcomes(res Result) map[string]Outcome {
	m := map[string]Outcome{}
	for _, d := range res.Plan.Decisions {
		m[d.ID] = d.Outcome
	}
	return m
}

func decision(res Result, id string) *Decision {
	for _, d := range res.Plan.Decisions {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// runRuleSuite runs every docking rule against one target.
func runRuleSuite(t *testing.T, newHarness func(t *testing.T) *harness) {
	t.Run("rules", func(t *testing.T) {
		h := newHarness(t)
		h.seed(t, seedEmployees())
		cfg := writeConfig(t, sourceCSV, "  max_deactivate_share: 0.5\n")
		res, err, rep := runOnce(t, cfg, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Outcome{"E1": Unchanged, "E2": Update, "E3": Deactivate, "E4": Absent, "E6": NeedsManualChange,
			"E7": Rejected, "N1": Create, "N2": Rejected}
		got := outcomes(res)
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: outcome %s, want %s (%+v)", id, got[id], w, decision(res, id))
			}
		}
		if _, ok := got["E5"]; ok {
			t.Errorf("E5 is resigned in the target and absent from the source: nothing to report, got %s", got["E5"])
		}
		if r := decision(res, "N2").Reason; !strings.Contains(r, "password") || !strings.Contains(r, "onboarding_date") {
			t.Errorf("N2's reason should name the missing fields: %q", r)
		}
		if r := decision(res, "E7").Reason; !strings.Contains(r, "onboarding_date") || !strings.Contains(r, "Joined") {
			t.Errorf("E7's reason should name the field and column: %q", r)
		}
		m := decision(res, "E6").Manual
		if len(m) != 1 || m[0].Field != "name" || m[0].Old != "Fay" || m[0].New != "Fay Smith" {
			t.Errorf("E6 manual changes: %+v", m)
		}
		if exitcode.For(res.Outcome()) != exitcode.Rejected {
			t.Errorf("exit code %d, want 3", exitcode.For(res.Outcome()))
		}
		for _, w := range []string{"needs_manual_change", `name: ""Fay"" → ""Fay Smith""`, "rejected"} {
			if !strings.Contains(rep, w) {
				t.Errorf("report lacks %q:\n%s", w, rep)
			}
		}

		after := h.dump(t)
		check := func(id, field, want string) {
			t.Helper()
			if !h.holds(field) {
				return
			}
			e, ok := after[id]
			if !ok {
				t.Errorf("%s is not in the target", id)
				return
			}
			got := e.Field(field)
			if field == "onboarding_date" || field == "resignation_date" {
				got = targetDate(got)
			}
			if got != want {
				t.Errorf("%s.%s = %q, want %q", id, field, got, want)
			}
		}
		check("E2", "department", "Assembly")
		check("E2", "onboarding_date", "2020-02-01") // 01/02/2020 read as day/month
		check("E3", "status", "resigned")
		check("E3", "resignation_date", "2026-10-31")
		check("E4", "status", "active")
		check("E6", "name", "Fay")
		check("E6", "designation", "Lead")
		check("N1", "name", "Nia")
		check("N1", "status", "active")
		check("N1", "onboarding_date", "2026-11-01")
		if _, ok := after["N2"]; ok {
			t.Error("N2 was created without its required fields")
		}
		if _, ok := after["E7"]; !ok {
			t.Error("E7 vanished")
		}
		if len(after) != 8 {
			t.Errorf("%d accounts after the run, want 8 (7 seeded + N1); never a delete", len(after))
		}
		if h.passwords != nil {
			pw, onUpdate := h.passwords()
			if pw["N1"] != secretPW {
				t.Errorf("N1 was created without its password (got %q)", pw["N1"])
			}
			if onUpdate {
				t.Error("a password was sent on an update")
			}
		}

		// The second run is idempotent, and --deactivate-missing deactivates E4.
		res, err, _ = runOnce(t, cfg, h, func(o *Options) { o.DeactivateMissing = true })
		if err != nil {
			t.Fatal(err)
		}
		want = map[string]Outcome{"E1": Unchanged, "E2": Unchanged, "E3": Unchanged, "E4": AbsentDeactivated,
			"E6": NeedsManualChange, "N1": Unchanged}
		got = outcomes(res)
		for id, w := range want {
			if got[id] != w {
				t.Errorf("second run %s: outcome %s, want %s (%+v)", id, got[id], w, decision(res, id))
			}
		}
		check2 := h.dump(t)["E4"]
		if h.holds("status") && check2.Status != "resigned" {
			t.Errorf("E4 status %q after --deactivate-missing", check2.Status)
		}
		if len(h.dump(t)) != 8 {
			t.Error("accounts were deleted")
		}
	})

	t.Run("dry run changes nothing", func(t *testing.T) {
		h := newHarness(t)
		h.seed(t, seedEmployees())
		before := checksum(t, h)
		cfg := writeConfig(t, sourceCSV, "  max_deactivate_share: 0.5\n")
		res, err, rep := runOnce(t, cfg, h, func(o *Options) { o.DryRun = true; o.DeactivateMissing = true })
		if err != nil {
			t.Fatal(err)
		}
		if after := checksum(t, h); after != before {
			t.Error("a dry run changed the target")
		}
		if outcomes(res)["N1"] != Create || outcomes(res)["E4"] != AbsentDeactivated {
			t.Errorf("the dry run should still plan: %v", outcomes(res))
		}
		if !strings.Contains(rep, "create,false") {
			t.Errorf("the dry run's report should say nothing was applied:\n%s", rep)
		}
	})

	t.Run("safety brake", func(t *testing.T) {
		h := newHarness(t)
		h.seed(t, seedEmployees())
		before := checksum(t, h)
		// Only E1 and E2 are in the source: E3, E4, E6, E7 would go (4 of 6 active).
		csv := "Emp No,Full Name,Init Pwd,Status,Dept,Position,Joined,Left\nE1,Ann,,Active,Sales,Clerk,2020-01-01,\nE2,Bob,,Active,Assembly,Operator,2020-02-01,\n"
		cfg := writeConfig(t, csv, "")
		res, err, rep := runOnce(t, cfg, h, func(o *Options) { o.DeactivateMissing = true })
		var be *BrakeError
		if !errors.As(err, &be) {
			t.Fatalf("want the safety brake, got %v", err)
		}
		if !strings.Contains(be.Msg, "4 of 6") || !strings.Contains(be.Msg, "--allow-mass-deactivation") {
			t.Errorf("the brake should say how many and why: %s", be.Msg)
		}
		if exitcode.For(err) != exitcode.Failed {
			t.Errorf("exit %d, want 1", exitcode.For(err))
		}
		if checksum(t, h) != before {
			t.Error("the brake tripped but the target changed (E2's department update must wait too)")
		}
		if !strings.Contains(rep, "absent_deactivated,false") {
			t.Errorf("the report should show the plan, unapplied:\n%s", rep)
		}
		res, err, _ = runOnce(t, cfg, h, func(o *Options) { o.DeactivateMissing = true; o.AllowMass = true })
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Counts[AbsentDeactivated]; n != 4 {
			t.Errorf("with --allow-mass-deactivation %d deactivated, want 4", n)
		}
	})

	t.Run("zero-row source never deactivates", func(t *testing.T) {
		h := newHarness(t)
		h.seed(t, seedEmployees())
		before := checksum(t, h)
		cfg := writeConfig(t, "Emp No,Full Name,Init Pwd,Status,Dept,Position,Joined,Left\n", "  max_deactivate_share: 1\n")
		res, err, _ := runOnce(t, cfg, h, func(o *Options) { o.DeactivateMissing = true; o.AllowMass = true })
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts[Absent] != 6 || res.Counts[AbsentDeactivated] != 0 {
			t.Errorf("counts %v, want 6 absent and none deactivated", res.Counts)
		}
		if checksum(t, h) != before {
			t.Error("an empty source changed the target")
		}
	})
}
