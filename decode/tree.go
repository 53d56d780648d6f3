package decode

// The one node builder: every dissector of the tree tier (layers, HTTP,
// TLS, Fernet, the secret marks, and all that follow) makes its nodes
// here, never with Field literals of its own. Two things follow from that
// and from the shape of its methods:
//
//   - Nodes come from per-packet slabs: a tree has a hundred nodes or
//     more, a packet-list row a handful.
//   - A label is passed as a format and its arguments, last, and formatted
//     here: a row (Analyzer.Row) never formats one, and a later tier can
//     format labels only when a tree is shown, or skip nodes no filter or
//     -e asks for, without touching the dissectors again.

import (
	"net/netip"
	"slices"
	"sync"
	"unsafe"
)

// tree makes one packet's nodes.
type tree struct {
	slab []Field
	// pooled: the slabs handed out from slabPool, given back by
	// Packet.Release.
	pooled []*[]Field
	pool   bool
	// kids holds the children arrays of the tree's nodes (Field.Add), a
	// chunk at a time; pooled like the slabs.
	kids       []*Field
	pooledKids []*[]*Field
	// text is the chunk labels are written into (pooled trees), from
	// pooledText.
	text       []byte
	pooledText []*[]byte
	// lite: only the packet-list row is wanted (Analyzer.Row); formatted
	// labels are not built.
	lite bool
	// noLabels: only values are wanted (Analyzer.DissectFor).
	noLabels bool
	// want (DissectFor): only the nodes it keeps are made; the others
	// are the scratch node, which nothing holds. flat lists the nodes
	// made, in the order they were.
	want    *Want
	flat    []*Field
	scratch Field
	// hideNext: the next node made is hidden (dctx.hid); shownOnly
	// (Analyzer.DissectShown): a hidden named node gets no label, as
	// the printed tree (-V) never shows one.
	hideNext  bool
	shownOnly bool
}

// newNode returns a node holding f, labelled label (a format when args
// are given).
func (t *tree) newNode(f Field, label string, args ...any) *Field {
	hidden, labelled, ok := t.admit(f.Name, f.Kind)
	if !ok {
		return &t.scratch
	}
	if hidden {
		f.Hidden = true
	}
	if !labelled {
		label, args = "", nil
	}
	p := t.slot()
	*p = f
	p.Label = t.label(label, args)
	p.tree = t
	return p
}

// admit is what the next node named name, of kind, is: hidden (dctx.hid
// asked for it), labelled (not a hidden named node of a tree only
// printed), and made at all (ok: the want list keeps it; else it is the
// scratch node, which is never reset: what callers set on it is never
// read, and Add ignores it).
func (t *tree) admit(name string, kind Kind) (hidden, labelled, ok bool) {
	hidden, t.hideNext = t.hideNext, false
	if t.want != nil && !t.want.keeps(name, kind) {
		t.scratch.gone = true
		return hidden, false, false
	}
	return hidden, !hidden || !t.shownOnly || name == "", true
}

// moveFlat moves the nodes made since flat[from] to flat[to] (to <=
// from), before the ones made in between: for a layer whose nodes come
// after those of the layers it carries (an Ethernet trailer), so that
// DissectFor lists nodes in tree order.
func (t *tree) moveFlat(to, from int) {
	if to >= from || from >= len(t.flat) {
		return
	}
	slices.Reverse(t.flat[to:from])
	slices.Reverse(t.flat[from:])
	slices.Reverse(t.flat[to:])
}

// slot is the next node of the tree's slabs, as it was left (slabs come
// back from the pool unwiped): the caller sets all of it.
func (t *tree) slot() *Field {
	if len(t.slab) == 0 {
		switch {
		case t.pool:
			s := slabPool.Get().(*[]Field)
			t.pooled = append(t.pooled, s)
			t.slab = *s
		case t.lite:
			t.slab = make([]Field, 8)
		default:
			t.slab = make([]Field, 64)
		}
	}
	p := &t.slab[0]
	t.slab = t.slab[1:]
	if t.want != nil {
		t.flat = append(t.flat, p)
	}
	return p
}

// relabel sets f's label (a format when args are given) when the tree
// builds labels; a label a later step knows better (a protocol's
// summary line) is set with it.
func (f *Field) relabel(label string, args ...any) {
	if f.gone || f.tree == nil {
		return
	}
	f.Label = f.tree.label(label, args)
}

// wants reports whether a node named name is made (DissectFor makes
// only what its Want keeps): a dissector asks before computing a value
// that costs more than reading it.
func (t *tree) wants(name string) bool {
	return t.want == nil || t.want.all || t.want.keeps(name, KindNone)
}

