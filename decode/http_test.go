package decode

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/decode/decodetest"
)

// Synthetic TCP conversations, for the HTTP and reassembly tests and the
// synthetic half of the tshark oracle.

// synSeg is one segment of a synthetic conversation: from the client
// (dir 0) or the server (1), with flags "S" (SYN, SYN-ACK from the
// server), "F", "R"; seq, when set, is relative to the side's ISN (1 is
// the first data byte), else the segment follows the side's last one.
type synSeg struct {
	dir   int
	data  string
	flags string
	seq   *int64
	dt    time.Duration // time since the previous segment (default 1 ms)
}

func synAt(n int64) *int64 { return &n }

// synConv describes a conversation.
type synConv struct {
	port       uint16 // the server's port (default 80)
	clientPort uint16 // default 40000
	isn        [2]uint32
	segs       []synSeg
}

// packets renders the conversation as Ethernet/IPv4/TCP frames.
func (c synConv) packets() []decodetest.Packet {
	port, cport := c.port, c.clientPort
	if port == 0 {
		port = 80
	}
	if cport == 0 {
		cport = 40000
	}
	isn := c.isn
	if isn == [2]uint32{} {
		isn = [2]uint32{1000, 5000}
	}
	next := isn
	ts := time.Unix(1700000000, 0).UTC()
	var out []decodetest.Packet
	for _, s := range c.segs {
		payload := []byte(s.data)
		seq := next[s.dir]
		if s.seq != nil {
			seq = isn[s.dir] + uint32(*s.seq)
		}
		syn, fin, rst := false, false, false
		for _, f := range s.flags {
			switch f {
			case 'S':
				syn = true
			case 'F':
				fin = true
			case 'R':
				rst = true
			}
		}
		if syn {
			seq = isn[s.dir]
		}
		var flags byte = 0x10
		if syn {
			flags |= 0x02
			if s.dir == 0 {
				flags &^= 0x10
			}
		}
		if fin {
			flags |= 0x01
		}
		if rst {
			flags |= 0x04
		}
		if len(payload) > 0 {
			flags |= 0x08
		}
		sp, dp := cport, port
		src, dst := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
		smac, dmac := []byte{0, 1, 2, 3, 4, 5}, []byte{0, 1, 2, 3, 4, 6}
		if s.dir == 1 {
			sp, dp, src, dst, smac, dmac = dp, sp, dst, src, dmac, smac
		}
		tcp := make([]byte, 20)
		binary.BigEndian.PutUint16(tcp[0:], sp)
		binary.BigEndian.PutUint16(tcp[2:], dp)
		binary.BigEndian.PutUint32(tcp[4:], seq)
		binary.BigEndian.PutUint32(tcp[8:], next[1-s.dir])
		tcp[12] = 5 << 4
		tcp[13] = flags
		binary.BigEndian.PutUint16(tcp[14:], 65535)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
		ip[8], ip[9] = 64, 6
		copy(ip[12:], src)
		copy(ip[16:], dst)
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		pkt := append(append(append(append(append([]byte{}, dmac...), smac...), 8, 0), ip...), tcp...)
		pkt = append(pkt, payload...)
		dt := s.dt
		if dt == 0 {
			dt = time.Millisecond
		}
		ts = ts.Add(dt)
		out = append(out, decodetest.Packet{CI: gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(pkt), Length: len(pkt)},
			LinkType: layers.LinkTypeEthernet, Data: pkt})
		adv := uint32(len(payload))
		if syn || fin {
			adv++
		}
		if end := seq + adv; int32(end-next[s.dir]) > 0 || (syn && s.seq == nil) {
			next[s.dir] = end
		}
	}
	return out
}

