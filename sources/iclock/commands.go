package iclock

import (
	"fmt"
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
