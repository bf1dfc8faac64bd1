package sqlsrc

import (
	"fmt"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// offline builds a Source for a dialect without connecting, for the
// generated SELECT text.
func offline(t *testing.T, dialect string, cfg Config) *Source {
	t.Helper()
	d, err := sqldb.DialectFor(dialect)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	s := &Source{cfg: cfg, db: &sqldb.DB{Dialect: d, URL: "x"}, zoned: map[string]bool{}}
	if cfg.Table != "" {
		s.header = cfg.Columns
		s.selectList = ""
		for i, c := range cfg.Columns {
			q, _ := d.Quote("c", c)
			if i > 0 {
				s.selectList += ", "
			}
			s.selectList += q
		}
	}
	return s
}

func TestSelectText(t *testing.T) {
	table := Config{Name: "zk", Table: "dbo.CHECKINOUT", Columns: []string{"USERID", "CHECKTIME", "CHECKTYPE"},
		TimeColumn: "CHECKTIME", KeyColumn: "USERID", Watermark: &Watermark{Column: "CHECKTIME", Kind: KindTime, Overlap: time.Hour}}
	query := Config{Name: "zk", Query: "SELECT u.BADGENUMBER, c.CHECKTIME FROM CHECKINOUT c JOIN USERINFO u ON u.USERID = c.USERID;",
		TimeColumn: "CHECKTIME", KeyColumn: "BADGENUMBER", Watermark: &Watermark{Column: "LOGID", Kind: KindID}}
	w := Window{After: "2025-01-02 08:00:00", From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), Keys: []string{"7", "9"}}
	qw := w
	qw.After = "41"
	for _, c := range []struct {
		dialect string
		cfg     Config
		w       Window
		want    string
	}{
		{sqldb.SQLServer, table, w, "SELECT [USERID], [CHECKTIME], [CHECKTYPE] FROM [dbo].[CHECKINOUT] WHERE [CHECKTIME] > @p1 AND [CHECKTIME] >= @p2 AND [CHECKTIME] < @p3 AND [USERID] IN (@p4, @p5) ORDER BY [CHECKTIME]"},
		{sqldb.Oracle, table, w, `SELECT "USERID", "CHECKTIME", "CHECKTYPE" FROM "DBO"."CHECKINOUT" WHERE "CHECKTIME" > :1 AND "CHECKTIME" >= :2 AND "CHECKTIME" < :3 AND "USERID" IN (:4, :5) ORDER BY "CHECKTIME"`},
		{sqldb.MySQL, table, w, "SELECT `USERID`, `CHECKTIME`, `CHECKTYPE` FROM `dbo`.`CHECKINOUT` WHERE `CHECKTIME` > ? AND `CHECKTIME` >= ? AND `CHECKTIME` < ? AND `USERID` IN (?, ?) ORDER BY `CHECKTIME`"},
		{sqldb.Postgres, table, w, `SELECT "USERID", "CHECKTIME", "CHECKTYPE" FROM "dbo"."CHECKINOUT" WHERE "CHECKTIME" > $1 AND "CHECKTIME" >= $2 AND "CHECKTIME" < $3 AND "USERID" IN ($4, $5) ORDER BY "CHECKTIME"`},
		{sqldb.SQLite, table, Window{}, "SELECT `USERID`, `CHECKTIME`, `CHECKTYPE` FROM `dbo`.`CHECKINOUT` ORDER BY `CHECKTIME`"},
		{sqldb.SQLServer, query, qw, "SELECT * FROM (SELECT u.BADGENUMBER, c.CHECKTIME FROM CHECKINOUT c JOIN USERINFO u ON u.USERID = c.USERID) q WHERE [LOGID] > @p1 AND [CHECKTIME] >= @p2 AND [CHECKTIME] < @p3 AND [BADGENUMBER] IN (@p4, @p5) ORDER BY [LOGID]"},
		{sqldb.Oracle, query, Window{After: "41"}, `SELECT * FROM (SELECT u.BADGENUMBER, c.CHECKTIME FROM CHECKINOUT c JOIN USERINFO u ON u.USERID = c.USERID) q WHERE "LOGID" > :1 ORDER BY "LOGID"`},
	} {
		t.Run(c.dialect, func(t *testing.T) {
			st, err := offline(t, c.dialect, c.cfg).build(c.w)
			if err != nil {
				t.Fatal(err)
			}
			if st.sql != c.want {
				t.Errorf("\n got %s\nwant %s", st.sql, c.want)
			}
			if want := len(c.w.Keys) + 3; c.w.Keys != nil && len(st.args) != want {
				t.Errorf("%d args, want %d", len(st.args), want)
			}
		})
	}
}

func TestBoundValues(t *testing.T) {
	cfg := Config{Name: "zk", Table: "CHECKINOUT", Columns: []string{"USERID", "CHECKTIME"}, TimeColumn: "CHECKTIME", KeyColumn: "USERID",
		Watermark: &Watermark{Column: "CHECKTIME", Kind: KindTime, Overlap: 30 * time.Minute},
		Location:  time.FixedZone("ICT", 7*3600)}
	s := offline(t, sqldb.MySQL, cfg)
	st, err := s.build(Window{After: "2025-01-02 08:00:00", From: time.Date(2025, 1, 1, 17, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(st.args...)
	// The overlap moves the stored wall clock back; the window's instant is
	// bound as the source's wall clock (a DATETIME column has no zone).
	want := fmt.Sprint(time.Date(2025, 1, 2, 7, 30, 0, 0, time.UTC), time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC))
	if got != want {
		t.Errorf("args %s, want %s", got, want)
	}
}

func TestSQLServerKeyListOverLimit(t *testing.T) {
	cfg := Config{Name: "zk", Table: "CHECKINOUT", Columns: []string{"USERID", "CHECKTIME"}, KeyColumn: "USERID"}
	s := offline(t, sqldb.SQLServer, cfg)
	keys := make([]string, 2500)
	for i := range keys {
		keys[i] = fmt.Sprint(i)
	}
	st, err := s.build(Window{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.args) != 0 || len(st.keep) != 2500 || st.sql != "SELECT [USERID], [CHECKTIME] FROM [CHECKINOUT]" {
		t.Errorf("sql %s, %d args, keep %d", st.sql, len(st.args), len(st.keep))
	}
}
