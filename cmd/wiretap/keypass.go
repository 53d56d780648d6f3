package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"

	"wiretap/demo/pki"
)

// keyPassEnvDefault is the variable that holds the passphrase of a key
// wiretap reads, unless --key-pass-env names another.
const keyPassEnvDefault = "WIRETAP_KEY_PASS"

// keyPassphrase returns the passphrase callback for reading the key in path:
// the value of the environment variable envName (WIRETAP_KEY_PASS when
// empty); failing that, when stdin is a terminal, a prompt on stderr;
// failing that, pki.ErrPassphraseNeeded. It is called only if the key is
// encrypted. Pass its errors through describeKeyError.
func keyPassphrase(path, envName string, std stdio) func() ([]byte, error) {
	if envName == "" {
		envName = keyPassEnvDefault
	}
	return func() ([]byte, error) {
		if v := os.Getenv(envName); v != "" {
			return []byte(v), nil
		}
		f, ok := std.in.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			// No one to ask: a script must say where the passphrase is.
			return nil, pki.ErrPassphraseNeeded
		}
		fmt.Fprintf(std.err, "Passphrase for %s: ", path)
		pass, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.err) // ReadPassword swallows the newline
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase from the terminal: %w", err)
		}
		if len(pass) == 0 {
			return nil, pki.ErrPassphraseNeeded
		}
		return pass, nil
	}
}

// keyPassError is a passphrase problem told in the CLI's terms: which file,
// which variable, and what to do. It unwraps to the library's error, so
// errors.Is(err, pki.ErrWrongPassphrase) still holds.
type keyPassError struct {
	msg, hint string
	err       error
}

func (e *keyPassError) Error() string { return e.msg }
func (e *keyPassError) Hint() string  { return e.hint }
func (e *keyPassError) Unwrap() error { return e.err }

// describeKeyError rewrites a missing or wrong passphrase error from loading
// the key in path (through keyPassphrase with envName) into a message naming
// the file and the variable; other errors are returned as they are.
func describeKeyError(err error, path, envName string) error {
	if err == nil {
		return nil
	}
	if envName == "" {
		envName = keyPassEnvDefault
	}
	otherVar := "name another variable with --key-pass-env"
	switch {
	case errors.Is(err, pki.ErrPassphraseNeeded):
		if os.Getenv(envName) != "" {
			break // not ours to explain
		}
		return &keyPassError{
			msg:  fmt.Sprintf("%s is encrypted and %s is not set", path, envName),
			hint: fmt.Sprintf("set %s to the key's passphrase, or %s", envName, otherVar),
			err:  err,
		}
	case errors.Is(err, pki.ErrWrongPassphrase):
		if os.Getenv(envName) != "" {
			return &keyPassError{
				msg:  fmt.Sprintf("wrong passphrase for %s (from %s)", path, envName),
				hint: fmt.Sprintf("set %s to the passphrase the key was written with, or %s", envName, otherVar),
				err:  err,
			}
		}
		return &keyPassError{
			msg:  fmt.Sprintf("wrong passphrase for %s (typed at the prompt)", path),
			hint: fmt.Sprintf("try again, or set %s to the key's passphrase", envName),
			err:  err,
		}
	}
	return err
}
