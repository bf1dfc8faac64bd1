package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/mapping"
)

func TestCSVOpensInExcelAndEscapesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, CSV, time.UTC)
	w.Write(&Line{Source: "gate", File: "a.csv", Line: 7, Key: "=HYPERLINK(\"x\")", Outcome: mapping.Unmapped,
		Reason: "no employee", Raw: []string{"=1+2", "2025-12-01 08:00"}})
	w.Write(&Line{Source: "gate", File: "a.csv", Line: 8, Key: "1001", EmployeeID: "E1", Time: time.Date(2025, 12, 1, 1, 0, 0, 0, time.UTC), Outcome: mapping.Imported})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 BOM")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][4] != "'=HYPERLINK(\"x\")" || recs[1][11] != "'=1+2" || recs[1][12] != "2025-12-01 08:00" {
		t.Fatalf("row = %q", recs[1])
	}
	if recs[2][6] != "2025-12-01T01:00:00Z" {
		t.Fatalf("time = %q", recs[2][6])
	}
	if w.Counts.Total() != 2 || w.Counts.Rejected() != 1 {
		t.Fatalf("counts = %v", w.Counts)
	}
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, JSONL, time.UTC)
	w.Write(&Line{Source: "gate", Line: 3, Outcome: mapping.InvalidTime, Reason: "bad", Raw: []string{"1", "x"}})
	w.Close()
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["outcome"] != "invalid_time" || got["line"] != float64(3) {
		t.Fatalf("got %v", got)
	}
}

// A report sent to the null device, to keep none, closes without error.
func TestReportToNullDevice(t *testing.T) {
	w, err := Create(os.DevNull, CSV, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Line{Source: "gate", Line: 2, Outcome: mapping.Imported}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}
