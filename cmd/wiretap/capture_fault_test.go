package main

// Fault tests of the capture path: a disk that fills up, a capture killed
// with SIGKILL mid-rotation, an interface deleted mid-capture. Each needs
// root (and mount or ip) and skips with the reason where they are missing.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
)

// hangGuard is how long a wiretap that should stop on its own may take
// before the test calls it hung: generous, it is no speed check.
const hangGuard = 60 * time.Second

// mountTmpfs mounts a tmpfs of size (mount's syntax, "2m") on a new
// directory and unmounts it when the test ends.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (mount -t tmpfs): %v %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// watched is a started command whose stderr is collected to the end.
type watched struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	eof    chan struct{} // closed when stderr has been read to its end
}

// startWatched starts cmd and waits until its stderr shows ready.
func startWatched(t *testing.T, cmd *exec.Cmd, ready string) *watched {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close() // the child has its copy
	w := &watched{cmd: cmd, stderr: &syncBuffer{}, eof: make(chan struct{})}
	seen := make(chan struct{})
	go func() {
		defer close(w.eof)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			w.stderr.Write(append(sc.Bytes(), '\n'))
			if !once && strings.Contains(sc.Text(), ready) {
				once = true
				close(seen)
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	select {
	case <-seen:
	case <-w.eof:
		cmd.Wait()
		t.Fatalf("%s ended without saying %q; stderr:\n%s", cmd.Path, ready, w.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not say %q; stderr:\n%s", cmd.Path, ready, w.stderr.String())
	}
	return w
}

// wait waits for the command to end on its own (failing the test as a hang
// after hangGuard) and returns its exit error and all its stderr.
func (w *watched) wait(t *testing.T) (error, string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		<-w.eof
		return err, w.stderr.String()
	case <-time.After(hangGuard):
		w.cmd.Process.Kill()
		<-done
		t.Fatalf("%s hung: still running after %v; stderr:\n%s", w.cmd.Path, hangGuard, w.stderr.String())
		return nil, ""
	}
}

// tcpLoad runs a loopback TCP server and a client that sends chunk-sized
// writes to it about once a millisecond until the returned stop is called
// (or a minute has passed), so a capture of "tcp port PORT" keeps growing.
func tcpLoad(t *testing.T, port, chunk int) (stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		buf := bytes.Repeat([]byte("wiretap fault load "), chunk/19+1)[:chunk]
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			select {
			case <-quit:
				return
			default:
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			close(quit)
			<-finished
			c.Close()
			l.Close()
		}
	}
	t.Cleanup(stop)
	return stop
}

var (
	errorLine = regexp.MustCompile(`(?m)^wiretap: error: .*$`)
	keptLine  = regexp.MustCompile(`it holds the first (\d+) packets`)
)

// oneErrorLine returns the one `wiretap: error:` line of stderr, failing the
// test if there is not exactly one.
func oneErrorLine(t *testing.T, stderr string) string {
	t.Helper()
	lines := errorLine.FindAllString(stderr, -1)
	if len(lines) != 1 {
		t.Fatalf("want exactly one `wiretap: error:` line, got %d; stderr:\n%s", len(lines), stderr)
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:") {
		t.Errorf("stderr shows a panic or a stack trace:\n%s", stderr)
	}
	return lines[0]
}

// exitCode is the status of a command that ran to its end (-1 if it was
// killed by a signal or did not run).
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// readWithWiretap checks that `wiretap read -r path` reads the file without
// an error and prints one line per packet; it returns the number of lines.
func readWithWiretap(t *testing.T, bin, path string) int {
	t.Helper()
	cmd := exec.Command(bin, "read", "-r", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("wiretap read -r %s: %v\n%s", path, err, stderr.String())
	}
	return bytes.Count(stdout.Bytes(), []byte("\n"))
}

// TestCaptureDiskFull captures loopback traffic into a 2 MiB tmpfs until it
// is full: wiretap must stop with one error line naming the file and the
// cause, exit 1, say how many packets the file holds, and leave a file that
// every reader reads to its end with exactly that many packets.
func TestCaptureDiskFull(t *testing.T) {
	needRootAnd(t)
	bin := wiretapBinary(t)
	for _, format := range []string{"pcapng", "pcap"} {
		t.Run(format, func(t *testing.T) {
			dir := mountTmpfs(t, "2m")
			file := filepath.Join(dir, "f."+format)
			port := freePorts(t, 1)[0]
			wt := startWatched(t, exec.Command(bin, "capture", "-i", "lo", "-F", format, "-w", file, fmt.Sprintf("tcp port %d", port)), "capturing on lo")
			tcpLoad(t, port, 4096)
			err, stderr := wt.wait(t)
			if code := exitCode(err); code != 1 {
				t.Fatalf("exit = %v, want status 1; stderr:\n%s", err, stderr)
			}
			line := oneErrorLine(t, stderr)
			for _, want := range []string{file, "no space left on device"} {
				if !strings.Contains(line, want) {
					t.Errorf("error line %q does not name %q", line, want)
				}
			}
			if !strings.Contains(stderr, "\nwiretap: hint: ") {
				t.Errorf("no hint; stderr:\n%s", stderr)
			}
			m := keptLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("the error does not say how many packets the file holds: %q", line)
			}
			kept, _ := strconv.Atoi(m[1])
			totals := capturedLine.FindStringSubmatch(stderr)
			if totals == nil {
				t.Fatalf("no totals; stderr:\n%s", stderr)
			}
			captured, _ := strconv.Atoi(totals[1])
			pkts := readAll(t, file) // fails the test on any read error
			if len(pkts) != kept {
				t.Errorf("the error says the file holds %d packets; it holds %d", kept, len(pkts))
			}
			if kept == 0 || kept > captured {
				t.Errorf("file holds %d packets of %d captured", kept, captured)
			}
			if n := readWithWiretap(t, bin, file); n != kept {
				t.Errorf("wiretap read -r prints %d lines for the %d packets", n, kept)
			}
			st, _ := os.Stat(file)
			t.Logf("%s: %d bytes, %d packets (%d captured); %s", filepath.Base(file), st.Size(), len(pkts), captured, line)
		})
	}
}