// writePcap writes packets as a microsecond pcap file.
func synWritePcap(path string, pkts []decodetest.Packet) error {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	for _, p := range pkts {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(p.CI.Timestamp.Unix()))
		binary.LittleEndian.PutUint32(rec[4:], uint32(p.CI.Timestamp.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(p.Data)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(p.CI.Length))
		b.Write(rec)
		b.Write(p.Data)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func synHandshake() []synSeg {
	return []synSeg{{dir: 0, flags: "S"}, {dir: 1, flags: "S"}, {dir: 0}}
}

func synClosing() []synSeg {
	return []synSeg{{dir: 0, flags: "F"}, {dir: 1, flags: "F"}, {dir: 0}}
}

func synJoin(segs ...[]synSeg) []synSeg {
	var out []synSeg
	for _, s := range segs {
		out = append(out, s...)
	}
	return out
}

func synGzip(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func synZlib(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func synDeflate(s string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, 6)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func synReq(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: example.com\r\n\r\n" }

func synResp(body string) string {
	return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + synItoa(len(body)) + "\r\n\r\n" + body
}

func synItoa(n int) string { return string(synAppendInt(nil, n)) }

func synAppendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = synAppendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// synthScenarios are the conversations of the synthetic oracle: every
// case the HTTP stage handles, as tshark sees them.
func synthScenarios() map[string]synConv {
	big := bytes.Repeat([]byte("0123456789abcdef"), 400)
	gz := synGzip("hello gzip world\n")
	return map[string]synConv{
		"pipelined": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/1")}, {dir: 0, data: synReq("/2")},
			{dir: 1, data: synResp("r1")}, {dir: 1, data: synResp("r2")},
			{dir: 0, data: synReq("/3") + synReq("/4")},
			{dir: 1, data: synResp("r3") + "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nr4"},
		}, synClosing())},
		"no-body-responses": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "HEAD /1 HTTP/1.1\r\nHost: a\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\n"},
			{dir: 0, data: "GET /2 HTTP/1.1\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"},
			{dir: 0, data: synReq("/3")},
			{dir: 1, data: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"},
			{dir: 0, data: synReq("/4")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nbody until close"},
			{dir: 1, data: " and more"},
			{dir: 1, flags: "F"}, {dir: 0, flags: "F"}, {dir: 1},
		})},
		"chunked-encodings": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "GET /1 HTTP/1.1\r\nHost: a\r\nBad header line\r\nX: y\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhel"},
			{dir: 1, data: "lo\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n"},
			{dir: 1, data: "\r\n"},
			{dir: 0, data: synReq("/2")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: " + synItoa(len(gz)) + "\r\n\r\n" + gz},
			{dir: 0, data: synReq("/3")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " + synItoa(len(synZlib("zlib\n"))) + "\r\n\r\n" + synZlib("zlib\n")},
			{dir: 0, data: synReq("/4")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: deflate\r\nContent-Length: " + synItoa(len(synDeflate("{\"a\":1}"))) + "\r\n\r\n" + synDeflate("{\"a\":1}")},
			{dir: 0, data: synReq("/5")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnotgz"},
			{dir: 0, data: synReq("/6")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" + synHex(len(gz)) + "\r\n" + gz + "\r\n0\r\n\r\n"},
			{dir: 0, data: synReq("/7")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		}, synClosing())},
		"continue-100": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 100 Continue\r\n\r\n"},
			{dir: 0, data: "abc"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
			{dir: 0, data: "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc"},
			{dir: 1, data: "HTTP/1.1 100 Continue\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"},
			{dir: 0, data: synReq("/3")},
			{dir: 1, data: synResp("ok")},
		}, synClosing())},
		"heuristic-port": {port: 8000, segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "hello there\r\n"},
			{dir: 0, data: synReq("/1")},
			{dir: 1, data: synResp("ok")},
		}, synClosing())},
		"continuation-port80": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "hello there\r\n"},
			{dir: 0, data: "\x00\x01\x02\x03\x04"},
			{dir: 0, data: synReq("/1")},
			{dir: 1, data: "\x00\x01\x02\x03\x04"},
			{dir: 1, data: synResp("ok")},
			{dir: 0, data: "\r\n"},
		}, synClosing())},
		"segment-mix": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo"},
			{dir: 0, data: "st: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nab"},
			{dir: 1, data: "cdHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nefghHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nij"},
			{dir: 1, data: "kl"},
			{dir: 0, data: "GET /4 HTTP/1.1\r"},
			{dir: 0, data: "\nHost: a\r\n\r"},
			{dir: 0, data: "\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: " + synItoa(len(big)) + "\r\n\r\n" + string(big[:1000])},
			{dir: 1, data: string(big[1000:2500])},
			{dir: 1, data: string(big[2500:]) + "HTTP/1.1 200"},
			{dir: 1, data: " OK\r\nContent-Length: 0\r\n\r\n"},
		}, synClosing())},
		"odd-bytes": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "GET /caf\xc3\xa9\xe9?a=1&b=&c HTTP/1.1\r\nHost: h\xc3\xa9\xe9\r\nUser-Agent: a\x00b\r\nX-A: \xe9\r\nCookie: a=1; b=2\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\ncaf\xc3\xa9 \x00z\n"},
			{dir: 0, data: "GET  HTTP/1.1\r\nHost:  spaced  \r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 999\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy"},
			{dir: 0, data: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"},
			{dir: 1, data: "HTTP/1.0 200 OK\r\nContent-Length: 2 \r\nconnection: close\r\nTransfer-encoding: identity\r\n\r\nok"},
			{dir: 0, data: "GET http://Example.com/abs HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		}, synClosing())},
		"upgrade": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"},
			{dir: 0, data: "GET /not-http HTTP/1.1\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\n\r\n"},
		}, synClosing())},
		"connect": {port: 3128, segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 Connection established\r\n\r\n"},
			{dir: 0, data: "\x16\x03\x01\x00\x05hello"},
			{dir: 1, data: "GET / HTTP/1.1\r\n\r\n"},
		}, synClosing())},
		"no-syn": {segs: []synSeg{
			{dir: 1, data: "dy of an earlier response\r\n"},
			{dir: 0, data: synReq("/1")},
			{dir: 1, data: synResp("ok")},
			{dir: 0, data: "GET /2 HTTP/1.1\r\nHost: a\r\n"},
		}},
		"wraparound": {isn: [2]uint32{0xffffffe0, 0xfffffff0}, segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/wrap-around-the-sequence-space")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"},
			{dir: 1, data: "0123456789012345678901234567890123456789"},
		}, synClosing())},
		"retransmission": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/1")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789", seq: synAt(1)},
			{dir: 1, data: "ABCDEFGHIJ"},
			{dir: 1, data: "ABCDEFGHIJ", seq: synAt(50)},
			{dir: 0, data: synReq("/2")},
			{dir: 1, data: synResp("ok")},
		}, synClosing())},
		"overlap": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/1")},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789"},
			{dir: 1, data: "56789XXXXXYYYYY", seq: synAt(45)},
			{dir: 1, data: "ZZZZZ"},
		}, synClosing())},
		"no-body-same-segment": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/1") + synReq("/2")},
			{dir: 1, data: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"},
			{dir: 0, data: "HEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + synResp("x")},
		}, synClosing())},
		"gap-in-body": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789"},
			{dir: 1, data: "KLMNOPQRST", seq: synAt(56)}, {dir: 1, data: synResp("ok")},
		}, synClosing())},
		"overlap-then-normal": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789"},
			{dir: 1, data: "XXXXXabcde", seq: synAt(45)}, {dir: 1, data: "fghij"}, {dir: 0, data: synReq("/b")}, {dir: 1, data: synResp("ok")},
		}, synClosing())},
		"edge-cases": {port: 8080, segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab"},
			{dir: 0, data: "cd\r\n0\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567"},
			{dir: 0, data: "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n"},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
			{dir: 0, data: "POST /s HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello"},
			{dir: 1, data: "HTTP/1.1 200 OK\r"},
			{dir: 1, data: "\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 0x10\r\nConnection: keep-alive\r\n\r"},
			{dir: 1, data: "\n<html>until the FIN</html>"},
		}, synClosing())},
		"big-gzip": {segs: synJoin(synHandshake(), []synSeg{{dir: 0, data: synReq("/big")}},
			synChunks(1, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: "+
				synItoa(len(synGzip(strings.Repeat("all work and no play ", 3000))))+"\r\n\r\n"+synGzip(strings.Repeat("all work and no play ", 3000)), 1400),
			synClosing())},
		"heuristic-response-first": {port: 9999, segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "PING\r\n"},
			{dir: 1, data: synResp("surprise")},
			{dir: 0, data: synReq("/after")},
			{dir: 1, data: synResp("ok")},
		}, synClosing())},
		"lossy-out-of-order": {segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/1")},
			{dir: 1, data: "ABCDEFGHIJ", seq: synAt(50)},
			{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789", seq: synAt(1)},
			{dir: 0, data: synReq("/2")},
			{dir: 1, data: synResp("ok"), seq: synAt(60)},
		}, synClosing())},
	}
}

