package mapping

import (
	"strings"
	"testing"
)

func TestLiteralDigitsHint(t *testing.T) {
	for layout, part := range map[string]string{
		"Ca 2 - 02/01/2006 15:04": "day", "2006-01-02 15:04 (Ca 3)": "hour", "15:04 ngày 2/1/2006 giờ 15": "hour",
		"2006-01-02 15:04:05": "", "02/01/2006 03:04:05 PM": "", "2006-01-02T15:04:05.000-07:00": "", "2/1/2006 15:04": "", "Jan 2, 2006 3:04 PM MST": "",
	} {
		got, _, _, _ := repeatedLayoutPart(layout)
		if got != part {
			t.Errorf("%q: part %q, want %q", layout, got, part)
		}
	}
	err := checkLayout("Ca 2 - 02/01/2006 15:04", kindTimestamp)
	if err == nil || !strings.Contains(err.Error(), "reads the day twice") || !strings.Contains(err.Error(), "transform") {
		t.Fatalf("err = %v", err)
	}
}

// TestTimeFieldTransform: a time field's transforms run before its layout,
// the way README shows taking a shift label off.
func TestTimeFieldTransform(t *testing.T) {
	s, err := decodeSpec(t, "employee_key: 1\ndate: { column: 2, layout: \"02/01/2006\" }\ntime: { column: 3, transform: [{regex: {pattern: \"^Ca \\\\d+ \", replace: \"\"}}], layout: \"15:04\" }\n")
	if err != nil {
		t.Fatal(err)
	}
	b := mustBind(t, s, Options{}, nil)
	p, rej := b.Map(Row{Fields: []string{"1001", "02/01/2024", "Ca 2 08:01"}})
	if rej != nil || p.Time.Format("2006-01-02 15:04") != "2024-01-02 08:01" {
		t.Fatalf("%v %v", p.Time, rej)
	}
}
