package mapping

// ColumnNames lists the header names the spec binds to, in field order. A
// spreadsheet reader uses them to find the header row below title rows.
func (s Spec) ColumnNames() []string {
	var out []string
	add := func(f *Field) {
		if f != nil && f.Column.Name != "" {
			out = append(out, f.Column.Name)
		}
	}
	add(&s.EmployeeKey)
	add(&s.Time)
	add(s.Date)
	if s.Direction != nil {
		add(&s.Direction.Field)
	}
	add(s.Device)
	return out
}
