package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"wiretap/capture"
	"wiretap/cmd/wiretap/tui"
	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/demo"
)

func init() {
	register("demo", "run the secret-squirrel demo: capture the secret sent three ways and report what leaks", runDemo)
}

func runDemo(args []string, io stdio) error {
	fs := newFlags("demo", "[--dir DIR] [--report] [--port-plain N] [--port-fernet N] [--port-https N] [--secret TEXT] [--http2] [-Z USER]", io)
	dir := fs.String("dir", "", "work dir for keys, certificates and the capture (default ./wiretap-demo-YYYYmmdd-HHMMSS)")
	report := fs.Bool("report", false, "print the plain-text report instead of opening the comparison in the viewer")
	iface := fs.String("i", "lo", "interface to capture on")
	secret := fs.String("secret", demo.DefaultSecret, "the secret message the servers serve")
	http2 := fs.Bool("http2", false, "the HTTPS client speaks HTTP/2 (h2 by ALPN); default HTTP/1.1, like the tutorial")
	dropUser := fs.String("Z", "", dropUserUsage+"; the servers and clients run as that user too")
	var ports demo.Ports
	fs.Func("port-plain", "port of the plaintext HTTP server (default 5683)", portFlag(&ports.Plain))
	fs.Func("port-fernet", "port of the Fernet-over-HTTP server (default 5684)", portFlag(&ports.Fernet))
	fs.Func("port-https", "port of the HTTPS server (default 5685)", portFlag(&ports.HTTPS))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("demo takes no arguments (got %q)", fs.Arg(0)), hint: "see 'wiretap demo -h'"}
	}
	def := demo.DefaultPorts
	for _, p := range []struct{ set, def *uint16 }{{&ports.Plain, &def.Plain}, {&ports.Fernet, &def.Fernet}, {&ports.HTTPS, &def.HTTPS}} {
		if *p.set == 0 {
			*p.set = *p.def
		}
	}
	if ports.Plain == ports.Fernet || ports.Plain == ports.HTTPS || ports.Fernet == ports.HTTPS {
		return &usageError{msg: fmt.Sprintf("the three demo ports must differ (got %d, %d, %d)", ports.Plain, ports.Fernet, ports.HTTPS),
			hint: "set them with --port-plain, --port-fernet and --port-https"}
	}
	if *dir == "" {
		*dir = "wiretap-demo-" + time.Now().Format("20060102-150405")
	}
	if _, err := os.Stat(*dir); err == nil {
		if entries, _ := os.ReadDir(*dir); len(entries) > 0 {
			return &usageError{msg: fmt.Sprintf("work dir %s already holds files", *dir), hint: "pick a new one with --dir, or remove it"}
		}
	}

	target, err := dropTarget(*dropUser)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := demo.RunScenario(ctx, demo.ScenarioConfig{Dir: *dir, Ports: ports, Secret: *secret, Interface: *iface, Progress: io.err, HTTP2: *http2,
		AfterOpen: func() error { return dropRoot(target) }})
	if err != nil {
		if errors.Is(err, capture.ErrPermission) {
			return demoWithoutPrivilege(*iface, args, io)
		}
		return asDropped(err, target)
	}
	if !*report && isTerminal(io.out) {
		if err := viewDemo(res); err != nil {
			return err
		}
	} else if err := demo.WriteReport(io.out, res); err != nil {
		return err
	}
	if !res.Passed() {
		return errors.New("demo: the capture did not show the expected result: plaintext visible, Fernet and HTTPS hidden")
	}
	return nil
}

// viewDemo opens the demo's capture in the viewer, on the comparison of
// the three modes.
func viewDemo(res *demo.ScenarioResult) error {
	// With the keys (the capture's own TLS secrets, the Fernet key), the
	// comparison shows both halves of the lesson.
	keys, err := res.Keys()
	if err != nil {
		return err
	}
	store, err := packets.OpenFile(res.Capture, nil, packets.Options{Secrets: [][]byte{[]byte(res.Secret)}, Decode: keys})
	if err != nil {
		return err
	}
	return showViewer(store, tui.Options{Compare: true, CompareSecret: []byte(res.Secret)})
}

// privilegeError is the demo's own wording for a capture without
// privilege, with the way out that fits this machine.
type privilegeError struct{ iface, hint string }

func (e privilegeError) Error() string {
	return fmt.Sprintf("capturing on %s needs root or CAP_NET_RAW", e.iface)
}
func (e privilegeError) Hint() string  { return e.hint }
func (e privilegeError) ExitCode() int { return 2 }

// demoWithoutPrivilege is what a user who may not capture gets: with sudo
// on a terminal, an offer to run the same demo through it; with sudo
// elsewhere, the command to run; without sudo, the two ways out.
func demoWithoutPrivilege(iface string, args []string, io stdio) error {
	bin, err := os.Executable()
	if err != nil {
		bin = "wiretap"
	}
	sudo, sudoErr := exec.LookPath("sudo")
	if sudoErr != nil || os.Geteuid() == 0 {
		// Root without CAP_NET_RAW (a container without it) gains nothing from sudo.
		return privilegeError{iface: iface, hint: noSudoHint(bin)}
	}
	words := append([]string{"sudo", bin, "demo"}, args...)
	line := shellWords(words)
	in, ok := io.in.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) || !isTerminal(io.err) {
		return privilegeError{iface: iface, hint: "run it through sudo: " + line}
	}
	fmt.Fprintf(io.err, "wiretap: capturing needs root: re-run as `%s`? [Y/n] ", line)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "", "y", "yes":
	default:
		return privilegeError{iface: iface, hint: "run it through sudo: " + line}
	}
	// sudo takes this process's place: the terminal, the working directory
	// (a relative --dir) and the exit status stay the same.
	if err := syscall.Exec(sudo, words, os.Environ()); err != nil {
		return fmt.Errorf("running %s: %w", line, err)
	}
	return nil
}

// noSudoHint names the two ways to capture without sudo. The binary of
// `go run` is a temporary file that vanishes when it ends, so setcap on
// it would be lost: build one first.
func noSudoHint(bin string) string {
	if strings.Contains(bin, string(filepath.Separator)+"go-build") {
		return "run it as root, or build a binary and give it the capture right: go build -o wiretap ./cmd/wiretap && setcap cap_net_raw+ep ./wiretap (as root), then ./wiretap demo (go run's binary " + bin + " is a temporary file)"
	}
	return "run it as root, or give the binary the capture right (as root): setcap cap_net_raw+ep " + shellWords([]string{bin})
}

// shellWords joins words into a command line a shell reads back the same.
func shellWords(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			quoted[i] = w
		} else {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// portFlag parses a TCP port number into p.
func portFlag(p *uint16) func(string) error {
	return func(s string) error {
		var n int
		if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != s {
			return fmt.Errorf("%q is not a port number (1-65535)", s)
		}
		*p = uint16(n)
		return nil
	}
}
