package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"wiretap/capture"
)

func needRootAnd(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CI runs the tests as root)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install %s): skipping", tool, map[string]string{"capinfos": "tshark"}[tool]+tool)
		}
	}
}

// startAndWait starts cmd and waits until its stderr shows ready, returning
// a buffer that keeps collecting the rest of stderr.
func startAndWait(t *testing.T, cmd *exec.Cmd, ready string) *syncBuffer {
	t.Helper()
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := &syncBuffer{}
	seen := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			buf.Write(append(sc.Bytes(), '\n'))
			if !once && strings.Contains(sc.Text(), ready) {
				once = true
				close(seen)
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); pw.Close() })
	select {
	case <-seen:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not say %q; stderr:\n%s", cmd.Path, ready, buf.String())
	}
	return buf
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuffer) lock() {
	if b.mu == nil {
		b.mu = make(chan struct{}, 1)
	}
	b.mu <- struct{}{}
}
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.lock(); defer func() { <-b.mu }(); return b.buf.String() }

type packet struct {
	ts   time.Time
	data []byte
}

func readAll(t *testing.T, path string) []packet {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var pkts []packet
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			return pkts
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		pkts = append(pkts, packet{ci.Timestamp, append([]byte(nil), data...)})
	}
}

var capturedLine = regexp.MustCompile(`(?m)^(\d+) packets captured\n(\d+) packets received by filter\n(\d+) packets dropped by kernel$`)

// TestCaptureMatchesTcpdump records the same load with wiretap and tcpdump
// side by side: the files must hold the same packets, byte for byte.
func TestCaptureMatchesTcpdump(t *testing.T) {
	needRootAnd(t, "tcpdump")
	bin := wiretapBinary(t)
	dir := t.TempDir()
	port := freePorts(t, 1)[0]
	filter := fmt.Sprintf("tcp port %d", port)
	a, b := filepath.Join(dir, "a.pcapng"), filepath.Join(dir, "b.pcap")

	wt := exec.Command(bin, "capture", "-i", "lo", "-f", filter, "-w", a)
	wtErr := startAndWait(t, wt, "capturing on lo")
	td := exec.Command("tcpdump", "-i", "lo", "-w", b, filter)
	tdErr := startAndWait(t, td, "listening on lo")

	srv := exec.Command(bin, "server", "--mode", "plain", "--addr", fmt.Sprintf("127.0.0.1:%d", port))
	startAndWait(t, srv, "serving plain")
	out, err := exec.Command(bin, "client", "--mode", "plain", "--repeat", "20000", "--parallel", "8",
		fmt.Sprintf("http://127.0.0.1:%d/", port)).CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	t.Logf("client: %s", bytes.TrimSpace(out))
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	// tcpdump (libpcap) hands a ring block over only when it fills or its
	// 1 s timeout passes, and does not drain on SIGINT: give it that second.
	time.Sleep(2 * time.Second)
	wt.Process.Signal(syscall.SIGINT)
	td.Process.Signal(syscall.SIGINT)
	if err := wt.Wait(); err != nil {
		t.Fatalf("wiretap capture: %v\n%s", err, wtErr.String())
	}
	td.Wait()

	m := capturedLine.FindStringSubmatch(wtErr.String())
	if m == nil {
		t.Fatalf("wiretap printed no totals:\n%s", wtErr.String())
	}
	t.Logf("wiretap: %s captured, %s received by filter, %s dropped; tcpdump: %s", m[1], m[2], m[3],
		strings.Join(strings.Fields(strings.ReplaceAll(tdErr.String(), "\n", " ; ")), " "))
	if m[3] != "0" {
		t.Errorf("wiretap: %s packets dropped by kernel", m[3])
	}
	pa, pb := readAll(t, a), readAll(t, b)
	if strconv.Itoa(len(pa)) != m[1] {
		t.Errorf("wiretap says %s captured, its file holds %d", m[1], len(pa))
	}
	if len(pa) != len(pb) {
		t.Fatalf("wiretap recorded %d packets, tcpdump %d", len(pa), len(pb))
	}
	if len(pa) == 0 {
		t.Fatal("compared nothing: neither capture holds a packet")
	}
	// Two packet sockets can see packets handled on different CPUs in a
	// slightly different order, and each socket stamps the time when it
	// receives a packet. So: in capture order the files must match packet
	// by packet except for such local swaps, and as wholes they must hold
	// exactly the same packets, byte for byte.
	reordered := 0
	count := map[string]int{}
	for i := range pa {
		if !bytes.Equal(pa[i].data, pb[i].data) {
			reordered++
		}
		count[string(pa[i].data)]++
		count[string(pb[i].data)]--
	}
	diff := 0
	for _, c := range count {
		if c != 0 {
			diff += max(c, -c)
		}
	}
	if diff > 0 {
		t.Errorf("%d packets are in one file and not the other", diff)
	}
	if reordered > len(pa)/100 {
		t.Errorf("%d of %d packets are at other positions: more than CPU interleaving explains", reordered, len(pa))
	}
	t.Logf("%d packets in each file; %d at swapped positions (CPU interleaving)", len(pa), reordered)
	t.Logf("the same %d packets, byte for byte", len(pa))
}

