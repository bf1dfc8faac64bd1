//go:build ignore

// gen writes the export-shape fixtures TestShapes reads: small files shaped
// like what punch clocks and their software write (ZKTeco attlog.dat, its
// English and Chinese report exports, a GLG clock download, WPS and Excel
// workbooks, a BioTime report, GBK, UTF-16 and Windows-1258 text), the
// employee directories they are checked against, and the SQL that builds
// a ZKTeco database (the test builds the SQLite file; no binary is
// committed). Run from this folder: go run gen.go
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
)

var names = []string{"An Nguyen", "Binh Tran", "Chi Le", "Dung Pham", "Em Vo", "Giang Do", "Hoa Bui", "Khanh Ly", "Lan Mai", "Minh Ho", "Nam Dao", "Oanh Ta"}
var cnNames = []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞", "徐亮", "孙丽"}
var vnNames = []string{"Nguyễn An", "Trần Bình", "Lê Chi", "Phạm Dũng", "Võ Em", "Đỗ Giang", "Bùi Hoa", "Lý Khánh", "Mai Lan", "Hồ Minh", "Đào Nam", "Tạ Oanh"}

// punch is one generated punch: employee number 1..12, time, in or out.
type punch struct {
	emp int
	t   time.Time
	in  bool
}

// punches: three days, twelve employees, an in and an out each, seconds
// that vary, a few employees off on a day.
func punches() []punch {
	var ps []punch
	for d := 0; d < 3; d++ {
		day := time.Date(2024, 1, 2+d, 0, 0, 0, 0, time.UTC)
		for e := 1; e <= 12; e++ {
			if (e+d)%7 == 0 {
				continue
			}
			in := day.Add(time.Duration(7*60+40+e*2+d)*time.Minute + time.Duration((e*7+d*13)%60)*time.Second)
			out := day.Add(time.Duration(17*60+e*3+d)*time.Minute + time.Duration((e*11+d*5)%60)*time.Second)
			ps = append(ps, punch{e, in, true}, punch{e, out, false})
		}
	}
	// in time order, as clocks write them
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].t.Before(ps[j-1].t); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	return ps
}

func write(name string, data []byte) {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		panic(err)
	}
}

func pick[T any](p punch, in, out T) T {
	if p.in {
		return in
	}
	return out
}

