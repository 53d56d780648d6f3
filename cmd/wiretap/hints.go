package main

import (
	"errors"
	"strings"

	"wiretap/capture"
)

// captureAdvice is what wiretap tells the user about a capture error they
// can fix, and the exit status it ends with: missing privileges (2), a wrong
// or a down interface, or one that went down or away mid-capture (1), a
// capture file that cannot be written (1). It
// returns "", 0 for any other error. The capture package only reports the
// facts; the advice names wiretap's commands and flags, so it lives here.
func captureAdvice(err error) (hint string, code int) {
	var ie *capture.InterfaceError
	if errors.As(err, &ie) {
		switch {
		case errors.Is(ie, capture.ErrPermission):
			return "run as root (go run -exec sudo ./cmd/wiretap …), or grant the binary CAP_NET_RAW: sudo setcap cap_net_raw+ep ./wiretap", 2
		case errors.Is(ie, capture.ErrNoSuchInterface):
			if names := capture.InterfaceNames(); len(names) > 0 {
				return "interfaces on this machine: " + strings.Join(names, ", "), 1
			}
			return "no network interfaces found", 1
		case errors.Is(ie, capture.ErrInterfaceDown):
			return "ip link set " + ie.Interface + " up", 1
		case errors.Is(ie, capture.ErrInterfaceGone):
			if names := capture.InterfaceNames(); len(names) > 0 {
				return "the file holds the packets captured before; interfaces on this machine now: " + strings.Join(names, ", "), 1
			}
			return "the file holds the packets captured before", 1
		case errors.Is(ie, capture.ErrInterfaceWentDown):
			return "ip link set " + ie.Interface + " up, and capture again", 1
		}
		return "", 1
	}
	var we *capture.WriteError
	if errors.As(err, &we) {
		if we.Op == "create" {
			return "choose a file in a directory you can write to with -w", 1
		}
		return "free some space (or write elsewhere with -w) and capture again", 1
	}
	return "", 0
}