// TestReadWriteDiskFull copies a 3.7 MB file with `wiretap read -w` into a
// 2 MiB tmpfs: one error line, exit 1, and the copy holds the first packets
// of the original, byte for byte, and nothing torn after them.
func TestReadWriteDiskFull(t *testing.T) {
	needRootAnd(t)
	bin := wiretapBinary(t)
	big := filepath.Join(t.TempDir(), "big.pcapng")
	w, err := capture.CreatePcapng(big, capture.PcapngOptions{LinkType: layers.LinkTypeEthernet, Interface: "lo", Application: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const total = 3000
	for i := range total {
		pkt := make([]byte, 1200)
		copy(pkt[12:], []byte{0x88, 0xb5}) // local experimental EtherType
		copy(pkt[14:], fmt.Sprintf("packet %d", i))
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)*1000), CaptureLength: len(pkt), Length: len(pkt)}
		if err := w.WritePacket(ci, pkt); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	orig := readAll(t, big)
	for _, format := range []string{"pcapng", "pcap"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(mountTmpfs(t, "2m"), "out."+format)
			cmd := exec.Command(bin, "read", "-r", big, "-F", format, "-w", out)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if code := exitCode(err); code != 1 {
				t.Fatalf("exit = %v, want status 1; stderr:\n%s", err, stderr.String())
			}
			line := oneErrorLine(t, stderr.String())
			for _, want := range []string{out, "no space left on device"} {
				if !strings.Contains(line, want) {
					t.Errorf("error line %q does not name %q", line, want)
				}
			}
			m := keptLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("the error does not say how many packets the file holds: %q", line)
			}
			kept, _ := strconv.Atoi(m[1])
			pkts := readAll(t, out)
			if len(pkts) != kept || kept == 0 || kept >= total {
				t.Fatalf("the error says %d packets; the copy holds %d of %d", kept, len(pkts), total)
			}
			for i, p := range pkts {
				if !bytes.Equal(p.data, orig[i].data) || !p.ts.Equal(orig[i].ts) {
					t.Fatalf("packet %d of the copy differs from the original", i+1)
				}
			}
			if n := readWithWiretap(t, bin, out); n != kept {
				t.Errorf("wiretap read -r prints %d lines for the %d packets", n, kept)
			}
			st, _ := os.Stat(out)
			t.Logf("%s: %d bytes, %d of %d packets; %s", filepath.Base(out), st.Size(), kept, total, line)
		})
	}
}

