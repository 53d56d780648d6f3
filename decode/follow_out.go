package decode

import (
	"fmt"
	"io"
	"strings"
)

const followRule = "===================================================================\n"

// WriteFollow prints a followed TCP stream as `tshark -z follow,tcp,MODE,N`
// does: node 0 is the side that sent the first data; ascii mode prints each
// chunk's length and its text (unprintable bytes as dots), hex mode a hex
// dump per chunk with offsets counted per side; node 1's lines are indented
// by a tab.
func WriteFollow(w io.Writer, mode string, stream int, a, b string, chunks []FollowChunk) {
	// Node 0 is the sender of the first chunk with data.
	first := 0
	for _, c := range chunks {
		if len(c.Data) > 0 {
			first = c.Dir
			break
		}
	}
	writeFollow(w, "tcp", mode, stream, a, b, first, chunks)
}

// WriteFollowTLS prints a TLS stream's decrypted data (FollowTLS) as
// `tshark -z follow,tls,MODE,N` does: node 0 is the side of first, and
// raw mode is each chunk in hex on a line of its own. (tshark 4.0 names
// node 1 ":0"; wiretap names it. With nothing decrypted, first < 0, both
// are ":0", as tshark prints them: no record says who is who.)
func WriteFollowTLS(w io.Writer, mode string, stream int, a, b string, first int, chunks []FollowChunk) {
	if first < 0 {
		a, b, first = ":0", ":0", 0
	}
	writeFollow(w, "tls", mode, stream, a, b, first, chunks)
}

// WriteFollowHTTP2 prints HTTP/2 stream sid of a TCP stream
// (FollowHTTP2) in tshark's -z follow layout, node 0 the side that sent
// first. (tshark 4.0 prints the header with ":0" nodes and no data.)
func WriteFollowHTTP2(w io.Writer, mode string, stream int, sid uint32, a, b string, chunks []FollowChunk) {
	first := 0
	if len(chunks) > 0 {
		first = chunks[0].Dir
	}
	writeFollowFilter(w, "http2", mode, fmt.Sprintf("tcp.stream eq %d and http2.streamid eq %d", stream, sid), a, b, first, chunks)
}

func writeFollow(w io.Writer, proto, mode string, stream int, a, b string, first int, chunks []FollowChunk) {
	writeFollowFilter(w, proto, mode, fmt.Sprintf("tcp.stream eq %d", stream), a, b, first, chunks)
}

func writeFollowFilter(w io.Writer, proto, mode, filter string, a, b string, first int, chunks []FollowChunk) {
	var sb strings.Builder
	sb.WriteString("\n" + followRule)
	fmt.Fprintf(&sb, "Follow: %s,%s\nFilter: %s\n", proto, mode, filter)
	nodes := [2]string{a, b}
	if first == 1 {
		nodes[0], nodes[1] = b, a
	}
	fmt.Fprintf(&sb, "Node 0: %s\nNode 1: %s\n", nodes[0], nodes[1])
	var offset [2]int
	for _, c := range chunks {
		if len(c.Data) == 0 {
			continue
		}
		node := 0
		if c.Dir != first {
			node = 1
		}
		prefix := ""
		if node == 1 {
			prefix = "\t"
		}
		switch mode {
		case "hex":
			followHex(&sb, prefix, offset[node], c.Data)
		case "raw":
			fmt.Fprintf(&sb, "%s%x\n", prefix, c.Data)
		default:
			fmt.Fprintf(&sb, "%s%d\n", prefix, len(c.Data))
			for _, ch := range c.Data {
				if ch == '\r' || ch == '\n' || (ch >= 0x20 && ch < 0x7f) {
					sb.WriteByte(ch)
				} else {
					sb.WriteByte('.')
				}
			}
			sb.WriteByte('\n')
		}
		offset[node] += len(c.Data)
	}
	sb.WriteString(followRule)
	io.WriteString(w, sb.String())
}

// followHex is the hex layout of tshark's follow: an 8-digit offset, 16
// bytes in hex with a gap after 8, and the printable characters likewise.
func followHex(sb *strings.Builder, prefix string, offset int, data []byte) {
	for i := 0; i < len(data); i += 16 {
		line := data[i:min(i+16, len(data))]
		var hexPart, text strings.Builder
		for j, ch := range line {
			fmt.Fprintf(&hexPart, "%02x ", ch)
			if ch >= 0x20 && ch < 0x7f {
				text.WriteByte(ch)
			} else {
				text.WriteByte('.')
			}
			if j == 7 {
				hexPart.WriteByte(' ')
				text.WriteByte(' ')
			}
		}
		// tshark drops one trailing space from the text column: the gap
		// after 8 bytes when a line ends there, else a real space.
		fmt.Fprintf(sb, "%s%08X  %-49s %s\n", prefix, offset+i, hexPart.String(), strings.TrimSuffix(text.String(), " "))
	}
}
