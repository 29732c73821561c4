package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/store"
)

// cmdDevices enrols, lists and revokes door devices (issue 14, item 1).
func cmdDevices(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("devices", args)
	switch sub {
	case "enroll":
		event := fs.String("event", "", "the event the device scans for")
		gate := fs.String("gate", "", "the gate it scans at")
		zone := fs.String("zone", "", "the zone its page starts on (optional)")
		name := fs.String("name", "", "the device's name, e.g. \"north gate phone 3\" (default: GATE door)")
		base := fs.String("url", "", "the server's address as door devices reach it, e.g. https://doors.example.org")
		noWait := fs.Bool("no-wait", false, "print the code and return, instead of waiting until it is used")
		if err := parseFlags(fs, args, "event", "gate", "url"); err != nil {
			return err
		}
		if *name == "" {
			*name = *gate + " door"
		}
		if err := a.open(ctx); err != nil {
			return err
		}
		ev, err := a.event(ctx, *event)
		if err != nil {
			return err
		}
		code, e, err := devices.Enrol(ctx, a.st, ev, devices.Request{Gate: *gate, Zone: *zone, Name: *name}, a.actor(), time.Now())
		if err != nil {
			return withHint(fmt.Errorf("devices enroll: %w", err), "\"laminate event show %s\" lists its gates and zones", *event)
		}
		url := devices.URL(*base, code)
		qr, err := render.TerminalQR(url)
		if err != nil {
			return err
		}
		a.printf("%s\n%s\n", qr, url)
		a.infof("scan this with the door device's camera (or open the address on it) before %s; it works once", e.Expires.In(ev.Location()).Format("15:04 -07:00"))
		if *noWait {
			return nil
		}
		got, err := devices.Wait(ctx, a.st, e.Hash, time.Second)
		if errors.Is(err, devices.ErrExpired) {
			return withHint(fmt.Errorf("devices enroll: %w", err), "run \"laminate devices enroll\" again")
		} else if err != nil {
			return err
		}
		a.printf("enrolled: %s, token %s, gate %s\n", got.Name, got.Token, got.Gate)
		return nil
	case "list":
		asJSON := fs.Bool("json", false, "one JSON object per device")
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		ds, err := devices.Listed(ctx, a.st, nil, time.Now())
		if err != nil {
			return err
		}
		var rows [][]string
		for _, d := range ds {
			if *asJSON {
				if err := a.jsonLine(d); err != nil {
					return err
				}
				continue
			}
			rows = append(rows, d.Row())
		}
		if !*asJSON {
			a.table(devices.Header, rows)
		}
		return nil
	case "revoke":
		pos, err := a.openArgs(ctx, fs, args, 1, 1, "device ID")
		if err != nil {
			return err
		}
		err = devices.Revoke(ctx, a.st, pos[0], a.actor())
		if errors.Is(err, devices.ErrNoDevice) {
			return withHint(fmt.Errorf("no door device %q", pos[0]), "\"laminate devices list\" shows the IDs")
		}
		if errors.Is(err, store.ErrAlreadyRevoked) {
			return fmt.Errorf("door device %s is already revoked", pos[0])
		}
		if err != nil {
			return err
		}
		a.printf("revoked door device %s: it stops at its next request\n", pos[0])
		return nil
	}
	return subcommandError("devices", sub)
}
