package capture

import (
	"fmt"
	"strconv"
)

// Credential is the unprivileged user a capture runs as once its socket is
// open (tcpdump's -Z): DropPrivileges switches the process to it.
type Credential struct {
	Name   string // for messages: "alice", or the uid when the name is unknown
	UID    int
	GID    int
	Groups []int // the supplementary groups; nil means just GID
}

func (c Credential) String() string {
	if c.Name != "" && c.Name != strconv.Itoa(c.UID) {
		return fmt.Sprintf("%s (uid %d)", c.Name, c.UID)
	}
	return fmt.Sprintf("uid %d", c.UID)
}
