package decode

import (
	"bytes"
	"encoding/hex"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// TestOracleFollowTLS compares -z follow,tls,raw,0 (the first TLS
// stream's decrypted application data) with tshark's on every capture
// with a key log. tshark 4.0 names node 1 ":0" (its TLS follow tap never
// sets the server's address); wiretap names it, and only that line is
// left out of the comparison.
func TestOracleFollowTLS(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	var nFiles, nLines, nBytes int
	names := make([]string, 0, len(tlsKeyLogs))
	for name := range tlsKeyLogs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		klName := tlsKeyLogs[name]
		f := decodetest.File{Name: name, Path: oracletest.Testdata("decode", strings.Split(name, "/")...)}
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		klPath := filepath.Join(filepath.Dir(f.Path), klName)
		kin := oracletest.Input{Name: path.Join(path.Dir(name), klName), Path: klPath}
		kl := NewKeyLog()
		if _, err := kl.ReadFile(klPath); err != nil {
			t.Fatal(err)
		}
		// The first TLS stream with decrypted data is the one compared.
		opts := tlsOracleOpts()
		opts.KeyLog = kl
		probe := httpAnalyze(pkts, opts, -1)
		stream := -1
		for _, st := range probe.TCPStreams() {
			if probe.app.tls.isTLS(st.Index) {
				stream = st.Index
				break
			}
		}
		if stream < 0 {
			t.Errorf("%s: no TLS stream", name)
			continue
		}
		opts.Follow, opts.Following = stream, true
		a := httpAnalyze(pkts, opts, -1)
		args := append([]string{}, tlsOracleArgs[1:]...) // (-2 is not for -z follow)
		z := "follow,tls,raw," + strconv.Itoa(stream)
		args = append(args, "-o", "tls.keylog_file:"+klPath, "-r", f.Input().Path, "-q", "-z", z)
		res, err := o.RunFiles([]oracletest.Input{f.Input(), kin}, args...)
		if err != nil {
			t.Fatal(err)
		}
		chunks, first, err := a.FollowTLS(stream)
		if err != nil {
			t.Fatal(err)
		}
		var client, server string
		for _, st := range a.TCPStreams() {
			if st.Index == stream {
				client, server = st.Client.String(), st.Server.String()
			}
		}
		var got bytes.Buffer
		WriteFollowTLS(&got, "raw", stream, client, server, first, chunks)
		want := strings.Split(string(res.Stdout), "\n")
		have := strings.Split(got.String(), "\n")
		if len(want) != len(have) {
			t.Errorf("%s %s: tshark printed %d lines, wiretap %d\n%s\n%s", name, z, len(want), len(have), res.Stdout, got.String())
			continue
		}
		nFiles++
		for i := range want {
			if strings.HasPrefix(want[i], "Node 1: ") {
				continue // tshark's ":0"
			}
			nLines++
			if want[i] != have[i] {
				t.Errorf("%s %s line %d:\n tshark:  %q\n wiretap: %q", name, z, i+1, want[i], have[i])
			}
			if b, err := hex.DecodeString(strings.TrimPrefix(want[i], "\t")); err == nil {
				nBytes += len(b)
			}
		}
	}
	if nLines == 0 {
		t.Fatal("nothing compared")
	}
	t.Logf("follow,tls oracle: %d captures, %d lines equal to tshark's (%d decrypted bytes)", nFiles, nLines, nBytes)
	o.Done(nLines)
}
