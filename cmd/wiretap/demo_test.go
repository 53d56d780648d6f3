package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// wiretapBinary builds the real binary once per test run, in a directory
// any user may execute from (the privilege test runs it as nobody).
func wiretapBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wiretap-bin-")
		if err != nil {
			buildErr = err
			return
		}
		os.Chmod(dir, 0o755)
		binPath = filepath.Join(dir, "wiretap")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building wiretap: %v", buildErr)
	}
	return binPath
}

// freePorts returns n distinct TCP ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// TestDemoNeedsPrivilege checks what a user without capture privilege sees
// (run as nobody when the tests run as root): one line naming what is
// missing, a hint with the way out that fits the machine, exit status 2,
// and no work dir left behind. Without sudo on PATH the hint names root and
// setcap; with sudo but no terminal it prints the sudo command and does not
// run it.
func TestDemoNeedsPrivilege(t *testing.T) {
	bin := wiretapBinary(t)
	for _, tc := range []struct {
		name     string
		withSudo bool
		hint     string
	}{
		{"no sudo", false, "wiretap: hint: run it as root, or give the binary the capture right (as root): setcap cap_net_raw+ep " + bin},
		{"sudo, no terminal", true, "wiretap: hint: run it through sudo: sudo " + bin + " demo --report --dir "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// nobody must reach the work dir: open up the temp dir and its parent.
			os.Chmod(filepath.Dir(dir), 0o755)
			os.Chmod(dir, 0o777)
			pathDir := filepath.Join(dir, "bin")
			os.Mkdir(pathDir, 0o755)
			ran := filepath.Join(dir, "sudo-ran")
			if tc.withSudo {
				// A stand-in that only records that it ran.
				if err := os.WriteFile(filepath.Join(pathDir, "sudo"), []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			work := filepath.Join(dir, "run")
			cmd := exec.Command(bin, "demo", "--report", "--dir", work)
			cmd.Env = append(os.Environ(), "PATH="+pathDir)
			if os.Geteuid() == 0 {
				// Drop to nobody, who has no CAP_NET_RAW.
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want status 2; stderr:\n%s", err, stderr.String())
			}
			t.Logf("stderr:\n%s", stderr.String())
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if lines[0] != "wiretap: error: capturing on lo needs root or CAP_NET_RAW" {
				t.Errorf("first line = %q", lines[0])
			}
			if len(lines) != 2 || !strings.HasPrefix(lines[1], tc.hint) {
				t.Errorf("want two lines, the second starting %q; got %q", tc.hint, lines)
			}
			if _, err := os.Stat(ran); err == nil {
				t.Errorf("sudo was run without a terminal to ask on")
			}
			if _, err := os.Stat(work); err == nil {
				t.Errorf("the failed demo left its work dir %s", work)
			}
		})
	}
}

// TestDemoEndToEnd runs the real demo as root and checks its report and its
// capture with the reference tools, as the acceptance criteria do.
func TestDemoEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the demo captures on lo: needs root (run the tests as root, as CI does)")
	}
	bin := wiretapBinary(t)
	dir := filepath.Join(t.TempDir(), "run")
	p := freePorts(t, 3)
	cmd := exec.Command(bin, "demo", "--report", "--dir", dir,
		"--port-plain", strconv.Itoa(p[0]), "--port-fernet", strconv.Itoa(p[1]), "--port-https", strconv.Itoa(p[2]))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	report := stdout.String()
	t.Logf("report:\n%s", report)
	visible := regexp.MustCompile(`plaintext HTTP\s+` + strconv.Itoa(p[0]) + `\s+\d+\s+\d+\s+VISIBLE in frame (\d+)`)
	m := visible.FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("report does not say the plaintext secret is visible")
	}
	for _, mode := range []string{`Fernet over HTTP\s+` + strconv.Itoa(p[1]), `HTTPS\s+` + strconv.Itoa(p[2])} {
		if !regexp.MustCompile(mode + `\s+\d+\s+\d+\s+hidden`).MatchString(report) {
			t.Errorf("report does not say %s is hidden", mode)
		}
	}
	for _, f := range []string{"demo.pcapng", "keys.log", "fernet.key", "ca-public-key.pem", "server-public-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("work dir lacks %s: %v", f, err)
		}
	}
	pcap := filepath.Join(dir, "demo.pcapng")
	// The second half: what the keys reveal, with the frames.
	for _, want := range []string{
		`Fernet over HTTP\s+"fluffy tail" \(decrypted with the key: the secret, in frame \d+\)`,
		`HTTPS\s+"fluffy tail" \(decrypted TLS: the secret, in frame \d+\)`,
		`With the keys both give it back: Fernet in frame \d+, HTTPS in frame \d+\.`,
	} {
		if !regexp.MustCompile(want).MatchString(report) {
			t.Errorf("report lacks %s", want)
		}
	}
	// wiretap reads the capture's own TLS keys: no key option needed.
	out, err := exec.Command(bin, "read", "-r", pcap, "-Y", `http.file_data contains "fluffy tail"`, "-T", "fields", "-e", "tcp.srcport").Output()
	if err != nil {
		t.Fatalf("wiretap read: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), strconv.Itoa(p[2])) {
		t.Errorf("wiretap does not decrypt the HTTPS stream from demo.pcapng alone: the secret is in the bodies from ports %q", strings.Fields(string(out)))
	}
	// The keys.log the demo wrote decrypts it too: a pcap copy has no
	// room for the capture's own secrets, so only --keylog can.
	bare := filepath.Join(dir, "bare.pcap")
	if out, err := exec.Command(bin, "read", "-r", pcap, "-w", bare, "-F", "pcap").CombinedOutput(); err != nil {
		t.Fatalf("wiretap read -w -F pcap: %v\n%s", err, out)
	}
	for _, keys := range []bool{false, true} {
		args := []string{"read", "-r", bare, "-Y", `http.file_data contains "fluffy tail"`, "-T", "fields", "-e", "tcp.srcport"}
		if keys {
			args = append(args, "--keylog", filepath.Join(dir, "keys.log"))
		}
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("wiretap %q: %v", args, err)
		}
		if got := slices.Contains(strings.Fields(string(out)), strconv.Itoa(p[2])); got != keys {
			t.Errorf("wiretap %q: the HTTPS stream's plaintext holds the secret: %v, want %v (ports %q)", args, got, keys, strings.Fields(string(out)))
		}
	}

	if _, err := exec.LookPath("capinfos"); err != nil {
		t.Log("capinfos not installed (apt-get install tshark): skipping its check")
	} else if out, err := exec.Command("capinfos", pcap).CombinedOutput(); err != nil {
		t.Errorf("capinfos rejects demo.pcapng: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Log("tshark not installed (apt-get install tshark): skipping its checks")
		return
	}
	out, err = exec.Command("tshark", "-r", pcap, "-Y", `frame contains "fluffy tail"`, "-T", "fields", "-e", "tcp.srcport", "-e", "frame.number").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		if f := strings.Fields(l); len(f) != 2 || f[0] != strconv.Itoa(p[0]) {
			t.Errorf("tshark finds the secret in %q, want only source port %d", l, p[0])
		}
	}
	if f := strings.Fields(lines[0]); len(f) == 2 && f[1] != m[1] {
		t.Errorf("tshark's first frame with the secret is %s, the report says %s", f[1], m[1])
	}
	// The capture carries the TLS keys: tshark reads the HTTPS body with
	// no key options.
	out, err = exec.Command("tshark", "-r", pcap, "-Y", `http.file_data contains "fluffy tail"`, "-T", "fields", "-e", "tcp.srcport").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), strconv.Itoa(p[2])) {
		t.Errorf("tshark does not decrypt the HTTPS stream from demo.pcapng alone: the secret is in the bodies from ports %q", strings.Fields(string(out)))
	}
	out, err = exec.Command("tshark", "-r", pcap, "-Y", "tcp.analysis.retransmission || tcp.analysis.duplicate_ack").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("tshark sees retransmissions or duplicate ACKs (duplicated packets?):\n%s", out)
	}
}
