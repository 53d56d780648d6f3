package capture

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// DropPrivileges makes the whole process c for good: supplementary groups,
// then gid, then uid (the order that keeps each step permitted), then
// no_new_privs so no later exec can gain privileges back. A setuid from root
// to another user clears every capability set; DropPrivileges checks that
// each thread's effective set is empty and fails if it is not, so nothing
// that follows (dissecting packets) runs privileged. Sockets already open
// (the capture's) keep working.
func DropPrivileges(c Credential) error {
	if c.UID == 0 {
		return errors.New("capture: refusing to drop root to root")
	}
	groups := c.Groups
	if len(groups) == 0 {
		groups = []int{c.GID}
	}
	// Since Go 1.16 these apply to every thread of the process, not only
	// the calling one.
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("capture: dropping root: setting the groups of %s: %w", c, err)
	}
	if err := syscall.Setgid(c.GID); err != nil {
		return fmt.Errorf("capture: dropping root: setting gid %d: %w", c.GID, err)
	}
	if err := syscall.Setuid(c.UID); err != nil {
		return fmt.Errorf("capture: dropping root: becoming %s: %w", c, err)
	}
	if err := setNoNewPrivs(); err != nil {
		return fmt.Errorf("capture: dropping root: setting no_new_privs: %w", err)
	}
	return checkDropped(c)
}

// setNoNewPrivs sets PR_SET_NO_NEW_PRIVS on every thread. A cgo build
// cannot (AllThreadsSyscall refuses: the C threads are not Go's); there it
// is set on the calling thread, which is what a later exec would use.
func setNoNewPrivs() error {
	_, _, errno := syscall.AllThreadsSyscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0)
	if errno == syscall.ENOTSUP {
		return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// checkDropped reads every thread's status: each must be c (real,
// effective, saved and filesystem ids) with no effective capability.
func checkDropped(c Credential) error {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(tasks) == 0 {
		tasks = []string{"/proc/self/status"}
	}
	checked := 0
	for _, path := range tasks {
		st, err := readStatus(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread ended meanwhile
		}
		if err != nil {
			return fmt.Errorf("capture: checking that root was dropped: %w", err)
		}
		checked++
		if cap := st["CapEff"]; strings.Trim(cap, "0") != "" || cap == "" {
			return fmt.Errorf("capture: still privileged after becoming %s (effective capabilities %s): refusing to go on", c, cap)
		}
		for key, want := range map[string]int{"Uid": c.UID, "Gid": c.GID} {
			ids := strings.Fields(st[key])
			if len(ids) != 4 {
				return fmt.Errorf("capture: checking that root was dropped: %s: no %s line", path, key)
			}
			for _, id := range ids {
				if id != strconv.Itoa(want) {
					return fmt.Errorf("capture: still partly root after becoming %s (%s: %s): refusing to go on", c, key, st[key])
				}
			}
		}
	}
	if checked == 0 {
		return errors.New("capture: checking that root was dropped: cannot read /proc/self/status")
	}
	return nil
}

// readStatus reads a /proc status file's "Key:\tvalue" lines.
func readStatus(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			st[k] = strings.TrimSpace(v)
		}
	}
	return st, sc.Err()
}
