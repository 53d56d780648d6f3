package decode

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// WriteTree prints p's tree as tshark -V does: one line per shown node,
// four spaces of indent per level.
func WriteTree(w io.Writer, p *Packet) error {
	bp := treeBufPool.Get().(*[]byte)
	b := (*bp)[:0]
	var walk func(f *Field, depth int)
	walk = func(f *Field, depth int) {
		if f.Hidden {
			return
		}
		for i := 0; i < depth; i++ {
			b = append(b, "    "...)
		}
		if f.Label == "" {
			b = append(b, f.Name...)
			b = append(b, ": "...)
			b = append(b, trimLineEnd(f.Text())...)
		} else {
			b = append(b, trimLineEnd(f.Label)...)
		}
		b = append(b, '\n')
		for _, c := range f.Children {
			walk(c, depth+1)
		}
	}
	for _, top := range p.Tree {
		walk(top, 0)
	}
	b = append(b, '\n')
	_, err := w.Write(b)
	*bp = b
	treeBufPool.Put(bp)
	return err
}

var treeBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// trimLineEnd is s without the CRs and LFs it ends with.
func trimLineEnd(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\r' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	return s
}

// WriteHex prints each data source as tshark -x does: offset, 16 bytes of
// hex, and their printable characters; sources after the frame are
// introduced by their name.
func WriteHex(w io.Writer, p *Packet) error {
	var b strings.Builder
	for i, src := range p.Sources {
		if i > 0 {
			fmt.Fprintf(&b, "%s (%d bytes):\n", src.Name, len(src.Data))
		}
		HexDump(&b, src.Data)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// HexDump writes data in tshark's hex layout.
func HexDump(b *strings.Builder, data []byte) {
	for off := 0; off < len(data); off += 16 {
		line := data[off:min(off+16, len(data))]
		fmt.Fprintf(b, "%04x  ", off)
		for i := 0; i < 16; i++ {
			if i < len(line) {
				fmt.Fprintf(b, "%02x ", line[i])
			} else {
				b.WriteString("   ")
			}
			if i == 7 {
				b.WriteByte(' ')
			}
		}
		b.WriteString("  ")
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
}
