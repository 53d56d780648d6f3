package capture

import (
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture/oracletest"
)

// countingSource numbers the packets read from it, so a test can tell which
// frames a FilteredSource passed on.
type countingSource struct {
	Source
	n int
}

func (c *countingSource) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := c.Source.ReadPacket()
	if err == nil {
		c.n++
	}
	return data, ci, err
}

// TestFilteredSource filters many_interfaces-1.pcapng, whose frames 3 and 4
// are on a NULL (BSD loopback) interface and the other 62 on Ethernet ones,
// so each filter is compiled for two link types. The frames are what
// tcpdump -r passes of each link type's packets (tcpdump itself cannot read
// a file that mixes link types, so the oracle ran on the file split in two).
func TestFilteredSource(t *testing.T) {
	var all []int
	for n := 1; n <= 64; n++ {
		all = append(all, n)
	}
	seq := func(from, to int) []int { return slices.Clone(all[from-1 : to]) }
	tests := []struct {
		expr    string
		frames  []int
		errNull bool // compiling expr for BSD loopback fails: the read ends with that error after frames
	}{
		{expr: "", frames: all},
		{expr: "ip", frames: all},
		{expr: "ip6", frames: nil},
		{expr: "udp", frames: append(seq(1, 23), 51, 57, 58, 59, 60, 61, 62, 63, 64)},
		{expr: "tcp", frames: append(seq(24, 50), seq(52, 56)...)},
		{expr: "udp port 17500", frames: []int{1, 2, 3, 4}},
		{expr: "tcp[tcpflags] & tcp-syn != 0", frames: []int{24, 25, 52, 54}},
		{expr: "len > 200", frames: []int{23, 27, 29, 35, 44, 51, 56, 57, 59, 60, 62, 63}},
		{expr: "host 192.168.1.139 and port 53", frames: []int{5, 7, 8, 9, 10, 12, 14, 17, 18, 19, 20, 21, 22, 23}},
		// Fine for Ethernet; for BSD loopback tcpdump says "ethernet
		// addresses supported only on ethernet/…", and we at frame 3.
		{expr: "ether src a4:5e:60:f1:7d:93", frames: []int{1, 2}, errNull: true},
		// No ARP on BSD loopback: "expression rejects all packets".
		{expr: "arp", frames: nil, errNull: true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			inner, err := OpenFile(oracletest.Shared("formats/heuristics/many_interfaces-1.pcapng"))
			if err != nil {
				t.Fatal(err)
			}
			cs := &countingSource{Source: inner}
			src := NewFilteredSource(cs, tt.expr, DefaultSnapLen)
			defer src.Close()
			var frames []int
			var readErr error
			for {
				_, ci, err := src.ReadPacket()
				if err != nil {
					if err != io.EOF {
						readErr = err
					}
					break
				}
				if lt, want := src.LinkType(ci), inner.LinkType(ci); lt != want {
					t.Errorf("frame %d: LinkType %v, want %v", cs.n, lt, want)
				}
				frames = append(frames, cs.n)
			}
			if !slices.Equal(frames, tt.frames) {
				t.Errorf("frames %v\nwant   %v", frames, tt.frames)
			}
			if !tt.errNull {
				if readErr != nil {
					t.Errorf("read: %v", readErr)
				}
				return
			}
			// The same error, word for word, as compiling for that
			// link type gives.
			_, want := CompileFilter(tt.expr, layers.LinkTypeNull, DefaultSnapLen)
			var fe *FilterError
			if want == nil || readErr == nil || readErr.Error() != want.Error() || !errors.As(readErr, &fe) {
				t.Errorf("error %v, want %v (a *FilterError)", readErr, want)
			}
			if cs.n != 3 {
				t.Errorf("error after frame %d, want at frame 3 (the first BSD loopback one)", cs.n)
			}
		})
	}
}

// TestLinkMatcher checks compiling per link type: once each, an error kept
// for its link type only, an unsupported link type reported as
// CompileFilter reports it, and an empty expression never compiled.
func TestLinkMatcher(t *testing.T) {
	// An Ethernet frame with an IPv4 header; the same IPv4 header raw.
	ip := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	eth := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00}, ip...)
	const ieee80211 = layers.LinkType(105)
	tests := []struct {
		name    string
		expr    string
		lt      layers.LinkType
		data    []byte
		want    bool
		wantErr bool
	}{
		{"ethernet match", "host 10.0.0.1", layers.LinkTypeEthernet, eth, true, false},
		{"ethernet no match", "host 10.0.0.3", layers.LinkTypeEthernet, eth, false, false},
		{"raw match", "host 10.0.0.1", layers.LinkTypeRaw, ip, true, false},
		{"raw ether address", "ether host 0:1:2:3:4:5", layers.LinkTypeRaw, ip, false, true},
		{"ethernet again", "ether host 0:1:2:3:4:5", layers.LinkTypeEthernet, eth, true, false},
		{"unsupported link type", "tcp", ieee80211, eth, false, true},
		{"empty on unsupported link type", "", ieee80211, eth, true, false},
		{"syntax error", "tcp and", layers.LinkTypeEthernet, eth, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lm := NewLinkMatcher(tt.expr, DefaultSnapLen)
			for round := 0; round < 2; round++ { // the second from the cache
				got, err := lm.Match(tt.lt, tt.data, len(tt.data))
				_, want := CompileFilter(tt.expr, tt.lt, DefaultSnapLen)
				if tt.expr == "" {
					want = nil
				}
				if (err != nil) != tt.wantErr || got != tt.want {
					t.Fatalf("round %d: Match = %v, %v; want %v, error %v", round, got, err, tt.want, tt.wantErr)
				}
				if err != nil && err.Error() != want.Error() {
					t.Errorf("error %q, want CompileFilter's %q", err, want)
				}
			}
			if tt.expr == "" && len(lm.byLink) != 0 {
				t.Errorf("an empty expression compiled something: %v", lm.byLink)
			}
		})
	}
	// One LinkMatcher over several link types: an error for one leaves
	// the others working.
	lm := NewLinkMatcher("ether host 0:1:2:3:4:5", DefaultSnapLen)
	if _, err := lm.Match(layers.LinkTypeRaw, ip, len(ip)); err == nil {
		t.Error("raw IP: no error for an Ethernet address")
	}
	if ok, err := lm.Match(layers.LinkTypeEthernet, eth, len(eth)); !ok || err != nil {
		t.Errorf("Ethernet after a raw IP error: %v, %v", ok, err)
	}
	if _, err := lm.Match(layers.LinkTypeRaw, ip, len(ip)); err == nil {
		t.Error("raw IP: the error was not kept")
	}
	if len(lm.byLink) != 2 {
		t.Errorf("compiled for %d link types, want 2", len(lm.byLink))
	}
}
