package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestViewInTmux drives the real binary in a real terminal emulator:
// `wiretap view` on the demo capture in a detached 120x40 tmux session,
// keys sent with send-keys, the screen read with capture-pane. It checks
// the details pane and the byte highlight of http.request.uri, a display
// filter that keeps three packets, and follow stream.
func TestViewInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: skipping the end-to-end viewer test")
	}
	// testscript.Main put a `wiretap` (this test binary, running main)
	// first in PATH.
	bin, err := exec.LookPath("wiretap")
	if err != nil {
		t.Fatal(err)
	}
	capFile, err := filepath.Abs(demoCapture.Path)
	if err != nil {
		t.Fatal(err)
	}
	tm := &tmuxSession{t: t, tmux: tmux, socket: fmt.Sprintf("wiretap-test-%d", os.Getpid()), name: "view"}
	tm.run("new-session", "-d", "-x", "120", "-y", "40", "-s", tm.name, bin+" view "+capFile)
	t.Cleanup(func() { exec.Command(tmux, "-L", tm.socket, "kill-server").Run() })
	tm.waitFor("GET / HTTP/1.1")

	// List → details → Request URI: its name in the status line, its
	// byte lit in the dump.
	tm.keys("Down", "Down", "Down", "Enter")
	tm.waitFor("Packet 4")
	tm.keys("End", "Right", "Down", "Right", "Down", "Down", "Down")
	screen := tm.waitFor("http.request.uri: /")
	if !strings.Contains(screen, "Request URI: /") {
		t.Errorf("the details do not show the request URI:\n%s", screen)
	}
	// The URI is byte 70 (0x46): on the dump's 0040 line, the 7th byte.
	styled := tm.capture("-e")
	line := lineStarting(styled, "0040")
	if !regexp.MustCompile(`\x1b\[[0-9;]*m2f\x1b\[[0-9;]*m`).MatchString(line) {
		t.Errorf("byte 0x46 (2f, '/') is not highlighted on the dump line %q", line)
	}

	// Follow the stream: the request and the response text.
	tm.keys("F")
	tm.waitFor("Follow TCP stream 0")
	screen = tm.waitFor("fluffy tail") // the stream is reassembled in the background
	for _, want := range []string{"GET / HTTP/1.1", "User-Agent: Go-http-client/1.1", "HTTP/1.1 200 OK", "fluffy tail"} {
		if !strings.Contains(screen, want) {
			t.Errorf("follow stream does not show %q:\n%s", want, screen)
		}
	}
	tm.keys("Escape")
	tm.waitGone("Follow TCP stream")

	// A display filter that keeps the three SYN/ACKs.
	tm.keys("/")
	tm.literal("tcp.flags.syn == 1 && tcp.flags.ack == 1")
	tm.keys("Enter")
	screen = tm.waitFor("shown 3")
	var rows []string
	lines := strings.Split(screen, "\n")
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) > 3 && f[3] == "127.0.0.1" {
			rows = append(rows, f[0])
		}
	}
	if strings.Join(rows, " ") != "2 9 16" {
		t.Errorf("the filtered list shows packets %v, want 2 9 16:\n%s", rows, screen)
	}
	tm.keys("q")
	tm.waitExit()
}

type tmuxSession struct {
	t                  *testing.T
	tmux, socket, name string
}

func (tm *tmuxSession) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.tmux, append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmuxSession) keys(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		tm.run("send-keys", "-t", tm.name, k)
		time.Sleep(30 * time.Millisecond)
	}
}

func (tm *tmuxSession) literal(text string) {
	tm.t.Helper()
	tm.run("send-keys", "-t", tm.name, "-l", text)
}

func (tm *tmuxSession) capture(flags ...string) string {
	tm.t.Helper()
	return tm.run(append([]string{"capture-pane", "-p", "-t", tm.name}, flags...)...)
}

// waitFor polls the screen until it shows text, and returns it.
func (tm *tmuxSession) waitFor(text string) string {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		screen := tm.capture()
		if strings.Contains(screen, text) {
			return screen
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%q never appeared; the screen:\n%s", text, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tm *tmuxSession) waitGone(text string) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Contains(tm.capture(), text) {
		if time.Now().After(deadline) {
			tm.t.Fatalf("%q did not go away", text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits for the viewer to quit (its session then ends).
func (tm *tmuxSession) waitExit() {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for exec.Command(tm.tmux, "-L", tm.socket, "has-session", "-t", tm.name).Run() == nil {
		if time.Now().After(deadline) {
			tm.t.Fatalf("the viewer did not quit on q:\n%s", tm.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lineStarting(screen, prefix string) string {
	for _, l := range strings.Split(screen, "\n") {
		plain := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(l, "")
		if strings.HasPrefix(plain, prefix) {
			return l
		}
	}
	return ""
}
