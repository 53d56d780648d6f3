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
	"time"

	"golang.org/x/net/ipv4"
)

// benchCapture finds, for wiretap and tcpdump in turn, the highest rate of
// loopback UDP packets each records with no packet dropped or missing. Both
// see the same traffic: a sender pacing batches of datagrams (sendmmsg) at
// the trial's rate for the trial's duration.
func benchCapture(args []string) error {
	fs := newFlagSet("capture")
	duration := fs.Duration("duration", 2*time.Second, "traffic per trial")
	maxRate := fs.Int("max", 2_000_000, "highest rate to try, packets/s")
	size := fs.Int("size", 64, "UDP payload bytes")
	fs.Parse(args)
	if os.Geteuid() != 0 {
		return fmt.Errorf("live capture needs root")
	}
	dir, bin, err := workDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	port := 47000 + os.Getpid()%1000

	tools := []captureTool{{
		name: "wiretap", ready: "capturing on lo",
		cmd: func(out string) *exec.Cmd {
			return exec.Command(bin, "capture", "-q", "-i", "lo", "-w", out, fmt.Sprintf("udp dst port %d", port))
		},
	}}
	if have("tcpdump") {
		tools = append(tools, captureTool{
			name: "tcpdump", ready: "listening on lo",
			cmd: func(out string) *exec.Cmd {
				return exec.Command("tcpdump", "-i", "lo", "-w", out, fmt.Sprintf("udp dst port %d", port))
			},
		})
	} else {
		fmt.Println("tcpdump is not installed (apt-get install tcpdump): measuring wiretap alone")
	}
	fmt.Printf("capture rate on lo: %d-byte UDP datagrams, %v per trial, files in %s\n", *size, *duration, dir)
	best := map[string]int{}
	for _, tool := range tools {
		best[tool.name] = highestRate(tool, dir, port, *size, *duration, *maxRate)
	}
	fmt.Println()
	fmt.Printf("%-10s %s\n", "tool", "highest rate with 0 drops (packets/s)")
	for _, tool := range tools {
		note := ""
		if senderLimited[tool.name] {
			note = "  (no loss at any rate the sender reached: a lower bound)"
		}
		fmt.Printf("%-10s %d%s\n", tool.name, best[tool.name], note)
	}
	if b := best["tcpdump"]; b > 0 {
		fmt.Printf("ratio wiretap/tcpdump: %.2f", float64(best["wiretap"])/float64(b))
		if senderLimited["wiretap"] && senderLimited["tcpdump"] {
			fmt.Printf("  (both lost nothing at the sender's top rate: the ratio only compares where the sender stopped)")
		}
		fmt.Println()
	}
	return nil
}

type captureTool struct {
	name, ready string
	cmd         func(out string) *exec.Cmd
}

// senderLimited records the tools whose best rate was bounded by the sender,
// not by a loss: their figure is a lower bound.
var senderLimited = map[string]bool{}

// highestRate doubles the rate until a trial loses packets, then bisects.
func highestRate(tool captureTool, dir string, port, size int, d time.Duration, maxRate int) int {
	good, bad := 0, 0
	for rate := 25_000; rate <= maxRate; rate *= 2 {
		if trial(tool, dir, port, size, d, rate) {
			good = rate
		} else {
			bad = rate
			break
		}
	}
	if bad == 0 {
		return good
	}
	for range 4 {
		mid := (good + bad) / 2
		if trial(tool, dir, port, size, d, mid) {
			good = mid
		} else {
			bad = mid
		}
	}
	return good
}

var dropRe = regexp.MustCompile(`(\d+) packets captured\n(\d+) packets received by filter\n(\d+) packets dropped by kernel`)

// trial runs one capture of rate packets/s and reports whether every packet
// sent was recorded and the kernel dropped none.
func trial(tool captureTool, dir string, port, size int, d time.Duration, rate int) bool {
	out := filepath.Join(dir, tool.name+".cap")
	os.Remove(out)
	cmd := tool.cmd(out)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	var stderr bytes.Buffer
	ready := make(chan struct{})
	if err := cmd.Start(); err != nil {
		fmt.Printf("  %s: %v\n", tool.name, err)
		return false
	}
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), tool.ready) {
				once = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		fmt.Printf("  %s did not start\n", tool.name)
		return false
	}
	sent, achieved := flood(port, size, rate, d)
	// libpcap hands a ring block to tcpdump only when it fills or after its
	// 1 s timeout, and tcpdump does not drain on SIGINT: wait that out so
	// its last packets count.
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	pw.Close()
	time.Sleep(50 * time.Millisecond)
	m := dropRe.FindStringSubmatch(stderr.String())
	captured, dropped := -1, -1
	if m != nil {
		captured, _ = strconv.Atoi(m[1])
		dropped, _ = strconv.Atoi(m[3])
	}
	ok := m != nil && dropped == 0 && captured == sent
	fmt.Printf("  %-8s %8d pkt/s asked, %8.0f sent/s: sent %d, captured %d, dropped %d -> %s\n",
		tool.name, rate, achieved, sent, captured, dropped, map[bool]string{true: "ok", false: "LOSS"}[ok])
	// A sender that cannot reach the rate is not a capture failure, but
	// the rate was not tested either: count it as the limit.
	if achieved < 0.9*float64(rate) {
		fmt.Printf("  (the sender reached only %.0f pkt/s: stopping here)\n", achieved)
		if ok {
			senderLimited[tool.name] = true
		}
		return false
	}
	return ok
}

// flood sends size-byte UDP datagrams to 127.0.0.1:port at rate per second
// for d, in sendmmsg batches, and returns how many it sent and the rate it
// reached. Loopback only, bounded in time.
func flood(port, size, rate int, d time.Duration) (int, float64) {
	recv, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err == nil {
		defer recv.Close() // bound but never read: no ICMP unreachable
	}
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return 0, 0
	}
	defer c.Close()
	pc := ipv4.NewPacketConn(c)
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	const batch = 64
	msgs := make([]ipv4.Message, batch)
	payload := make([]byte, size)
	for i := range msgs {
		msgs[i] = ipv4.Message{Buffers: [][]byte{payload}, Addr: dst}
	}
	sent := 0
	start := time.Now()
	for time.Since(start) < d {
		n, err := pc.WriteBatch(msgs, 0)
		if err != nil {
			continue
		}
		sent += n
		if ahead := time.Duration(sent)*time.Second/time.Duration(rate) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
	return sent, float64(sent) / time.Since(start).Seconds()
}
