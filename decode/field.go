package decode

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is the type of a field's value, after Wireshark's FT_* types.
type Kind uint8

const (
	KindNone     Kind = iota // a text-only node or a protocol subtree
	KindUint                 // U
	KindInt                  // I
	KindBool                 // U != 0
	KindString               // S
	KindBytes                // B
	KindIPv4                 // IP
	KindIPv6                 // IP
	KindMAC                  // B (6 bytes)
	KindTime                 // T (absolute)
	KindDuration             // D (relative time)
	KindFloat                // F
	KindFrameNum             // U: a reference to another frame (http.response_in)
	KindProtocol             // a protocol node ("tcp"): its presence is its value
)

// Base says how an integer field prints, after Wireshark's BASE_*.
type Base uint8

const (
	BaseDec Base = iota
	BaseHex      // 0x%0Nx, N = 2*Bits/8
)

// Field is one node of a packet's dissection tree: what Wireshark's details
// pane shows as a line, with the filter name, the typed value and the bytes
// it covers, so the viewer can light them up.
type Field struct {
	Name  string // Wireshark's filter name, e.g. "tcp.srcport"; "" for text-only nodes
	Label string // the line the tree shows, e.g. "Source Port: 36444"
	Kind  Kind
	Base  Base
	Bits  uint8 // width of an integer field: 8, 16, 32 or 64 (hex padding)
	U     uint64
	I     int64
	F     float64
	S     string
	B     []byte
	IP    netip.Addr
	T     time.Time
	D     time.Duration
	// Start and Len give the bytes the field covers in data source Source
	// (0 is the frame itself; see Packet.Sources).
	Start, Len int
	Source     int
	// Hidden fields exist for filters and -e (tcp.port, ip.addr) but are
	// not shown in the tree, as in Wireshark.
	Hidden   bool
	Children []*Field
	// tree made the node: its children's arrays come from it too.
	tree *tree
	// gone: a node no one asked for (tree.want): never added anywhere.
	gone bool
}

// Add appends a child and returns it.
func (f *Field) Add(c *Field) *Field {
	if f.gone || c.gone {
		return c
	}
	if len(f.Children) == cap(f.Children) {
		if f.tree != nil {
			f.Children = f.tree.grow(f.Children)
		} else if f.Children == nil {
			f.Children = make([]*Field, 0, 4) // most parents have a few
		}
	}
	f.Children = append(f.Children, c)
	return c
}

// Walk calls fn for f and every descendant, depth first, in tree order.
func (f *Field) Walk(fn func(*Field) bool) bool {
	if !fn(f) {
		return false
	}
	for _, c := range f.Children {
		if !c.Walk(fn) {
			return false
		}
	}
	return true
}

// Text formats the value as `tshark -T fields` (4.0) prints it:
//
//   - a named node without a value (FT_NONE: tcp.analysis, tls.handshake)
//     prints "1", its presence;
//   - a protocol prints its abbreviation (tls, http), or for those whose
//     dissector writes its tree line (tcp, ip, eth, frame) that line;
//   - booleans 1 or 0; integers in decimal, or hexadecimal padded to the
//     field's width (0x0002 for a 16-bit field); frame numbers in decimal;
//   - absolute times as a date in the local time zone with nine decimals
//     and the zone ("Dec  9, 2014 17:16:09.924505488 UTC"; a few fields in
//     UTC), except frame.time_epoch: seconds since 1970;
//   - relative times in seconds with nine decimals;
//   - bytes in hex without separators (an empty value "<MISSING>");
//   - addresses as usual; strings as they are: the dissectors keep them
//     as tshark prints them (FieldsFormat escapes what is left to escape).
func (f *Field) Text() string {
	if protoLabelText[f.Name] && f.Label != "" {
		return labelText(f)
	}
	switch f.Kind {
	case KindNone:
		return "1"
	case KindUint, KindFrameNum:
		if f.Base == BaseHex {
			w := int(f.Bits) / 4
			if w == 0 {
				w = 2
			}
			return fmt.Sprintf("0x%0*x", w, f.U)
		}
		return strconv.FormatUint(f.U, 10)
	case KindInt:
		return strconv.FormatInt(f.I, 10)
	case KindBool:
		if f.U != 0 {
			return "1"
		}
		return "0"
	case KindString:
		return f.S
	case KindBytes:
		if len(f.B) == 0 {
			// As tshark -T fields prints an empty byte string.
			return "<MISSING>"
		}
		return hex.EncodeToString(f.B)
	case KindMAC:
		return net.HardwareAddr(f.B).String()
	case KindIPv4, KindIPv6:
		return f.IP.String()
	case KindTime:
		switch timeDisplay[f.Name] {
		case timeUnix:
			return fmt.Sprintf("%d.%09d", f.T.Unix(), f.T.Nanosecond())
		case timeUTC:
			return f.T.UTC().Format(absTimeLayout)
		}
		return f.T.Local().Format(absTimeLayout)
	case KindDuration:
		return formatSeconds(f.D)
	case KindFloat:
		return strconv.FormatFloat(f.F, 'f', -1, 64)
	case KindProtocol:
		return f.Name
	}
	return ""
}

