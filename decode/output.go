package decode

import (
	"fmt"
	"io"
	"strings"
)

// FieldsFormat is tshark's -T fields layout (-E options).
type FieldsFormat struct {
	Fields     []string
	Header     bool   // -E header=y: the field names first
	Separator  string // -E separator=, (default tab)
	Quote      byte   // -E quote=d|s: 0, '"' or '\''
	Occurrence string // -E occurrence=f|l|a (default a: all)
	Aggregator string // -E aggregator=, (default ",")
}

// WriteHeader prints the field names when f.Header is set.
func (f *FieldsFormat) WriteHeader(w io.Writer) error {
	if !f.Header {
		return nil
	}
	_, err := io.WriteString(w, strings.Join(f.quoteAll(f.Fields), f.sep())+"\n")
	return err
}

func (f *FieldsFormat) sep() string {
	if f.Separator == "" {
		return "\t"
	}
	return f.Separator
}

func (f *FieldsFormat) quoteAll(v []string) []string {
	if f.Quote == 0 {
		return v
	}
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = string(f.Quote) + s + string(f.Quote)
	}
	return out
}

// WriteFields prints p's values for f.Fields on one line, as tshark does:
// several occurrences joined by the aggregator, absent fields empty.
func (f *FieldsFormat) WriteFields(w io.Writer, p *Packet) error {
	agg := f.Aggregator
	if agg == "" {
		agg = ","
	}
	vals := make([]string, len(f.Fields))
	for i, name := range f.Fields {
		fs := p.Fields(name)
		switch {
		case len(fs) == 0:
		case f.Occurrence == "f":
			vals[i] = fs[0].Text()
		case f.Occurrence == "l":
			vals[i] = fs[len(fs)-1].Text()
		default:
			parts := make([]string, len(fs))
			for j, x := range fs {
				parts[j] = x.Text()
			}
			vals[i] = strings.Join(parts, agg)
		}
		if f.Quote != 0 && vals[i] != "" {
			vals[i] = string(f.Quote) + vals[i] + string(f.Quote)
		}
	}
	_, err := io.WriteString(w, strings.Join(vals, f.sep())+"\n")
	return err
}

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