// synChunks cuts data into segments of n bytes from dir.
func synChunks(dir int, data string, n int) []synSeg {
	var out []synSeg
	for len(data) > 0 {
		k := min(n, len(data))
		out = append(out, synSeg{dir: dir, data: data[:k]})
		data = data[k:]
	}
	return out
}

// synthCaptures are the synthetic captures: each scenario alone, and two
// conversations interleaved.
func synthCaptures() map[string][]decodetest.Packet {
	out := map[string][]decodetest.Packet{}
	for name, c := range synthScenarios() {
		out[name] = c.packets()
	}
	a := synthScenarios()["pipelined"]
	b := synthScenarios()["chunked-encodings"]
	b.clientPort = 40001
	pa, pb := a.packets(), b.packets()
	var mixed []decodetest.Packet
	for i := 0; i < len(pa) || i < len(pb); i++ {
		if i < len(pa) {
			mixed = append(mixed, pa[i])
		}
		if i < len(pb) {
			p := pb[i]
			p.CI.Timestamp = p.CI.Timestamp.Add(500 * time.Microsecond)
			mixed = append(mixed, p)
		}
	}
	out["interleaved"] = mixed
	return out
}

func synHex(n int) string {
	const digits = "0123456789abcdef"
	if n < 16 {
		return digits[n : n+1]
	}
	return synHex(n/16) + digits[n%16:n%16+1]
}

