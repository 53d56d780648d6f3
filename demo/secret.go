// Package demo re-creates the "secret-squirrel" server and client of the
// tutorial "Exploring HTTPS With Python": a server on 127.0.0.1:5683 whose
// GET / answers "fluffy tail", served in plain HTTP, as a Fernet token, or
// over HTTPS with the user's own certificate authority.
package demo

import (
	"fmt"
	"strings"

	"wiretap/demo/internal/hinterr"
)

// DefaultSecret is the message the tutorial's server hands out.
const DefaultSecret = "fluffy tail"

// DefaultAddr is where the tutorial's server listens.
const DefaultAddr = "127.0.0.1:5683"

// Mode is how the secret travels.
type Mode string

// The three shapes of the tutorial's server and client.
const (
	ModePlain  Mode = "plain"  // plain HTTP, the secret in clear text
	ModeFernet Mode = "fernet" // plain HTTP, the secret as a Fernet token
	ModeHTTPS  Mode = "https"  // HTTPS with the user's own CA
)

// Modes lists every mode, in the tutorial's order.
var Modes = []Mode{ModePlain, ModeFernet, ModeHTTPS}

// ParseMode turns a command-line word into a Mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModePlain, ModeFernet, ModeHTTPS:
		return m, nil
	}
	return "", &squirrelError{
		Msg:      fmt.Sprintf("demo: unknown mode %q", s),
		NextStep: "the modes are plain, fernet and https",
	}
}

func (m Mode) valid() bool { return m == ModePlain || m == ModeFernet || m == ModeHTTPS }

// squirrelError is a readable error that also knows the user's next step. It
// unwraps to a sentinel (Kind) and to the error that caused it, so both
// errors.Is(err, ErrFernetKey) and errors.As(err, *x509.HostnameError) work.
// It is the type of package pki's errors too.
type squirrelError = hinterr.Error
