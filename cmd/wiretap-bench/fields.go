package main

import (
	"fmt"
	"os"
	"strings"
)

// benchFields times what the tree tier serves — -Y filters, -T fields, -V
// and summaries — for wiretap and tshark on the same files in one run,
// alternating the two tools, and prints both times, CPU and RSS, and the
// ratios (issue #11's targets).
func benchFields(args []string) error {
	fs := newFlagSet("fields")
	var files multiFlag
	fs.Var(&files, "file", "a capture to time on (repeatable; default /tmp/big.pcapng)")
	runs := fs.Int("runs", 3, "run each command this many times and keep the fastest")
	decodeAs := fs.String("d", "tcp.port==46683,http", "tshark's -d for the demo servers' plaintext port (wiretap finds HTTP by content)")
	only := fs.String("only", "", "time only the commands whose name contains this (TCP, HTTP, -V, summaries)")
	fs.Parse(args)
	if len(files) == 0 {
		files = multiFlag{"/tmp/big.pcapng"}
	}
	if !have("tshark") {
		return fmt.Errorf("tshark is not installed (apt-get install tshark)")
	}
	dir, bin, err := workDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// twoPass: wiretap prints what tshark -2 does (the Info column of
	// both passes: a TLS Client Hello's version is the session's), so a
	// difference from tshark's one pass is checked against -2, untimed.
	cases := []struct {
		name    string
		args    []string
		twoPass bool
	}{
		{"TCP -Y/-T fields", []string{"-Y", "tcp.flags.syn==1", "-T", "fields", "-e", "frame.number", "-e", "tcp.srcport", "-e", "tcp.stream"}, false},
		{"HTTP -Y/-T fields", []string{"-Y", "http.request", "-T", "fields", "-e", "frame.number", "-e", "http.request.uri", "-e", "http.host"}, false},
		{"-V", []string{"-V"}, false},
		{"summaries", nil, true},
	}
	for _, file := range files {
		st, err := os.Stat(file)
		if err != nil {
			return fmt.Errorf("%v (make one with: wiretap-bench dissect -keep %s)", err, file)
		}
		fmt.Printf("\ncapture: %s (%d MB), fastest of %d runs\n", file, st.Size()>>20, max(*runs, 1))
		fmt.Printf("%-18s %9s %9s %9s   %9s %9s %9s   %8s %8s %s\n", "", "wiretap", "CPU s", "RSS MB", "tshark", "CPU s", "RSS MB", "wall x", "CPU x", "same output")
		for _, c := range cases {
			if !strings.Contains(c.name, *only) {
				continue
			}
			w := append([]string{bin, "read", "-r", file}, c.args...)
			t := append([]string{"tshark", "-n", "-r", file, "-d", *decodeAs, "-d", "tcp.port==46684,tls"}, c.args...)
			argvs := [][]string{w, t}
			// Summaries have a second target: tcpdump's one-line output.
			if c.twoPass && have("tcpdump") {
				argvs = append(argvs, []string{"tcpdump", "-nn", "-r", file})
			}
			best, err := fastestOf(argvs, *runs)
			if err != nil {
				return err
			}
			mw, mt := best[0], best[1]
			same := sameOutput(mw, mt)
			if same != "byte-identical" && c.twoPass {
				argv := append([]string{t[0], "-2"}, t[1:]...)
				m, err := timeCommand(argv)
				if err != nil {
					return fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
				}
				if m.lines == mw.lines && m.sum == mw.sum {
					same = "byte-identical to tshark -2 (" + same + " from one pass)"
				} else {
					same += "; differs from tshark -2 too"
				}
			}
			fmt.Printf("%-18s %9.2f %9.2f %9.1f   %9.2f %9.2f %9.1f   %7.2fx %7.2fx %s\n", c.name,
				mw.wall.Seconds(), mw.cpu.Seconds(), float64(mw.rssKB)/1024,
				mt.wall.Seconds(), mt.cpu.Seconds(), float64(mt.rssKB)/1024,
				mt.wall.Seconds()/mw.wall.Seconds(), mt.cpu.Seconds()/mw.cpu.Seconds(), same)
			if len(best) > 2 {
				md := best[2]
				fmt.Printf("%-18s %9.2f %9.2f %9.1f   %9s %9s %9s   %7.2fx %7.2fx (wiretap's summaries vs tcpdump -nn -r, same runs)\n", "  tcpdump -nn -r",
					md.wall.Seconds(), md.cpu.Seconds(), float64(md.rssKB)/1024, "", "", "",
					md.wall.Seconds()/mw.wall.Seconds(), md.cpu.Seconds()/mw.cpu.Seconds())
			}
		}
	}
	fmt.Println("\ntargets: TCP-level >= 10x wall, >= 5x CPU; HTTP fields >= 6x wall, >= 3x CPU; -V >= 3x; summaries >= 4x, and >= 2x tcpdump's wall; RSS <= 150 MB")
	return nil
}

// fastestOf runs each command runs times, alternating them, and keeps for
// each the fastest wall time (with its output), the least CPU and the
// largest RSS.
func fastestOf(argvs [][]string, runs int) ([]measure, error) {
	best := make([]measure, len(argvs))
	for i := 0; i < max(runs, 1); i++ {
		for k, argv := range argvs {
			m, err := timeCommand(argv)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
			}
			b := &best[k]
			if i == 0 || m.wall < b.wall {
				b.wall, b.lines, b.sum = m.wall, m.lines, m.sum
			}
			if i == 0 || m.cpu < b.cpu {
				b.cpu = m.cpu
			}
			b.rssKB = max(b.rssKB, m.rssKB)
		}
	}
	return best, nil
}

// sameOutput says whether two runs printed the same bytes.
func sameOutput(a, b measure) string {
	switch {
	case a.lines != b.lines:
		return fmt.Sprintf("lines %d vs %d", a.lines, b.lines)
	case a.sum != b.sum:
		return fmt.Sprintf("%d lines each, bytes differ", a.lines)
	}
	return "byte-identical"
}
