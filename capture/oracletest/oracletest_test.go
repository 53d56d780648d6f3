package oracletest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// faketool stands in for a reference tool: it is this test binary, run
// through a link named faketool (see TestMain), so that the test needs
// nothing on PATH.
var faketool = &Tool{Name: "faketool", versionArgs: []string{"-v"}, version: func(s string) string { return strings.TrimSpace(s) }}

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) != "faketool" {
		os.Exit(m.Run())
	}
	switch args := os.Args[1:]; {
	case len(args) == 1 && args[0] == "-v":
		v := "faketool 1.0"
		if s := os.Getenv("FAKETOOL_VERSION"); s != "" {
			v = s
		}
		fmt.Println(v)
	case len(args) == 2 && args[0] == "cat":
		// Its input, and a line on stderr naming it; exit status 3.
		b, err := os.ReadFile(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Stdout.Write(b)
		fmt.Fprintf(os.Stderr, "reading %s\n", args[1])
		os.Exit(3)
	case len(args) == 3 && args[0] == "join" && strings.HasPrefix(args[1], "-script="):
		// Two inputs, one as an option's value.
		for _, f := range []string{strings.TrimPrefix(args[1], "-script="), args[2]} {
			b, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			fmt.Printf("%s: %s\n", f, b)
		}
	case len(args) == 2 && args[0] == "print":
		fmt.Print(args[1])
	default:
		os.Exit(2)
	}
	os.Exit(0)
}

func TestRecordReplay(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "faketool")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	// Not the environment's mode, nor its counts (.ci/run sets both).
	t.Setenv(EnvMode, "")
	t.Setenv(EnvCounts, "")
	dir := t.TempDir()
	in := filepath.Join(dir, "input.bin")
	content := "a\x00b\n=== not a record\nstdout 5\n"
	if err := os.WriteFile(in, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "script.txt")
	if err := os.WriteFile(script, []byte("say hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	input := Input{Name: "gen/input.bin", Path: in}
	scriptIn := Input{Name: "script", Path: script}
	check := func(t *testing.T, o *Oracle) {
		res, err := o.Run(input, "cat", in)
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Stdout) != content || string(res.Stderr) != "reading gen/input.bin\n" || res.Exit != 3 {
			t.Errorf("got %q, %q, exit %d", res.Stdout, res.Stderr, res.Exit)
		}
		res, err = o.Run(Input{}, "print", "x \"y\"")
		if err != nil || string(res.Stdout) != "x \"y\"" || res.Stderr != nil || res.Exit != 0 {
			t.Errorf("got %q, %q, exit %d, %v", res.Stdout, res.Stderr, res.Exit, err)
		}
		res, err = o.RunFiles([]Input{scriptIn, input, {}}, "join", "-script="+script, in)
		if want := "script: say hello\ngen/input.bin: " + content + "\n"; err != nil || string(res.Stdout) != want || res.Exit != 0 {
			t.Errorf("got %q, exit %d, %v; want %q", res.Stdout, res.Exit, err, want)
		}
		o.Done(3)
	}

	t.Run("update", func(t *testing.T) {
		*update = true
		defer func() { *update = false }()
		o := New(t, faketool)
		if o.Mode() != Update {
			t.Fatalf("mode %v", o.Mode())
		}
		check(t, o)
	})
	file := filepath.Join("testdata", "golden", "TestRecordReplay", "faketool.txt")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(b), "\n"); first != "# faketool 1.0" {
		t.Errorf("first line %q", first)
	}
	if !strings.Contains(string(b), "\n=== faketool cat gen/input.bin\ninput gen/input.bin sha256:") ||
		!strings.Contains(string(b), "\n=== faketool print \"x \\\"y\\\"\"\nexit 0\nstdout 5\nx \"y\"\nstderr 0\n\n") ||
		!strings.Contains(string(b), "\n=== faketool join -script=script gen/input.bin\ninput script sha256:") ||
		strings.Count(string(b), "\ninput gen/input.bin sha256:") != 2 {
		t.Errorf("recording:\n%s", b)
	}

	t.Run("replay", func(t *testing.T) {
		o := New(t, faketool)
		if o.Mode() != Replay {
			t.Fatalf("mode %v", o.Mode())
		}
		check(t, o)
		if _, err := o.Run(Input{}, "print", "never recorded"); !errors.Is(err, ErrNotRecorded) || !strings.Contains(err.Error(), "has no run") {
			t.Errorf("unrecorded run: %v", err)
		}
	})
	t.Run("live", func(t *testing.T) {
		t.Setenv(EnvMode, "live")
		counts := filepath.Join(t.TempDir(), "counts")
		t.Setenv(EnvCounts, counts)
		o := New(t, faketool)
		if o.Mode() != Live {
			t.Fatalf("mode %v", o.Mode())
		}
		check(t, o)
		b, _ := os.ReadFile(counts)
		if !strings.HasSuffix(string(b), " TestRecordReplay faketool live 3 3\n") {
			t.Errorf("counts file: %q", b)
		}
	})
	// Only the upstream version counts: a rebuild of 1.0 runs live, 1.1
	// replays.
	for _, c := range []struct {
		version string
		mode    Mode
	}{{"faketool 1.0-3+deb12u1 (rebuilt)", Live}, {"faketool 1.1", Replay}} {
		t.Run("live "+c.version, func(t *testing.T) {
			t.Setenv(EnvMode, "live")
			t.Setenv("FAKETOOL_VERSION", c.version)
			tool := &Tool{Name: faketool.Name, versionArgs: faketool.versionArgs, version: faketool.version}
			o := New(t, tool)
			if o.Mode() != c.mode || o.Version() != "faketool 1.0" {
				t.Fatalf("mode %v, version %q", o.Mode(), o.Version())
			}
			check(t, o)
		})
	}
	t.Run("stale", func(t *testing.T) {
		if err := os.WriteFile(in, []byte("changed"), 0o644); err != nil {
			t.Fatal(err)
		}
		o := New(t, faketool)
		if _, err := o.Run(input, "cat", in); err == nil || !strings.Contains(err.Error(), "changed since it was recorded") {
			t.Errorf("changed input: %v", err)
		}
		o.Done(1)
	})
}

