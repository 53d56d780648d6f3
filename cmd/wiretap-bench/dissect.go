package main

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// benchDissect makes a large loopback capture with wiretap's own demo
// server and client, then times wiretap, tcpdump and tshark reading it.
func benchDissect(args []string) error {
	fs := newFlagSet("dissect")
	file := fs.String("file", "", "use this capture instead of making one")
	keep := fs.String("keep", "", "save the capture made here to this path")
	keepAlive := fs.Int("keepalive", 300_000, "plaintext requests over keep-alive connections")
	oneShot := fs.Int("oneshot", 40_000, "plaintext requests with one connection each")
	https := fs.Int("https", 25_000, "HTTPS requests over keep-alive connections")
	httpsOneShot := fs.Int("https-oneshot", 0, "HTTPS requests with one connection (and TLS handshake) each")
	keyLog := fs.String("keylog", "", "the HTTPS clients write their TLS secrets to this key log (for wiretap-bench decrypt)")
	repeat := fs.Int("runs", 3, "run each command this many times and keep the fastest (noise only slows)")
	fs.Parse(args)

	dir, bin, err := workDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	capFile := *file
	if capFile == "" {
		if os.Geteuid() != 0 {
			return fmt.Errorf("making the capture needs root (or pass -file)")
		}
		capFile = filepath.Join(dir, "big.pcapng")
		if *keep != "" {
			capFile = *keep
		}
		if err := makeCapture(bin, dir, capFile, *keepAlive, *oneShot, *https, *httpsOneShot, *keyLog); err != nil {
			return err
		}
	}
	st, _ := os.Stat(capFile)
	fmt.Printf("capture: %s (%d MB)\n", capFile, st.Size()>>20)

	type run struct {
		name string
		argv []string
	}
	runs := []run{
		{"wiretap read -q -z conv,tcp", []string{bin, "read", "-r", capFile, "-q", "-z", "conv,tcp"}},
		{"wiretap read (summaries)", []string{bin, "read", "-r", capFile}},
	}
	if have("tcpdump") {
		runs = append(runs, run{"tcpdump -nn -r", []string{"tcpdump", "-nn", "-r", capFile}})
	}
	if have("tshark") {
		runs = append(runs,
			run{"tshark -n -r (summaries)", []string{"tshark", "-n", "-r", capFile}},
			run{"tshark -n -q -z conv,tcp", []string{"tshark", "-n", "-q", "-r", capFile, "-z", "conv,tcp"}})
	}
	results := map[string]measure{}
	fmt.Printf("\n%-30s %10s %12s %10s   (fastest of %d runs; largest RSS)\n", "command (output counted, discarded)", "wall s", "peak RSS MB", "lines", max(*repeat, 1))
	for _, r := range runs {
		var m measure
		var err error
		for i := 0; i < max(*repeat, 1) && err == nil; i++ {
			var mi measure
			mi, err = timeCommand(r.argv)
			if i == 0 || mi.wall < m.wall {
				m.wall, m.lines = mi.wall, mi.lines
			}
			m.rssKB = max(m.rssKB, mi.rssKB)
		}
		if err != nil {
			fmt.Printf("%-30s failed: %v\n", r.name, err)
			continue
		}
		results[r.name] = m
		fmt.Printf("%-30s %10.2f %12.1f %10d\n", r.name, m.wall.Seconds(), float64(m.rssKB)/1024, m.lines)
	}
	ratio := func(a, b string) {
		ma, okA := results[a]
		mb, okB := results[b]
		if okA && okB {
			fmt.Printf("%-58s %6.2fx time  %6.2fx RSS\n", b+" / "+a, mb.wall.Seconds()/ma.wall.Seconds(), float64(mb.rssKB)/float64(ma.rssKB))
		}
	}
	fmt.Println()
	ratio("wiretap read -q -z conv,tcp", "tcpdump -nn -r")
	ratio("wiretap read -q -z conv,tcp", "tshark -n -q -z conv,tcp")
	ratio("wiretap read (summaries)", "tshark -n -r (summaries)")
	ratio("wiretap read (summaries)", "tcpdump -nn -r")
	fmt.Println("targets: wiretap full dissection no slower than tcpdump; >= 10x faster than tshark; peak RSS <= 150 MB")
	return nil
}

type measure struct {
	wall  time.Duration
	cpu   time.Duration // user + system
	rssKB int64
	lines int
	sum   uint64 // a hash of the output (outputSeed)
}

// outputSeed seeds the outputs' hashes: one for the run, so that two
// commands' outputs compare. maphash, not SHA-256: the reader shares the
// two cores with the tool it times, and -V prints gigabytes.
var outputSeed = maphash.MakeSeed()

