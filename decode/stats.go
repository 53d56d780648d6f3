package decode

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The -z statistics, printed in tshark's layouts so that figures can be
// compared line by line.

const statRule = "================================================================================\n"

// formatSize prints a byte count as tshark's conversation tables do: plain
// bytes below 10 kB, then whole SI units.
var sizeUnits = [...]string{"bytes", "kB", "MB", "GB", "TB", "PB"}

func formatSize(n int64) string {
	units := sizeUnits[:]
	i := 0
	for i < len(units)-1 && n >= 10_000 {
		n /= 1000
		i++
	}
	return strconv.FormatInt(n, 10) + " " + units[i]
}

// WriteConvTCP prints -z conv,tcp: one line per TCP conversation, most
// frames first. "<-" counts what A received, "->" what A sent; A is the side
// that sent the conversation's first packet.
func WriteConvTCP(w io.Writer, streams []*Stream, first time.Time) {
	sorted := append([]*Stream(nil), streams...)
	slices.SortStableFunc(sorted, func(a, b *Stream) int {
		return (b.Packets[0] + b.Packets[1]) - (a.Packets[0] + a.Packets[1])
	})
	var b bytes.Buffer
	b.Grow(len(sorted)*150 + 1024)
	b.WriteString(statRule)
	b.WriteString("TCP Conversations\nFilter:<No Filter>\n")
	b.WriteString("                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n")
	b.WriteString("                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n")
	// The lines are "%-26s <-> %-26s  %6d %-9s  %6d %-9s  %6d %-9s
	// %14.9f   %12.4f", built with appends: a large capture has tens of
	// thousands of conversations.
	line := make([]byte, 0, 160)
	var num [32]byte
	for _, s := range sorted {
		rel := s.Start.Sub(first).Seconds()
		dur := s.End.Sub(s.Start).Seconds()
		line = line[:0]
		line = appendPadded(line, appendConvAddr(num[:0], s.Client), 26, true)
		line = append(line, " <-> "...)
		line = appendPadded(line, appendConvAddr(num[:0], s.Server), 26, true)
		for _, c := range [3]struct {
			frames int
			bytes  int64
		}{{s.Packets[1], s.Bytes[1]}, {s.Packets[0], s.Bytes[0]}, {s.Packets[0] + s.Packets[1], s.Bytes[0] + s.Bytes[1]}} {
			line = append(line, "  "...)
			line = appendPadded(line, strconv.AppendInt(num[:0], int64(c.frames), 10), 6, false)
			line = append(line, ' ')
			line = appendPadded(line, []byte(formatSize(c.bytes)), 9, true)
		}
		line = append(line, "  "...)
		line = appendPadded(line, strconv.AppendFloat(num[:0], rel, 'f', 9, 64), 14, false)
		line = append(line, "   "...)
		line = appendPadded(line, strconv.AppendFloat(num[:0], dur, 'f', 4, 64), 12, false)
		line = append(line, '\n')
		b.Write(line)
	}
	b.WriteString(statRule)
	w.Write(b.Bytes())
}

// Stats gathers the -z tables that need every dissected packet.
type Stats struct {
	endpoints map[string]*endpointStat
	order     []string
	phs       *phsNode
	first     time.Time
	last      time.Time
	packets   int
}

type endpointStat struct {
	txFrames, rxFrames int
	txBytes, rxBytes   int64
}

type phsNode struct {
	name     string
	frames   int
	bytes    int64
	children []*phsNode
}

// NewStats returns empty tables.
func NewStats() *Stats {
	return &Stats{
		endpoints: map[string]*endpointStat{},
		phs:       &phsNode{},
	}
}

// Add accounts one dissected packet.
func (s *Stats) Add(p *Packet) {
	length := int64(0)
	if f := p.Fields("frame.len"); len(f) > 0 {
		length = int64(f[0].U)
	}
	var ts time.Time
	if f := p.Fields("frame.time_epoch"); len(f) > 0 {
		ts = f[0].T
	}
	if s.packets == 0 {
		s.first = ts
	}
	s.last = ts
	s.packets++

	// Endpoints: the first IPv4 header's addresses.
	if src, dst := p.Fields("ip.src"), p.Fields("ip.dst"); len(src) > 0 && len(dst) > 0 {
		s.endpoint(src[0].Text()).txFrames++
		s.endpoint(src[0].Text()).txBytes += length
		s.endpoint(dst[0].Text()).rxFrames++
		s.endpoint(dst[0].Text()).rxBytes += length
	}

	// Protocol hierarchy from frame.protocols, without the "ethertype"
	// pseudo-layer that tshark leaves out of this table too.
	if f := p.Fields("frame.protocols"); len(f) > 0 {
		node := s.phs
		for _, name := range strings.Split(f[0].S, ":") {
			if name == "ethertype" || name == "" {
				continue
			}
			var next *phsNode
			for _, c := range node.children {
				if c.name == name {
					next = c
				}
			}
			if next == nil {
				next = &phsNode{name: name}
				node.children = append(node.children, next)
			}
			next.frames++
			next.bytes += length
			node = next
		}
	}
}

func (s *Stats) endpoint(addr string) *endpointStat {
	e := s.endpoints[addr]
	if e == nil {
		e = &endpointStat{}
		s.endpoints[addr] = e
		s.order = append(s.order, addr)
	}
	return e
}

// WriteEndpointsIP prints -z endpoints,ip, most packets first.
func (s *Stats) WriteEndpointsIP(w io.Writer) {
	addrs := append([]string(nil), s.order...)
	sort.SliceStable(addrs, func(i, j int) bool {
		a, b := s.endpoints[addrs[i]], s.endpoints[addrs[j]]
		return a.txFrames+a.rxFrames > b.txFrames+b.rxFrames
	})
	var b strings.Builder
	b.WriteString(statRule)
	b.WriteString("IPv4 Endpoints\nFilter:<No Filter>\n")
	b.WriteString("                       |  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |\n")
	for _, a := range addrs {
		e := s.endpoints[a]
		fmt.Fprintf(&b, "%-20s      %6d     %9d     %6d       %9d      %6d       %9d   \n",
			a, e.txFrames+e.rxFrames, e.txBytes+e.rxBytes, e.txFrames, e.txBytes, e.rxFrames, e.rxBytes)
	}
	b.WriteString(statRule)
	io.WriteString(w, b.String())
}

// WritePHS prints -z io,phs.
func (s *Stats) WritePHS(w io.Writer) {
	var b strings.Builder
	rule := "===================================================================\n"
	b.WriteString("\n" + rule + "Protocol Hierarchy Statistics\nFilter: \n\n")
	var walk func(n *phsNode, depth int)
	walk = func(n *phsNode, depth int) {
		for _, c := range n.children {
			name := strings.Repeat("  ", depth) + c.name
			fmt.Fprintf(&b, "%-40s frames:%d bytes:%d\n", name, c.frames, c.bytes)
			walk(c, depth+1)
		}
	}
	walk(s.phs, 0)
	b.WriteString(rule)
	io.WriteString(w, b.String())
}

// convAddr is how tshark's conversation table writes an endpoint: the
// address and the port joined by a colon, no brackets even for IPv6.
func convAddr(e Endpoint) string { return fmt.Sprintf("%s:%d", e.Addr, e.Port) }

// appendConvAddr is convAddr without allocating.
func appendConvAddr(b []byte, e Endpoint) []byte {
	b = e.Addr.AppendTo(b)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(e.Port), 10)
}
