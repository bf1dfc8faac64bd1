package mapcheck

import (
	"strings"

	"github.com/hrsync/hrsync/mapping"
)

// Header names that say what a column holds, in English, Chinese,
// Vietnamese and French, as punch clocks and HR exports write them.
// Compared after mapping.NormalizeHeader (trimmed, lower case, one space),
// and again with punctuation dropped ("AC-No." → "acno").
var headerSynonyms = map[string][]string{
	mapping.FieldEmployeeKey: {
		"emp no", "empno", "emp_no", "emp id", "empid", "emp code", "employee no", "employee number", "employee id", "employee code",
		"user id", "userid", "user no", "id", "ac-no", "ac no", "acno", "badge", "badge no", "badge number", "card no", "card number",
		"enroll number", "enrollnumber", "enroll id", "pin", "staff id", "staff no", "attendance no", "attendance number",
		"placement number", "placement no", "personnel no", "person id", "worker id",
		"工号", "考勤号码", "考勤号", "员工编号", "员工号", "人员编号", "用户id", "用户编号", "卡号", "编号", "登记号码", "职员编号",
		"mã nv", "mã nhân viên", "ma nv", "manv", "mã chấm công", "mã số", "số thẻ", "mã số nhân viên", "msnv",
		"matricule", "numéro", "n° badge", "numéro de badge", "identifiant", "code employé", "no employé", "n° employé", "n° salarié",
	},
	mapping.FieldTime: {
		"time", "date/time", "datetime", "date time", "check time", "checktime", "punch time", "clock time", "timestamp",
		"log time", "record time", "att time", "attendance time", "verify time",
		"打卡时间", "签到时间", "时间", "日期时间", "考勤时间", "记录时间", "刷卡时间",
		"punch time", "checktime", "check_time", "transaction time", "event time",
		"thời gian", "giờ chấm công", "thời gian chấm công", "ngày giờ", "thời điểm",
		"date/heure", "date et heure", "heure de pointage", "horodatage", "pointage", "date heure",
	},
	mapping.FieldDate: {
		"date", "punch date", "work date", "check date", "attendance date",
		"日期", "考勤日期", "打卡日期", "刷卡日期", "签到日期",
		"ngày", "ngày chấm công",
		"date de pointage", "jour",
	},
	clockField: {
		"time", "hour", "clock", "clock in", "时间", "时刻", "giờ", "heure", "刷卡时间", "打卡时间", "punch time", "check time",
	},
	mapping.FieldDirection: {
		"status", "state", "in/out", "inout", "in out", "io", "type", "check type", "checktype", "direction", "punch type",
		"punch state", "att state", "attendance state", "new state",
		"状态", "进出", "进出状态", "打卡类型", "考勤状态", "签到/签退", "类型",
		"trạng thái", "vào/ra", "loại", "kiểu",
		"sens", "type de pointage", "statut", "entrée/sortie", "e/s",
	},
	mapping.FieldDevice: {
		"device", "device id", "device no", "terminal", "terminal id", "machine", "machine no", "reader", "door", "gate", "clock id", "sn", "serial no",
		"serial number", "device sn", "terminal sn", "device serial", "sensorid", "sensor id", "location id", "tmno", "tm no", "machine number",
		"machine id", "device name", "terminal name", "terminal alias", "clock no",
		"机器号", "设备", "设备号", "终端", "机号", "设备名称", "设备序列号", "序列号", "考勤机", "机器编号",
		"máy", "thiết bị", "số máy", "máy chấm công",
		"lecteur", "appareil", "pointeuse", "borne",
	},
}

// clockField is a time of day in its own column (with a date column).
const clockField = "clock"

// synonymRole returns the roles a header name is known for.
func synonymRole(header string) []string {
	n := mapping.NormalizeHeader(header)
	bare := stripPunct(n)
	var roles []string
	for _, role := range []string{mapping.FieldEmployeeKey, mapping.FieldTime, mapping.FieldDate, clockField, mapping.FieldDirection, mapping.FieldDevice} {
		for _, s := range headerSynonyms[role] {
			if s == n || stripPunct(s) == bare && bare != "" {
				roles = append(roles, role)
				break
			}
		}
	}
	return roles
}

func stripPunct(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.', '/', '#', '°', ':', '(', ')':
			return -1
		}
		return r
	}, s)
}

// directionWords maps direction codes seen in exports to directions.
var directionWords = map[string]mapping.Direction{
	"in": mapping.DirIn, "i": mapping.DirIn, "c/in": mapping.DirIn, "check in": mapping.DirIn, "checkin": mapping.DirIn, "check-in": mapping.DirIn,
	"on duty": mapping.DirIn, "duty on": mapping.DirIn, "上班签到": mapping.DirIn, "签到": mapping.DirIn, "上班": mapping.DirIn, "进": mapping.DirIn,
	"vào": mapping.DirIn, "entrée": mapping.DirIn, "entree": mapping.DirIn, "arrivée": mapping.DirIn, "e": mapping.DirIn,
	"out": mapping.DirOut, "o": mapping.DirOut, "c/out": mapping.DirOut, "check out": mapping.DirOut, "checkout": mapping.DirOut, "check-out": mapping.DirOut,
	"off duty": mapping.DirOut, "duty off": mapping.DirOut, "下班签退": mapping.DirOut, "签退": mapping.DirOut, "下班": mapping.DirOut, "出": mapping.DirOut,
	"ra": mapping.DirOut, "sortie": mapping.DirOut, "départ": mapping.DirOut, "s": mapping.DirOut,
	"break out": mapping.DirBreakOut, "break-out": mapping.DirBreakOut, "外出": mapping.DirBreakOut,
	"break in": mapping.DirBreakIn, "break-in": mapping.DirBreakIn, "外出返回": mapping.DirBreakIn,
	"ot-in": mapping.DirOvertimeIn, "ot in": mapping.DirOvertimeIn, "overtime in": mapping.DirOvertimeIn, "加班签到": mapping.DirOvertimeIn,
	"ot-out": mapping.DirOvertimeOut, "ot out": mapping.DirOvertimeOut, "overtime out": mapping.DirOvertimeOut, "加班签退": mapping.DirOvertimeOut,
}

// zktecoCodes is the ZKTeco attendance-state convention (0 check in, 1
// check out, 2 break out, 3 break in, 4 overtime in, 5 overtime out).
// 255 is what firmware writes when no state key was pressed: kept as
// unknown, not rejected.
var zktecoCodes = map[string]mapping.Direction{
	"0": mapping.DirIn, "1": mapping.DirOut, "2": mapping.DirBreakOut, "3": mapping.DirBreakIn, "4": mapping.DirOvertimeIn, "5": mapping.DirOvertimeOut,
	"255": mapping.DirUnknown,
}

// notPunchTime reports a header that names another moment than the punch:
// when a row was processed, exported, uploaded, created or changed.
func notPunchTime(header string) bool {
	n := mapping.NormalizeHeader(header)
	for _, w := range []string{"process", "export", "upload", "created", "create ", "creation", "modif", "updat", "sync", "import", "operat", "edit",
		"操作", "处理", "导出", "上传", "创建", "修改", "更新", "同步", "导入",
		"ngày tạo", "cập nhật", "xuất", "traitement", "export", "modifi", "création"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// serialBonus prefers a device's serial number to its display name: the
// serial stays when a clock is renamed.
func serialBonus(header string) float64 {
	n := mapping.NormalizeHeader(header)
	if strings.Contains(n, "serial") || stripPunct(n) == "sn" || strings.HasSuffix(n, " sn") || strings.Contains(n, "序列号") {
		return 0.1
	}
	return 0
}
