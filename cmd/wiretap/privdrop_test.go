package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"wiretap/capture"
)

// unprivilegedUser is the user the privilege tests drop to: nobody where
// it exists (it does on Debian, uid 65534), else one made for the test and
// removed after it.
func unprivilegedUser(t *testing.T) *user.User {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("dropping root needs root (CI runs the tests as root)")
	}
	if u, err := user.Lookup("nobody"); err == nil {
		return u
	}
	name := fmt.Sprintf("wtdrop%d", os.Getpid()%10000)
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--user-group", name).CombinedOutput(); err != nil {
		t.Skipf("no user nobody, and useradd failed: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// userWritableDir is a temp dir u can write to (and reach).
func userWritableDir(t *testing.T) string {
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o777)
	return dir
}

// checkDropped reads pid's /proc status: its ids must all be u's, with no
// effective capability and no_new_privs set.
func checkDropped(t *testing.T, pid int, u *user.User) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, want := range []string{
		fmt.Sprintf("Uid:\t%s\t%[1]s\t%[1]s\t%[1]s", u.Uid),
		fmt.Sprintf("Gid:\t%s\t%[1]s\t%[1]s\t%[1]s", u.Gid),
		"CapEff:\t0000000000000000",
		"NoNewPrivs:\t1",
	} {
		key, _, _ := strings.Cut(want, ":")
		line := regexp.MustCompile(`(?m)^` + key + `:.*$`).FindString(string(b))
		seen = append(seen, strconv.Quote(line))
		if line != want {
			t.Errorf("/proc/%d/status: %q, want %q", pid, line, want)
		}
	}
	t.Logf("/proc/%d/status: %s", pid, strings.Join(seen, " "))
}

// checkOwnedCapture checks that path belongs to u and is a valid capture,
// and returns its packets.
func checkOwnedCapture(t *testing.T, path string, u *user.User) []packet {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if strconv.Itoa(int(sys.Uid)) != u.Uid || strconv.Itoa(int(sys.Gid)) != u.Gid {
		t.Errorf("%s belongs to %d:%d, want %s:%s", filepath.Base(path), sys.Uid, sys.Gid, u.Uid, u.Gid)
	}
	return readAll(t, path)
}

// sendUDP sends n datagrams of size bytes to 127.0.0.1:port, to a bound
// receiver that never reads (no ICMP replies). Loopback only, bounded.
func sendUDP(t *testing.T, port, n, size int) {
	t.Helper()
	l, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, size)
	for range n {
		c.Write(payload)
	}
}

// stopCapture ends a capture with SIGINT and returns the count it printed.
func stopCapture(t *testing.T, cmd *exec.Cmd, stderr *syncBuffer) int {
	t.Helper()
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("wiretap capture: %v\n%s", err, stderr.String())
	}
	m := capturedLine.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("wiretap printed no totals:\n%s", stderr.String())
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestCaptureDropsRoot runs capture as root, under sudo (SUDO_UID) and with
// -Z: once capturing it must be the user, unprivileged, and its file the
// user's and valid.
func TestCaptureDropsRoot(t *testing.T) {
	u := unprivilegedUser(t)
	bin := wiretapBinary(t)
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"sudo", nil, []string{"SUDO_UID=" + u.Uid, "SUDO_GID=" + u.Gid, "SUDO_USER=" + u.Username}},
		{"-Z name", []string{"-Z", u.Username}, nil},
		{"-Z uid", []string{"-Z", u.Uid}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(userWritableDir(t), "drop.pcapng")
			port := freePorts(t, 1)[0]
			cmd := exec.Command(bin, append(append([]string{"capture", "-i", "lo", "-w", file}, tc.args...), "udp", "dst", "port", strconv.Itoa(port))...)
			cmd.Env = append(os.Environ(), tc.env...)
			stderr := startAndWait(t, cmd, "capturing on lo")
			checkDropped(t, cmd.Process.Pid, u)
			sendUDP(t, port, 20, 100)
			n := stopCapture(t, cmd, stderr)
			pkts := checkOwnedCapture(t, file, u)
			if n == 0 || len(pkts) != n {
				t.Errorf("wiretap printed %d captured, the file holds %d (20 sent)", n, len(pkts))
			}
		})
	}
}

