package iclock

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The command bodies below are those the PUSH SDK V3.2.0 describes for the
// server's queue ("C:ID:" is added when a poll takes them). Fields are
// tab-separated, so a value with a tab, a line break or a NUL is refused:
// it would add a field or a command of its own.

// UpdateUser adds or changes a user on the device: "DATA UPDATE USERINFO
// PIN=..\tName=..\tPri=..\tPasswd=..\tCard=..\tGrp=..\tTZ=..". privilege is
// 0 for a user, 14 for an administrator; Grp and TZ take the values of the
// SDK's example (group 1, the group's time zones).
func UpdateUser(pin, name string, privilege int, card string) (string, error) {
	if err := fields(pin, name, card); err != nil {
		return "", err
	}
	if pin == "" || len(pin) > maxPIN {
		return "", fmt.Errorf("iclock: PIN %q: empty or longer than %d", pin, maxPIN)
	}
	return fmt.Sprintf("DATA UPDATE USERINFO PIN=%s\tName=%s\tPri=%d\tPasswd=\tCard=%s\tGrp=1\tTZ=0000000100000000", pin, name, privilege, card), nil
}

// DeleteUser removes a user and its templates: "DATA DELETE USERINFO PIN=..".
func DeleteUser(pin string) (string, error) {
	if err := fields(pin); err != nil {
		return "", err
	}
	if pin == "" || len(pin) > maxPIN {
		return "", fmt.Errorf("iclock: PIN %q: empty or longer than %d", pin, maxPIN)
	}
	return "DATA DELETE USERINFO PIN=" + pin, nil
}

// QueryAttLog asks the device to upload its punches between from and to
// (device wall clock), for firmware that has the data query commands:
// "DATA QUERY ATTLOG StartTime=..\tEndTime=..". Older firmware answers
// CHECK, which makes it compare stamps and upload what is new.
func QueryAttLog(from, to time.Time) string {
	return fmt.Sprintf("DATA QUERY ATTLOG StartTime=%s\tEndTime=%s", from.Format(timeLayout), to.Format(timeLayout))
}

// Simple commands without arguments.
const (
	CmdCheck  = "CHECK"  // compare stamps with the server and upload what is new
	CmdInfo   = "INFO"   // send the device's information
	CmdReboot = "REBOOT" // restart the device
	CmdLog    = "LOG"    // upload the new records (confirmed on ZAM180 firmware)
)

func fields(vs ...string) error {
	for _, v := range vs {
		if strings.ContainsAny(v, "\t\r\n\x00") {
			return fmt.Errorf("iclock: command field %q has a tab, a line break or a NUL", v)
		}
	}
	return nil
}

// The clock command. ZKTeco's "Attendance PUSH Communication Protocol"
// (V5.8, §10.6 "configuration commands", public Chinese transcription)
// documents "C:ID:SET OPTION ${Key}=${Value}", answered with CMD=SET OPTION,
// and the options a device keeps. No copy we found names DateTime among
// them; the public ADMS servers we read (a C# ADMS's command formatter, a
// Python iclock server's protocol helpers, several Node iclock servers) all
// set the clock with "SET OPTION DateTime=VALUE" and the device's wall
// clock, VALUE either ZKTeco's packed seconds (EncodeTime, the form of the
// rtdata reply and of the device protocol's CMD_SET_TIME) or
// "YYYY-MM-DD hh:mm:ss". Both forms are offered; the packed one is the
// default.
//
// The time is written when a poll takes the command, not when it is queued:
// a device that polls an hour late would otherwise be set an hour behind.
// The queued body holds a placeholder that Handler.poll replaces with the
// device's wall clock then (ExpandTime); the stored row keeps what was sent.
const (
	setTimePrefix  = "SET OPTION DateTime="
	timeNowPacked  = "${DeviceTime}"
	timeNowText    = "${DeviceTimeText}"
	CmdSetTime     = setTimePrefix + timeNowPacked // packed seconds
	CmdSetTimeText = setTimePrefix + timeNowText   // YYYY-MM-DD hh:mm:ss
)

// ExpandTime returns body with wall written in when body is exactly one of
// the clock commands above (a user's name that happens to hold the
// placeholder is never touched), else body unchanged. wall's clock reading
// is used as it stands: the caller puts it in the device's zone.
func ExpandTime(body string, wall time.Time) string {
	switch body {
	case CmdSetTime:
		return setTimePrefix + strconv.FormatInt(EncodeTime(wall), 10)
	case CmdSetTimeText:
		return setTimePrefix + wall.Format(timeLayout)
	}
	return body
}
