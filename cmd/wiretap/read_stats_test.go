package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// demoCapture is a demo capture (plaintext HTTP on 5683, Fernet on 5684,
// HTTPS on 5685; secret "fluffy tail"), kept with decode's oracle
// captures.
var demoCapture = decodetest.File{Name: "oracle/demo.pcapng", Path: oracletest.Testdata("decode", "oracle", "demo.pcapng")}

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
// way, start, duration) and -z follow,tcp,ascii and hex with tshark's on
// decode's oracle captures (tshark's outputs recorded in
// testdata/golden/TestConvAndFollowMatchTshark).
func TestConvAndFollowMatchTshark(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	tshark := func(f decodetest.File, z string) (string, bool) {
		t.Helper()
		res, err := o.Run(f.Input(), "-n", "-q", "-r", f.Path, "-z", z)
		if err != nil {
			t.Fatal(err)
		}
		return string(res.Stdout), res.Exit == 0 // else tshark cannot read it
	}
	convs, follows := 0, 0
	for _, f := range decodetest.Files(t, decodetest.Oracle) {
		want, ok := tshark(f, "conv,tcp")
		if !ok {
			continue
		}
		got := wiretapOut(t, "read", "-r", f.Path, "-q", "-z", "conv,tcp")
		w, g := tableRows(want), tableRows(got)
		if strings.Join(w, "\n") != strings.Join(g, "\n") {
			t.Errorf("%s: conv,tcp differs\nwiretap:\n%s\ntshark:\n%s", f.Name, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
		convs += len(w)
		if len(w) == 0 {
			continue
		}
		for _, mode := range []string{"ascii", "hex"} {
			z := "follow,tcp," + mode + ",0"
			want, ok := tshark(f, z)
			if !ok {
				continue
			}
			got := wiretapOut(t, "read", "-r", f.Path, "-q", "-z", z)
			if strings.TrimSpace(got) != strings.TrimSpace(want) {
				t.Errorf("%s: %s differs\nwiretap:\n%s\ntshark:\n%s", f.Name, z, got, want)
			}
			follows++
		}
	}
	t.Logf("%d TCP conversations and %d follow outputs equal tshark's", convs, follows)
	if convs == 0 || follows == 0 {
		// Done only sees the sum: each half must have compared something.
		t.Fatalf("compared nothing: %d conversations, %d follow outputs", convs, follows)
	}
	o.Done(convs + follows)
}

// TestReadSecretExposure: on a demo capture the secret is visible only in
// the plaintext stream, first in the frame tshark finds with
// `frame contains` (recorded in testdata/golden/TestReadSecretExposure),
// and -Y secret.found selects the frames holding it.
func TestReadSecretExposure(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	demo := demoCapture.Path
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
	res, err := o.Run(demoCapture.Input(), "-r", demo, "-Y", `frame contains "fluffy tail"`, "-T", "fields", "-e", "frame.number")
	if err == nil && res.Exit != 0 {
		err = fmt.Errorf("exit status %d: %s", res.Exit, res.Stderr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Fields(string(res.Stdout)); strings.Join(w, ",") != strings.Join(frames, ",") {
		t.Errorf("tshark finds the secret in frames %v, wiretap in %v", w, frames)
	}
	o.Done(len(frames))
}
