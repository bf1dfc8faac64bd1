// Command zkemu serves an emulated ZKTeco device on TCP (port 4370 by
// default) from an attlog.dat file and a users CSV, so a pull can be
// demonstrated and any client pointed at it:
//
//	go run ./cmd/zkemu --listen 127.0.0.1:4370 --log attlog.dat --users users.csv
//
// The comm key, when the device should have one, is read from the
// environment variable ZKEMU_COMM_KEY so it never shows in a process list.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "zkemu:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	s, d, err := start(args)
	if err != nil {
		return err
	}
	defer s.Close()
	// Devices answer on UDP 4370 too; serve the same device there.
	u, err := zkemu.ListenUDP(s.Addr(), d)
	if err != nil {
		return fmt.Errorf("UDP: %w", err)
	}
	defer u.Close()
	keyNote := "no comm key"
	if d.CommKey != 0 {
		keyNote = "a comm key (from ZKEMU_COMM_KEY)"
	}
	fmt.Printf("zkemu: serving %s on %s (TCP and UDP) with %s; Ctrl-C stops\n", describe(d), s.Addr(), keyNote)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

// start parses the flags, loads the files and starts serving.
func start(args []string) (*zkemu.Server, *zkemu.Device, error) {
	fs := flag.NewFlagSet("zkemu", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:4370", "address to serve on")
	logFile := fs.String("log", "", "attendance log to serve (ZKTeco attlog.dat: PIN<TAB>YYYY-MM-DD HH:MM:SS<TAB>device<TAB>state<TAB>verify<TAB>workcode)")
	usersFile := fs.String("users", "", "users CSV with a header naming pin and any of name, card, privilege, password, group, uid")
	generate := fs.Int("generate", 0, "without --log, serve this many generated records")
	serial := fs.String("serial", "EMU0000000001", "serial number the device reports")
	tz := fs.String("tz", "UTC", "time zone the device clock shows (IANA name)")
	recordSize := fs.Int("record-size", 40, "attendance entry layout: 40, 16 or 8 bytes")
	userSize := fs.Int("user-size", 72, "user entry layout: 72 or 28 bytes")
	drift := fs.Duration("clock-offset", 0, "device clock minus host clock, e.g. -90s")
	gap := fs.Duration("packet-gap", 10*time.Millisecond, "pause between the packets of a chunk, as a real device's slow CPU makes; node-zklib and zkteco-js need it (0: as fast as loopback goes)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return nil, nil, err
	}
	d := zkemu.NewDevice()
	d.Serial, d.Location, d.RecordSize, d.UserSize = *serial, loc, *recordSize, *userSize
	d.SetClockOffset(*drift)
	d.PacketGap = *gap
	if k := os.Getenv("ZKEMU_COMM_KEY"); k != "" {
		v, err := strconv.ParseUint(k, 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("ZKEMU_COMM_KEY is not a number from 0 to 4294967295")
		}
		d.CommKey = uint32(v)
	}
	if *usersFile != "" {
		f, err := os.Open(*usersFile)
		if err != nil {
			return nil, nil, err
		}
		us, err := zkemu.ReadUsersCSV(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", *usersFile, err)
		}
		d.SetUsers(us)
	}
	uid := map[string]uint16{}
	for _, u := range d.Users() {
		uid[u.PIN] = u.UID
	}
	switch {
	case *logFile != "":
		f, err := os.Open(*logFile)
		if err != nil {
			return nil, nil, err
		}
		rs, err := zkemu.ReadAttlog(f, loc, func(pin string) uint16 { return uid[pin] })
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", *logFile, err)
		}
		d.SetRecords(rs)
	case *generate > 0:
		d.SetRecords(zkemu.Generate(*generate, 500, time.Date(2025, 1, 6, 7, 0, 0, 0, loc)))
	}
	s, err := zkemu.Listen(*listen, d)
	if err != nil {
		return nil, nil, err
	}
	return s, d, nil
}

func describe(d *zkemu.Device) string {
	return fmt.Sprintf("device %s (%d users, %d records)", d.Serial, len(d.Users()), d.RecordCount())
}
