// Package hinterr is the error type of package demo and package demo/pki: a
// readable message that also knows the user's next step.
package hinterr

// Error is a readable error that also knows the user's next step. It unwraps
// to a sentinel (Kind) and to the error that caused it (Cause), so both
// errors.Is(err, pki.ErrWrongPassphrase) and errors.As(err, *x509.HostnameError)
// work.
type Error struct {
	Path     string // the file involved, or ""
	Msg      string // the whole message, package prefix ("demo: ", "pki: ") included
	NextStep string // what Hint returns, or ""
	Kind     error  // a sentinel such as pki.ErrWrongPassphrase, or nil
	Cause    error  // the error that caused this one, or nil
}

func (e *Error) Error() string { return e.Msg }

// Hint is the suggested next step, printed by wiretap as "wiretap: hint: ...".
func (e *Error) Hint() string { return e.NextStep }

func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}
