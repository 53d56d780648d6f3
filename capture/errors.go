package capture

import (
	"errors"
	"net"
	"sort"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap them, so callers test
// with errors.Is.
var (
	// ErrPermission: opening a live capture without root or CAP_NET_RAW.
	ErrPermission = errors.New("capture: permission denied")
	// ErrNoSuchInterface: the interface named in LiveOptions does not exist.
	ErrNoSuchInterface = errors.New("capture: no such interface")
	// ErrInterfaceDown: the interface exists but is administratively down.
	ErrInterfaceDown = errors.New("capture: interface is down")
	// ErrTimeout is returned by Live.ReadPacket when no packet arrived
	// within the poll timeout, so that callers can check a context and retry.
	ErrTimeout = errors.New("capture: timeout waiting for packets")
	// ErrWrite: writing a capture file failed (disk full, quota, I/O error).
	ErrWrite = errors.New("capture: write failed")
)

// Error is an error with advice for the user. OpenLive returns one for the
// problems a user can fix (missing privileges, wrong or down interface).
// It wraps a sentinel (ErrPermission, ErrNoSuchInterface, ErrInterfaceDown)
// and, where there is one, the underlying system error.
type Error struct {
	msg   string
	hint  string
	code  int
	kind  error // sentinel
	cause error // underlying error, may be nil
}

// Error returns the message, e.g. "capture: interface ifb0 is down".
func (e *Error) Error() string { return e.msg }

// Hint returns advice on how to fix the problem, or "".
func (e *Error) Hint() string { return e.hint }

// ExitCode is the process exit status a command should use for this error.
func (e *Error) ExitCode() int { return e.code }

// Unwrap returns the sentinel and the underlying cause.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func permissionError(iface string, cause error) error {
	return &Error{
		msg:   "capture: capturing on " + iface + " needs root or CAP_NET_RAW",
		hint:  "run as root (go run -exec sudo ./cmd/wiretap …), or grant the binary CAP_NET_RAW: sudo setcap cap_net_raw+ep ./wiretap",
		code:  2,
		kind:  ErrPermission,
		cause: cause,
	}
}

func noInterfaceError(iface string, cause error) error {
	hint := "no network interfaces found"
	if names := interfaceNames(); len(names) > 0 {
		hint = "interfaces on this machine: " + strings.Join(names, ", ")
	}
	return &Error{
		msg:   "capture: no interface named " + iface,
		hint:  hint,
		code:  1,
		kind:  ErrNoSuchInterface,
		cause: cause,
	}
}

func interfaceDownError(iface string) error {
	return &Error{
		msg:  "capture: interface " + iface + " is down",
		hint: "ip link set " + iface + " up",
		code: 1,
		kind: ErrInterfaceDown,
	}
}

// interfaceNames lists the interfaces that exist, sorted, "lo" first.
func interfaceNames() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(ifs))
	for _, ifc := range ifs {
		names = append(names, ifc.Name)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "lo") != (names[j] == "lo") {
			return names[i] == "lo"
		}
		return names[i] < names[j]
	})
	return names
}