// ringFiles lists the files of a -w DIR/rot.pcapng ring, oldest first.
func ringFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "rot_*.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names) // the 5-digit sequence number comes first
	return names
}

// ringSeq is the sequence number in a ring file's name (rot_00007_....pcapng).
func ringSeq(name string) int {
	parts := strings.Split(filepath.Base(name), "_")
	if len(parts) < 3 {
		return -1
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return -1
	}
	return n
}

// TestCaptureRotationSIGKILL kills a capture with -C 1 -W 5 by SIGKILL
// after it has rotated six times. The ring must hold at most 5 files, all
// but the last valid to their end; the last one, still open, must read up
// to its last whole packet, and hold the packets captured half a second
// before the kill (written files are flushed, not kept in a buffer).
func TestCaptureRotationSIGKILL(t *testing.T) {
	needRootAnd(t)
	bin := wiretapBinary(t)
	dir := t.TempDir()
	ports := freePorts(t, 2)
	wt := startWatched(t, exec.Command(bin, "capture", "-i", "lo", "-C", "1", "-W", "5", "-w", filepath.Join(dir, "rot.pcapng"),
		fmt.Sprintf("tcp port %d or udp port %d", ports[0], ports[1])), "capturing on lo")
	stop := tcpLoad(t, ports[0], 8192)
	for deadline := time.Now().Add(hangGuard); ; {
		if files := ringFiles(t, dir); len(files) > 0 && ringSeq(files[len(files)-1]) >= 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 7th ring file after %v: %v; stderr:\n%s", hangGuard, ringFiles(t, dir), wt.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	// Marked datagrams, then time for the capture's 100 ms flush ticker
	// to run a few times, then the kill.
	// A bound receiver: no ICMP port-unreachable refuses the next send.
	const markers = 5
	rcv, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", ports[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	c, err := net.Dial("udp", rcv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	for i := range markers {
		if _, err := fmt.Fprintf(c, "wiretap marker %d", i); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	time.Sleep(500 * time.Millisecond)
	wt.cmd.Process.Signal(syscall.SIGKILL)
	err, _ = wt.wait(t)
	if ws, ok := wt.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("wiretap was not killed by SIGKILL: %v", err)
	}

	files := ringFiles(t, dir)
	if len(files) == 0 || len(files) > 5 {
		t.Fatalf("%d ring files after -W 5: %v", len(files), files)
	}
	for i, f := range files {
		if want := ringSeq(files[len(files)-1]) - (len(files) - 1 - i); ringSeq(f) != want {
			t.Errorf("ring file %s: want sequence %d (the newest %d files)", filepath.Base(f), want, len(files))
		}
	}
	var report []string
	for _, f := range files[:len(files)-1] {
		pkts := readAll(t, f) // closed: must read to its end
		if n := readWithWiretap(t, bin, f); n != len(pkts) {
			t.Errorf("%s: wiretap read -r prints %d lines for %d packets", filepath.Base(f), n, len(pkts))
		}
		st, _ := os.Stat(f)
		report = append(report, fmt.Sprintf("%s: %d bytes, %d packets", filepath.Base(f), st.Size(), len(pkts)))
	}

	// The open file: packets up to a torn one at the very end at most.
	last := files[len(files)-1]
	src, err := capture.OpenFile(last)
	if err != nil {
		t.Fatalf("the open ring file %s does not open: %v", last, err)
	}
	defer src.Close()
	seen, got := 0, 0
	var tail error
	for {
		data, _, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			tail = err
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s: a read error other than a torn last packet: %v", last, err)
			}
			if _, _, err := src.ReadPacket(); err == nil {
				t.Errorf("%s: a packet reads after the error %v", last, tail)
			}
			break
		}
		got++
		if bytes.Contains(data, []byte("wiretap marker ")) {
			seen++
		}
	}
	st, _ := os.Stat(last)
	report = append(report, fmt.Sprintf("%s (open at the kill): %d bytes, %d packets, %d of %d markers, end: %v", filepath.Base(last), st.Size(), got, seen, markers, tail))
	t.Logf("ring after SIGKILL:\n  %s", strings.Join(report, "\n  "))
	if seen != markers {
		t.Errorf("the open file holds %d of the %d datagrams sent half a second before the kill", seen, markers)
	}
}

