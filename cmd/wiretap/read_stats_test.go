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
