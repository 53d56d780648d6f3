package main

import (
	"fmt"
	"os"
	"strings"
)

// benchDecrypt times TLS decryption (issue #12's target): wiretap and
// tshark reading the same capture with its key log, alternating, for the
// packet list and for HTTP fields inside the decrypted TLS, with CPU, RSS
// and whether the outputs are the same.
func benchDecrypt(args []string) error {
	fs := newFlagSet("decrypt")
	file := fs.String("file", "/tmp/tls.pcapng", "the capture (make one with: wiretap-bench dissect -keep F -keylog K -https-oneshot N ...)")
	keyLog := fs.String("keylog", "/tmp/tls.keys", "its key log")
	runs := fs.Int("runs", 3, "run each command this many times and keep the fastest")
	decodeAs := fs.String("d", "tcp.port==46683,http", "tshark's -d for the plaintext port (wiretap finds HTTP by content)")
	only := fs.String("only", "", "time only the commands whose name contains this")
	fs.Parse(args)
	if !have("tshark") {
		return fmt.Errorf("tshark is not installed (apt-get install tshark)")
	}
	for _, f := range []string{*file, *keyLog} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%v (make them with: wiretap-bench dissect -keep %s -keylog %s -https-oneshot 20000 -https 200000 -keepalive 150000 -oneshot 0)", err, *file, *keyLog)
		}
	}
	dir, bin, err := workDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, _ := os.Stat(*file)
	fmt.Printf("\ncapture: %s (%d MB) with key log %s, fastest of %d runs\n", *file, st.Size()>>20, *keyLog, max(*runs, 1))
	fmt.Printf("%-22s %9s %9s %9s   %9s %9s %9s   %8s %8s %s\n", "", "wiretap", "CPU s", "RSS MB", "tshark", "CPU s", "RSS MB", "wall x", "CPU x", "same output")
	cases := []struct {
		name string
		args []string
	}{
		{"summaries", nil},
		{"HTTP in TLS -T fields", []string{"-Y", "http.request && tls", "-T", "fields", "-e", "frame.number", "-e", "http.request.uri", "-e", "http.host"}},
	}
	for _, c := range cases {
		if !strings.Contains(c.name, *only) {
			continue
		}
		w := append([]string{bin, "read", "-r", *file, "--keylog", *keyLog}, c.args...)
		t := append([]string{"tshark", "-2", "-n", "-r", *file, "-o", "tls.keylog_file:" + *keyLog, "-d", *decodeAs, "-d", "tcp.port==46684,tls"}, c.args...)
		best, err := fastestOf([][]string{w, t}, *runs)
		if err != nil {
			return err
		}
		mw, mt := best[0], best[1]
		same := sameOutput(mw, mt)
		fmt.Printf("%-22s %9.2f %9.2f %9.1f   %9.2f %9.2f %9.1f   %7.2fx %7.2fx %s\n", c.name,
			mw.wall.Seconds(), mw.cpu.Seconds(), float64(mw.rssKB)/1024,
			mt.wall.Seconds(), mt.cpu.Seconds(), float64(mt.rssKB)/1024,
			mt.wall.Seconds()/mw.wall.Seconds(), mt.cpu.Seconds()/mw.cpu.Seconds(), same)
	}
	fmt.Println("\ntarget: decrypting and dissecting >= 5x faster than tshark -o tls.keylog_file:")
	return nil
}
