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
	// ErrInterfaceWentDown: the interface went down (or was deleted)
	// while a capture was running on it.
	ErrInterfaceWentDown = errors.New("capture: interface went down")
	// ErrInterfaceGone: the interface was deleted while a capture was
	// running on it (it also went down: this wraps ErrInterfaceWentDown too).
	ErrInterfaceGone = errors.New("capture: interface went away")
	// ErrTimeout is returned by Live.ReadPacket when no packet arrived
	// within the poll timeout, so that callers can check a context and retry.
	ErrTimeout = errors.New("capture: timeout waiting for packets")
	// ErrWrite: writing a capture file failed (disk full, quota, I/O error).
	ErrWrite = errors.New("capture: write failed")
)

// InterfaceError is the error OpenLive and InterfaceLinkType return for the
// problems a user can fix: missing privileges, a wrong or a down interface;
// and the one Live.ReadPacket returns when the interface goes down. It wraps
// Err (ErrPermission, ErrNoSuchInterface, ErrInterfaceDown, ErrInterfaceWentDown
// or ErrInterfaceGone) and,
// where there is one, the underlying system error, and names the interface,
// so a command can say what to do about it.
type InterfaceError struct {
	Interface string // the interface asked for
	Err       error  // the sentinel: ErrPermission, ErrNoSuchInterface, ErrInterfaceDown, ErrInterfaceWentDown or ErrInterfaceGone
	Cause     error  // the underlying system error, may be nil
}

// Error returns the message, e.g. "capture: interface ifb0 is down".
func (e *InterfaceError) Error() string {
	switch e.Err {
	case ErrPermission:
		return "capture: capturing on " + e.Interface + " needs root or CAP_NET_RAW"
	case ErrNoSuchInterface:
		return "capture: no interface named " + e.Interface
	case ErrInterfaceDown:
		return "capture: interface " + e.Interface + " is down"
	case ErrInterfaceWentDown:
		return "capture: interface " + e.Interface + " went down"
	case ErrInterfaceGone:
		return "capture: interface " + e.Interface + " went away"
	}
	return "capture: " + e.Interface + ": " + strings.TrimPrefix(e.Err.Error(), "capture: ")
}

// Unwrap returns the sentinel and the underlying cause.
func (e *InterfaceError) Unwrap() []error {
	errs := []error{e.Err}
	if e.Err == ErrInterfaceGone {
		errs = append(errs, ErrInterfaceWentDown)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

func permissionError(iface string, cause error) error {
	return &InterfaceError{Interface: iface, Err: ErrPermission, Cause: cause}
}

func noInterfaceError(iface string, cause error) error {
	return &InterfaceError{Interface: iface, Err: ErrNoSuchInterface, Cause: cause}
}

func interfaceDownError(iface string) error {
	return &InterfaceError{Interface: iface, Err: ErrInterfaceDown}
}

// WriteError is a failure to create (Op "create") or to write (Op "write")
// the capture file Path. It wraps ErrWrite and the system error. After a
// failed write the file is cut back to the Kept whole packets it holds.
type WriteError struct {
	Op    string // "create" or "write"
	Path  string
	Kept  int   // for Op "write": the whole packets the file still holds
	Cause error // the system error
	msg   string
}

// Error returns the message, e.g. "capture: cannot write x.pcapng: permission denied".
func (e *WriteError) Error() string { return e.msg }

// Unwrap returns ErrWrite and the system error.
func (e *WriteError) Unwrap() []error { return []error{ErrWrite, e.Cause} }

// InterfaceNames lists the network interfaces that exist, sorted, "lo"
// first; nil if they cannot be listed.
func InterfaceNames() []string {
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
