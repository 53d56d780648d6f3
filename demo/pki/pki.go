// Package pki is the tutorial's pki_helpers.py done in Go, and a little
// more: a private certificate authority, server keys, certificate signing
// requests and the certificates the CA signs from them, the PEM files that
// hold them (encrypted keys included) and what `wiretap pki show` says about
// such a file. Like mkcert's cert.go, each choice has a comment saying why.
//
// The files:
//
//   - pki.go: this comment and the package's errors (Error and the
//     passphrase sentinels).
//   - create.go: making things: keys (GenerateKey), the CA (NewCA), CSRs
//     (NewCSR), signing them (SignCSR), and the tutorial's whole flow in a
//     directory (Init, TutorialFiles, the tutorial's subjects).
//   - store.go: reading and writing PEM files: private keys in PKCS#1, SEC1
//     and PKCS#8, encrypted as PKCS#8 (PBES2, via github.com/youmark/pkcs8)
//     or with legacy "Proc-Type: 4,ENCRYPTED" headers, passphrases asked for
//     only when needed, keys written with mode 0600; certificates and CSRs.
//   - describe.go: Describe, the human-readable account of a PEM file that
//     `wiretap pki show` prints.
//
// Errors start with "pki: "; those with a next step for the user are
// *Error, whose Hint says it.
package pki

import (
	"errors"
	"fmt"

	"wiretap/demo/internal/hinterr"
)

// ErrPassphraseNeeded is wrapped by LoadPrivateKey's error when the key is
// encrypted and no passphrase (or an empty one) was available.
var ErrPassphraseNeeded = errors.New("pki: key is encrypted and no passphrase was given")

// ErrWrongPassphrase is wrapped by LoadPrivateKey's error when the
// passphrase does not decrypt the key.
var ErrWrongPassphrase = errors.New("pki: wrong passphrase")

// Error is an error of this package: Error() names the file (when there is
// one) and what failed, Hint the next step, if there is an obvious one. It
// unwraps to a sentinel such as ErrWrongPassphrase and to the underlying
// cause. Package demo's readable errors are of the same type.
type Error = hinterr.Error

// newErr builds a *Error; msg gets the "pki: " prefix.
func newErr(path string, kind, cause error, hint, format string, args ...any) *Error {
	return &Error{Path: path, Msg: "pki: " + fmt.Sprintf(format, args...), NextStep: hint, Kind: kind, Cause: cause}
}
