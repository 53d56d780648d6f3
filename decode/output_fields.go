package decode

// tshark's -T fields output: one line per packet, the -e fields' values
// in order, shaped by the -E options, as tshark 4.0 prints them. What each
// field type prints is Field.Text's; this file has the layout, the
// _ws.col.* columns and the checks of -e and -E.

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FieldsFormat is tshark's -T fields layout: the -e fields and the -E
// options. The zero values are tshark's defaults.
type FieldsFormat struct {
	Fields     []string
	Header     bool // -E header=y: the field names first
	BOM        bool // -E bom=y: a UTF-8 byte order mark before anything else
	Separator  byte // -E separator: between fields; 0 is a tab
	Quote      byte // -E quote=d|s: 0, '"' or '\'' around each value that is not empty
	Occurrence byte // -E occurrence=f|l|a: 'f', 'l', or 0 or 'a' for all
	Aggregator byte // -E aggregator: between occurrences; 0 is ','
}

// ColumnPrefix starts the names of the packet-list columns -e prints
// (_ws.col.Info). tshark 4.0 takes any name with it: a title that is not
// one of its default columns' (ColumnNames) prints empty.
const ColumnPrefix = "_ws.col."

// ColumnNames are tshark's default columns, as -e names them.
var ColumnNames = []string{"_ws.col.No.", "_ws.col.Time", "_ws.col.Source", "_ws.col.Destination",
	"_ws.col.Protocol", "_ws.col.Length", "_ws.col.Info"}

// IsColumn reports whether name is a _ws.col.* column, one of tshark's
// default columns or not.
func IsColumn(name string) bool { return strings.HasPrefix(name, ColumnPrefix) }

// UnknownFields returns the names -e cannot print, in the order given:
// neither a field or protocol wiretap dissects (LookupField) nor a
// column. tshark refuses to start with such a name ("Some fields aren't
// valid").
func UnknownFields(names []string) []string {
	var bad []string
	for _, n := range names {
		if _, _, ok := LookupField(n); !ok && !IsColumn(n) {
			bad = append(bad, n)
		}
	}
	return bad
}

// errFieldsOption is what SetOption returns for an option tshark refuses.
type errFieldsOption struct{ opt string }

func (e errFieldsOption) Error() string {
	name, _, _ := strings.Cut(e.opt, "=")
	if name == "" {
		name = e.opt
	}
	return fmt.Sprintf("%q is not a valid field output option=value pair", name)
}

// SetOption applies one -E option, name=value, as tshark 4.0 reads it:
// header, bom, quote and occurrence look at the value's first character
// (header=yes is header=y); separator and aggregator take one byte, or
// /t (separator only) for a tab and /s for a space; any other value
// starting with "/" is a backslash. Unknown names and empty values are
// errors.
func (f *FieldsFormat) SetOption(opt string) error {
	name, v, ok := strings.Cut(opt, "=")
	if !ok || v == "" {
		return errFieldsOption{opt}
	}
	yn := func(b *bool) error {
		switch v[0] {
		case 'y':
			*b = true
		case 'n':
			*b = false
		default:
			return errFieldsOption{opt}
		}
		return nil
	}
	switch name {
	case "header":
		return yn(&f.Header)
	case "bom":
		return yn(&f.BOM)
	case "separator":
		f.Separator = v[0]
		if v[0] == '/' {
			switch {
			case len(v) > 1 && v[1] == 't':
				f.Separator = '\t'
			case len(v) > 1 && v[1] == 's':
				f.Separator = ' '
			default:
				f.Separator = '\\'
			}
		}
	case "aggregator":
		f.Aggregator = v[0]
		if v[0] == '/' {
			f.Aggregator = '\\'
			if len(v) > 1 && v[1] == 's' {
				f.Aggregator = ' '
			}
		}
	case "quote":
		switch v[0] {
		case 'd':
			f.Quote = '"'
		case 's':
			f.Quote = '\''
		case 'n':
			f.Quote = 0
		default:
			return errFieldsOption{opt}
		}
	case "occurrence":
		switch v[0] {
		case 'f', 'l', 'a':
			f.Occurrence = v[0]
		default:
			return errFieldsOption{opt}
		}
	default:
		return errFieldsOption{opt}
	}
	return nil
}

func (f *FieldsFormat) sep() byte {
	if f.Separator == 0 {
		return '\t'
	}
	return f.Separator
}

func (f *FieldsFormat) agg() byte {
	if f.Aggregator == 0 {
		return ','
	}
	return f.Aggregator
}

