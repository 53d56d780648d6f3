//go:build linux

package capture

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for AF_PACKET: run the tests as root (go test -exec sudo ./capture)")
	}
}

// noise is TCP traffic on 127.0.0.1 on a port the captures do not ask for:
// a client sending small messages to an echo server in a loop.
type noise struct {
	port uint16
	msgs atomic.Int64
}

// startNoise starts the traffic and waits until it flows. pause is the
// client's pause between messages (0: as fast as it goes).
func startNoise(t *testing.T, pause time.Duration) *noise {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nz := &noise{port: uint16(ln.Addr().(*net.TCPAddr).Port)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		defer wg.Done()
		buf := make([]byte, 6)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Write([]byte("noise\n")); err != nil {
				return
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			nz.msgs.Add(1)
			if pause > 0 {
				time.Sleep(pause)
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		c.Close()
		ln.Close()
		wg.Wait()
	})
	for deadline := time.Now().Add(5 * time.Second); nz.msgs.Load() < 10; {
		if time.Now().After(deadline) {
			t.Fatal("noise traffic does not flow")
		}
		time.Sleep(time.Millisecond)
	}
	return nz
}

// freePort returns a TCP port nothing listens on (nor, in these tests,
// sends to).
func freePort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// memWriter is a PacketWriter keeping packets in memory.
type memWriter struct {
	mu   sync.Mutex
	pkts []testPacket
}

func (m *memWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pkts = append(m.pkts, testPacket{ci: ci, data: data})
	return nil
}

func (m *memWriter) Close() error { return nil }

type recordResult struct {
	st  Stats
	err error
}

func TestLiveCapture(t *testing.T) {
	needRoot(t)
	nz := startNoise(t, time.Millisecond) // runs before OpenLive and throughout

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)

	l, err := OpenLive(LiveOptions{Filter: TCPPortsFilter(port)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.LinkType() != layers.LinkTypeEthernet || l.Interface() != "lo" || l.SnapLen() != 262144 {
		t.Errorf("LinkType %v, Interface %q, SnapLen %d", l.LinkType(), l.Interface(), l.SnapLen())
	}

	var out bytes.Buffer
	w, err := NewPcapngWriter(&out, PcapngOptions{
		LinkType: l.LinkType(), SnapLen: l.SnapLen(), Interface: l.Interface(),
		Application: "wiretap test", Filter: fmt.Sprintf("tcp port %d", port),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan recordResult, 1)
	var printed atomic.Int64
	go func() {
		st, err := Record(ctx, l, w, 0, func(n int, ci gopacket.CaptureInfo, data []byte) {
			if int64(n) != printed.Load()+1 || len(data) != ci.CaptureLength {
				t.Errorf("onPacket(%d, %d bytes) after %d", n, len(data), printed.Load())
			}
			printed.Store(int64(n))
		})
		res <- recordResult{st, err}
	}()
	noiseBefore := nz.msgs.Load()

	// The conversation: small messages and one of 200 kB, each echoed.
	msgs := [][]byte{[]byte("hello 1\n"), []byte("hello 2\n"), bytes.Repeat([]byte("0123456789"), 20000), []byte("bye\n")}
	var sent []byte
	for _, m := range msgs {
		sent = append(sent, m...)
	}
	srvDone := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvDone <- nil
			return
		}
		var got bytes.Buffer
		io.Copy(io.MultiWriter(c, &got), c)
		c.Close()
		srvDone <- got.Bytes()
	}()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	clientPort := uint16(c.LocalAddr().(*net.TCPAddr).Port)
	for _, m := range msgs {
		if _, err := c.Write(m); err != nil {
			t.Fatal(err)
		}
		back := make([]byte, len(m))
		if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, m) {
			t.Fatalf("echo: %v", err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	if _, err := io.Copy(io.Discard, c); err != nil { // until the server's FIN
		t.Fatal(err)
	}
	c.Close()
	if got := <-srvDone; !bytes.Equal(got, sent) {
		t.Fatalf("server received %d bytes, want %d", len(got), len(sent))
	}
	mid, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	cancel() // Record drains what the ring holds, so nothing is lost
	r := <-res
	noiseDuring := nz.msgs.Load() - noiseBefore
	if r.err != nil {
		t.Fatalf("Record: %v", r.err)
	}
	w.SetStats(r.st)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if noiseDuring == 0 {
		t.Errorf("no noise traffic during the capture; the test proves less than it should")
	}
	t.Logf("stats %+v (mid-capture %+v); %d noise messages during the capture", r.st, mid, noiseDuring)

	src, err := NewReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	type seg struct {
		tcp  *layers.TCP
		data []byte
		ci   gopacket.CaptureInfo
	}
	var segs []seg
	seen := map[string]int{}
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data = append([]byte(nil), data...)
		n := len(segs) + 1
		if seen[string(data)] > 0 {
			t.Errorf("packet %d duplicates packet %d", n, seen[string(data)])
		}
		seen[string(data)] = n
		if ci.CaptureLength != ci.Length {
			t.Errorf("packet %d cut: %d of %d bytes", n, ci.CaptureLength, ci.Length)
		}
		pkt := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.Default)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil {
			t.Errorf("packet %d is not TCP: %v", n, pkt)
			continue
		}
		ok := tcp.SrcPort == layers.TCPPort(port) && tcp.DstPort == layers.TCPPort(clientPort) ||
			tcp.DstPort == layers.TCPPort(port) && tcp.SrcPort == layers.TCPPort(clientPort)
		if !ok {
			t.Errorf("packet %d outside the conversation: %v → %v (noise port %d)", n, tcp.SrcPort, tcp.DstPort, nz.port)
		}
		segs = append(segs, seg{tcp, data, ci})
	}

	if len(segs) < 3 {
		t.Fatalf("only %d packets", len(segs))
	}
	toServer := func(s seg) bool { return s.tcp.DstPort == layers.TCPPort(port) }
	if s := segs[0]; !(s.tcp.SYN && !s.tcp.ACK && toServer(s)) {
		t.Errorf("packet 1 is not the SYN: %+v", s.tcp)
	}
	if s := segs[1]; !(s.tcp.SYN && s.tcp.ACK && !toServer(s)) {
		t.Errorf("packet 2 is not the SYN-ACK: %+v", s.tcp)
	}
	if s := segs[2]; !(s.tcp.ACK && !s.tcp.SYN && toServer(s)) {
		t.Errorf("packet 3 is not the ACK: %+v", s.tcp)
	}
	var syns, fins int
	var up, down []byte
	maxLen := 0
	for _, s := range segs {
		if s.tcp.SYN {
			syns++
		}
		if s.tcp.FIN {
			fins++
		}
		if toServer(s) {
			up = append(up, s.tcp.Payload...)
		} else {
			down = append(down, s.tcp.Payload...)
		}
		maxLen = max(maxLen, s.ci.CaptureLength)
	}
	if syns != 2 || fins != 2 {
		t.Errorf("%d SYNs and %d FINs, want 2 and 2", syns, fins)
	}
	// Every byte once, in order: no duplicate and no lost segment.
	if !bytes.Equal(up, sent) || !bytes.Equal(down, sent) {
		t.Errorf("payload to server %d bytes, to client %d bytes; want %d each", len(up), len(down), len(sent))
	}
	if maxLen <= 16384 {
		t.Errorf("largest packet %d bytes; lo should carry segments of up to 64 KiB", maxLen)
	}

	if r.st.Dropped != 0 {
		t.Errorf("kernel dropped %d packets", r.st.Dropped)
	}
	if r.st.Captured != uint64(len(segs)) || printed.Load() != int64(len(segs)) {
		t.Errorf("Captured %d, onPacket %d, packets in file %d", r.st.Captured, printed.Load(), len(segs))
	}
	// PACKET_STATISTICS resets on each read; Stats must accumulate.
	if r.st.Received != r.st.Captured || mid.Received == 0 || mid.Received > r.st.Received {
		t.Errorf("Received %d (mid-capture %d), Captured %d", r.st.Received, mid.Received, r.st.Captured)
	}
	if after, err := l.Stats(); err != nil || after.Received != r.st.Received {
		t.Errorf("Stats after Record: %+v, %v", after, err)
	}
}

// Opening captures while unrelated traffic flows at full speed: nothing that
// was on the wire before the filter was attached may show up.
func TestLiveNoPacketsBeforeFilter(t *testing.T) {
	needRoot(t)
	startNoise(t, 0)
	port := freePort(t)
	for i := 0; i < 8; i++ {
		l, err := OpenLive(LiveOptions{Filter: TCPPortsFilter(port)})
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := l.ReadPacket()
		if err == nil {
			pkt := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.Default)
			t.Errorf("round %d: captured a packet outside the filter: %v", i, pkt)
		} else if !errors.Is(err, ErrTimeout) {
			t.Errorf("round %d: %v", i, err)
		}
		st, err := l.Stats()
		if err != nil || st.Received != 0 {
			t.Errorf("round %d: stats %+v, %v", i, st, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Without a filter every packet on lo is captured once, not twice.
func TestLiveNoFilterNoDuplicates(t *testing.T) {
	needRoot(t)
	nz := startNoise(t, time.Millisecond)
	l, err := OpenLive(LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Other tests may flood lo at the same time, so stop on enough noise
	// packets (or a generous timeout), not on a packet count.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var m memWriter
	noise := 0
	st, err := Record(ctx, l, &m, 0, func(n int, ci gopacket.CaptureInfo, data []byte) {
		pkt := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.NoCopy)
		if tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); tcp != nil &&
			(tcp.SrcPort == layers.TCPPort(nz.port) || tcp.DstPort == layers.TCPPort(nz.port)) {
			if noise++; noise >= 40 {
				cancel()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Captured != uint64(len(m.pkts)) {
		t.Fatalf("captured %d packets, stats %+v", len(m.pkts), st)
	}
	// Only the noise conversation is checked: other tests running at the
	// same time may legitimately send the same bytes twice.
	seen := map[string]int{}
	for i, p := range m.pkts {
		if p.ci.InterfaceIndex != 0 {
			t.Errorf("packet %d: InterfaceIndex %d, want 0", i+1, p.ci.InterfaceIndex)
		}
		pkt := gopacket.NewPacket(p.data, layers.LinkTypeEthernet, gopacket.Default)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil || (tcp.SrcPort != layers.TCPPort(nz.port) && tcp.DstPort != layers.TCPPort(nz.port)) {
			continue
		}
		if j, dup := seen[string(p.data)]; dup {
			t.Errorf("packet %d duplicates packet %d", i+1, j)
		}
		seen[string(p.data)] = i + 1
	}
	if len(seen) < 20 {
		t.Errorf("only %d noise packets captured", len(seen))
	}
}

func TestLiveSnapLen(t *testing.T) {
	needRoot(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	l, err := OpenLive(LiveOptions{SnapLen: 100, Filter: TCPPortsFilter(port)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var m memWriter
	st, err := Record(ctx, l, &m, 4, nil) // SYN, SYN-ACK, ACK, data
	if err != nil || st.Captured != 4 || len(m.pkts) != 4 {
		t.Fatalf("Record: %+v, %v, %d packets", st, err, len(m.pkts))
	}
	last := m.pkts[3]
	if len(last.data) != 100 || last.ci.CaptureLength != 100 || last.ci.Length <= 5000 {
		t.Errorf("data packet: %d bytes, ci %d/%d; want 100 of more than 5000", len(last.data), last.ci.CaptureLength, last.ci.Length)
	}
}

func TestLiveClose(t *testing.T) {
	needRoot(t)
	l, err := OpenLive(LiveOptions{Filter: TCPPortsFilter()}) // matches nothing
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		for {
			if _, _, err := l.ReadPacket(); !errors.Is(err, ErrTimeout) {
				errc <- err
				return
			}
		}
	}()
	rec := make(chan recordResult, 1)
	go func() {
		st, err := Record(context.Background(), l, &memWriter{}, 0, nil)
		rec <- recordResult{st, err}
	}()
	time.Sleep(150 * time.Millisecond) // a poll timeout or so
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan error{errc} {
		select {
		case err := <-ch:
			if err != io.EOF {
				t.Errorf("ReadPacket during Close: %v, want io.EOF", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("ReadPacket still blocked after Close")
		}
	}
	select {
	case r := <-rec:
		if r.err != nil {
			t.Errorf("Record after Close: %v", r.err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Record still running after Close")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v to unblock readers", d)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := l.ReadPacket(); err != io.EOF {
		t.Errorf("ReadPacket after Close: %v", err)
	}
	if _, err := l.Stats(); err != nil {
		t.Errorf("Stats after Close: %v", err)
	}
}

func TestOpenLiveErrors(t *testing.T) {
	_, err := OpenLive(LiveOptions{Interface: "nosuch0"})
	var ce *InterfaceError
	if !errors.Is(err, ErrNoSuchInterface) || !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	if err.Error() != "capture: no interface named nosuch0" {
		t.Errorf("message %q", err)
	}
	// The hint wiretap builds from these facts is checked in cmd/wiretap
	// (TestCaptureAdvice).
	if ce.Interface != "nosuch0" {
		t.Errorf("Interface = %q", ce.Interface)
	}
	if names := InterfaceNames(); !slices.Contains(names, "lo") || names[0] != "lo" {
		t.Errorf("InterfaceNames() = %q, want lo first", names)
	}

	_, err = OpenLive(LiveOptions{SnapLen: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), "snap length") {
		t.Errorf("huge snap length: %v", err)
	}

	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp != 0 {
			continue
		}
		_, err := OpenLive(LiveOptions{Interface: ifc.Name})
		if !errors.Is(err, ErrInterfaceDown) || !errors.As(err, &ce) {
			t.Fatalf("down interface %s: %v", ifc.Name, err)
		}
		if err.Error() != "capture: interface "+ifc.Name+" is down" || ce.Interface != ifc.Name {
			t.Errorf("message %q, interface %q", err, ce.Interface)
		}
		return
	}
	t.Log("no interface is down here; not testing that error")
}

const permissionHelperEnv = "WIRETAP_CAPTURE_PERMISSION_HELPER"

// TestPermissionHelper runs in a child process as user nobody (see
// TestPermission) and reports what OpenLive returned.
func TestPermissionHelper(t *testing.T) {
	if os.Getenv(permissionHelperEnv) != "1" {
		t.Skip("helper process for TestPermission")
	}
	l, err := OpenLive(LiveOptions{})
	if err == nil {
		l.Close()
		fmt.Println("RESULT opened")
		return
	}
	var ce *InterfaceError
	fmt.Printf("RESULT is=%v as=%v\nMSG %s\n", errors.Is(err, ErrPermission), errors.As(err, &ce), err)
}

func TestPermission(t *testing.T) {
	const wantMsg = "capture: capturing on lo needs root or CAP_NET_RAW"
	var out string
	if os.Geteuid() != 0 {
		// Unprivileged already: ask directly.
		l, err := OpenLive(LiveOptions{})
		if err == nil {
			l.Close()
			t.Skip("this unprivileged process has CAP_NET_RAW")
		}
		var ce *InterfaceError
		if !errors.Is(err, ErrPermission) || !errors.As(err, &ce) {
			t.Fatalf("err = %v", err)
		}
		out = fmt.Sprintf("RESULT is=true as=true\nMSG %s\n", err)
	} else {
		// Run this test binary's helper as nobody. The binary lives in
		// a directory only root can enter, so copy it somewhere nobody
		// can run it from.
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "wiretap-permission-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "capture.test")
		b, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run=^TestPermissionHelper$")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), permissionHelperEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
		o, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper as nobody: %v\n%s", err, o)
		}
		out = string(o)
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && (k == "RESULT" || k == "MSG") {
			fields[k] = v
		}
	}
	// The hint and exit status wiretap gives for it are checked in
	// cmd/wiretap (TestCaptureAdvice, TestCaptureErrors).
	if fields["RESULT"] != "is=true as=true" || fields["MSG"] != wantMsg {
		t.Errorf("helper output:\n%s\nwant errors.Is(err, ErrPermission), an *InterfaceError, %q", out, wantMsg)
	}
}