// TestCaptureSIGINTUnderLoad stops a capture with SIGINT while a sender
// floods lo at about 50,000 packets/s: the file must be valid and hold
// exactly the count wiretap printed.
func TestCaptureSIGINTUnderLoad(t *testing.T) {
	needRootAnd(t, "capinfos")
	bin := wiretapBinary(t)
	dir := t.TempDir()
	port := freePorts(t, 1)[0]
	file := filepath.Join(dir, "flood.pcapng")
	wt := exec.Command(bin, "capture", "-i", "lo", "-w", file, fmt.Sprintf("udp dst port %d", port))
	wtErr := startAndWait(t, wt, "capturing on lo")

	stop := make(chan struct{})
	sent := make(chan int)
	go func() { sent <- floodUDP(port, 50_000, stop) }()
	time.Sleep(1500 * time.Millisecond)
	wt.Process.Signal(syscall.SIGINT) // mid-flood
	err := wt.Wait()
	close(stop)
	n := <-sent
	if err != nil {
		t.Fatalf("wiretap capture: %v\n%s", err, wtErr.String())
	}
	m := capturedLine.FindStringSubmatch(wtErr.String())
	if m == nil {
		t.Fatalf("wiretap printed no totals:\n%s", wtErr.String())
	}
	out, err := exec.Command("capinfos", "-c", "-M", file).CombinedOutput()
	if err != nil {
		t.Fatalf("capinfos rejects the file: %v\n%s", err, out)
	}
	cm := regexp.MustCompile(`Number of packets:\s+(\d+)`).FindStringSubmatch(string(out))
	if cm == nil || cm[1] != m[1] {
		t.Fatalf("capinfos counts %v, wiretap printed %s captured\n%s", cm, m[1], out)
	}
	t.Logf("sent %d datagrams; wiretap: %s captured, %s received by filter, %s dropped; capinfos: %s", n, m[1], m[2], m[3], cm[1])
	if c, _ := strconv.Atoi(m[1]); c < 10_000 {
		t.Errorf("only %d packets captured in 1.5 s of a 50,000/s flood", c)
	}
}

// floodUDP sends small datagrams to 127.0.0.1:port at about rate per second
// until stop closes, and returns how many it sent. Bounded: loopback only.
func floodUDP(port, rate int, stop <-chan struct{}) int {
	// A bound receiver that never reads: no ICMP port-unreachable replies,
	// and the kernel simply drops what overflows its buffer.
	if l, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		defer l.Close()
	}
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return 0
	}
	defer c.Close()
	payload := []byte("wiretap flood test")
	n := 0
	start := time.Now()
	for {
		select {
		case <-stop:
			return n
		default:
		}
		if time.Since(start) > 10*time.Second {
			return n
		}
		// Send in bursts of 500, pacing to the rate.
		for range 500 {
			c.Write(payload)
			n++
		}
		if ahead := time.Duration(n)*time.Second/time.Duration(rate) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
}

// TestCaptureErrors checks the messages of faults that need root to set up:
// a user without capture privilege, and an interface that is down.
func TestCaptureErrors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run as nobody and to make an interface")
	}
	bin := wiretapBinary(t)
	t.Run("no privilege", func(t *testing.T) {
		cmd := exec.Command(bin, "capture", "-i", "lo", "-c", "1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("exit = %v, want 2; stderr:\n%s", err, stderr.String())
		}
		want := "wiretap: error: capture: capturing on lo needs root or CAP_NET_RAW\nwiretap: hint: "
		if !strings.HasPrefix(stderr.String(), want) {
			t.Errorf("stderr = %q, want it to start %q", stderr.String(), want)
		}
	})
	t.Run("interface down", func(t *testing.T) {
		if _, err := exec.LookPath("ip"); err != nil {
			t.Skip("no ip command (apt-get install iproute2)")
		}
		name := fmt.Sprintf("wtdown%d", os.Getpid()%1000)
		if out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").CombinedOutput(); err != nil {
			t.Skipf("cannot make a veth interface: %v %s", err, out)
		}
		defer exec.Command("ip", "link", "del", name).Run()
		out, err := exec.Command(bin, "capture", "-i", name, "-c", "1").CombinedOutput()
		if err == nil {
			t.Fatal("capture on a down interface succeeded")
		}
		if !strings.Contains(string(out), "wiretap: error: capture: interface "+name+" is down\nwiretap: hint: ip link set "+name+" up") {
			t.Errorf("output = %q", out)
		}
	})
}
