package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// oracleCaptures are the decode package's copies of the shared captures
// and a demo capture (decode/testdata/oracle, with their SOURCES).
const oracleCaptures = "../../decode/testdata/oracle"

func oracleFiles(t *testing.T) []string {
	var files []string
	filepath.WalkDir(oracleCaptures, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatalf("no captures under %s", oracleCaptures)
	}
	return files
}

func wiretapOut(t *testing.T, args ...string) string {
	var out, errb bytes.Buffer
	if code := run(args, stdio{strings.NewReader(""), &out, &errb}); code != 0 {
		t.Logf("wiretap %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// tableRows are the data lines of a -z table, sorted (tshark breaks ties
// in its own hash order).
func tableRows(s string) []string {
	var rows []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "<->") {
			rows = append(rows, l)
		}
	}
	sort.Strings(rows)
	return rows
}

// TestConvAndFollowMatchTshark compares -z conv,tcp (frames and bytes each
// way, start, duration) and -z follow,tcp,ascii and hex with tshark's.
func TestConvAndFollowMatchTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed (apt-get install tshark): skipping")
	}
	convs, follows := 0, 0
	for _, f := range oracleFiles(t) {
		want, err := exec.Command("tshark", "-n", "-q", "-r", f, "-z", "conv,tcp").Output()
		if err != nil {
			continue // tshark cannot read it
		}
		got := wiretapOut(t, "read", "-r", f, "-q", "-z", "conv,tcp")
		w, g := tableRows(string(want)), tableRows(got)
		if strings.Join(w, "\n") != strings.Join(g, "\n") {
			t.Errorf("%s: conv,tcp differs\nwiretap:\n%s\ntshark:\n%s", f, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
		convs += len(w)
		if len(w) == 0 {
			continue
		}
		for _, mode := range []string{"ascii", "hex"} {
			z := "follow,tcp," + mode + ",0"
			want, err := exec.Command("tshark", "-n", "-q", "-r", f, "-z", z).Output()
			if err != nil {
				continue
			}
			got := wiretapOut(t, "read", "-r", f, "-q", "-z", z)
			if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
				t.Errorf("%s: %s differs\nwiretap:\n%s\ntshark:\n%s", f, z, got, want)
			}
			follows++
		}
	}
	t.Logf("%d TCP conversations and %d follow outputs equal tshark's", convs, follows)
}

// TestReadSecretExposure: on a demo capture the secret is visible only in
// the plaintext stream, first in the frame tshark finds with
// `frame contains`, and -Y secret.found selects the frames holding it.
func TestReadSecretExposure(t *testing.T) {
	demo := filepath.Join(oracleCaptures, "demo.pcapng")
	out := wiretapOut(t, "read", "-r", demo, "--secret", "fluffy tail", "-q", "-z", "exposure")
	var visible []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "VISIBLE") {
			visible = append(visible, l)
		}
	}
	if len(visible) != 1 || !strings.Contains(visible[0], " HTTP ") {
		t.Fatalf("want the secret visible in exactly the plaintext HTTP stream:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if (strings.Contains(l, "Fernet over HTTP") || strings.Contains(l, " TLS ")) && !strings.Contains(l, "hidden") {
			t.Errorf("not hidden: %s", l)
		}
	}
	frames := strings.Fields(wiretapOut(t, "read", "-r", demo, "--secret", "fluffy tail", "-Y", "secret.found", "-T", "fields", "-e", "frame.number"))
	if len(frames) == 0 || !strings.Contains(visible[0], "VISIBLE in frame "+frames[0]+" ") {
		t.Errorf("secret.found frames %v; exposure says %q", frames, visible[0])
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Log("tshark is not installed: not comparing with its frame contains")
		return
	}
	want, err := exec.Command("tshark", "-r", demo, "-Y", `frame contains "fluffy tail"`, "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Fields(string(want)); strings.Join(w, ",") != strings.Join(frames, ",") {
		t.Errorf("tshark finds the secret in frames %v, wiretap in %v", w, frames)
	}
}
