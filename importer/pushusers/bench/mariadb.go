package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/pushusers"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// mariadbTarget fills a fresh employees table with n employees (the state
// before the run) and returns the target over it.
func mariadbTarget(ctx context.Context, dir, url string, n int) (*config.Config, pushusers.Target, func(), error) {
	emp := fmt.Sprintf("pu_bench_emp_%d", time.Now().UnixNano()%1_000_000_000)
	pun := emp + "_punches"
	create := true
	sink, err := sqlsink.Open(ctx, sqlsink.Config{URL: url, Employees: sqlsink.EmployeesTable{Table: emp},
		Punches: sqlsink.PunchesTable{Table: pun}, Create: &create})
	if err != nil {
		return nil, nil, nil, err
	}
	db := sink.DB()
	cleanup := func() {
		db.ExecContext(ctx, "DROP TABLE "+emp)
		db.ExecContext(ctx, "DROP TABLE "+pun)
		sink.Close()
	}
	const batch = 1000
	for start := 0; start < n; start += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO " + emp + " (id, name, status, department, designation, onboarding_date) VALUES ")
		args := []any{}
		for i := start; i < min(start+batch, n); i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, empID(i), fmt.Sprintf("Person %d", i), "active", fmt.Sprintf("D%02d", i%40), "Operator", "2020-01-01")
		}
		if _, err := db.ExecContext(ctx, b.String(), args...); err != nil {
			cleanup()
			return nil, nil, nil, fmt.Errorf("seeding %s: %w", emp, err)
		}
	}
	cfg, err := loadConfig(dir, "{kind: database}")
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	return cfg, pushusers.NewSQLTarget(sink, ""), cleanup, nil
}
