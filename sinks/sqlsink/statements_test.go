package sqlsink

import (
	"fmt"
	"testing"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// goldenStatements builds the statements the golden strings were made
// from: default names, with source and imported_at left out, so that the
// strings stay short.
func goldenStatements(t *testing.T, dialect string) statements {
	t.Helper()
	d, err := sqldb.DialectFor(dialect)
	if err != nil {
		t.Fatal(err)
	}
	p, err := resolvePunches(d, PunchesTable{Columns: map[string]string{"source": "", "imported_at": ""}})
	if err != nil {
		t.Fatal(err)
	}
	return statements{d: d, p: p, employeeIndex: true, key: keyFields}
}

// golden holds the SQL text per dialect, reviewed by hand: SQL Server and
// Oracle cannot run here, so their statements are checked as text.
var golden = []struct{ dialect, statement, want string }{
	{"sqlite", "insertReturning",
		"INSERT INTO `attendance_punches` (`employee_id`, `punch_time`, `direction`, `device_id`, `source_key`) VALUES (?,?,?,?,?),(?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING `punch_time`, `employee_id`, `device_id`"},
	{"sqlite", "insertSkipping",
		"INSERT INTO `attendance_punches` (`employee_id`, `punch_time`, `direction`, `device_id`, `source_key`) VALUES (?,?,?,?,?),(?,?,?,?,?) ON CONFLICT DO NOTHING"},
	{"sqlite", "createPunches[0]",
		"CREATE TABLE `attendance_punches` (`id` INTEGER PRIMARY KEY, `employee_id` TEXT NOT NULL, `punch_time` TEXT NOT NULL, `direction` TEXT NOT NULL, `device_id` TEXT NOT NULL, `source_key` TEXT NOT NULL)"},
	{"sqlite", "createPunches[1]",
		"CREATE UNIQUE INDEX `attendance_punches_key` ON `attendance_punches` (`punch_time`, `employee_id`, `device_id`)"},
	{"sqlite", "createPunches[2]",
		"CREATE INDEX `attendance_punches_employee_time` ON `attendance_punches` (`employee_id`, `punch_time`)"},
	{"mysql", "insertReturning",
		"INSERT IGNORE INTO `attendance_punches` (`employee_id`, `punch_time`, `direction`, `device_id`, `source_key`) VALUES (?,?,?,?,?),(?,?,?,?,?) RETURNING `punch_time`, `employee_id`, `device_id`"},
	{"mysql", "insertIgnore",
		"INSERT IGNORE INTO `attendance_punches` (`employee_id`, `punch_time`, `direction`, `device_id`, `source_key`) VALUES (?,?,?,?,?),(?,?,?,?,?)"},
	{"sqlite", "selectKeysBetween",
		"SELECT `punch_time`, `employee_id`, `device_id` FROM `attendance_punches` WHERE `punch_time` BETWEEN ? AND ?"},
	{"postgres", "selectKeysBetween",
		"SELECT \"punch_time\", \"employee_id\", \"device_id\" FROM \"attendance_punches\" WHERE \"punch_time\" BETWEEN $1 AND $2"},
	{"mysql", "selectKeysBetween",
		"SELECT `punch_time`, `employee_id`, `device_id` FROM `attendance_punches` WHERE `punch_time` BETWEEN ? AND ?"},
	{"mysql", "createPunches[0]",
		"CREATE TABLE `attendance_punches` (`employee_id` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, `punch_time` DATETIME NOT NULL, `direction` VARCHAR(16) NOT NULL, `device_id` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, `source_key` VARCHAR(128) NOT NULL, CONSTRAINT `attendance_punches_key` PRIMARY KEY (`punch_time`, `employee_id`, `device_id`))"},
	{"mysql", "createPunches[1]",
		"CREATE INDEX `attendance_punches_employee_time` ON `attendance_punches` (`employee_id`, `punch_time`)"},
	{"postgres", "insertReturning",
		"INSERT INTO \"attendance_punches\" (\"employee_id\", \"punch_time\", \"direction\", \"device_id\", \"source_key\") VALUES ($1,$2,$3,$4,$5),($6,$7,$8,$9,$10) ON CONFLICT DO NOTHING RETURNING \"punch_time\", \"employee_id\", \"device_id\""},
	{"postgres", "insertSkipping",
		"INSERT INTO \"attendance_punches\" (\"employee_id\", \"punch_time\", \"direction\", \"device_id\", \"source_key\") VALUES ($1,$2,$3,$4,$5),($6,$7,$8,$9,$10) ON CONFLICT DO NOTHING"},
	{"postgres", "copyFrom",
		"COPY \"attendance_punches\" (\"employee_id\", \"punch_time\", \"direction\", \"device_id\", \"source_key\") FROM STDIN"},
	{"postgres", "copyFromBinary",
		"COPY \"attendance_punches\" (\"employee_id\", \"punch_time\", \"direction\", \"device_id\", \"source_key\") FROM STDIN WITH (FORMAT binary)"},
	{"postgres", "createPunches[0]",
		"CREATE TABLE \"attendance_punches\" (\"employee_id\" TEXT NOT NULL, \"punch_time\" TIMESTAMP(0) NOT NULL, \"direction\" TEXT NOT NULL, \"device_id\" TEXT NOT NULL, \"source_key\" TEXT NOT NULL, CONSTRAINT \"attendance_punches_key\" PRIMARY KEY (\"punch_time\", \"employee_id\", \"device_id\"))"},
	{"postgres", "createPunches[1]",
		"CREATE INDEX \"attendance_punches_employee_time\" ON \"attendance_punches\" (\"employee_id\", \"punch_time\")"},
	{"sqlserver", "mergeOutput",
		"MERGE INTO [attendance_punches] WITH (HOLDLOCK) AS t USING (VALUES (@p1,@p2,@p3,@p4,@p5),(@p6,@p7,@p8,@p9,@p10)) AS s (c0, c1, c2, c3, c4) ON t.[punch_time] = s.c1 AND t.[employee_id] = s.c0 AND t.[device_id] = s.c3 WHEN NOT MATCHED BY TARGET THEN INSERT ([employee_id], [punch_time], [direction], [device_id], [source_key]) VALUES (s.c0, s.c1, s.c2, s.c3, s.c4) OUTPUT inserted.[punch_time], inserted.[employee_id], inserted.[device_id];"},
	{"sqlserver", "createPunches[0]",
		"CREATE TABLE [attendance_punches] ([id] BIGINT IDENTITY PRIMARY KEY, [employee_id] NVARCHAR(64) NOT NULL, [punch_time] DATETIME2(0) NOT NULL, [direction] NVARCHAR(16) NOT NULL, [device_id] NVARCHAR(64) NOT NULL, [source_key] NVARCHAR(128) NOT NULL)"},
	{"sqlserver", "createPunches[1]",
		"CREATE UNIQUE INDEX [attendance_punches_key] ON [attendance_punches] ([punch_time], [employee_id], [device_id])"},
	{"sqlserver", "createPunches[2]",
		"CREATE INDEX [attendance_punches_employee_time] ON [attendance_punches] ([employee_id], [punch_time])"},
	{"oracle", "mergeOracle",
		"MERGE INTO \"ATTENDANCE_PUNCHES\" t USING (SELECT :1 c0, CAST(:2 AS TIMESTAMP(0)) c1, :3 c2, :4 c3, :5 c4 FROM dual UNION ALL SELECT :6, CAST(:7 AS TIMESTAMP(0)), :8, :9, :10 FROM dual) s ON (t.\"PUNCH_TIME\" = s.c1 AND t.\"EMPLOYEE_ID\" = s.c0 AND DECODE(t.\"DEVICE_ID\", s.c3, 1, 0) = 1) WHEN NOT MATCHED THEN INSERT (\"EMPLOYEE_ID\", \"PUNCH_TIME\", \"DIRECTION\", \"DEVICE_ID\", \"SOURCE_KEY\") VALUES (s.c0, s.c1, s.c2, s.c3, s.c4)"},
	{"oracle", "selectKeysBetween",
		"SELECT \"PUNCH_TIME\", \"EMPLOYEE_ID\", \"DEVICE_ID\" FROM \"ATTENDANCE_PUNCHES\" WHERE \"PUNCH_TIME\" BETWEEN :1 AND :2"},
	{"oracle", "createPunches[0]",
		"CREATE TABLE \"ATTENDANCE_PUNCHES\" (\"ID\" NUMBER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \"EMPLOYEE_ID\" VARCHAR2(64 CHAR) NOT NULL, \"PUNCH_TIME\" TIMESTAMP(0) NOT NULL, \"DIRECTION\" VARCHAR2(16 CHAR), \"DEVICE_ID\" VARCHAR2(64 CHAR), \"SOURCE_KEY\" VARCHAR2(128 CHAR))"},
	{"oracle", "createPunches[1]",
		"CREATE UNIQUE INDEX \"ATTENDANCE_PUNCHES_KEY\" ON \"ATTENDANCE_PUNCHES\" (\"PUNCH_TIME\", \"EMPLOYEE_ID\", \"DEVICE_ID\")"},
	{"oracle", "createPunches[2]",
		"CREATE INDEX \"ATTENDANCE_PUNCHES_EMPLOYEE_TIME\" ON \"ATTENDANCE_PUNCHES\" (\"EMPLOYEE_ID\", \"PUNCH_TIME\")"},
}

func TestStatementsGolden(t *testing.T) {
	for _, g := range golden {
		t.Run(g.dialect+"/"+g.statement, func(t *testing.T) {
			st := goldenStatements(t, g.dialect)
			var got string
			switch g.statement {
			case "insertReturning":
				got = st.insertReturning(2)
			case "insertSkipping":
				got = st.insertSkipping(2)
			case "insertIgnore":
				got = st.insertIgnore(2)
			case "selectKeysBetween":
				got = st.selectKeysBetween()
			case "mergeOutput":
				got = st.mergeOutput(2)
			case "copyFrom":
				got = st.copyFrom(false)
			case "copyFromBinary":
				got = st.copyFrom(true)
			case "mergeOracle":
				got = st.mergeOracle(2)
			default:
				var i int
				if _, err := fmt.Sscanf(g.statement, "createPunches[%d]", &i); err != nil {
					t.Fatalf("unknown statement %q", g.statement)
				}
				stmts, err := st.createPunches()
				if err != nil {
					t.Fatal(err)
				}
				got = stmts[i]
			}
			if got != g.want {
				t.Errorf("got\n%s\nwant\n%s", got, g.want)
			}
		})
	}
}