// cols reports whether the packet-list columns (and the tree's
// unnamed text nodes) are wanted: not by a DissectFor whose fields are
// not columns.
func (t *tree) cols() bool { return t.want == nil || t.want.all }

// grow returns old's elements in a larger array (4 at first, then twice
// as many), taken from the tree's chunk of child pointers.
func (t *tree) grow(old []*Field) []*Field {
	n := max(4, 2*cap(old))
	if n > 256 {
		return append(make([]*Field, 0, n), old...)
	}
	if len(t.kids) < n {
		if t.pool {
			k := kidsPool.Get().(*[]*Field)
			t.pooledKids = append(t.pooledKids, k)
			t.kids = *k
		} else {
			chunk := 256
			if t.lite {
				chunk = 32
			}
			t.kids = make([]*Field, max(n, chunk))
		}
	}
	out := t.kids[:len(old):n]
	copy(out, old)
	t.kids = t.kids[n:]
	return out
}

// slabPool recycles the slabs of trees whose packets are released: a
// filter or -T fields run makes and drops a tree per packet.
var slabPool = sync.Pool{New: func() any { s := make([]Field, 64); return &s }}

var kidsPool = sync.Pool{New: func() any { k := make([]*Field, 512); return &k }}

// release gives the tree's slabs back; no node may be used afterwards.
func (t *tree) release() {
	for _, s := range t.pooled {
		slabPool.Put(s)
	}
	for _, k := range t.pooledKids {
		kidsPool.Put(k)
	}
	for _, c := range t.pooledText {
		textPool.Put(c)
	}
	clear(t.pooledText)
	t.pooledText, t.text = t.pooledText[:0], nil
	clear(t.pooled)
	clear(t.pooledKids)
	// The arrays that listed them stay, for the packet's next use
	// (Packet.Release pools DissectFor's packets).
	t.pooled, t.slab, t.pooledKids, t.kids = t.pooled[:0], nil, t.pooledKids[:0], nil
	t.flat = t.flat[:0]
}

func (t *tree) label(label string, args []any) string {
	switch {
	case len(args) == 0:
		return label
	case t.lite || t.noLabels:
		return ""
	case !t.pool:
		return formatLabel(label, args)
	}
	// A pooled tree's labels are written into its own chunks of text,
	// given back with its slabs (Packet.Release): a tree printed and
	// dropped makes no garbage of them.
	if cap(t.text)-len(t.text) < 256 {
		c := textPool.Get().(*[]byte)
		t.pooledText = append(t.pooledText, c)
		t.text = (*c)[:0]
	}
	start := len(t.text)
	out, ok := appendLabel(t.text, label, args)
	if !ok || cap(out) != cap(t.text) {
		// fmt's turn, or a label longer than the chunk's room.
		return formatLabel(label, args)
	}
	t.text = out
	return unsafe.String(&out[start], len(out)-start)
}

// concat is the parts joined, written into a pooled tree's own text (as
// its labels are) so that a string rebuilt at every layer, like
// frame.protocols, makes no garbage.
func (t *tree) concat(parts ...string) string {
	n := 0
	for _, s := range parts {
		n += len(s)
	}
	if !t.pool || t.lite || n > 1<<10 {
		// (Not strings.Join, which may return a part itself: the parts
		// would then escape, and so would a caller's stack buffer.)
		b := make([]byte, 0, n)
		for _, s := range parts {
			b = append(b, s...)
		}
		return string(b)
	}
	if cap(t.text)-len(t.text) < n {
		c := textPool.Get().(*[]byte)
		t.pooledText = append(t.pooledText, c)
		t.text = (*c)[:0]
	}
	start := len(t.text)
	for _, s := range parts {
		t.text = append(t.text, s...)
	}
	if n == 0 {
		return ""
	}
	return unsafe.String(&t.text[start], n)
}

// fieldStr is fieldStr(b), written into a pooled tree's own text: the
// string values of header lines make no garbage.
func (t *tree) fieldStr(b []byte) string {
	if !t.pool || t.lite || len(b) > 256 {
		return fieldStr(b)
	}
	if cap(t.text)-len(t.text) < 3*len(b) {
		c := textPool.Get().(*[]byte)
		t.pooledText = append(t.pooledText, c)
		t.text = (*c)[:0]
	}
	start := len(t.text)
	t.text = appendFieldStr(t.text, b)
	if len(t.text) == start {
		return ""
	}
	return unsafe.String(&t.text[start], len(t.text)-start)
}

