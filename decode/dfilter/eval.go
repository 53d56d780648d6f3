package dfilter

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"wiretap/decode"
)

// Evaluation of a compiled display filter against one dissected packet.

// evalCtx is the state of one Match.
type evalCtx struct {
	d      *Filter
	p      *decode.Packet
	fields [][]*decode.Field
	layer  [][]int               // per slot, the protocol layer (1-based) of each field
	tvbEnd map[*decode.Field]int // a protocol node's data end in its source
	tvbSet bool                  // tvbEnd is filled for this packet
	limit  map[int]int           // protoData's, per source: the data end so far
	counts map[string]int        // collect's, for #N: protocol layers so far
	// vals holds the fields' values for this packet: values returns
	// pieces of it (a filter over many packets allocates none).
	vals []value
}

// Match reports whether packet p passes the filter. A nil filter passes
// every packet.
func (d *Filter) Match(p *decode.Packet) bool {
	if d == nil {
		return true
	}
	if p == nil {
		return false
	}
	// The evaluation's lists are used again for the next packet (Match
	// may run on several goroutines at once: each takes its own).
	c, _ := d.ctxs.Get().(*evalCtx)
	if c == nil {
		c = &evalCtx{d: d}
	}
	c.p = p
	c.collect()
	ok := d.root.eval(c)
	c.reset()
	d.ctxs.Put(c)
	return ok
}

// reset empties c for the next packet, keeping its lists' room but none
// of the packet's fields or bytes.
func (c *evalCtx) reset() {
	c.p = nil
	for i := range c.fields {
		clear(c.fields[i])
		c.fields[i] = c.fields[i][:0]
	}
	for i := range c.layer {
		c.layer[i] = c.layer[i][:0]
	}
	if c.tvbSet {
		clear(c.tvbEnd)
		c.tvbSet = false
	}
	clear(c.vals)
	c.vals = c.vals[:0]
}

// collect gathers, in one walk of the tree, every occurrence of the names
// the filter uses.
func (c *evalCtx) collect() {
	d := c.d
	if c.fields == nil {
		c.fields = make([][]*decode.Field, len(d.slots))
	}
	var counts map[string]int
	if d.layers {
		if c.layer == nil {
			c.layer = make([][]int, len(d.slots))
			c.counts = map[string]int{}
		}
		counts = c.counts
		clear(counts)
	}
	visit := func(f *decode.Field) {
		if counts != nil && f.Kind == decode.KindProtocol {
			counts[f.Name]++
		}
		if f.Name != "" {
			if i, ok := d.slots[f.Name]; ok {
				c.fields[i] = append(c.fields[i], f)
				if counts != nil {
					proto, _, _ := strings.Cut(f.Name, ".")
					if f.Kind == decode.KindProtocol {
						proto = f.Name
					}
					c.layer[i] = append(c.layer[i], counts[proto])
				}
			}
		}
	}
	c.p.EachField(visit)
}

// occurrences returns the fields an operand refers to (its #layer
// applied).
func (c *evalCtx) occurrences(o *operand) []*decode.Field {
	fs := c.fields[o.slot]
	if o.layer == 0 || len(fs) == 0 {
		return fs
	}
	var out []*decode.Field
	for i, f := range fs {
		if c.layer[o.slot][i] == o.layer {
			out = append(out, f)
		}
	}
	return out
}

// values evaluates an operand to its values (none when its field is
// absent).
//
// The result is read only: a literal's values are the operand's own, and
// a field's are a piece of c.vals (so it is valid until reset).
func (c *evalCtx) values(o *operand) []value {
	if o.hasVal {
		return o.vals
	}
	var out []value
	switch {
	case o.mask != nil:
		ms := c.values(o.mask)
		for _, a := range c.values(o.args[0]) {
			for _, m := range ms {
				switch {
				case a.cls == vcInt && m.cls == vcInt:
					out = append(out, value{cls: vcInt, u: twos(a) & twos(m)})
				case a.cls == vcBytes && m.cls == vcBytes: // byte by byte, as long as the shorter
					b := make([]byte, min(len(a.b), len(m.b)))
					for i := range b {
						b[i] = a.b[i] & m.b[i]
					}
					out = append(out, value{cls: vcBytes, b: b})
				}
			}
		}
		return out
	case o.fn != "":
		a := o.args[0]
		switch o.fn {
		case "count":
			if n := len(c.occurrences(a)); n > 0 {
				out = append(out, value{cls: vcInt, u: uint64(n)})
			}
		case "len":
			for _, f := range c.occurrences(a) {
				out = append(out, value{cls: vcInt, u: uint64(fieldLength(c.p, f))})
			}
		case "upper", "lower":
			for _, v := range c.values(a) {
				if v.cls != vcString {
					continue
				}
				if o.fn == "upper" {
					v.s = upper(v.s)
				} else {
					v.s = lower(v.s)
				}
				out = append(out, v)
			}
		}
	default:
		start := len(c.vals)
		for _, f := range c.occurrences(o) {
			if v, ok := c.fieldValue(f, o.kind); ok {
				c.vals = append(c.vals, v)
			}
		}
		if end := len(c.vals); end > start {
			out = c.vals[start:end:end]
		}
	}
	if o.slice != nil {
		for i, v := range out {
			out[i] = value{cls: vcBytes, b: sliceBytes(valueBytes(v), o.slice)}
		}
	}
	return out
}

