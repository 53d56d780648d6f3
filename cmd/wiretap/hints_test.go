package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"wiretap/capture"
)

// TestCaptureAdvice checks the hints and exit statuses wiretap gives for the
// capture package's errors, and that reportError prints them as it did when
// the library carried them.
func TestCaptureAdvice(t *testing.T) {
	const permHint = "run as root (go run -exec sudo ./cmd/wiretap …), or grant the binary CAP_NET_RAW: sudo setcap cap_net_raw+ep ./wiretap"
	_, noIface := capture.OpenLive(capture.LiveOptions{Interface: "nosuch0"})
	_, noDir := capture.CreatePcapng(filepath.Join(t.TempDir(), "nodir", "x.pcapng"), capture.PcapngOptions{})
	perm := &capture.InterfaceError{Interface: "lo", Err: capture.ErrPermission}
	tests := []struct {
		name     string
		err      error
		hint     string // exact, or a substring when contains is set
		contains bool
		code     int    // from captureAdvice
		out      string // what reportError prints, when checked
		status   int    // what reportError returns
	}{
		{name: "permission", err: perm, hint: permHint, code: 2,
			out: "wiretap: error: capture: capturing on lo needs root or CAP_NET_RAW\nwiretap: hint: " + permHint + "\n", status: 2},
		{name: "permission wrapped", err: fmt.Errorf("starting: %w", perm), hint: permHint, code: 2},
		{name: "no such interface", err: noIface, hint: "interfaces on this machine: lo", contains: true, code: 1},
		{name: "down", err: &capture.InterfaceError{Interface: "ifb0", Err: capture.ErrInterfaceDown}, hint: "ip link set ifb0 up", code: 1,
			out: "wiretap: error: capture: interface ifb0 is down\nwiretap: hint: ip link set ifb0 up\n", status: 1},
		{name: "went down", err: &capture.InterfaceError{Interface: "ifb0", Err: capture.ErrInterfaceWentDown}, hint: "ip link set ifb0 up, and capture again", code: 1,
			out: "wiretap: error: capture: interface ifb0 went down\nwiretap: hint: ip link set ifb0 up, and capture again\n", status: 1},
		{name: "went away", err: &capture.InterfaceError{Interface: "veth0", Err: capture.ErrInterfaceGone}, hint: "the file holds the packets captured before", contains: true, code: 1},
		{name: "cannot create", err: noDir, hint: "choose a file in a directory you can write to with -w", code: 1},
		{name: "write failed", err: &capture.WriteError{Op: "write", Path: "x.pcapng"}, hint: "free some space (or write elsewhere with -w) and capture again", code: 1},
		{name: "other", err: errors.New("capture: something else"), code: 0,
			out: "wiretap: error: capture: something else\n", status: 1},
		// wiretap's own advice wins over the library's.
		{name: "own hint", err: fmt.Errorf("%w: %w", &usageError{msg: "bad", hint: "do this"}, perm), hint: permHint, code: 2,
			out: "wiretap: error: bad: capture: capturing on lo needs root or CAP_NET_RAW\nwiretap: hint: do this\n", status: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to advise on")
			}
			hint, code := captureAdvice(tt.err)
			if ok := hint == tt.hint || tt.contains && strings.HasPrefix(hint, tt.hint); !ok || code != tt.code {
				t.Errorf("captureAdvice(%v) = %q, %d; want %q, %d", tt.err, hint, code, tt.hint, tt.code)
			}
			if tt.out == "" {
				return
			}
			var b bytes.Buffer
			status := reportError(&b, tt.err)
			if b.String() != tt.out || status != tt.status {
				t.Errorf("reportError printed %q, returned %d; want %q, %d", b.String(), status, tt.out, tt.status)
			}
		})
	}
}

// TestCaptureAdviceDown checks the hint for a real down interface, when
// the machine has one.
func TestCaptureAdviceDown(t *testing.T) {
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp != 0 {
			continue
		}
		_, err := capture.OpenLive(capture.LiveOptions{Interface: ifc.Name})
		if hint, code := captureAdvice(err); hint != "ip link set "+ifc.Name+" up" || code != 1 {
			t.Errorf("%v: hint %q, code %d", err, hint, code)
		}
		return
	}
	t.Skip("no interface is down here")
}
