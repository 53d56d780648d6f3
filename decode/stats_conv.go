package decode

import (
	"bytes"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// The conversation (-z conv,…) and endpoint (-z endpoints,…) tables, as
// tshark's ui/cli/tap-iousers.c and tap-endpoints.c print them: one
// writer for each family, fed rows in the order their first packet came
// (tshark's conversation array), printed most frames first, ties in that
// order.

// A ConvRow is one conversation: A is the source of its first packet.
type ConvRow struct {
	A, B Endpoint // ports are 0 (and not shown) in address-only tables
	// Frames and Bytes (frame lengths on the wire) A sent ([0], "->") and
	// received ([1], "<-").
	Frames [2]int
	Bytes  [2]int64
	// Start and End are the earliest and latest packets' times since the
	// capture's first frame (frame.time_relative).
	Start, End time.Duration
}

// WriteConversations prints a conversation table titled "<kind>
// Conversations" (kind "TCP", "UDP", "IPv4"); ports says whether the
// endpoints are address:port.
func WriteConversations(w io.Writer, kind string, ports bool, rows []ConvRow) {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b ConvRow) int {
		return (b.Frames[0] + b.Frames[1]) - (a.Frames[0] + a.Frames[1])
	})
	indent, width := "", 20
	if ports {
		indent, width = "            ", 26
	}
	var b bytes.Buffer
	b.Grow(len(sorted)*150 + 1024)
	b.WriteString(statRule)
	b.WriteString(kind + " Conversations\nFilter:<No Filter>\n")
	b.WriteString(indent + "                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n")
	b.WriteString(indent + "                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n")
	// The lines are "%-26s <-> %-26s  %6d %-9s  %6d %-9s  %6d %-9s
	// %14.9f   %12.4f" (%-20s without ports), built with appends: a large
	// capture has tens of thousands of conversations.
	line := make([]byte, 0, 160)
	var num [48]byte
	for _, s := range sorted {
		line = line[:0]
		line = statPad(line, appendConvEndpoint(num[:0], s.A, ports), width, true)
		line = append(line, " <-> "...)
		line = statPad(line, appendConvEndpoint(num[:0], s.B, ports), width, true)
		for _, c := range [3]struct {
			frames int
			bytes  int64
		}{{s.Frames[1], s.Bytes[1]}, {s.Frames[0], s.Bytes[0]}, {s.Frames[0] + s.Frames[1], s.Bytes[0] + s.Bytes[1]}} {
			line = append(line, "  "...)
			line = statPad(line, strconv.AppendInt(num[:0], int64(c.frames), 10), 6, false)
			line = append(line, ' ')
			line = statPad(line, []byte(formatSize(c.bytes)), 9, true)
		}
		start, end := nstimeToSec(int64(s.Start)), nstimeToSec(int64(s.End))
		line = append(line, "  "...)
		line = statPad(line, strconv.AppendFloat(num[:0], start, 'f', 9, 64), 14, false)
		line = append(line, "   "...)
		line = statPad(line, strconv.AppendFloat(num[:0], end-start, 'f', 4, 64), 12, false)
		line = append(line, '\n')
		b.Write(line)
	}
	b.WriteString(statRule)
	w.Write(b.Bytes())
}

// appendConvEndpoint is how tshark's conversation tables write an
// endpoint: the address, and the port after a colon (no brackets, even
// for IPv6).
func appendConvEndpoint(b []byte, e Endpoint, port bool) []byte {
	b = e.Addr.AppendTo(b)
	if port {
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(e.Port), 10)
	}
	return b
}

// An EndpointRow is one endpoint: an address, or an address and port.
type EndpointRow struct {
	Endpoint
	TxFrames, RxFrames int
	TxBytes, RxBytes   int64
}

// WriteEndpoints prints an endpoint table titled "<kind> Endpoints" (kind
// "TCP", "UDP", "IPv4"), rows in the order the endpoints were first seen;
// ports says whether it has a Port column.
func WriteEndpoints(w io.Writer, kind string, ports bool, rows []EndpointRow) {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b EndpointRow) int {
		return (b.TxFrames + b.RxFrames) - (a.TxFrames + a.RxFrames)
	})
	var b bytes.Buffer
	b.Grow(len(sorted)*120 + 1024)
	b.WriteString(statRule)
	b.WriteString(kind + " Endpoints\nFilter:<No Filter>\n")
	if ports {
		b.WriteString("                       |  Port  ||  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |\n")
	} else {
		b.WriteString("                       |  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |\n")
	}
	// "%-20s      %5s     %6d     %9d     %6d       %9d      %6d       %9d   "
	// (without "%5s     " when there are no ports).
	line := make([]byte, 0, 128)
	var num [48]byte
	for _, e := range sorted {
		line = line[:0]
		line = statPad(line, e.Addr.AppendTo(num[:0]), 20, true)
		line = append(line, "      "...)
		if ports {
			line = statPad(line, strconv.AppendUint(num[:0], uint64(e.Port), 10), 5, false)
			line = append(line, "     "...)
		}
		for i, c := range [6]int64{int64(e.TxFrames + e.RxFrames), e.TxBytes + e.RxBytes, int64(e.TxFrames), e.TxBytes, int64(e.RxFrames), e.RxBytes} {
			width, gap := 6, "     "
			switch i {
			case 1, 3, 5:
				width = 9
			}
			switch i {
			case 2:
				gap = "       "
			case 3:
				gap = "      "
			case 4:
				gap = "       "
			case 5:
				gap = "   "
			}
			line = statPad(line, strconv.AppendInt(num[:0], c, 10), width, false)
			line = append(line, gap...)
		}
		line = append(line, '\n')
		b.Write(line)
	}
	b.WriteString(statRule)
	w.Write(b.Bytes())
}