// recSink records what a framer finds.
type recSink struct {
	calls    int
	msgs     []recMsg
	table    pduTable
	infos    map[int]string
	proxyFrs []int
}

type recMsg struct {
	frame     int
	kind      httpKind
	method    string
	uri       string
	code      int
	body      string // file data (de-chunked, decompressed)
	noFile    bool   // no file data (binary continuation, undecodable body)
	length    int64
	truncated bool
	text      string // the message bytes
}

func (s *recSink) newCall(frame int) int { s.calls++; return s.calls }
func (s *recSink) endCall(call, frame int, info string) {
	if info != "" {
		if s.infos == nil {
			s.infos = map[int]string{}
		}
		s.infos[frame] = info
	}
}
func (s *recSink) proxied(frame int) { s.proxyFrs = append(s.proxyFrs, frame) }
func (s *recSink) message(h *httpDir, m *framedMsg) {
	p := m.p
	r := recMsg{frame: m.frame, kind: p.kind, method: p.method, uri: p.uri, code: p.code, length: m.length,
		truncated: m.truncated, text: string(m.data)}
	body, ok := messageBody(p, m.data)
	r.body, r.noFile = string(body), !ok
	s.msgs = append(s.msgs, r)
}

// messageBody is what http.file_data holds (ok false: none).
func messageBody(p *httpParsed, b []byte) ([]byte, bool) {
	if p.kind == httpBinary || p.bodyLen <= 0 || p.malformed {
		return nil, false
	}
	body := b[p.bodyStart:min(p.bodyStart+p.bodyLen, len(b))]
	if p.chunked {
		if p.chunkLen == 0 {
			return nil, false
		}
		body = p.dechunked
	}
	if p.te == teCompress || p.te == teDeflate || p.te == teGzip {
		return nil, false
	}
	if p.hasCE && !strings.EqualFold(p.cencoding, "identity") {
		out, ok := decompressBody(body)
		if !ok {
			return nil, false
		}
		body = out
	}
	return body, true
}

