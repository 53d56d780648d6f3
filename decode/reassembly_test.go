package decode

import (
	"strings"
	"testing"
)

// The reassembly, through the Analyzer: follow mode (FollowTCP) reorders
// as tshark's follow does; dissect mode (what HTTP sees) is Wireshark's
// desegmentation, which does not.
//
// Overlapping data: Wireshark keeps the bytes it got first (tshark's follow
// shows the first copy; its HTTP reassembly too), and so does wiretap.
// Overlaps with segments still waiting out of order are different in
// gopacket: the segment arriving in order overwrites what waits.

// followText is a followed stream as "dir:frame:data" chunks.
func followText(t *testing.T, c synConv) string {
	t.Helper()
	pkts := c.packets()
	a := httpAnalyze(pkts, Options{}, 0)
	chunks, err := a.FollowTCP(0)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, ch := range chunks {
		parts = append(parts, strings.Join([]string{string(rune('0' + ch.Dir)), synItoa(ch.Frame), string(ch.Data)}, ":"))
	}
	return strings.Join(parts, " | ")
}

// httpSummary is the HTTP messages of a conversation as "frame:kind:text".
func httpSummary(t *testing.T, c synConv) string {
	t.Helper()
	pkts := c.packets()
	a := httpAnalyze(pkts, Options{}, -1)
	var parts []string
	for i := range pkts {
		p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
		if s := p.FieldText("http.request.uri", ","); s != "" {
			parts = append(parts, synItoa(i+1)+":req:"+s)
		}
		if s := p.FieldText("http.response.code", ","); s != "" {
			parts = append(parts, synItoa(i+1)+":resp:"+s+":"+p.FieldText("http.file_data", ","))
		}
		if p.FieldText("http.request", "") == "" && p.FieldText("http.response", "") == "" {
			if s := p.FieldText("http.file_data", ","); s != "" {
				parts = append(parts, synItoa(i+1)+":cont:"+s)
			}
		}
	}
	return strings.Join(parts, " | ")
}

func TestReassemblyFollow(t *testing.T) {
	tests := []struct {
		name string
		conv synConv
		want string
	}{
		{"in order", synConv{segs: synJoin(synHandshake(), []synSeg{{dir: 0, data: "abc"}, {dir: 1, data: "def"}, {dir: 0, data: "gh"}})},
			"0:4:abc | 1:5:def | 0:6:gh"},
		{"missing SYN: starts at the first packet", synConv{segs: []synSeg{{dir: 1, data: "tail of something"}, {dir: 0, data: "abc"}, {dir: 1, data: "def"}}},
			// Dir 0 is the first sender: here the server.
			"0:1:tail of something | 1:2:abc | 0:3:def"},
		{"retransmission: the copy is dropped", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "abc"}, {dir: 0, data: "abc", seq: synAt(1)}, {dir: 0, data: "def"}})},
			"0:4:abc | 0:6:def"},
		{"overlap with different data: the first copy wins", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "abcdef"}, {dir: 0, data: "XYZWghi", seq: synAt(4)}})},
			"0:4:abcdef | 0:5:Wghi"},
		{"out of order: reordered", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "def", seq: synAt(4)}, {dir: 0, data: "abc", seq: synAt(1)}, {dir: 0, data: "gh"}})},
			"0:5:abc | 0:4:def | 0:6:gh"},
		{"gap never filled: skipped at the end", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "abc"}, {dir: 0, data: "xyz", seq: synAt(10)}})},
			"0:4:abc | 0:5:[6 bytes missing in capture file]\x00 | 0:5:xyz"},
		{"sequence numbers wrap around", synConv{isn: [2]uint32{0xfffffffd, 0xfffffffe}, segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "abcd"}, {dir: 0, data: "efgh"}, {dir: 1, data: "0123"}, {dir: 0, data: "ijkl", seq: synAt(9)}, {dir: 1, data: "4567"}})},
			"0:4:abcd | 0:5:efgh | 1:6:0123 | 0:7:ijkl | 1:8:4567"},
		{"FIN and RST end the stream", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "abc", flags: "F"}, {dir: 1, data: "xyz"}, {dir: 1, flags: "R"}})},
			"0:4:abc | 1:5:xyz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := followText(t, tc.conv); got != tc.want {
				t.Errorf("follow:\n got  %s\n want %s", got, tc.want)
			}
		})
	}
}

func TestReassemblyHTTP(t *testing.T) {
	body20 := "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
	tests := []struct {
		name string
		conv synConv
		want string
	}{
		{"message across segments completes where its last byte is", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: body20 + "0123456789"}, {dir: 1, data: "abcdefghij"}})},
			"4:req:/a | 6:resp:200:0123456789abcdefghij"},
		{"missing SYN", synConv{segs: []synSeg{{dir: 0, data: synReq("/a")}, {dir: 1, data: synResp("hi")}}},
			"1:req:/a | 2:resp:200:hi"},
		{"retransmission of the first segment is not seen twice", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: body20 + "0123456789"}, {dir: 1, data: body20 + "0123456789", seq: synAt(1)},
			{dir: 1, data: "abcdefghij"}})},
			"4:req:/a | 7:resp:200:0123456789abcdefghij"},
		{"overlap with different data: the first copy wins", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: body20 + "0123456789"}, {dir: 1, data: "XXXXXabcdefghij", seq: synAt(45)}})},
			// The overlapping segment is out of order: Wireshark adds its bytes
			// but calls no dissector in that frame, so the response is lost.
			"4:req:/a"},
		{"overlap completing in a normal frame", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: body20 + "0123456789"}, {dir: 1, data: "XXXXXabcde", seq: synAt(45)},
			{dir: 1, data: "fghij"}})},
			// The out-of-order segment's new bytes join the PDU, which is
			// shown in the next, normal, frame.
			"4:req:/a | 7:resp:200:0123456789abcdefghij"},
		{"gap inside a body: the rest of the PDU is lost, what follows read afresh", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: body20 + "0123456789"}, {dir: 1, data: "KLMNOPQRST", seq: synAt(56)},
			{dir: 1, data: synResp("ok")}})},
			"4:req:/a | 7:cont:OPQRST" + strings.ReplaceAll(strings.ReplaceAll(synResp("ok"), "\r", `\r`), "\n", `\n`)},
		{"out of order: the late segment is old data", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/a")}, {dir: 1, data: "ABCDEFGHIJ", seq: synAt(50)}, {dir: 1, data: body20 + "0123456789", seq: synAt(1)},
			{dir: 1, data: "\r\n\r\n"}})},
			"4:req:/a | 7:cont:ABCDEFGHIJ\\r\\n\\r\\n"},
		{"sequence numbers wrap around", synConv{isn: [2]uint32{0xfffffff0, 0xfffffffa}, segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: synReq("/wrapping")}, {dir: 1, data: body20 + "0123456789"}, {dir: 1, data: "abcdefghij"}})},
			"4:req:/wrapping | 6:resp:200:0123456789abcdefghij"},
		{"port reuse: a new conversation starts over", synConv{segs: synJoin(synHandshake(), []synSeg{
			{dir: 0, data: "GET /1 HTTP/1.1\r\nHost: a\r\n"}}, synClosing(), []synSeg{
			{dir: 0, flags: "S", seq: synAt(100000)}, {dir: 1, flags: "S"}, {dir: 0, data: synReq("/2"), seq: synAt(100001)}})},
			"10:req:/2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpSummary(t, tc.conv); got != tc.want {
				t.Errorf("HTTP:\n got  %s\n want %s", got, tc.want)
			}
		})
	}
}
