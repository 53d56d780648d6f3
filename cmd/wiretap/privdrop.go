package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"

	"wiretap/capture"
)

// The capturing commands (capture, view -i, demo) give up root once the
// capture socket is open, as tcpdump does: to -Z USER, else to the user who
// ran sudo (SUDO_UID, SUDO_GID). Root without either stays root, silently,
// like tcpdump; so does -Z root.

const dropUserUsage = "after opening the interface, run as USER (a name or a uid; default under sudo: the user who ran sudo)"

// dropTarget says whom to become after opening the capture socket; nil
// means stay as we are.
func dropTarget(zUser string) (*capture.Credential, error) {
	if os.Geteuid() != 0 {
		// Not root (a binary with CAP_NET_RAW, say): nobody to drop to.
		if zUser != "" {
			if c, err := lookupUser(zUser); err != nil || c.UID != os.Getuid() {
				return nil, &usageError{msg: fmt.Sprintf("-Z %s: only root can switch to another user", zUser)}
			}
		}
		return nil, nil
	}
	if zUser != "" {
		c, err := lookupUser(zUser)
		if err != nil || c.UID == 0 {
			return nil, err
		}
		return c, nil
	}
	uidText := os.Getenv("SUDO_UID")
	if uidText == "" {
		return nil, nil
	}
	uid, err := strconv.Atoi(uidText)
	if err != nil || uid < 0 {
		return nil, fmt.Errorf("SUDO_UID is %q, not a user id", uidText)
	}
	if uid == 0 {
		return nil, nil
	}
	c := &capture.Credential{Name: os.Getenv("SUDO_USER"), UID: uid, GID: -1}
	if g := os.Getenv("SUDO_GID"); g != "" {
		if c.GID, err = strconv.Atoi(g); err != nil || c.GID < 0 {
			return nil, fmt.Errorf("SUDO_GID is %q, not a group id", g)
		}
	}
	// The user's groups when /etc/passwd and /etc/group know them; else
	// the one gid sudo named.
	if u, err := user.LookupId(uidText); err == nil {
		if c.Name == "" {
			c.Name = u.Username
		}
		if c.GID < 0 {
			c.GID, _ = strconv.Atoi(u.Gid)
		}
		c.Groups = userGroups(u, c.GID)
	}
	if c.GID < 0 {
		c.GID = uid
	}
	return c, nil
}

// lookupUser finds -Z's user by name or by numeric uid.
func lookupUser(name string) (*capture.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, numErr := strconv.Atoi(name); numErr == nil {
			u, err = user.LookupId(name)
		}
	}
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("-Z %s: no such user", name), hint: "-Z takes a user name or a numeric uid from /etc/passwd, e.g. -Z nobody"}
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("-Z %s: user has uid %q, gid %q", name, u.Uid, u.Gid)
	}
	return &capture.Credential{Name: u.Username, UID: uid, GID: gid, Groups: userGroups(u, gid)}, nil
}

// userGroups lists u's groups, gid first; just gid when they are unknown.
func userGroups(u *user.User, gid int) []int {
	groups := []int{gid}
	ids, err := u.GroupIds()
	if err != nil {
		return groups
	}
	for _, id := range ids {
		if g, err := strconv.Atoi(id); err == nil && g != gid {
			groups = append(groups, g)
		}
	}
	return groups
}

// dropRoot becomes target (when not nil). Call it once the capture socket
// is open and before any packet is read.
func dropRoot(target *capture.Credential) error {
	if target == nil {
		return nil
	}
	return capture.DropPrivileges(*target)
}

// droppedWriteError is a file wiretap could not create after giving up
// root: the user it became lacks the right, which root would have had.
type droppedWriteError struct {
	err  error
	user *capture.Credential
}

func (e droppedWriteError) Error() string { return e.err.Error() }
func (e droppedWriteError) Unwrap() error { return e.err }
func (e droppedWriteError) Hint() string {
	return fmt.Sprintf("wiretap gives up root after opening the interface and writes its files as %s: choose a directory that user can write to (or keep root with -Z root)", e.user)
}

// asDropped explains a permission error of a file created after the drop.
func asDropped(err error, target *capture.Credential) error {
	if err == nil || target == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return droppedWriteError{err: err, user: target}
}