// twos is an integer value as a 64-bit two's complement word.
func twos(v value) uint64 {
	if v.neg {
		return -v.u
	}
	return v.u
}

// fieldValue converts a tree field into a value; want is the type the
// registry gives its name (frame.time is a string in the tree and a time
// in filters).
func (c *evalCtx) fieldValue(f *decode.Field, want decode.Kind) (value, bool) {
	switch f.Kind {
	case decode.KindUint, decode.KindFrameNum:
		return value{cls: vcInt, u: f.U}, true
	case decode.KindBool:
		if f.U != 0 {
			return value{cls: vcInt, u: 1}, true
		}
		return value{cls: vcInt}, true
	case decode.KindInt:
		if f.I < 0 {
			return value{cls: vcInt, neg: true, u: -uint64(f.I)}, true
		}
		return value{cls: vcInt, u: uint64(f.I)}, true
	case decode.KindFloat:
		return value{cls: vcFloat, f: f.F}, true
	case decode.KindString:
		if want == decode.KindTime {
			if t, ok := parseTreeTime(f.S); ok {
				return value{cls: vcTime, t: t.UnixNano()}, true
			}
			return value{}, false
		}
		return value{cls: vcString, s: f.S}, true
	case decode.KindBytes:
		b := f.B
		if b == nil {
			b = fieldBytes(c.p, f)
		}
		return value{cls: vcBytes, b: b}, true
	case decode.KindMAC:
		return value{cls: vcBytes, b: f.B}, true
	case decode.KindIPv4, decode.KindIPv6:
		return value{cls: vcIP, ip: f.IP, bits: f.IP.BitLen()}, true
	case decode.KindTime:
		return value{cls: vcTime, t: f.T.UnixNano()}, true
	case decode.KindDuration:
		return value{cls: vcDuration, t: int64(f.D)}, true
	case decode.KindProtocol:
		v := value{cls: vcBytes, b: fieldBytes(c.p, f)}
		if c.d.tvbs {
			v.tvb = c.protoData(f)
		}
		return v, true
	}
	return value{}, false
}

// parseTreeTime reads frame.time as the frame layer writes it.
func parseTreeTime(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("Jan _2, 2006 15:04:05.000000000 MST", s, time.Local)
	return t, err == nil
}

// fieldBytes is the bytes a field covers in its data source (clamped).
func fieldBytes(p *decode.Packet, f *decode.Field) []byte {
	if f.Source < 0 || f.Source >= len(p.Sources) {
		return nil
	}
	d := p.Sources[f.Source].Data
	s := min(max(f.Start, 0), len(d))
	e := min(max(s+f.Len, s), len(d))
	return d[s:e]
}

// fieldLength is len(): the length of a field's value in bytes.
func fieldLength(p *decode.Packet, f *decode.Field) int {
	switch f.Kind {
	case decode.KindString:
		return len(f.S)
	case decode.KindBytes, decode.KindMAC:
		if f.B != nil {
			return len(f.B)
		}
	case decode.KindIPv4:
		return 4
	case decode.KindIPv6:
		return 16
	case decode.KindUint, decode.KindInt, decode.KindFrameNum: // the type's size, as tshark
		if _, b, _ := decode.LookupField(f.Name); b > 0 {
			return int(b) / 8
		}
	}
	return len(fieldBytes(p, f))
}