// fseg is one segment fed to a framer.
type fseg struct {
	frame int
	data  string
	fin   bool
}

// frame runs one direction's segments through a framer; lastMethod
// stands in for the other direction's requests.
func frameSegments(segs []fseg, lastMethod string) *recSink {
	s := &recSink{}
	conv := &httpConv{rrTail: -1, lastURIMsg: -1, lastFullURIMsg: -1, lastMethod: lastMethod}
	f := newHTTPFramer(conv, 0, s, httpMaxKeep, nil, &s.table)
	for _, sg := range segs {
		f.segment([]byte(sg.data), sg.frame, 0, sg.fin, false)
	}
	f.abandon()
	return s
}

func oneSeg(data string) []fseg { return []fseg{{frame: 1, data: data}} }

func TestHTTPFramerTable(t *testing.T) {
	gz := synGzip("hello gzip world\n")
	tests := []struct {
		name       string
		segs       []fseg
		lastMethod string
		want       []recMsg // frame, kind, method, uri, code, body, noFile checked
	}{
		{"chunked with trailers", []fseg{
			{1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", false},
			{2, "lo\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n", false},
			{3, "\r\n", false},
		}, "GET", []recMsg{
			{frame: 2, kind: httpResponse, code: 200, body: "hello world"},
			// Wireshark's reassembly stops after the first trailer line: the
			// final CRLF comes alone, as an unprintable continuation.
			{frame: 3, kind: httpBinary, noFile: true},
		}},
		{"chunked, trailers and end in one segment", oneSeg(
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nA: 1\r\nB: 2\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
			"GET", []recMsg{{frame: 1, kind: httpResponse, code: 200, body: "abc"}, {frame: 1, kind: httpResponse, code: 204, noFile: true}}},
		{"pipelined requests in one segment", oneSeg(synReq("/1") + synReq("/2") + synReq("/3")), "", []recMsg{
			{frame: 1, kind: httpRequest, method: "GET", uri: "/1", noFile: true},
			{frame: 1, kind: httpRequest, method: "GET", uri: "/2", noFile: true},
			{frame: 1, kind: httpRequest, method: "GET", uri: "/3", noFile: true},
		}},
		{"pipelined requests across segments", []fseg{
			{1, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo", false},
			{2, "st: a\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", false},
			{3, "cd", false},
		}, "", []recMsg{
			{frame: 1, kind: httpRequest, method: "GET", uri: "/1", noFile: true},
			{frame: 2, kind: httpRequest, method: "GET", uri: "/2", noFile: true},
			{frame: 3, kind: httpRequest, method: "POST", uri: "/3", body: "abcd"},
		}},
		{"100-continue: the interim response has no body", oneSeg(
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), "POST", []recMsg{
			{frame: 1, kind: httpResponse, code: 100, noFile: true},
			{frame: 1, kind: httpResponse, code: 200, body: "ok"},
		}},
		{"gzip body", oneSeg("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + synItoa(len(gz)) + "\r\n\r\n" + gz),
			"GET", []recMsg{{frame: 1, kind: httpResponse, code: 200, body: "hello gzip world\n"}}},
		{"undecodable gzip body: no file data", oneSeg("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnotgz"),
			"GET", []recMsg{{frame: 1, kind: httpResponse, code: 200, noFile: true}}},
		{"no Content-Length: the body runs to the FIN", []fseg{
			{1, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nbody ", false},
			{2, "until close", false},
			{3, "", true},
		}, "GET", []recMsg{{frame: 3, kind: httpResponse, code: 200, body: "body until close"}}},
		{"no Content-Length and no FIN: never complete", []fseg{
			{1, "HTTP/1.0 200 OK\r\n\r\nbody ", false}, {2, "more", false},
		}, "GET", nil},
		{"malformed header line ends the headers", oneSeg("GET /1 HTTP/1.1\r\nHost: a\r\nBad header line\r\nX: y\r\n\r\n"), "", []recMsg{
			{frame: 1, kind: httpRequest, method: "GET", uri: "/1", noFile: true},
			{frame: 1, kind: httpOther, body: "Bad header line\r\nX: y\r\n\r\n"},
		}},
		{"HEAD response, 304 and 204 take no body", []fseg{
			{1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false},
		}, "HEAD", []recMsg{{frame: 1, kind: httpResponse, code: 200, noFile: true}}},
		{"304 and 204 take no body", oneSeg(
			"HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),
			"GET", []recMsg{
				{frame: 1, kind: httpResponse, code: 304, noFile: true},
				{frame: 1, kind: httpResponse, code: 204, noFile: true},
				{frame: 1, kind: httpResponse, code: 200, body: "x"},
			}},
		{"a Content-Length on a 304 counts when bytes follow in the same data", oneSeg(
			"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
			"GET", []recMsg{
				{frame: 1, kind: httpResponse, code: 304, body: "HTTP/"},
				{frame: 1, kind: httpOther, body: "1.1 204 No Content\r\n\r\n"},
			}},
		{"upgrade stops HTTP", oneSeg("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello" + synResp("not http")),
			"GET", []recMsg{{frame: 1, kind: httpResponse, code: 101, noFile: true}}},
		{"leading CRLF is skipped", oneSeg("\r\n" + synReq("/x")), "", []recMsg{
			{frame: 1, kind: httpRequest, method: "GET", uri: "/x", noFile: true}}},
		{"binary data is a continuation", oneSeg("\x00\x01\x02"), "", []recMsg{{frame: 1, kind: httpBinary, noFile: true}}},
		{"text data is a continuation with file data", oneSeg("hello\r\nthere"), "", []recMsg{
			{frame: 1, kind: httpOther, body: "hello\r\nthere"}}},
		{"content length split over many segments", []fseg{
			{1, "HTTP/1.1 200 OK\r\nContent-Len", false}, {2, "gth: 6\r\n", false}, {3, "\r\nab", false}, {4, "cd", false}, {5, "ef", false},
		}, "GET", []recMsg{{frame: 5, kind: httpResponse, code: 200, body: "abcdef"}}},
		{"FIN with the headers: the body is what there is", []fseg{
			{1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true},
		}, "GET", []recMsg{{frame: 1, kind: httpResponse, code: 200, body: "abc"}}},
		{"notification", oneSeg("NOTIFY * HTTP/1.1\r\nHost: a\r\n\r\n"), "", []recMsg{
			{frame: 1, kind: httpNotification, method: "NOTIFY", uri: "*", noFile: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := frameSegments(tc.segs, tc.lastMethod)
			if len(s.msgs) != len(tc.want) {
				t.Fatalf("got %d messages, want %d: %+v", len(s.msgs), len(tc.want), s.msgs)
			}
			for i, w := range tc.want {
				g := s.msgs[i]
				if g.frame != w.frame || g.kind != w.kind || g.method != w.method || g.uri != w.uri || g.code != w.code ||
					g.noFile != w.noFile || (!w.noFile && g.body != w.body) {
					t.Errorf("message %d:\n got  frame %d kind %d %q %q %d body %q (none %v)\n want frame %d kind %d %q %q %d body %q (none %v)",
						i, g.frame, g.kind, g.method, g.uri, g.code, g.body, g.noFile, w.frame, w.kind, w.method, w.uri, w.code, w.body, w.noFile)
				}
			}
		})
	}
}

// TestHTTPFramerSplits feeds streams split at every byte offset (and one
// byte at a time): the same messages come out, each in the segment
// holding its last byte. (Not so, as in Wireshark, for a chunked body with
// trailers, whose reassembly ends after the first trailer line, nor for a
// header block cut short by a malformed line, which is handed over when
// the empty line after it arrives.)
func TestHTTPFramerSplits(t *testing.T) {
	gz := synGzip("compressed body")
	streams := []struct {
		name, data, lastMethod string
	}{
		{"requests", synReq("/a") + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
			"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + "GET /d HTTP/1.0\r\nX: 1\r\n\r\n" +
			"DELETE /e HTTP/1.1\r\n\r\n", ""},
		{"responses", "HTTP/1.1 100 Continue\r\n\r\n" + synResp("first") +
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n" +
			"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + synItoa(len(gz)) + "\r\n\r\n" + gz +
			"HTTP/1.1 304 Not Modified\r\n\r\n" + "HTTP/1.1 200 OK\r\n\r\nuntil the end", "GET"},
	}
	for _, st := range streams {
		whole := frameSegments([]fseg{{1, st.data, true}}, st.lastMethod)
		if len(whole.msgs) == 0 {
			t.Fatalf("%s: no messages", st.name)
		}
		// Where each message ends in the stream.
		ends := make([]int, len(whole.msgs))
		off := 0
		for i, m := range whole.msgs {
			off += int(m.length)
			if i == 0 && strings.HasPrefix(st.data, "\r\n") {
				off += 2
			}
			ends[i] = off
		}
		check := func(desc string, segs []fseg, frameOf func(end int) int) {
			got := frameSegments(segs, st.lastMethod)
			if len(got.msgs) != len(whole.msgs) {
				t.Fatalf("%s %s: %d messages, want %d", st.name, desc, len(got.msgs), len(whole.msgs))
			}
			for i := range got.msgs {
				g, w := got.msgs[i], whole.msgs[i]
				if g.text != w.text || g.body != w.body || g.kind != w.kind || g.uri != w.uri || g.code != w.code {
					t.Fatalf("%s %s: message %d differs:\n got  %q (body %q)\n want %q (body %q)", st.name, desc, i, g.text, g.body, w.text, w.body)
				}
				if want := frameOf(ends[i]); g.frame != want {
					t.Fatalf("%s %s: message %d (%q) completes in frame %d, want %d", st.name, desc, i, g.text, g.frame, want)
				}
			}
		}
		for cut := 1; cut < len(st.data); cut++ {
			segs := []fseg{{1, st.data[:cut], false}, {2, st.data[cut:], true}}
			check(fmt.Sprintf("cut at %d", cut), segs, func(end int) int {
				if end <= cut {
					return 1
				}
				return 2
			})
		}
		var bytewise []fseg
		for i := 0; i < len(st.data); i++ {
			bytewise = append(bytewise, fseg{i + 1, st.data[i : i+1], i == len(st.data)-1})
		}
		check("byte by byte", bytewise, func(end int) int { return end })
	}
}

func TestParseHTTPMessage(t *testing.T) {
	p := parseHTTPMessage([]byte("GET  HTTP/1.1\r\nHost:  spaced  \r\nContent-Length: 12x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), false)
	if p.kind != httpRequest || p.method != "GET" || p.uri != "" || p.version != "HTTP/1.1" {
		t.Errorf("request line: %+v", p)
	}
	if string(p.host) != "spaced  " || p.clValid || p.te != teGzip || !p.chunked {
		t.Errorf("headers: host %q clValid %v te %d chunked %v", p.host, p.clValid, p.te, p.chunked)
	}
	if got := fullURI("GET", []byte(" h "), "/x"); got != "http://h/x" {
		t.Errorf("fullURI = %q", got)
	}
	if got := fullURI("GET", []byte("h"), "HTTP://abs/"); got != "HTTP://abs/" {
		t.Errorf("fullURI absolute = %q", got)
	}
	r := parseHTTPMessage([]byte("HTTP/1.1 2x0 Odd\r\nContent-Length: +3 \r\n\r\nabcdef"), false)
	if r.kind != httpResponse || r.code != 2 || !r.clValid || r.cl != 3 || r.consumed != 44 {
		t.Errorf("response: code %d cl %v/%d consumed %d", r.code, r.clValid, r.cl, r.consumed)
	}
	if got := fieldStr([]byte("a\tb\r\n\x00hidden")); got != `a\tb\r\n` {
		t.Errorf("fieldStr = %q", got)
	}
	if got := asciiStr([]byte("caf\xc3\xa9")); got != "caf\uFFFD\uFFFD" {
		t.Errorf("asciiStr = %q", got)
	}
	if got := formatText([]byte("a\x01\\\xc3\xa9\xe9\r\n")); got != `a\001\é`+"\uFFFD"+`\r\n` {
		t.Errorf("formatText = %q", got)
	}
	n, data, bad := dechunk([]byte("2\r\nab\r\n0\r\nX: 1\r\n\r\nrest"))
	if bad || n != 18 || string(data) != "ab" {
		t.Errorf("dechunk = %d %q %v", n, data, bad)
	}
	if !looksLikeHTTP([]byte("GET / HTTP/1.1\r\n")) || !looksLikeHTTP([]byte("HTTP/1.0 200 OK\r\n")) ||
		looksLikeHTTP([]byte("GET / HTTP/1.1")) || looksLikeHTTP([]byte("\x16\x03\x01\x02\x00\x01")) {
		t.Error("looksLikeHTTP")
	}
}

// TestHTTPFramerBounded: a message larger than what is kept of it is still
// framed right (its length, what follows), and keeps a prefix.
func TestHTTPFramerBounded(t *testing.T) {
	body := strings.Repeat("x", 1000)
	stream := "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + body + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"3e8\r\n" + body + "\r\n0\r\n\r\n" + synResp("after")
	for _, limit := range []int{64, 300} {
		budget := &keepBudget{limit: int64(limit)}
		s := &recSink{}
		f := newHTTPFramer(&httpConv{rrTail: -1, lastURIMsg: -1, lastFullURIMsg: -1, lastMethod: "GET"}, 0, s, 200, budget, &s.table)
		for i := 0; i < len(stream); i += 100 {
			f.segment([]byte(stream[i:min(i+100, len(stream))]), i/100+1, i, false, false)
		}
		if len(s.msgs) != 3 {
			t.Fatalf("limit %d: %d messages, want 3", limit, len(s.msgs))
		}
		if m := s.msgs[0]; !m.truncated || m.length != 1041 || m.code != 200 {
			t.Errorf("limit %d: first message: truncated %v length %d", limit, m.truncated, m.length)
		}
		if m := s.msgs[1]; !m.truncated || m.length != 1059 {
			t.Errorf("limit %d: chunked message: truncated %v length %d", limit, m.truncated, m.length)
		}
		if m := s.msgs[2]; m.truncated || m.body != "after" {
			t.Errorf("limit %d: last message %+v", limit, m)
		}
		if budget.used != 0 {
			t.Errorf("limit %d: %d bytes still charged", limit, budget.used)
		}
	}
}

func TestHTTPMessages(t *testing.T) {
	pkts := synthScenarios()["pipelined"].packets()
	a := httpAnalyze(pkts, Options{}, -1)
	var got []string
	for _, m := range a.HTTPMessages() {
		if m.Request {
			got = append(got, fmt.Sprintf("%d req %s %s %s resp@%d", m.Frame, m.Method, m.Host, m.URI, m.ResponseIn))
		} else {
			got = append(got, fmt.Sprintf("%d resp %d %q req@%d", m.Frame, m.Code, m.ContentType, m.RequestIn))
		}
	}
	// Pairing is Wireshark's: a response takes the last request, so with
	// pipelining the first request goes unanswered; messages in one frame
	// share the frame's pair (frame 8's requests both show response 9;
	// frame 9's pair is the one the 404 started, with no request).
	want := []string{
		"4 req GET example.com /1 resp@0",
		"5 req GET example.com /2 resp@6",
		"6 resp 200 \"text/plain\" req@5",
		"7 resp 200 \"text/plain\" req@0",
		"8 req GET example.com /3 resp@9",
		"8 req GET example.com /4 resp@9",
		"9 resp 200 \"text/plain\" req@0",
		"9 resp 404 \"\" req@0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("HTTPMessages:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