// WriteHeader prints what comes before the first packet: the byte order
// mark with f.BOM, the field names (never quoted) with f.Header.
func (f *FieldsFormat) WriteHeader(w io.Writer) error {
	var b []byte
	if f.BOM {
		b = append(b, "\xef\xbb\xbf"...)
	}
	if f.Header {
		for i, name := range f.Fields {
			if i > 0 {
				b = append(b, f.sep())
			}
			b = append(b, name...)
		}
		b = append(b, '\n')
	}
	if len(b) == 0 {
		return nil
	}
	_, err := w.Write(b)
	return err
}

// NeedsLabels reports whether a field asked for prints a node's label,
// which Analyzer.DissectFor does not build: a protocol whose value
// tshark prints as its tree line ("Transmission Control Protocol, Src
// Port: …" for -e tcp). Such a run needs Analyzer.Dissect.
func (f *FieldsFormat) NeedsLabels() bool {
	for _, name := range f.Fields {
		if protoLabelText[name] {
			return true
		}
	}
	return false
}

// WriteFields prints p's values of f.Fields on one line, as tshark does:
// an absent field is an empty column; several occurrences are joined by
// the aggregator (-E occurrence=a, the default) or the first or last
// alone. A field named twice prints only in its last column, as in
// tshark 4.0.
func (f *FieldsFormat) WriteFields(w io.Writer, p *Packet) error {
	var buf [512]byte
	b := buf[:0]
	for i, name := range f.Fields {
		if i > 0 {
			b = append(b, f.sep())
		}
		if f.repeatedLater(i) {
			continue
		}
		start := len(b)
		if f.Quote != 0 {
			b = append(b, f.Quote)
		}
		valStart := len(b)
		if IsColumn(name) {
			b = appendEscaped(b, columnText(p, name))
		} else {
			b = f.appendValues(b, p, name)
		}
		switch {
		case len(b) == valStart:
			b = b[:start] // empty: no quotes
		case f.Quote != 0:
			b = append(b, f.Quote)
		}
	}
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// repeatedLater reports whether field i is named again further on.
func (f *FieldsFormat) repeatedLater(i int) bool {
	for _, n := range f.Fields[i+1:] {
		if n == f.Fields[i] {
			return true
		}
	}
	return false
}

// appendValues appends the occurrences of name that f.Occurrence selects.
func (f *FieldsFormat) appendValues(b []byte, p *Packet, name string) []byte {
	var first, last *Field
	n := 0
	p.EachField(func(x *Field) {
		if x.Name != name {
			return
		}
		if first == nil {
			first = x
		}
		last = x
		switch f.Occurrence {
		case 'f', 'l':
		default:
			if n > 0 {
				b = append(b, f.agg())
			}
			b = appendEscaped(b, p.fieldText(x))
		}
		n++
	})
	switch {
	case first == nil:
	case f.Occurrence == 'f':
		b = appendEscaped(b, p.fieldText(first))
	case f.Occurrence == 'l':
		b = appendEscaped(b, p.fieldText(last))
	}
	return b
}

// fieldText is x's -T fields value: Text, but the "data" protocol prints
// its bytes in hex, as tshark prints it ("as a field instead of a
// protocol").
func (p *Packet) fieldText(x *Field) string {
	if x.Name == "data" && x.Kind == KindProtocol && x.Source >= 0 && x.Source < len(p.Sources) {
		if d := p.Sources[x.Source].Data; x.Start >= 0 && x.Len >= 0 && x.Start+x.Len <= len(d) {
			return hex.EncodeToString(d[x.Start : x.Start+x.Len])
		}
	}
	return x.Text()
}

// appendEscaped appends a value as tshark's -T fields writes every value
// (print_escaped_csv): backspace, form feed, newline, carriage return and
// tab as \b \f \n \r \t, all else as it is. The dissectors keep string
// values in this form already (http.request.line ends in a literal
// "\r\n"): applying it again changes nothing.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, c)
		}
	}
	return b
}

// columnText is the packet-list column name (_ws.col.Title) from
// p's Summary, as tshark's default columns print: Time is the seconds
// since the first packet with as many decimals as the capture's timestamp
// resolution (Summary.TimeRes). A title tshark does not have prints nothing.
func columnText(p *Packet, name string) string {
	s := &p.Summary
	switch name[len(ColumnPrefix):] {
	case "No.":
		return strconv.Itoa(s.Number)
	case "Time":
		return string(appendRelTime(nil, s.Time, s.TimeRes))
	case "Source":
		return s.Src
	case "Destination":
		return s.Dst
	case "Protocol":
		return s.Protocol
	case "Length":
		return strconv.Itoa(s.Length)
	case "Info":
		return s.Info
	}
	return ""
}