// protoData is what Wireshark's FT_PROTOCOL value holds for contains and
// matches: the data from the protocol's start to the end of the buffer its
// dissector was handed. IPv4 and IPv6 cut their buffer (and so that of
// everything they carry) to their total length, leaving an Ethernet
// trailer out.
func (c *evalCtx) protoData(f *decode.Field) []byte {
	if !c.tvbSet {
		c.tvbSet = true
		if c.tvbEnd == nil {
			c.tvbEnd, c.limit = map[*decode.Field]int{}, map[int]int{}
		}
		limit := c.limit
		clear(limit)
		visit := func(n *decode.Field) {
			if n.Kind == decode.KindProtocol && n.Source >= 0 && n.Source < len(c.p.Sources) {
				lim, ok := limit[n.Source]
				if !ok {
					lim = len(c.p.Sources[n.Source].Data)
				}
				switch n.Name {
				case "ip":
					if l, ok := childUint(n, "ip.len"); ok && l >= 20 {
						lim = min(lim, n.Start+int(l))
					}
				case "ipv6":
					if l, ok := childUint(n, "ipv6.plen"); ok && l > 0 {
						lim = min(lim, n.Start+40+int(l))
					}
				}
				limit[n.Source] = lim
				c.tvbEnd[n] = lim
			}
		}
		c.p.EachField(visit)
	}
	if f.Source < 0 || f.Source >= len(c.p.Sources) {
		return nil
	}
	d := c.p.Sources[f.Source].Data
	end, ok := c.tvbEnd[f]
	if !ok {
		end = len(d)
	}
	s := min(max(f.Start, 0), len(d))
	e := min(max(end, s+max(f.Len, 0)), len(d))
	return d[s:e]
}

func childUint(f *decode.Field, name string) (uint64, bool) {
	for _, ch := range f.Children {
		if ch.Name == name && ch.Kind == decode.KindUint {
			return ch.U, true
		}
	}
	return 0, false
}

// valueBytes is a value as the byte sequence a slice cuts.
func valueBytes(v value) []byte {
	switch v.cls {
	case vcBytes:
		return v.b
	case vcString:
		return []byte(v.s)
	case vcIP:
		return v.ip.AsSlice()
	}
	return nil
}

// sliceBytes applies a slice's ranges to b as Wireshark's slice_func: a
// range that does not fit stops the slice with what it has so far.
func sliceBytes(b []byte, rs []sliceRange) []byte {
	n := len(b)
	var out []byte
	for _, r := range rs {
		start := r.start
		if start < 0 {
			start += n
			if start < 0 {
				return nonNil(out)
			}
		}
		var length int
		switch r.how {
		case rngToEnd:
			length = n - start
			if length <= 0 {
				return nonNil(out)
			}
		case rngLength:
			length = r.length
			if start+length > n {
				return nonNil(out)
			}
		case rngOffset:
			end := r.end
			if end < 0 {
				end += n
				if end < start {
					return nonNil(out)
				}
			} else if end >= n {
				return nonNil(out)
			}
			length = end - start + 1
		}
		if length <= 0 || start > n {
			return nonNil(out)
		}
		out = append(out, b[start:start+length]...)
	}
	return nonNil(out)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// compareValues orders a and b; ok is false when they cannot be compared.
func compareValues(a, b value) (c int, ok bool) {
	switch {
	case a.cls == vcInt && b.cls == vcInt:
		switch {
		case a.neg && !b.neg:
			return -1, true
		case !a.neg && b.neg:
			return 1, true
		case a.neg:
			return cmp3(b.u, a.u), true
		}
		return cmp3(a.u, b.u), true
	case (a.cls == vcFloat || a.cls == vcInt) && (b.cls == vcFloat || b.cls == vcInt):
		x, y := asFloat(a), asFloat(b)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		case x == y:
			return 0, true
		}
		return 0, false // NaN
	case a.cls != b.cls:
		return 0, false
	}
	switch a.cls {
	case vcString:
		return strings.Compare(a.s, b.s), true
	case vcBytes:
		if len(a.b) != len(b.b) {
			if len(a.b) < len(b.b) {
				return -1, true
			}
			return 1, true
		}
		return bytes.Compare(a.b, b.b), true
	case vcIP:
		if a.ip.Is4() != b.ip.Is4() {
			return 0, false
		}
		bits := min(a.bits, b.bits)
		x, err1 := a.ip.Prefix(bits)
		y, err2 := b.ip.Prefix(bits)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return x.Addr().Compare(y.Addr()), true
	case vcTime, vcDuration:
		return cmp3(a.t, b.t), true
	}
	return 0, false
}