// absTimeLayout is tshark's absolute time: "%b %e, %Y %H:%M:%S.%09d %Z".
const absTimeLayout = "Jan _2, 2006 15:04:05.000000000 MST"

// How an absolute time field prints, after Wireshark's ABSOLUTE_TIME_*
// displays: local time unless listed in timeDisplay.
const (
	timeLocal = iota
	timeUTC
	timeUnix
)

var timeDisplay = map[string]int{
	"frame.time_epoch":      timeUnix,
	"tls.sct.sct_timestamp": timeUTC,
}

// protoLabelText are the nodes whose -T fields value is their tree line:
// the protocols whose dissector in Wireshark writes it (a protocol item
// with no text of its own prints its abbreviation, as tls and http do),
// and the expert infos.
var protoLabelText = map[string]bool{
	"frame": true, "eth": true, "sll": true, "vlan": true, "arp": true,
	"ip": true, "ipv6": true, "tcp": true, "udp": true,
	"data-text-lines": true, "image-gif": true, "image-jfif": true, "json": true,
	"mime_multipart": true, "urlencoded-form": true,
	"_ws.expert": true, "_ws.malformed": true, "_ws.short": true,
}

// labelText is a labelled node's -T fields value: its tree line, without
// the brackets the tree puts around a generated line (an expert info's).
func labelText(f *Field) string {
	l := f.Label
	if f.Name == "_ws.expert" && len(l) >= 2 && l[0] == '[' && l[len(l)-1] == ']' {
		l = l[1 : len(l)-1]
	}
	return l
}

// formatSeconds prints a duration as tshark prints relative times: seconds
// with nine decimals.
func formatSeconds(d time.Duration) string {
	var b [32]byte
	return string(appendSeconds(b[:0], d))
}

// appendSeconds appends formatSeconds(d) to out.
func appendSeconds(out []byte, d time.Duration) []byte {
	if d < 0 {
		out, d = append(out, '-'), -d
	}
	out = strconv.AppendInt(out, int64(d/time.Second), 10)
	out = append(out, '.')
	frac := int64(d % time.Second)
	var ns [9]byte
	for i := 8; i >= 0; i-- {
		ns[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(out, ns[:]...)
}

// Packet is one fully dissected packet.
type Packet struct {
	Number int
	// Sources are the byte buffers fields point into: Sources[0] is the
	// frame; later ones are reassembled or decoded data (a reassembled TCP
	// stream, a decompressed body, decrypted TLS), each with a name for the
	// viewer's tabs.
	Sources []DataSource
	// Tree holds one node per protocol layer, outermost first.
	Tree []*Field
	// Summary is the packet-list row.
	Summary Summary
	// lite: built by Analyzer.Row, so only Summary is complete.
	lite bool
	tree tree // makes the nodes
	// pooled: made by DissectFor, from packetPool, to which Release
	// gives it back (with its arrays).
	pooled bool
	// fileData: an http.file_data node was made (the Fernet dissector
	// looks only then, rather than walk every tree).
	fileData bool
	// tlsApp: the frame's decrypted TLS application data (in data source
	// tlsAppSrc), the payload HTTP and HTTP/2 read it as.
	tlsApp    []byte
	tlsAppSrc int
}

// Release recycles the nodes of a packet DissectFor built (for others it
// only drops the tree); neither the packet nor its fields may be used
// afterwards.
func (p *Packet) Release() {
	p.tree.release()
	if !p.pooled {
		p.Tree = nil
		return
	}
	clear(p.Tree)
	clear(p.Sources)
	*p = Packet{Tree: p.Tree[:0], Sources: p.Sources[:0], tree: tree{flat: p.tree.flat, pooled: p.tree.pooled, pooledKids: p.tree.pooledKids, pooledText: p.tree.pooledText}}
	packetPool.Put(p)
}

// packetPool recycles DissectFor's packets: a filter or -T fields run
// makes and drops one per packet.
var packetPool = sync.Pool{New: func() any { return new(Packet) }}

// DataSource is a named byte buffer, like Wireshark's tabs under the hex pane.
type DataSource struct {
	Name string
	Data []byte
}

// Fields returns every field named name, in tree order (a field can occur
// several times, e.g. two IP headers in a tunnel, or many HTTP headers).
func (p *Packet) Fields(name string) []*Field {
	var out []*Field
	p.EachField(func(f *Field) {
		if f.Name == name {
			out = append(out, f)
		}
	})
	return out
}

// EachField calls fn for every node of the packet, in tree order (for a
// packet DissectFor made, only the nodes it was asked for and the protocol
// nodes, in the order they were made).
func (p *Packet) EachField(fn func(*Field)) {
	if p.tree.want != nil {
		for _, f := range p.tree.flat {
			fn(f)
		}
		return
	}
	for _, top := range p.Tree {
		top.Walk(func(f *Field) bool {
			fn(f)
			return true
		})
	}
}

// FieldText is tshark's -e output for name: occurrences joined by sep.
func (p *Packet) FieldText(name, sep string) string {
	fs := p.Fields(name)
	if len(fs) == 0 {
		return ""
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Text()
	}
	return strings.Join(parts, sep)
}
