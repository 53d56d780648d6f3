//go:build !linux

package capture

// DropPrivileges fails: live capture, and so dropping root after it, needs Linux.
func DropPrivileges(c Credential) error { return errNotLinux }