// endpointTable collects endpoint rows in the order first seen.
type endpointTable struct {
	rows  []EndpointRow
	index map[Endpoint]int
}

func (t *endpointTable) row(e Endpoint) *EndpointRow {
	if t.index == nil {
		t.index = map[Endpoint]int{}
	}
	i, ok := t.index[e]
	if !ok {
		i = len(t.rows)
		t.index[e] = i
		t.rows = append(t.rows, EndpointRow{Endpoint: e})
	}
	return &t.rows[i]
}

// addConv accounts a conversation's two ends: A (the source of its first
// packet, so seen first) sent Frames[0] and received Frames[1].
func (t *endpointTable) addConv(a, b Endpoint, frames [2]int, bytes [2]int64) {
	ra := t.row(a)
	ra.TxFrames += frames[0]
	ra.TxBytes += bytes[0]
	ra.RxFrames += frames[1]
	ra.RxBytes += bytes[1]
	rb := t.row(b)
	rb.TxFrames += frames[1]
	rb.TxBytes += bytes[1]
	rb.RxFrames += frames[0]
	rb.RxBytes += bytes[0]
}

// TCPConversations are -z conv,tcp's rows, from the fast pass's streams
// (tshark keys TCP conversations by tcp.stream too).
func TCPConversations(streams []*Stream, first time.Time) []ConvRow {
	rows := make([]ConvRow, len(streams))
	for i, s := range streams {
		rows[i] = ConvRow{A: s.Client, B: s.Server, Frames: s.Packets, Bytes: s.Bytes,
			Start: s.Earliest.Sub(first), End: s.Latest.Sub(first)}
	}
	return rows
}

// UDPConversations are -z conv,udp's rows, from the fast pass's streams.
func UDPConversations(streams []*UDPStreamInfo, first time.Time) []ConvRow {
	rows := make([]ConvRow, len(streams))
	for i, s := range streams {
		rows[i] = ConvRow{A: s.A, B: s.B, Frames: s.Packets, Bytes: s.Bytes,
			Start: s.Earliest.Sub(first), End: s.Latest.Sub(first)}
	}
	return rows
}

// ConvEndpoints turns conversations with ports into endpoint rows
// (-z endpoints,tcp and endpoints,udp): each conversation's first packet
// shows both its ends, so the order of first sight is the conversations'
// order, A before B.
func ConvEndpoints(convs []ConvRow) []EndpointRow {
	var t endpointTable
	for _, c := range convs {
		t.addConv(c.A, c.B, c.Frames, c.Bytes)
	}
	return t.rows
}

// WriteConvTCP prints -z conv,tcp: one line per TCP conversation, most
// frames first. "<-" counts what A received, "->" what A sent; A is the side
// that sent the conversation's first packet.
func WriteConvTCP(w io.Writer, streams []*Stream, first time.Time) {
	WriteConversations(w, "TCP", true, TCPConversations(streams, first))
}

// ipConvTable collects -z conv,ip and endpoints,ip from the IPv4 headers
// (tshark's ip tap fires once per header: a tunnel's inner header counts
// too, not the one an ICMP error quotes; see Stats.Add).
type ipConvTable struct {
	convs []ConvRow
	index map[[2]netip.Addr]int
	eps   endpointTable
}

func (t *ipConvTable) add(src, dst netip.Addr, length int64, rel time.Duration) {
	if t.index == nil {
		t.index = map[[2]netip.Addr]int{}
	}
	e := t.eps.row(Endpoint{Addr: src})
	e.TxFrames++
	e.TxBytes += length
	e = t.eps.row(Endpoint{Addr: dst})
	e.RxFrames++
	e.RxBytes += length

	i, ok := t.index[[2]netip.Addr{src, dst}]
	dir := 0
	if !ok {
		i, ok = t.index[[2]netip.Addr{dst, src}]
		dir = 1
	}
	if !ok {
		i, dir = len(t.convs), 0
		t.index[[2]netip.Addr{src, dst}] = i
		t.convs = append(t.convs, ConvRow{A: Endpoint{Addr: src}, B: Endpoint{Addr: dst}, Start: rel, End: rel})
	}
	c := &t.convs[i]
	c.Frames[dir]++
	c.Bytes[dir] += length
	// add_conversation_table_data: a later packet extends the end, or
	// else an earlier one the start.
	if rel > c.End {
		c.End = rel
	} else if rel < c.Start {
		c.Start = rel
	}
}