func cmp3[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func asFloat(v value) float64 {
	if v.cls == vcFloat {
		return v.f
	}
	if v.neg {
		return -float64(v.u)
	}
	return float64(v.u)
}

func equalValues(a, b value) bool {
	c, ok := compareValues(a, b)
	return ok && c == 0
}

func (n *orNode) eval(c *evalCtx) bool  { return n.a.eval(c) || n.b.eval(c) }
func (n *andNode) eval(c *evalCtx) bool { return n.a.eval(c) && n.b.eval(c) }
func (n *xorNode) eval(c *evalCtx) bool { return n.a.eval(c) != n.b.eval(c) }
func (n *notNode) eval(c *evalCtx) bool { return !n.x.eval(c) }

func (n *testNode) eval(c *evalCtx) bool {
	o := n.x
	if o.field != "" && o.slice == nil {
		return len(c.occurrences(o)) > 0
	}
	vs := c.values(o)
	if o.mask != nil {
		for _, v := range vs {
			if v.u != 0 || bytes.ContainsFunc(v.b, func(r rune) bool { return r != 0 }) {
				return true
			}
		}
		return false
	}
	return len(vs) > 0
}

func (n *cmpNode) eval(c *evalCtx) bool {
	ls := c.values(n.l)
	if len(ls) == 0 {
		return false
	}
	rs := c.values(n.r)
	if len(rs) == 0 {
		return false
	}
	switch n.op {
	case opAllNe, opAllEq:
		want := n.op == opAllEq
		for _, a := range ls {
			for _, b := range rs {
				if equalValues(a, b) != want {
					return false
				}
			}
		}
		return true
	case opAnyNe:
		for _, a := range ls {
			for _, b := range rs {
				if !equalValues(a, b) {
					return true
				}
			}
		}
		return false
	}
	for _, a := range ls {
		for _, b := range rs {
			r, ok := compareValues(a, b)
			if !ok {
				continue
			}
			switch n.op {
			case opAnyEq:
				ok = r == 0
			case opLT:
				ok = r < 0
			case opLE:
				ok = r <= 0
			case opGT:
				ok = r > 0
			case opGE:
				ok = r >= 0
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// subject is what contains and matches search in a value.
func subject(v value) []byte {
	switch v.cls {
	case vcBytes:
		if v.tvb != nil {
			return v.tvb
		}
		return v.b
	case vcString:
		return []byte(v.s)
	}
	return nil
}

func (n *containsNode) eval(c *evalCtx) bool {
	ls := c.values(n.l)
	if len(ls) == 0 {
		return false
	}
	rs := c.values(n.r)
	for _, a := range ls {
		if a.cls != vcBytes && a.cls != vcString {
			continue
		}
		hay := subject(a)
		for _, b := range rs {
			needle := valueBytes(b)
			if b.cls != vcBytes && b.cls != vcString || len(needle) == 0 {
				continue // tshark finds no empty string
			}
			if bytes.Contains(hay, needle) {
				return true
			}
		}
	}
	return false
}

func (n *matchesNode) eval(c *evalCtx) bool {
	for _, a := range c.values(n.l) {
		if a.cls != vcBytes && a.cls != vcString {
			continue
		}
		if n.re.MatchString(byteRunes(subject(a))) {
			return true
		}
	}
	return false
}

// byteRunes maps the bytes of b to runes as compileRegexp expects:
// ASCII as is, b >= 0x80 to U+F700+b.
func byteRunes(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	var s strings.Builder
	s.Grow(len(b) + 2*len(b)/3)
	for _, c := range b {
		if c < utf8.RuneSelf {
			s.WriteByte(c)
		} else {
			s.WriteRune(0xf700 + rune(c))
		}
	}
	return s.String()
}

func (n *inNode) eval(c *evalCtx) bool {
	ls := c.values(n.l)
	if len(ls) == 0 {
		return false
	}
	for _, e := range n.set {
		los := c.values(e.lo)
		if e.hi == nil {
			for _, a := range ls {
				for _, b := range los {
					if equalValues(a, b) {
						return true
					}
				}
			}
			continue
		}
		his := c.values(e.hi)
		for _, a := range ls {
			for _, lo := range los {
				for _, hi := range his {
					r1, ok1 := compareValues(a, lo)
					r2, ok2 := compareValues(a, hi)
					if ok1 && ok2 && r1 >= 0 && r2 <= 0 {
						return true
					}
				}
			}
		}
	}
	return false
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}