// ipRun runs ip with args, failing the test with its output.
func ipRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// TestCaptureInterfaceGone deletes the interface under a running capture:
// a veth pair between two network namespaces, wiretap capturing on one end
// while an HTTP client on the other end talks to a server on it. wiretap
// must stop (no hang) with one error line saying the interface went away,
// exit non-zero, and keep in its file every packet the kernel gave it.
func TestCaptureInterfaceGone(t *testing.T) {
	needRootAnd(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command (apt-get install iproute2)")
	}
	bin := wiretapBinary(t)
	id := os.Getpid() % 100000
	nsCap, nsPeer := fmt.Sprintf("wtcap%d", id), fmt.Sprintf("wtpeer%d", id)
	vethA, vethB := fmt.Sprintf("wtA%d", id), fmt.Sprintf("wtB%d", id)
	if out, err := exec.Command("ip", "netns", "add", nsCap).CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace (ip netns add): %v %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsCap).Run() })
	ipRun(t, "netns", "add", nsPeer)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsPeer).Run() })
	if out, err := exec.Command("ip", "link", "add", vethA, "netns", nsCap, "type", "veth", "peer", "name", vethB, "netns", nsPeer).CombinedOutput(); err != nil {
		t.Skipf("cannot make a veth pair: %v %s", err, bytes.TrimSpace(out))
	}
	ipRun(t, "-n", nsCap, "addr", "add", "10.213.0.1/24", "dev", vethA)
	ipRun(t, "-n", nsPeer, "addr", "add", "10.213.0.2/24", "dev", vethB)
	ipRun(t, "-n", nsCap, "link", "set", vethA, "up")
	ipRun(t, "-n", nsPeer, "link", "set", vethB, "up")

	file := filepath.Join(t.TempDir(), "gone.pcapng")
	wt := startWatched(t, exec.Command("ip", "netns", "exec", nsCap, bin, "capture", "-i", vethA, "-w", file), "capturing on "+vethA)
	startWatched(t, exec.Command("ip", "netns", "exec", nsCap, bin, "server", "--mode", "plain", "--addr", "10.213.0.1:8080"), "serving plain")
	out, err := exec.Command("ip", "netns", "exec", nsPeer, bin, "client", "--mode", "plain", "--repeat", "5", "http://10.213.0.1:8080/").CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	ipRun(t, "-n", nsCap, "link", "del", vethA) // right away: packets may still sit in an open ring block

	err, stderr := wt.wait(t)
	if code := exitCode(err); code <= 0 {
		t.Fatalf("exit = %v, want a non-zero status; stderr:\n%s", err, stderr)
	}
	line := oneErrorLine(t, stderr)
	if want := "wiretap: error: capture: interface " + vethA + " went away"; !strings.HasPrefix(line, want) {
		t.Errorf("error line %q, want it to start %q", line, want)
	}
	totals := capturedLine.FindStringSubmatch(stderr)
	if totals == nil {
		t.Fatalf("no totals; stderr:\n%s", stderr)
	}
	captured, _ := strconv.Atoi(totals[1])
	received, _ := strconv.Atoi(totals[2])
	dropped, _ := strconv.Atoi(totals[3])
	pkts := readAll(t, file)
	t.Logf("%d captured, %d received by filter, %d dropped; %s: %d packets; stderr:\n%s", captured, received, dropped, filepath.Base(file), len(pkts), stderr)
	if len(pkts) != captured {
		t.Errorf("wiretap says %d captured, the file holds %d", captured, len(pkts))
	}
	// The client's 5 requests are 5 packets towards the server at least.
	if captured < 5 || captured != received-dropped {
		t.Errorf("%d packets captured of %d the kernel passed (%d dropped): the ones in the ring were lost", captured, received, dropped)
	}
	if n := readWithWiretap(t, bin, file); n != len(pkts) {
		t.Errorf("wiretap read -r prints %d lines for %d packets", n, len(pkts))
	}
}
