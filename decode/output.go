package decode

import (
	"fmt"
	"io"
	"strings"
)

// WriteTree prints p's tree as tshark -V does: one line per shown node,
// four spaces of indent per level.
func WriteTree(w io.Writer, p *Packet) error {
	var b strings.Builder
	var walk func(f *Field, depth int)
	walk = func(f *Field, depth int) {
		if f.Hidden {
			return
		}
		label := f.Label
		if label == "" {
			label = f.Name + ": " + f.Text()
		}
		b.WriteString(strings.Repeat("    ", depth))
		b.WriteString(strings.TrimRight(label, "\r\n"))
		b.WriteByte('\n')
		for _, c := range f.Children {
			walk(c, depth+1)
		}
	}
	for _, top := range p.Tree {
		walk(top, 0)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
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
