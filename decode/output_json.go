package decode

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The JSON outputs, as tshark 4.0 writes them (epan/print.c and
// wsutil/json_dumper.c):
//
//   - -T json: one array of packets, each
//     {"_index": "packets-YYYY-MM-DD", "_type": "doc", "_score": null,
//     "_source": {"layers": {...}}}, pretty-printed with two spaces of
//     indent. A layer is an object of its fields, keyed by filter name,
//     in tree order; a field that has both a value and a subtree gives
//     "name": value and "name_tree": {...}; a text-only node is keyed by
//     its text. A name that occurs twice in one object is written twice
//     (tshark's default; --no-duplicate-keys makes one key of an array).
//   - -x adds "name_raw": [hex, offset, length, bitmask, type] before
//     each field; -T jsonraw writes only those (and the subtrees).
//   - -T ek: per packet an Elasticsearch bulk index line and the packet
//     on one line, each layer flattened to one object with keys
//     "<protocol>_<field>" (dots made underscores), booleans true/false,
//     valueless fields null, absolute times in ISO 8601 UTC.
//   - -e FIELD (json and ek): "layers" holds only the fields named, each
//     an array of its values as -T fields prints them.

// JSONMode is which of tshark's JSON layouts a JSONFormat writes.
type JSONMode uint8

const (
	JSONPlain JSONMode = iota // -T json
	JSONRaw                   // -T jsonraw
	JSONEK                    // -T ek
)

// JSONFormat is tshark's -T json, -T jsonraw and -T ek output.
type JSONFormat struct {
	Mode   JSONMode
	Hex    bool     // -x: the raw bytes of each field too (always on for jsonraw)
	Fields []string // -e: only these fields, with -T fields' values
	// NoDuplicateKeys is tshark's --no-duplicate-keys: the fields of one
	// name in one object are merged into one key holding an array.
	NoDuplicateKeys bool
}

// jsonSize is about the length of the last packet written: the next
// one's text starts with that much room rather than growing (and
// copying) a dozen times.
var jsonSize atomic.Int64

// WriteSeparator writes what comes before the n-th packet written (from
// 0): the array's opening before the first, a comma before the others
// (nothing for ek, whose packets are lines of their own).
func (f *JSONFormat) WriteSeparator(w io.Writer, n int) error {
	if f.Mode == JSONEK {
		return nil
	}
	sep := ",\n"
	if n == 0 {
		sep = "[\n"
	}
	_, err := io.WriteString(w, sep)
	return err
}

// WriteEnd closes the output after n packets: the array's end (an
// empty array when there were none), as tshark does.
func (f *JSONFormat) WriteEnd(w io.Writer, n int) error {
	if f.Mode == JSONEK {
		return nil
	}
	end := "\n]\n"
	if n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(w, end)
	return err
}

// WritePacket writes p: for json and jsonraw one element of the array
// (without the separator: see WriteSeparator), for ek two lines.
func (f *JSONFormat) WritePacket(w io.Writer, p *Packet) error {
	j := &jsonWriter{f: f, p: p}
	j.b.Grow(int(jsonSize.Load()))
	if f.Mode == JSONEK {
		j.ekPacket()
	} else {
		j.packet()
	}
	jsonSize.Store(int64(j.b.Len() + j.b.Len()/4))
	_, err := io.WriteString(w, j.b.String())
	return err
}

// WriteJSON writes p as one element of tshark's -T json array (without
// the separator before it).
func WriteJSON(w io.Writer, p *Packet) error {
	return (&JSONFormat{}).WritePacket(w, p)
}

type jsonWriter struct {
	f *JSONFormat
	p *Packet
	b strings.Builder
}

// packetTime is the frame's timestamp (frame.time_epoch).
func (j *jsonWriter) packetTime() time.Time {
	for _, top := range j.p.Tree {
		if top.Name != "frame" {
			continue
		}
		for _, c := range top.Children {
			if c.Name == "frame.time_epoch" {
				return c.T
			}
		}
	}
	return time.Time{}
}

// index is the packet's _index: the day of its timestamp, in local time.
func (j *jsonWriter) index() string {
	t := j.packetTime()
	if t.IsZero() {
		return "packets-XXXX-XX-XX"
	}
	return "packets-" + t.Local().Format("2006-01-02")
}

func (j *jsonWriter) indent(depth int) {
	for i := 0; i < depth; i++ {
		j.b.WriteString("  ")
	}
}

// member starts the (first or next) member of an object, its key at
// indent level d.
func (j *jsonWriter) member(first *bool, d int, key string) {
	if *first {
		j.b.WriteByte('\n')
		*first = false
	} else {
		j.b.WriteString(",\n")
	}
	j.indent(d)
	jsonQuote(&j.b, key, false)
	j.b.WriteString(": ")
}

// closeObj ends an object or array whose members were at level d+1
// (none when empty) with c.
func (j *jsonWriter) closeObj(empty bool, d int, c byte) {
	if !empty {
		j.b.WriteByte('\n')
		j.indent(d)
	}
	j.b.WriteByte(c)
}

func (j *jsonWriter) packet() {
	j.indent(1)
	j.b.WriteString("{\n")
	j.indent(2)
	j.b.WriteString(`"_index": `)
	jsonQuote(&j.b, j.index(), false)
	j.b.WriteString(",\n")
	j.indent(2)
	j.b.WriteString("\"_type\": \"doc\",\n")
	j.indent(2)
	j.b.WriteString("\"_score\": null,\n")
	j.indent(2)
	j.b.WriteString("\"_source\": {\n")
	j.indent(3)
	j.b.WriteString(`"layers": `)
	if j.f.Fields != nil {
		j.specified(3, false)
	} else {
		j.children(j.p.Tree, 3, rawPlace{})
	}
	j.b.WriteByte('\n')
	j.indent(2)
	j.b.WriteString("}\n")
	j.indent(1)
	j.b.WriteByte('}')
}

// specified writes the -e fields as a value at level d: an object of
// arrays of their -T fields values (for ek on one line, keys underscored).
func (j *jsonWriter) specified(d int, ek bool) {
	j.b.WriteByte('{')
	first := true
	for _, name := range j.f.Fields {
		fs := j.p.Fields(name)
		if len(fs) == 0 {
			continue
		}
		if ek {
			if !first {
				j.b.WriteByte(',')
			}
			first = false
			jsonQuote(&j.b, name, true)
			j.b.WriteString(":[")
			for i, fl := range fs {
				if i > 0 {
					j.b.WriteByte(',')
				}
				jsonQuote(&j.b, fl.Text(), false)
			}
			j.b.WriteByte(']')
			continue
		}
		j.member(&first, d+1, name)
		j.b.WriteByte('[')
		for i, fl := range fs {
			if i > 0 {
				j.b.WriteByte(',')
			}
			j.b.WriteByte('\n')
			j.indent(d + 2)
			jsonQuote(&j.b, fl.Text(), false)
		}
		j.closeObj(false, d+1, ']')
	}
	if ek {
		j.b.WriteByte('}')
		return
	}
	j.closeObj(first, d, '}')
}

// jsonKey is the key a node is written under: its filter name, or for a
// text-only node its text.
func jsonKey(f *Field) string {
	if f.Name != "" {
		return f.Name
	}
	return textLabel(f)
}

// textLabel is a text-only node's text as tshark keeps it: without the
// brackets the tree adds around generated items, and cut as tshark cuts
// a text of 240 bytes or more (ITEM_LABEL_LENGTH): " [truncated]" first,
// then as much as fits in 238 bytes, ending on a whole UTF-8 character.
func textLabel(f *Field) string {
	l := f.Label
	if len(l) >= 2 && l[0] == '[' && l[len(l)-1] == ']' {
		l = l[1 : len(l)-1]
	}
	const itemLabelLength = 240
	if len(l) >= itemLabelLength {
		l = " [truncated]" + l
		n := itemLabelLength - 2
		for n > 0 && !utf8.RuneStart(l[n]) {
			n--
		}
		l = l[:n]
	}
	return l
}

// hasValue: the node's type has a value (tshark's FT_NONE and
// FT_PROTOCOL have none).
func hasValue(f *Field) bool {
	return f.Kind != KindNone && f.Kind != KindProtocol && !(f.Kind == KindBool && expertNone[f.Name])
}

// expertNone are the TCP analysis flags (tcp.analysis.retransmission,
// ...): FT_NONE in tshark, booleans (1) in the tree for -T fields' sake.
var expertNone = func() map[string]bool {
	m := map[string]bool{"tcp.analysis.duplicate_ack": true, "eth.padding_bad": true,
		"tcp.connection.syn": true, "tcp.connection.synack": true, "tcp.connection.fin": true, "tcp.connection.rst": true,
		"tcp.connection.fin_active": true, "tcp.connection.fin_passive": true}
	for _, e := range tcpExperts {
		m[e.name] = true
	}
	return m
}()

// groupByKey puts nodes in groups of one (tshark's default) or, with
// --no-duplicate-keys, of one key each, in the order the keys first occur.
func (j *jsonWriter) groupByKey(nodes []*Field) [][]*Field {
	groups := make([][]*Field, 0, len(nodes))
	if !j.f.NoDuplicateKeys {
		for _, n := range nodes {
			groups = append(groups, []*Field{n})
		}
		return groups
	}
	at := map[string]int{}
	for _, n := range nodes {
		k := jsonKey(n)
		if i, ok := at[k]; ok {
			groups[i] = append(groups[i], n)
			continue
		}
		at[k] = len(groups)
		groups = append(groups, []*Field{n})
	}
	return groups
}

// rawPlace is what -x's arrays need to know of where a node is: the
// layer it is in, and whether it is in an expert item (whose nodes have
// no bytes in tshark, not even an empty hex string).
type rawPlace struct {
	top    *Field
	expert bool
}

// children writes nodes as an object, a value at level d (its members
// at d+1).
func (j *jsonWriter) children(nodes []*Field, d int, at rawPlace) {
	j.b.WriteByte('{')
	first := true
	text := j.f.Mode != JSONRaw
	hexOn := j.f.Hex || j.f.Mode == JSONRaw
	for _, g := range j.groupByKey(nodes) {
		n := g[0]
		here := at
		if here.top == nil {
			here.top = n
		}
		here.expert = here.expert || n.Name == "_ws.expert"
		key := jsonKey(n)
		isText := n.Name == ""
		val := hasValue(n)
		kids := len(n.Children) > 0
		if hexOn && (!text || n.Len > 0) && !isText {
			j.member(&first, d+1, key+"_raw")
			j.list(g, d+1, func(f *Field, d int) { j.raw(f, d, here) })
		}
		if text && val {
			j.member(&first, d+1, key)
			j.list(g, d+1, func(f *Field, _ int) { jsonQuote(&j.b, jsonValue(j.p, f), false) })
		}
		if kids {
			k := key
			if val {
				k += "_tree"
			}
			j.member(&first, d+1, k)
			j.list(g, d+1, func(f *Field, d int) {
				in := here
				if in.top == f && at.top == nil {
					in.top = f
				}
				if at.top == nil {
					in.top = f // each of several layers of one name is its own
				}
				j.children(f.Children, d, in)
			})
		}
		if !val && !kids && (text || isText) {
			j.member(&first, d+1, key)
			j.list(g, d+1, func(f *Field, _ int) {
				v := ""
				if f.Kind == KindProtocol {
					v = f.Label
				}
				jsonQuote(&j.b, v, false)
			})
		}
	}
	j.closeObj(first, d, '}')
}

// list writes one value at level d, or an array of several (each at
// level d+1).
func (j *jsonWriter) list(g []*Field, d int, value func(f *Field, d int)) {
	if len(g) == 1 {
		value(g[0], d)
		return
	}
	j.b.WriteByte('[')
	for i, f := range g {
		if i > 0 {
			j.b.WriteByte(',')
		}
		j.b.WriteByte('\n')
		j.indent(d + 1)
		value(f, d+1)
	}
	j.closeObj(false, d, ']')
}

// raw writes a field's -x array, a value at level d: its bytes in hex
// (or, for a bit field, its value), offset, length, bitmask and tshark's
// type number.
func (j *jsonWriter) raw(f *Field, d int, at rawPlace) {
	j.b.WriteByte('[')
	mask := fieldBitmask(f)
	// A generated field (no bytes) is where tshark added it: at the
	// start of its layer.
	noBytes := at.expert || f.Name == "tcp.completeness"
	start := f.Start
	switch {
	case noBytes:
		start = 0
	case f.Len == 0 && start == 0 && at.top != nil && at.top.Source == f.Source:
		start = at.top.Start
	}
	vals := []string{strconv.Itoa(start), strconv.Itoa(f.Len), strconv.FormatUint(mask, 10), strconv.Itoa(ftypeNumber(f))}
	if !noBytes {
		j.b.WriteString("\n")
		j.indent(d + 1)
		jsonQuote(&j.b, rawHex(j.p, f, mask), false)
		j.b.WriteByte(',')
	}
	for i, v := range vals {
		if i > 0 {
			j.b.WriteByte(',')
		}
		j.b.WriteByte('\n')
		j.indent(d + 1)
		j.b.WriteString(v)
	}
	j.closeObj(false, d, ']')
}

// rawHex is a field's bytes in hex, or its value in hex for a bit field
// (as tshark's "_raw" members).
func rawHex(p *Packet, f *Field, mask uint64) string {
	if mask != 0 {
		switch f.Kind {
		case KindInt:
			return fmt.Sprintf("%X", uint32(f.I))
		default:
			return fmt.Sprintf("%X", f.U)
		}
	}
	if f.Source < 0 || f.Source >= len(p.Sources) || f.Len <= 0 {
		return ""
	}
	data := p.Sources[f.Source].Data
	if f.Start < 0 || f.Start+f.Len > len(data) {
		return "field length invalid!"
	}
	return hex.EncodeToString(data[f.Start : f.Start+f.Len])
}

// fieldBitmask reads a bit field's mask from the bit pattern its label
// starts with (".1.. .... = Don't fragment: Set" is 0x40): a field whose
// label has none has no mask. A few fields tshark shows with a pattern
// but registers without a mask are listed.
func fieldBitmask(f *Field) uint64 {
	switch f.Kind {
	case KindUint, KindInt, KindBool:
	default:
		return 0
	}
	if m, ok := bitmaskByName[f.Name]; ok {
		return m
	}
	l := f.Label
	var mask uint64
	n := 0
	i := 0
	for ; i < len(l); i++ {
		c := l[i]
		switch c {
		case '0', '1':
			mask = mask<<1 | 1
			n++
		case '.':
			mask <<= 1
			n++
		case ' ':
			if strings.HasPrefix(l[i:], " = ") {
				if n >= 4 && n <= 64 {
					return mask
				}
				return 0
			}
		default:
			return 0
		}
	}
	return 0
}

// bitmaskByName are the fields whose mask the label does not tell: shown
// with a bit pattern but registered without a mask (their _raw is the
// whole byte), or with a mask but labelled without the pattern.
var bitmaskByName = map[string]uint64{
	"ip.version":  0,
	"ip.hdr_len":  0,
	"tcp.hdr_len": 0,
	"tcp.flags":   0x0fff,
}

// ftypeNumber is tshark 4.0's enum ftenum value for the field's type, as
// -x's "_raw" arrays end with.
func ftypeNumber(f *Field) int {
	if n, ok := ftypeByName[f.Name]; ok {
		return n
	}
	if f.Kind == KindBool && expertNone[f.Name] {
		return 0 // FT_NONE
	}
	switch f.Kind {
	case KindNone:
		return 0
	case KindProtocol:
		return 1
	case KindBool:
		return 2
	case KindUint:
		switch fieldWidth(f) {
		case 8:
			return 4
		case 16:
			return 5
		case 24:
			return 6
		case 64:
			return 11
		}
		return 7
	case KindInt:
		switch fieldWidth(f) {
		case 8:
			return 12
		case 16:
			return 13
		case 24:
			return 14
		case 64:
			return 19
		}
		return 15
	case KindFloat:
		return 23
	case KindTime:
		return 24
	case KindDuration:
		return 25
	case KindString:
		return 26
	case KindMAC:
		return 29
	case KindBytes:
		return 30
	case KindIPv4:
		return 32
	case KindIPv6:
		return 33
	case KindFrameNum:
		return 35
	}
	return 0
}

// fieldWidth is an integer field's width in bits: the node's, the
// registry's, or that of the bytes it covers.
func fieldWidth(f *Field) uint8 {
	if f.Bits != 0 {
		return f.Bits
	}
	if _, bits, ok := LookupField(f.Name); ok && bits != 0 {
		return bits
	}
	if f.Len > 0 && f.Len <= 8 {
		return uint8(8 * f.Len)
	}
	return 32
}

// ftypeByName are the fields whose tshark type the tree's kind does not
// tell.
var ftypeByName = map[string]int{
	"frame.time":       24, // a string in the tree, FT_ABSOLUTE_TIME in tshark
	"frame.time_epoch": 25, // FT_RELATIVE_TIME in tshark 4.0
	"_ws.expert":       1,  // FT_PROTOCOL
}

// jsonValue is a field's value as tshark's JSON prints it: mostly as -T
// fields does, but bytes with colons, absolute times as dates, strings
// unescaped.
func jsonValue(p *Packet, f *Field) string {
	switch f.Kind {
	case KindBytes:
		return colonHex(f.B)
	case KindTime:
		if f.Name == "frame.time_epoch" {
			return fmt.Sprintf("%d.%09d", f.T.Unix(), f.T.Nanosecond())
		}
		return f.T.UTC().Format("Jan _2, 2006 15:04:05.000000000 UTC")
	case KindDuration:
		return jsonSeconds(f.D)
	case KindNone, KindProtocol:
		return ""
	case KindString:
		return jsonString(p, f)
	}
	return f.Text()
}

// jsonString is a string field's value. The tree keeps HTTP's strings
// (lines, values, the body) as -T fields prints them, with \r, \n, \t,
// \b and \f escaped (fieldStr), while JSON holds the characters
// themselves: when the value is the escaped text of the bytes the field
// covers, those bytes are the value; otherwise the escapes are undone
// (a backslash before one of those letters in the data itself cannot be
// told apart there).
func jsonString(p *Packet, f *Field) string {
	if !strings.HasPrefix(f.Name, "http.") || !strings.Contains(f.S, `\`) {
		return f.S
	}
	if f.Len > 0 && f.Source >= 0 && f.Source < len(p.Sources) && f.Start >= 0 && f.Start+f.Len <= len(p.Sources[f.Source].Data) {
		if raw := p.Sources[f.Source].Data[f.Start : f.Start+f.Len]; fieldStr(raw) == f.S {
			return asciiStr(raw)
		}
	}
	return unescapeFields(f.S)
}

// unescapeFields undoes fieldsEscape.
func unescapeFields(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if c, ok := fieldsUnescapes[s[i+1]]; ok {
				b.WriteByte(c)
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var fieldsUnescapes = map[byte]byte{'r': '\r', 'n': '\n', 't': '\t', 'b': '\b', 'f': '\f'}

// colonHex is bytes as aa:bb:cc (tshark's display of FT_BYTES).
func colonHex(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b)-1)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// jsonSeconds is a relative time as tshark prints it: seconds with nine
// decimals.
func jsonSeconds(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	s := fmt.Sprintf("%d.%09d", int64(d/time.Second), int64(d%time.Second))
	if neg {
		s = "-" + s
	}
	return s
}

// jsonQuote writes s as a JSON string as tshark's json_dumper does:
// control characters escaped (\n, \t, ... or \u00XX), quotes and
// backslashes escaped, "</" written "<\/", other bytes as they are; with
// underscore, dots become underscores (ek's keys).
func jsonQuote(b *strings.Builder, s string, underscore bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0:
			// A C string ends here.
			b.WriteByte('"')
			return
		case c < 0x20:
			switch c {
			case '\b':
				b.WriteString(`\b`)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\f':
				b.WriteString(`\f`)
			case '\r':
				b.WriteString(`\r`)
			default:
				fmt.Fprintf(b, `\u%04x`, c)
			}
		case c == '/' && i > 0 && s[i-1] == '<':
			b.WriteString(`\/`)
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '.' && underscore:
			b.WriteByte('_')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// ekPacket writes the packet as tshark -T ek does: the bulk index line,
// then the document on one line.
func (j *jsonWriter) ekPacket() {
	j.b.WriteString(`{"index":{"_index":`)
	jsonQuote(&j.b, j.index(), false)
	j.b.WriteString(`,"_type":"doc"}}` + "\n")
	t := j.packetTime()
	fmt.Fprintf(&j.b, `{"timestamp":"%d%03d"`, t.Unix(), t.Nanosecond()/1e6)
	j.b.WriteString(`,"layers":`)
	if j.f.Fields != nil {
		j.specified(0, true)
	} else {
		j.b.WriteByte('{')
		j.ekNode(nil, j.p.Tree)
		j.b.WriteByte('}')
	}
	j.b.WriteString("}\n")
}

// ekProtocol: the node is an object of its own in ek (tshark's
// FT_PROTOCOL); every other node's subtree is flattened into its
// protocol's object.
func ekProtocol(f *Field) bool {
	return f.Kind == KindProtocol || f.Name == "_ws.expert"
}

// ekNode writes the members of a protocol's ek object: the nodes below
// it down to the next protocols, grouped by the name of the node and of
// its parent in the tree, in the order they first occur.
func (j *jsonWriter) ekNode(parent *Field, nodes []*Field) {
	type attr struct{ nodes []*Field }
	var attrs []*attr
	at := map[string]*attr{}
	var fill func(parent *Field, nodes []*Field)
	fill = func(parent *Field, nodes []*Field) {
		for _, c := range nodes {
			key := ekAbbrev(c)
			if parent != nil {
				key = ekAbbrev(parent) + "_" + key
			}
			a := at[key]
			if a == nil {
				a = &attr{}
				at[key] = a
				attrs = append(attrs, a)
			}
			a.nodes = append(a.nodes, c)
			if !ekProtocol(c) && len(c.Children) > 0 {
				fill(c, c.Children)
			}
		}
	}
	fill(parent, nodes)
	hexOn := j.f.Hex || j.f.Mode == JSONRaw
	for i, a := range attrs {
		if i > 0 {
			j.b.WriteByte(',')
		}
		n := a.nodes[0]
		if hexOn && n.Len > 0 && n.Name != "" {
			jsonQuote(&j.b, ekName(n)+"_raw", true)
			j.b.WriteByte(':')
			j.ekList(a.nodes, func(f *Field) { jsonQuote(&j.b, rawHex(j.p, f, fieldBitmask(f)), false) })
			j.b.WriteByte(',')
		}
		jsonQuote(&j.b, ekName(n), true)
		j.b.WriteByte(':')
		j.ekList(a.nodes, func(f *Field) {
			if ekProtocol(f) {
				j.b.WriteByte('{')
				j.ekNode(f, f.Children)
				j.b.WriteByte('}')
				return
			}
			j.ekValue(f)
		})
	}
}

func (j *jsonWriter) ekList(nodes []*Field, value func(*Field)) {
	if len(nodes) == 1 {
		value(nodes[0])
		return
	}
	j.b.WriteByte('[')
	for i, f := range nodes {
		if i > 0 {
			j.b.WriteByte(',')
		}
		value(f)
	}
	j.b.WriteByte(']')
}

// ekAbbrev is a node's filter name ("text" for a text-only node, as
// tshark names them).
func ekAbbrev(f *Field) string {
	if f.Name == "" {
		return "text"
	}
	return f.Name
}

// ekName is a node's ek key (before dots become underscores): its
// filter name after the protocol that registers it ("tcp_tcp.srcport"),
// or alone for protocols and text ("tcp", "text").
func ekName(f *Field) string {
	if f.Name == "" || ekProtocol(f) || ekNameOnly[f.Name] {
		return ekAbbrev(f)
	}
	return ekParent(f.Name) + "_" + f.Name
}

// ekParent is the protocol that registers a field: the name's first
// part, or its first two for the _ws pseudo-protocols (_ws.expert).
func ekParent(name string) string {
	first, rest, ok := strings.Cut(name, ".")
	if !ok {
		return name
	}
	if first == "_ws" {
		second, _, _ := strings.Cut(rest, ".")
		return first + "." + second
	}
	return first
}

// ekNameOnly are the fields that tshark registers as protocols of their
// own ("in name only"), so that their ek keys have no protocol before
// them: the TCP options.
var ekNameOnly = map[string]bool{
	"tcp.options.eol": true, "tcp.options.nop": true, "tcp.options.mss": true,
	"tcp.options.wscale": true, "tcp.options.sack_perm": true, "tcp.options.sack": true,
	"tcp.options.timestamp": true, "tcp.options.unknown": true, "tcp.options.md5": true,
	"tcp.options.user_to": true, "tcp.options.tfo": true, "tcp.options.mptcp": true,
	"tcp.options.echo": true, "tcp.options.echoreply": true, "tcp.options.cc": true,
	"tcp.options.qs": true, "tcp.options.exp": true,
}

// ekValue writes a field's ek value: booleans as true and false,
// valueless fields as null, absolute times in ISO 8601 UTC, text nodes
// their text, the rest as in -T json.
func (j *jsonWriter) ekValue(f *Field) {
	switch {
	case f.Name == "":
		jsonQuote(&j.b, textLabel(f), false)
	case !hasValue(f):
		j.b.WriteString("null")
	case f.Kind == KindBool:
		if f.U != 0 {
			j.b.WriteString("true")
		} else {
			j.b.WriteString("false")
		}
	case f.Name == "frame.time":
		jsonQuote(&j.b, ekTime(j.packetTime()), false)
	case f.Kind == KindTime && f.Name != "frame.time_epoch":
		jsonQuote(&j.b, ekTime(f.T), false)
	default:
		jsonQuote(&j.b, jsonValue(j.p, f), false)
	}
}

func ekTime(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s.%09dZ", t.Format("2006-01-02T15:04:05"), t.Nanosecond())
}