func TestVersions(t *testing.T) {
	if v := wiresharkVersion("tshark")("TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).\n\nCopyright"); v != "tshark 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)" {
		t.Errorf("tshark: %q", v)
	}
	if v := tcpdumpVersion("tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\nOpenSSL 3.0.19 27 Jan 2026\n"); v != "tcpdump 4.99.3, libpcap 1.10.3 (with TPACKET_V3)" {
		t.Errorf("tcpdump: %q", v)
	}
	for v, want := range map[string]string{
		"tshark 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)": "tshark 4.0.17",
		"tshark 4.0.17": "tshark 4.0.17",
		"capinfos 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u4)": "capinfos 4.0.17",
		"tcpdump 4.99.3, libpcap 1.10.3 (with TPACKET_V3)":           "tcpdump 4.99.3, libpcap 1.10.3",
		"tcpdump 4.99.3-1+b1, libpcap 1.10.3-1":                      "tcpdump 4.99.3, libpcap 1.10.3",
		"tcpdump 4.99.4, libpcap 1.10.3 (with TPACKET_V3)":           "tcpdump 4.99.4, libpcap 1.10.3",
	} {
		if got := Upstream(v); got != want {
			t.Errorf("Upstream(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestShared(t *testing.T) {
	files, err := SharedFiles()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Rel] {
			t.Errorf("%s twice", f.Rel)
		}
		seen[f.Rel] = true
		if p := Shared(f.Rel); p != f.Path {
			t.Errorf("Shared(%q) = %q, listed at %q", f.Rel, p, f.Path)
		}
	}
	for _, rel := range []string{"formats/gopacket/test_dns.pcap", "http/zeek/get.pcap", "tls/zeek/hrr.pcap", "pcapng-structure/test901-le.pcapng", "SOURCES"} {
		if !seen[rel] {
			t.Errorf("%s not listed", rel)
		}
		if _, err := os.Stat(Shared(rel)); err != nil {
			t.Error(err)
		}
	}
}
