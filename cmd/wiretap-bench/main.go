// Command wiretap-bench measures wiretap against tcpdump and tshark on this
// machine. It is a benchmark harness, not a test: it prints figures.
//
//	wiretap-bench capture [-duration 2s] [-max 2000000]
//	    the highest loopback packet rate wiretap and tcpdump each record with
//	    0 drops, on the same generated traffic
//	wiretap-bench dissect [-file F] [-keep F]
//	    makes a capture of 1,000,000+ packets with wiretap's demo server and
//	    client, then times wiretap, tcpdump and tshark reading it
//	wiretap-bench fields [-file F]... [-runs N]
//	    wiretap and tshark on the same files: -Y/-T fields on TCP and on
//	    HTTP, -V and summaries; wall time, CPU, RSS and the ratios
//	wiretap-bench decrypt [-file F] [-keylog K] [-runs N]
//	    wiretap and tshark reading a capture with its key log: the packet
//	    list and HTTP fields inside TLS, with ratios (issue #12's target)
//	wiretap-bench view [-file F] [-cols N] [-rows N] [-runs N] [-filter EXPR]...
//	    opens F in `wiretap view` in a pseudo-terminal: time to the first
//	    full screen, to the complete index and to the finished fast pass,
//	    the CPU time and the peak RSS; with -filter, then types each display
//	    filter and times its first match drawn and its end
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "capture":
		err = benchCapture(os.Args[2:])
	case "dissect":
		err = benchDissect(os.Args[2:])
	case "view":
		err = benchView(os.Args[2:])
	case "fields":
		err = benchFields(os.Args[2:])
	case "decrypt":
		err = benchDecrypt(os.Args[2:])
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "wiretap-bench: error: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: wiretap-bench capture|dissect|fields|decrypt|view [flags]\n")
}

// workDir makes a temporary directory with a wiretap binary built in it;
// the caller removes the directory.
func workDir() (dir, bin string, err error) {
	dir, err = os.MkdirTemp("", "wiretap-bench-")
	if err != nil {
		return "", "", err
	}
	if bin, err = buildWiretap(dir); err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, bin, nil
}

// buildWiretap compiles the wiretap binary from this module into dir.
func buildWiretap(dir string) (string, error) {
	bin := filepath.Join(dir, "wiretap")
	cmd := exec.Command("go", "build", "-o", bin, "wiretap/cmd/wiretap")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building wiretap: %v\n%s", err, out)
	}
	return bin, nil
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("wiretap-bench "+name, flag.ExitOnError)
	return fs
}

func have(tool string) bool {
	_, err := exec.LookPath(tool)
	return err == nil
}

func trimLines(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
