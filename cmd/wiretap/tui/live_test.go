package tui

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/cmd/wiretap/tui/packets"
)

// TestLiveView captures on lo into the viewer (root only): the list
// follows new packets, p freezes it while the status line keeps
// counting, and q asks before an unsaved capture is thrown away.
func TestLiveView(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	filter := fmt.Sprintf("tcp port %d", port)
	prog, err := capture.CompileFilter(filter, layers.LinkTypeEthernet, capture.DefaultSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	live, err := capture.OpenLive(capture.LiveOptions{Interface: "lo", Filter: prog})
	if err != nil {
		t.Fatal(err)
	}
	store, err := packets.OpenLive(packets.LiveOptions{Live: live, Filter: filter}, packets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sim := tcell.NewSimulationScreen("UTF-8")
	sim.Init()
	defer sim.Fini()
	sim.SetSize(100, 30)
	hs := &harness{t: t, a: New(sim, Options{Store: store}), sim: sim}
	connect := func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	waitPackets := func(n int) {
		deadline := time.Now().Add(10 * time.Second)
		for store.Len() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d packets captured, want %d", store.Len(), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		hs.settle()
	}
	time.Sleep(100 * time.Millisecond)
	connect()
	waitPackets(3)
	first := store.Len()
	if hs.a.list.selected != first {
		t.Errorf("the list selects packet %d, want the newest, %d", hs.a.list.selected, first)
	}
	hs.press("p")
	connect()
	waitPackets(first + 3)
	if hs.a.list.length() != first {
		t.Errorf("paused, the list grew to %d rows (from %d)", hs.a.list.length(), first)
	}
	if s := hs.statusLine(); !strings.Contains(s, fmt.Sprintf("%d captured", store.Len())) || !strings.Contains(s, "PAUSED") {
		t.Errorf("status line %q does not count on while paused", s)
	}
	hs.press("p")
	if hs.a.list.length() != store.Len() {
		t.Errorf("resumed, the list has %d rows, want %d", hs.a.list.length(), store.Len())
	}
	hs.press("q")
	hs.mustSee("is not saved")
	hs.press("n")
	if hs.a.Done() {
		t.Fatal("n quit")
	}
	hs.press("q", "y")
	if !hs.a.Done() {
		t.Error("y did not quit")
	}
}

// failingSink is a -w file whose writes fail from the first packet on,
// each with its own words, and whose Close fails too: the viewer must
// keep the first error.
type failingSink struct{ writes int }

func (f *failingSink) WritePacket(gopacket.CaptureInfo, []byte) error {
	f.writes++
	return fmt.Errorf("disk full (write %d)", f.writes)
}

func (f *failingSink) Close() error { return errors.New("close failed") }

// TestLiveWriteError captures on lo into the viewer with a -w file that
// fails (root only): the status line shows the first write error, q asks
// before quitting, and Close returns that error.
func TestLiveWriteError(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	filter := fmt.Sprintf("tcp port %d", ln.Addr().(*net.TCPAddr).Port)
	prog, err := capture.CompileFilter(filter, layers.LinkTypeEthernet, capture.DefaultSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	live, err := capture.OpenLive(capture.LiveOptions{Interface: "lo", Filter: prog})
	if err != nil {
		t.Fatal(err)
	}
	store, err := packets.OpenLive(packets.LiveOptions{Live: live, Filter: filter, Sink: &failingSink{}, SinkName: "out.pcapng"}, packets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sim := tcell.NewSimulationScreen("UTF-8")
	sim.Init()
	defer sim.Fini()
	sim.SetSize(80, 24)
	hs := &harness{t: t, a: New(sim, Options{Store: store}), sim: sim}
	time.Sleep(100 * time.Millisecond)
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second) // a hang guard
	for {
		if lv := store.Progress().Live; lv != nil && lv.Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the capture did not stop on the failing -w file")
		}
		time.Sleep(20 * time.Millisecond)
	}
	hs.settle()
	const first = "writing out.pcapng: disk full (write 1)"
	if s := hs.statusLine(); !strings.Contains(s, first) {
		t.Errorf("status line %q does not show %q", s, first)
	}
	hs.press("q")
	hs.mustSee("quit anyway?")
	hs.press("n")
	if hs.a.Done() {
		t.Fatal("n quit")
	}
	hs.press("q", "y")
	if !hs.a.Done() {
		t.Error("y did not quit")
	}
	if err := store.Close(); err == nil || err.Error() != first {
		t.Errorf("Close() = %v, want %q", err, first)
	}
}