// TestCaptureDropsRootRotation: with -C the files started after the drop
// belong to the user too, and each is a valid capture.
func TestCaptureDropsRootRotation(t *testing.T) {
	u := unprivilegedUser(t)
	bin := wiretapBinary(t)
	dir := userWritableDir(t)
	port := freePorts(t, 1)[0]
	cmd := exec.Command(bin, "capture", "-i", "lo", "-w", filepath.Join(dir, "ring.pcapng"), "-C", "1", "-q", "udp", "dst", "port", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "SUDO_UID="+u.Uid, "SUDO_GID="+u.Gid)
	stderr := startAndWait(t, cmd, "capturing on lo")
	checkDropped(t, cmd.Process.Pid, u)
	// About 3 MB: at least two files of 1 MB.
	sendUDP(t, port, 3000, 1000)
	n := stopCapture(t, cmd, stderr)
	files, _ := filepath.Glob(filepath.Join(dir, "ring_*.pcapng"))
	if len(files) < 2 {
		t.Fatalf("%d files after %d packets of 1 kB with -C 1: %v", len(files), n, files)
	}
	total := 0
	for _, f := range files {
		total += len(checkOwnedCapture(t, f, u))
	}
	if total != n {
		t.Errorf("the %d files hold %d packets, wiretap printed %d captured", len(files), total, n)
	}
	t.Logf("%d packets in %d files, all owned by %s", total, len(files), u.Username)
}

// TestCaptureDropsRootUnwritableDir: a directory the user cannot write to
// stops the capture before it starts, with a hint that says why.
func TestCaptureDropsRootUnwritableDir(t *testing.T) {
	u := unprivilegedUser(t)
	bin := wiretapBinary(t)
	dir := t.TempDir() // 0700, root's
	out, err := exec.Command(bin, "capture", "-i", "lo", "-Z", u.Username, "-w", filepath.Join(dir, "x.pcapng"), "-c", "1").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit = %v, want 1; output:\n%s", err, out)
	}
	want := "wiretap: error: capture: cannot write " + filepath.Join(dir, "x.pcapng") + ": permission denied\n" +
		"wiretap: hint: wiretap gives up root after opening the interface and writes its files as " + u.Username
	if !strings.HasPrefix(string(out), want) || strings.Contains(string(out), "capturing on") {
		t.Errorf("output = %q, want it to start %q", out, want)
	}
}

// TestDropTarget: whom capture becomes for each mix of -Z and sudo's
// variables, run as root.
func TestDropTarget(t *testing.T) {
	u := unprivilegedUser(t)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, tc := range []struct {
		name, z, sudoUID, sudoGID string
		want                      *capture.Credential // nil: stay root
		err                       string
	}{
		{name: "plain root", want: nil},
		{name: "sudo by root", sudoUID: "0", sudoGID: "0", want: nil},
		{name: "sudo", sudoUID: u.Uid, sudoGID: u.Gid, want: &capture.Credential{UID: uid, GID: gid}},
		{name: "sudo without SUDO_GID", sudoUID: u.Uid, want: &capture.Credential{UID: uid, GID: gid}},
		{name: "-Z wins over sudo", z: u.Username, sudoUID: "0", want: &capture.Credential{UID: uid, GID: gid}},
		{name: "-Z uid", z: u.Uid, want: &capture.Credential{UID: uid, GID: gid}},
		{name: "-Z root keeps root", z: "root", sudoUID: u.Uid, want: nil},
		{name: "-Z unknown", z: "no-such-user-here", err: "-Z no-such-user-here: no such user"},
		{name: "bad SUDO_UID", sudoUID: "alice", err: `SUDO_UID is "alice", not a user id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SUDO_UID", tc.sudoUID)
			t.Setenv("SUDO_GID", tc.sudoGID)
			t.Setenv("SUDO_USER", "")
			got, err := dropTarget(tc.z)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && (got.UID != tc.want.UID || got.GID != tc.want.GID || len(got.Groups) == 0 || got.Groups[0] != gid) {
				t.Errorf("dropTarget = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestDemoDropsRoot runs the demo as root under sudo (SUDO_UID): its work
// dir and every file in it belong to the user, the keys are 0600, and the
// lesson still holds with the servers and clients unprivileged.
func TestDemoDropsRoot(t *testing.T) {
	u := unprivilegedUser(t)
	bin := wiretapBinary(t)
	dir := filepath.Join(userWritableDir(t), "run")
	p := freePorts(t, 3)
	cmd := exec.Command(bin, "demo", "--report", "--dir", dir,
		"--port-plain", strconv.Itoa(p[0]), "--port-fernet", strconv.Itoa(p[1]), "--port-https", strconv.Itoa(p[2]))
	cmd.Env = append(os.Environ(), "SUDO_UID="+u.Uid, "SUDO_GID="+u.Gid)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	keys := map[string]bool{"keys.log": true, "fernet.key": true, "ca-private-key.pem": true, "server-private-key.pem": true}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"."}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, name := range names {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		if strconv.Itoa(int(sys.Uid)) != u.Uid || strconv.Itoa(int(sys.Gid)) != u.Gid {
			t.Errorf("%s belongs to %d:%d, want %s:%s", name, sys.Uid, sys.Gid, u.Uid, u.Gid)
		}
		if keys[name] && st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, st.Mode().Perm())
		}
		delete(keys, name)
	}
	if len(keys) > 0 {
		t.Errorf("work dir lacks %v", keys)
	}
	checkOwnedCapture(t, filepath.Join(dir, "demo.pcapng"), u)
}