func main() {
	ps := punches()

	// Directories: attendance numbers 1..12, and a zero-padded one.
	var b strings.Builder
	b.WriteString("id,attendance_no,employee_no,name\n")
	for e := 1; e <= 12; e++ {
		fmt.Fprintf(&b, "E%d,%d,P%03d,%s\n", e, e, e, names[e-1])
	}
	write("employees.csv", []byte(b.String()))
	b.Reset()
	b.WriteString("id,attendance_no,employee_no,name\n")
	for e := 1; e <= 12; e++ {
		fmt.Fprintf(&b, "E%d,%05d,P%03d,%s\n", e, 180+e, e, names[e-1])
	}
	write("employees-padded.csv", []byte(b.String()))

	// 1. ZKTeco attlog.dat: no header, PIN padded with spaces, date-time,
	// machine number, state (0 in, 1 out, 4 overtime in, 255 none), verify
	// mode, work code.
	b.Reset()
	for i, p := range ps {
		state := pick(p, "0", "1")
		switch i {
		case 5:
			state = "255"
		case 9:
			state = "4"
		}
		fmt.Fprintf(&b, "%9d\t%s\t1\t%s\t1\t0\r\n", p.emp, p.t.Format("2006-01-02 15:04:05"), state)
	}
	write("attlog.dat", []byte(b.String()))

	// 2. ZKTeco English report export (Att2000 "Export" to CSV).
	b.Reset()
	b.WriteString("Department,Name,No.,Date/Time,Status,Location ID,ID Number,VerifyCode,CardNo\r\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "OUR COMPANY,%s,%d,%s,%s,1,,FP,\r\n", names[p.emp-1], p.emp, p.t.Format("02/01/2006 15:04:05"), pick(p, "C/In", "C/Out"))
	}
	write("zk-english.csv", []byte(b.String()))

	// 3. ZKTeco Chinese report export, GBK, tab-separated.
	b.Reset()
	b.WriteString("部门\t姓名\t考勤号码\t日期时间\t机器号\t编号\t比对方式\t卡号\t状态\r\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "总公司\t%s\t%d\t%s\t1\t\t指纹\t\t%s\r\n", cnNames[p.emp-1], p.emp, p.t.Format("2006/1/2 15:04:05"), pick(p, "上班签到", "下班签退"))
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(b.String())
	if err != nil {
		panic(err)
	}
	write("zk-chinese-gbk.txt", []byte(gbk))

	// 4. Chinese card report: punch date and time in two columns, an
	// operator's processing timestamp, and a record-count footer.
	b.Reset()
	b.WriteString("\uFEFF工号,姓名,刷卡日期,刷卡时间,机器号,操作日期\r\n")
	for i, p := range ps {
		op := time.Date(2024, 1, 5, 9, 30, i%60, 0, time.UTC)
		fmt.Fprintf(&b, "%d,%s,%s,%s,2,%s\r\n", p.emp, cnNames[p.emp-1], p.t.Format("2006-01-02"), p.t.Format("15:04:05"), op.Format("2006-01-02 15:04:05"))
	}
	fmt.Fprintf(&b, "记录数:%d,,,,,\r\n", len(ps))
	write("zk-card-report.csv", []byte(b.String()))

	// 5. GLG clock download (GLog): tab-separated, constant TMNo, GMNo,
	// Mode and Antipass, EnNo zero-padded, In/Out as 0/1.
	b.Reset()
	b.WriteString("No\tTMNo\tEnNo\tName\tGMNo\tMode\tIn/Out\tAntipass\tProxyWork\tDateTime\r\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "%d\t1\t%08d\t%s\t1\t1\t%s\t0\t0\t%s\r\n", i+1, p.emp, names[p.emp-1], pick(p, "0", "1"), p.t.Format("2006/01/02 15:04:05"))
	}
	write("glg.txt", []byte(b.String()))

	// 6. Chinese T&A software export saved by WPS (.xlsx, text cells).
	f := excelize.NewFile()
	sh := "Sheet1"
	f.SetSheetRow(sh, "A1", &[]any{"人员编号", "姓名", "部门", "打卡时间", "打卡类型", "设备名称"})
	for i, p := range ps {
		f.SetSheetRow(sh, fmt.Sprintf("A%d", i+2), &[]any{fmt.Sprintf("%d", p.emp), cnNames[p.emp-1], "生产部", p.t.Format("2006-01-02 15:04:05"), pick(p, "上班", "下班"), "大门"})
	}
	f.SetAppProps(&excelize.AppProperties{Application: "WPS Office"})
	if err := f.SaveAs("wps-cn.xlsx"); err != nil {
		panic(err)
	}

	// 7. An export re-saved by Excel: typed date and time cells in two
	// columns, numeric keys, a terminal name.
	f = excelize.NewFile()
	f.SetSheetRow(sh, "A1", &[]any{"Emp ID", "Name", "Date", "Time", "In/Out", "Terminal"})
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	timeStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 21})
	for i, p := range ps {
		r := i + 2
		day := time.Date(p.t.Year(), p.t.Month(), p.t.Day(), 0, 0, 0, 0, time.UTC)
		frac := p.t.Sub(day).Seconds() / 86400
		f.SetSheetRow(sh, fmt.Sprintf("A%d", r), &[]any{p.emp, names[p.emp-1], day, frac, pick(p, "IN", "OUT"), "Main Gate"})
		f.SetCellStyle(sh, fmt.Sprintf("C%d", r), fmt.Sprintf("C%d", r), dateStyle)
		f.SetCellStyle(sh, fmt.Sprintf("D%d", r), fmt.Sprintf("D%d", r), timeStyle)
	}
	if err := f.SaveAs("excel-resave.xlsx"); err != nil {
		panic(err)
	}

	// 8. BioTime transaction report: punch time, and an upload time that
	// is also a date and time.
	b.Reset()
	b.WriteString("Employee ID,First Name,Last Name,Department,Punch Time,Punch State,Work Code,Area Name,Serial Number,Device Name,Upload Time\r\n")
	for i, p := range ps {
		up := p.t.Add(time.Duration(3+i%5) * time.Minute)
		first, last, _ := strings.Cut(names[p.emp-1], " ")
		fmt.Fprintf(&b, "%d,%s,%s,Production,%s,%s,0,Head Office,CJDE193560303,Gate,%s\r\n", p.emp, first, last, p.t.Format("2006-01-02 15:04:05"), pick(p, "Check In", "Check Out"), up.Format("2006-01-02 15:04:05"))
	}
	write("biotime.csv", []byte(b.String()))

	// 9. Vietnamese export as Excel's "Unicode text": UTF-16LE with a BOM,
	// tab-separated, date and minute-precision time apart.
	b.Reset()
	b.WriteString("Mã NV\tHọ tên\tNgày\tGiờ\tVào/Ra\tMáy\r\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s\t%s\t1\r\n", p.emp, vnNames[p.emp-1], p.t.Format("02/01/2006"), p.t.Format("15:04"), pick(p, "Vào", "Ra"))
	}
	u := utf16.Encode([]rune(b.String()))
	var ub bytes.Buffer
	ub.Write([]byte{0xFF, 0xFE})
	for _, c := range u {
		ub.Write([]byte{byte(c), byte(c >> 8)})
	}
	write("vn-utf16.txt", ub.Bytes())

	// 10. Vietnamese export in Windows-1258 (decomposed tones), semicolons.
	b.Reset()
	b.WriteString("Mã chấm công;Họ và tên;Thời gian;Trạng thái;Số máy\r\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%d;%s;%s;%s;2\r\n", p.emp, vnNames[p.emp-1], p.t.Format("02/01/2006 15:04:05"), pick(p, "Vào", "Ra"))
	}
	write("vn-1258.csv", cp1258(b.String()))

	// 11. ZKTeco database (Att2000 schema, as SQLite): CHECKINOUT by USERID,
	// USERINFO with the badge number; one user has no badge number.
	b.Reset()
	b.WriteString("CREATE TABLE USERINFO (USERID INTEGER PRIMARY KEY, BADGENUMBER TEXT, SSN TEXT, NAME TEXT, DEFAULTDEPTID INTEGER);\n")
	for e := 1; e <= 12; e++ {
		fmt.Fprintf(&b, "INSERT INTO USERINFO VALUES (%d, '%d', NULL, '%s', 1);\n", 100+e, e, names[e-1])
	}
	b.WriteString("INSERT INTO USERINFO VALUES (199, NULL, NULL, 'Visitor', 1);\n")
	b.WriteString("CREATE TABLE CHECKINOUT (USERID INTEGER, CHECKTIME TEXT, CHECKTYPE TEXT, VERIFYCODE INTEGER, SENSORID TEXT, WorkCode TEXT, sn TEXT, UserExtFmt INTEGER);\n")
	for i, p := range ps {
		uid := 100 + p.emp
		if i == 7 {
			uid = 199
		}
		fmt.Fprintf(&b, "INSERT INTO CHECKINOUT VALUES (%d, '%s', '%s', 1, '1', '0', 'A6F5190960040', 0);\n", uid, p.t.Format("2006-01-02 15:04:05"), pick(p, "I", "O"))
	}
	write("zk-att2000.sql", []byte(b.String()))

	// 12. Gate export whose keys carry a site suffix, against a directory
	// of zero-padded numbers (181@acmevn → 00181).
	b.Reset()
	b.WriteString("Emp No,Date/Time,Status,Device\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%d@acmevn,%s,%s,G%d\n", 180+p.emp, p.t.Format("2006-01-02 15:04:05"), pick(p, "I", "O"), 1+p.emp%2)
	}
	write("suffix-padded.csv", []byte(b.String()))

	// 13. A clock's text export whose header names more columns than its
	// rows have: the name is left out and date and time are one field.
	b.Reset()
	b.WriteString("No.\tName\tDate\tTime\tState\tDevice\r\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%d\t%s\t%s\t3\r\n", p.emp, p.t.Format("2006-01-02 15:04:05"), pick(p, "0", "1"))
	}
	write("header-extra.txt", []byte(b.String()))
}

// cp1258 encodes s as Windows-1258 writes Vietnamese: a letter the code
// page has whole (ê, ơ, ư, đ) with the tone mark after it as a combining
// character.
func cp1258(s string) []byte {
	enc := charmap.Windows1258.NewEncoder()
	var out []byte
	for _, r := range norm.NFC.String(s) {
		if e, err := enc.String(string(r)); err == nil {
			out = append(out, e...)
			continue
		}
		d := []rune(norm.NFD.String(string(r)))
		for n := len(d); n > 0; n-- {
			head, err := enc.String(norm.NFC.String(string(d[:n])))
			if err != nil {
				continue
			}
			tail, err := enc.String(string(d[n:]))
			if err != nil {
				panic(fmt.Sprintf("%q: not in Windows-1258", r))
			}
			out = append(out, head+tail...)
			break
		}
	}
	return out
}