// textPool recycles the chunks pooled trees write their labels into.
var textPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// frameRef is a generated field naming another frame (no bytes).
func (t *tree) frameRef(name string, v int, label string, args ...any) *Field {
	return t.newNode(Field{Name: name, Kind: KindFrameNum, U: uint64(v)}, label, args...)
}

// at is where the fields of bytes starting at base of data source src
// go.
func (t *tree) at(src, base int) place { return place{t: t, src: src, base: base} }

// place puts fields in one data source: offsets are from base, where the
// bytes being read start in it (data, when set, are those bytes).
type place struct {
	t    *tree
	src  int
	base int
	data []byte
}

// from is the place of the bytes off further on.
func (p place) from(off int) place {
	q := p
	q.base += off
	if off <= len(q.data) {
		q.data = q.data[off:]
	} else {
		q.data = nil
	}
	return q
}

// fieldOf places f (its Label unset) in the place's source, labelled
// label (a format when args are given).
func (p place) fieldOf(f Field, label string, args ...any) *Field {
	n := p.t.newNode(f, label, args...)
	n.Source = p.src
	return n
}

// node places f as it is (its Label included) in the place's source.
func (p place) node(f Field) *Field {
	n := p.t.newNode(f, f.Label)
	n.Source = p.src
	return n
}

// field is a node named name, of kind, on bytes [off, off+n) of the
// place, labelled label (a format when args are given): newNode's work,
// with the node written in its slot (a Field is over 200 bytes, and
// building one to copy it there twice was a tenth of -V's time).
func (p place) field(name string, kind Kind, off, n int, label string, args ...any) *Field {
	t := p.t
	hidden, labelled, ok := t.admit(name, kind)
	if !ok {
		return &t.scratch
	}
	if !labelled {
		label, args = "", nil
	}
	f := t.slot()
	*f = Field{}
	f.Name, f.Kind, f.Source, f.Start, f.Len, f.Hidden = name, kind, p.src, p.base+off, n, hidden
	f.Label = t.label(label, args)
	f.tree = t
	return f
}

func (p place) proto(name string, off, n int, label string, args ...any) *Field {
	return p.field(name, KindProtocol, off, n, label, args...)
}

func (p place) text(off, n int, label string, args ...any) *Field {
	return p.field("", KindNone, off, n, label, args...)
}

// none is a named node without a value.
func (p place) none(name string, off, n int, label string, args ...any) *Field {
	return p.field(name, KindNone, off, n, label, args...)
}

func (p place) uint(name string, off, n int, v uint64, bits uint8, label string, args ...any) *Field {
	f := p.field(name, KindUint, off, n, label, args...)
	f.U, f.Bits = v, bits
	return f
}

func (p place) hex(name string, off, n int, v uint64, bits uint8, label string, args ...any) *Field {
	f := p.uint(name, off, n, v, bits, label, args...)
	f.Base = BaseHex
	return f
}

func (p place) int(name string, off, n int, v int64, label string, args ...any) *Field {
	f := p.field(name, KindInt, off, n, label, args...)
	f.I = v
	return f
}

func (p place) bool(name string, off, n int, v bool, label string, args ...any) *Field {
	f := p.field(name, KindBool, off, n, label, args...)
	if v {
		f.U = 1
	}
	return f
}

func (p place) str(name string, off, n int, s string, label string, args ...any) *Field {
	f := p.field(name, KindString, off, n, label, args...)
	f.S = s
	return f
}

// bytes is a field of the place's own bytes [off, off+n).
func (p place) bytes(name string, off, n int, label string, args ...any) *Field {
	return p.bytesOf(name, off, p.data[off:off+n], label, args...)
}

// bytesOf is a field whose value b lies at off.
func (p place) bytesOf(name string, off int, b []byte, label string, args ...any) *Field {
	f := p.field(name, KindBytes, off, len(b), label, args...)
	f.B = b
	return f
}

func (p place) ip(name string, off, n int, a netip.Addr, label string, args ...any) *Field {
	k := KindIPv4
	if a.Is6() {
		k = KindIPv6
	}
	f := p.field(name, k, off, n, label, args...)
	f.IP = a
	return f
}

func (p place) mac(name string, off int, label string, args ...any) *Field {
	f := p.field(name, KindMAC, off, 6, label, args...)
	f.B = p.data[off : off+6]
	return f
}

// frameRef is a generated field naming another frame.
func (p place) frameRef(name string, v int, label string, args ...any) *Field {
	return p.t.frameRef(name, v, label, args...)
}