// timeCommand runs argv with stdout counted and discarded, and reports the
// wall time and the child's peak resident set size.
func timeCommand(argv []string) (measure, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return measure{}, err
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measure{}, err
	}
	lines := 0
	br := bufio.NewReaderSize(out, 1<<20)
	buf := make([]byte, 1<<20)
	var h maphash.Hash
	h.SetSeed(outputSeed)
	for {
		n, err := br.Read(buf)
		h.Write(buf[:n])
		// bytes.Count, not a loop over bytes: the reader shares the
		// machine with the tool it times.
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if err != nil {
			break
		}
	}
	err = cmd.Wait()
	m := measure{wall: time.Since(start), lines: lines}
	m.sum = h.Sum64()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssKB = ru.Maxrss
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return m, err
}

// makeCapture records the demo servers under load: keep-alive and
// one-connection-per-request plaintext, and HTTPS.
func makeCapture(bin, dir, capFile string, keepAlive, oneShot, https, httpsOneShot int, keyLog string) error {
	ports := []int{46683, 46684}
	filter := fmt.Sprintf("tcp port %d or tcp port %d", ports[0], ports[1])
	capCmd := exec.Command(bin, "capture", "-q", "-i", "lo", "-w", capFile, filter)
	stderr, _ := capCmd.StderrPipe()
	if err := capCmd.Start(); err != nil {
		return err
	}
	ready := make(chan struct{})
	var capLog strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			capLog.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "capturing on") {
				once = true
				close(ready)
			}
		}
	}()
	<-ready
	// Whatever fails below, the capture stops: left running it would go on
	// writing the file the next run makes.
	stopped := false
	defer func() {
		if !stopped {
			capCmd.Process.Signal(syscall.SIGINT)
			capCmd.Wait()
		}
	}()
	pkiDir := filepath.Join(dir, "pki")
	if out, err := exec.Command(bin, "pki", "init", pkiDir).CombinedOutput(); err != nil {
		return fmt.Errorf("pki init: %v\n%s", err, out)
	}
	plain := exec.Command(bin, "server", "--mode", "plain", "--addr", fmt.Sprintf("127.0.0.1:%d", ports[0]))
	tls := exec.Command(bin, "server", "--mode", "https", "--addr", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--cert", filepath.Join(pkiDir, "server-public-key.pem"), "--key", filepath.Join(pkiDir, "server-private-key.pem"))
	for _, s := range []*exec.Cmd{plain, tls} {
		if err := s.Start(); err != nil {
			return err
		}
		defer func(s *exec.Cmd) { s.Process.Signal(syscall.SIGTERM); s.Wait() }(s)
	}
	clients := [][]string{
		{"client", "--mode", "plain", "--wait", "5s", "--repeat", fmt.Sprint(keepAlive), "--parallel", "8", fmt.Sprintf("http://127.0.0.1:%d/", ports[0])},
		{"client", "--mode", "plain", "--new-conn", "--repeat", fmt.Sprint(oneShot), "--parallel", "8", fmt.Sprintf("http://127.0.0.1:%d/", ports[0])},
		{"client", "--mode", "https", "--wait", "5s", "--cacert", filepath.Join(pkiDir, "ca-public-key.pem"), "--repeat", fmt.Sprint(https), "--parallel", "8", fmt.Sprintf("https://localhost:%d/", ports[1])},
	}
	for i := len(clients) - 1; i >= 0; i-- {
		for k, a := range clients[i] {
			if a == "--repeat" && clients[i][k+1] == "0" {
				clients = append(clients[:i], clients[i+1:]...) // none asked for
				break
			}
		}
	}
	if httpsOneShot > 0 {
		clients = append(clients, []string{"client", "--mode", "https", "--new-conn", "--cacert", filepath.Join(pkiDir, "ca-public-key.pem"), "--repeat", fmt.Sprint(httpsOneShot), "--parallel", "8", fmt.Sprintf("https://localhost:%d/", ports[1])})
	}
	if keyLog != "" {
		for i, c := range clients {
			if c[2] == "https" {
				clients[i] = append(append(append([]string{}, c[:len(c)-1]...), "--keylog", keyLog), c[len(c)-1])
			}
		}
	}
	for _, c := range clients {
		start := time.Now()
		out, err := exec.Command(bin, c...).CombinedOutput()
		fmt.Printf("load: wiretap %s\n      %s (%.1fs)\n", strings.Join(c, " "), strings.TrimSpace(string(out)), time.Since(start).Seconds())
		if err != nil {
			return fmt.Errorf("client: %v", err)
		}
	}
	time.Sleep(time.Second)
	capCmd.Process.Signal(syscall.SIGINT)
	capCmd.Wait()
	stopped = true
	fmt.Print(capLog.String())
	return nil
}
