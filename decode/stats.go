package decode

import (
	"fmt"
	"io"
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

// statPad appends v padded with blanks to width bytes (as printf's %-Ns
// and %Ns do), on the right when left, else on the left.
func statPad(b, v []byte, width int, left bool) []byte {
	if left {
		b = append(b, v...)
	}
	for pad := width - len(v); pad > 0; pad-- {
		b = append(b, ' ')
	}
	if !left {
		b = append(b, v...)
	}
	return b
}

// Stats gathers the -z tables that need every dissected packet.
type Stats struct {
	ip  ipConvTable
	phs *phsNode
}

type phsNode struct {
	name     string
	frames   int
	bytes    int64
	children []*phsNode
}

// NewStats returns empty tables.
func NewStats() *Stats {
	return &Stats{phs: &phsNode{}}
}

// Add accounts one dissected packet.
func (s *Stats) Add(p *Packet) {
	length := int64(0)
	if f := p.Fields("frame.len"); len(f) > 0 {
		length = int64(f[0].U)
	}
	var rel time.Duration
	if f := p.Fields("frame.time_relative"); len(f) > 0 {
		rel = f[0].D
	}

	// Conversations and endpoints: every IPv4 header's addresses (a
	// tunnel's inner header too: tshark's ip tap fires per header), but
	// for the header an ICMP error quotes, which Wireshark dissects as an
	// error packet, whose taps do not fire.
	if src, dst := p.Fields("ip.src"), p.Fields("ip.dst"); len(src) > 0 {
		quoted := -1
		if ic := p.Fields("icmp"); len(ic) > 0 {
			quoted = ic[0].Start
		}
		for i := range min(len(src), len(dst)) {
			if quoted >= 0 && src[i].Source == 0 && src[i].Start > quoted {
				break
			}
			s.ip.add(src[i].IP, dst[i].IP, length, rel)
		}
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
				next = &phsNode{name: strings.Clone(name)} // f.S is the tree's: Release reuses it
				node.children = append(node.children, next)
			}
			next.frames++
			next.bytes += length
			node = next
		}
	}
}

// The fields Stats.Add reads, for DissectFor: for -z io,phs, and for
// -z conv,ip and endpoints,ip.
var (
	PHSFields = []string{"frame.len", "frame.protocols"}
	IPFields  = []string{"frame.len", "frame.time_relative", "ip.src", "ip.dst", "icmp"}
)

// WriteEndpointsIP prints -z endpoints,ip, most packets first.
func (s *Stats) WriteEndpointsIP(w io.Writer) { WriteEndpoints(w, "IPv4", false, s.ip.eps.rows) }

// WriteConvIP prints -z conv,ip, most packets first.
func (s *Stats) WriteConvIP(w io.Writer) { WriteConversations(w, "IPv4", false, s.ip.convs) }

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
