package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/decode/decodetest"
)

// statsSynthCapture writes, under dir, the capture the statistics oracles
// add to the corpus for what it lacks: HTTP requests of many methods and
// responses of every status class (100 Continue, 2xx to 5xx, a code of
// no class), in bursts and seconds apart; a retransmitted segment; TCP
// over IPv6; UDP conversations of more than 10 kB (the tables' kB unit),
// one-way and both ways, over IPv4 and IPv6; a frame whose timestamp goes
// back; ARP (no IP). Its bytes are the same on every run (the
// recordings check the inputs' SHA-256).
func statsSynthCapture(t *testing.T, dir string) decodetest.File {
	t.Helper()
	macA, _ := net.ParseMAC("02:00:00:00:00:0a")
	macB, _ := net.ParseMAC("02:00:00:00:00:0b")
	bcast, _ := net.ParseMAC("ff:ff:ff:ff:ff:ff")
	ip4 := func(last byte) net.IP { return net.IPv4(10, 0, 0, last).To4() }
	ip6A, ip6B := net.ParseIP("2001:db8::a"), net.ParseIP("2001:db8::b")
	ser := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		var nw gopacket.NetworkLayer
		for _, l := range ls {
			if n, ok := l.(gopacket.NetworkLayer); ok {
				nw = n
			}
		}
		for _, l := range ls {
			if c, ok := l.(interface {
				SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
			}); ok && nw != nil {
				c.SetNetworkLayerForChecksum(nw)
			}
		}
		if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(buf.Bytes())
	}
	// The network layers of a packet from src to dst (IPv4 or IPv6).
	network := func(src, dst net.IP, proto layers.IPProtocol) []gopacket.SerializableLayer {
		if src.To4() != nil {
			return []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4},
				&layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: proto, SrcIP: src, DstIP: dst}}
		}
		return []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv6},
			&layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src, DstIP: dst}}
	}

	type pkt struct {
		at   time.Duration // since the first packet
		data []byte
	}
	var pkts []pkt
	add := func(at time.Duration, data []byte) { pkts = append(pkts, pkt{at, data}) }

	// A TCP connection: each side's next sequence number.
	type conn struct {
		cli, srv         net.IP
		cport, sport     uint16
		cseq, sseq       uint32
		cliNext, srvNext uint32
	}
	seg := func(c *conn, at time.Duration, fromClient bool, syn, fin bool, payload string) {
		tcp := &layers.TCP{Window: 65535, ACK: true, PSH: payload != "", SYN: syn, FIN: fin}
		src, dst := c.cli, c.srv
		if fromClient {
			tcp.SrcPort, tcp.DstPort, tcp.Seq, tcp.Ack = layers.TCPPort(c.cport), layers.TCPPort(c.sport), c.cliNext, c.srvNext
		} else {
			tcp.SrcPort, tcp.DstPort, tcp.Seq, tcp.Ack = layers.TCPPort(c.sport), layers.TCPPort(c.cport), c.srvNext, c.cliNext
			src, dst = dst, src
		}
		if syn && fromClient {
			tcp.ACK, tcp.Ack = false, 0
		}
		n := uint32(len(payload))
		if syn || fin {
			n++
		}
		if fromClient {
			c.cliNext += n
		} else {
			c.srvNext += n
		}
		add(at, ser(append(network(src, dst, layers.IPProtocolTCP), tcp, gopacket.Payload(payload))...))
	}
	open := func(c *conn, at time.Duration) {
		c.cliNext, c.srvNext = c.cseq, c.sseq
		seg(c, at, true, true, false, "")
		seg(c, at+300*time.Microsecond, false, true, false, "")
		seg(c, at+600*time.Microsecond, true, false, false, "")
	}
	request := func(method, uri, body string) string {
		s := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: stats.test\r\n", method, uri)
		if body != "" {
			s += fmt.Sprintf("Content-Length: %d\r\n", len(body))
		}
		return s + "\r\n" + body
	}
	response := func(status, body string) string {
		return fmt.Sprintf("HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n%s", status, len(body), body)
	}

	// HTTP over IPv4: a burst of exchanges 3 ms apart, then more after a
	// second, a retransmitted request among them.
	h := &conn{cli: ip4(1), srv: ip4(2), cport: 40001, sport: 80, cseq: 1000, sseq: 5000}
	open(h, 0)
	at := 2 * time.Millisecond
	exchange := func(c *conn, req, resp string) {
		seg(c, at, true, false, false, req)
		seg(c, at+time.Millisecond, false, false, false, resp)
		at += 3 * time.Millisecond
	}
	exchange(h, request("GET", "/a", ""), response("200 OK", "alpha"))
	exchange(h, request("POST", "/form", "x=1&y=2"), response("201 Created", ""))
	exchange(h, request("HEAD", "/old", ""), response("301 Moved Permanently", ""))
	exchange(h, request("PUT", "/b", "bee"), response("404 Not Found", "no"))
	exchange(h, request("DELETE", "/b", ""), response("500 Internal Server Error", ""))
	exchange(h, request("GET", "/c", ""), response("304 Not Modified", ""))
	// 100 Continue, then the final answer.
	seg(h, at, true, false, false, "PUT /upload HTTP/1.1\r\nHost: stats.test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
	seg(h, at+time.Millisecond, false, false, false, "HTTP/1.1 100 Continue\r\n\r\n")
	seg(h, at+2*time.Millisecond, true, false, false, "data")
	seg(h, at+3*time.Millisecond, false, false, false, response("204 No Content", ""))
	at = 1200 * time.Millisecond
	exchange(h, request("OPTIONS", "*", ""), response("200 OK", ""))
	exchange(h, request("GET", "/d", ""), response("503 Service Unavailable", "busy"))
	// A request sent again, unchanged: a retransmission.
	req := request("GET", "/e", "")
	seg(h, at, true, false, false, req)
	h.cliNext -= uint32(len(req))
	seg(h, at+250*time.Millisecond, true, false, false, req)
	seg(h, at+251*time.Millisecond, false, false, false, response("200 OK", "echo"))
	at += 260 * time.Millisecond
	exchange(h, request("GET", "/f", ""), response("601 Beyond", ""))
	exchange(h, request("GET", "/g", ""), response("200 OK", strings.Repeat("z", 1200)))
	seg(h, at, true, false, true, "")
	seg(h, at+time.Millisecond, false, false, true, "")
	seg(h, at+2*time.Millisecond, true, false, false, "")

	// HTTP over IPv6, and a second IPv4 client of the same server.
	h6 := &conn{cli: ip6A, srv: ip6B, cport: 40003, sport: 80, cseq: 77, sseq: 99}
	open(h6, 1500*time.Millisecond)
	at = 1502 * time.Millisecond
	exchange(h6, request("GET", "/six", ""), response("200 OK", "v6"))
	h2 := &conn{cli: ip4(3), srv: ip4(2), cport: 40002, sport: 80, cseq: 1, sseq: 2}
	open(h2, 1600*time.Millisecond)
	at = 1602 * time.Millisecond
	exchange(h2, request("GET", "/two", ""), response("302 Found", ""))
	exchange(h2, request("PATCH", "/two", "p"), response("200 OK", ""))

	// UDP: both ways, over 10 kB; one way; IPv6; a frame from before the
	// one it follows.
	udp := func(at time.Duration, src, dst net.IP, sport, dport uint16, n int) {
		add(at, ser(append(network(src, dst, layers.IPProtocolUDP), &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)},
			gopacket.Payload(bytes.Repeat([]byte{'u'}, n)))...))
	}
	for i := range 9 {
		at := 100*time.Millisecond + time.Duration(i)*70*time.Millisecond
		udp(at, ip4(1), ip4(4), 5000, 6000, 1400)
		if i%3 == 0 {
			udp(at+5*time.Millisecond, ip4(4), ip4(1), 6000, 5000, 200)
		}
	}
	udp(2*time.Second, ip4(5), ip4(1), 7000, 7001, 30)
	udp(2100*time.Millisecond, ip4(5), ip4(1), 7000, 7001, 30)
	udp(2050*time.Millisecond, ip4(5), ip4(1), 7000, 7001, 31) // back in time
	udp(2200*time.Millisecond, ip6B, ip6A, 41000, 42000, 60)
	udp(2300*time.Millisecond, ip6A, ip6B, 42000, 41000, 61)

	// ARP: no IP at all.
	add(2400*time.Millisecond, ser(&layers.Ethernet{SrcMAC: macA, DstMAC: bcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: macA, SourceProtAddress: ip4(1), DstHwAddress: make([]byte, 6), DstProtAddress: ip4(9)}))

	// In time order, but for the frame that goes back (stable: it stays
	// after the one it follows).
	sorted := make([]pkt, 0, len(pkts))
	for _, p := range pkts {
		i := len(sorted)
		for i > 0 && sorted[i-1].at > p.at && p.at != 2050*time.Millisecond {
			i--
		}
		sorted = append(sorted[:i], append([]pkt{p}, sorted[i:]...)...)
	}
	path := filepath.Join(dir, "stats.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := capture.NewPcapWriter(f, layers.LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Unix(1700000000, 0)
	for _, p := range sorted {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: base.Add(p.at), CaptureLength: len(p.data), Length: len(p.data)}, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return decodetest.File{Name: "synth/stats.pcap", Path: path}
}
