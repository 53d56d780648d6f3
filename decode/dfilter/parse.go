package dfilter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"wiretap/decode"
)

// The parser: the tokens of lex.go to a tree of nodes and operands, by
// recursive descent after Wireshark 4.0's epan/dfilter/grammar.lemon. Each
// node is checked (check.go) as it is built.

// The syntax tree. Each node evaluates itself (eval.go).

type node interface {
	eval(c *evalCtx) bool
}

type (
	orNode  struct{ a, b node }
	andNode struct{ a, b node }
	xorNode struct{ a, b node }
	notNode struct{ x node }
	// testNode is a bare operand: a field or protocol is present (a
	// bitwise and is non-zero).
	testNode struct{ x *operand }
	cmpNode  struct {
		op   string
		l, r *operand
	}
	containsNode struct{ l, r *operand }
	matchesNode  struct {
		l  *operand
		re *regexp.Regexp
	}
	inNode struct {
		l   *operand
		set []setElem
	}
)

type setElem struct {
	lo, hi *operand // hi is nil for a single value
}

// operand is one side of a comparison.
type operand struct {
	kind decode.Kind // the type of its values (KindBytes for a slice)
	tok  token
	// A field or protocol reference.
	field string
	slot  int
	layer int // #N, 0 for any
	// A slice of the value, applied last.
	slice []sliceRange
	// A function call.
	fn   string
	args []*operand
	// A bitwise and: the operand's values & mask's.
	mask *operand
	// A literal, before typing (lit) and after (vals: its one value, as
	// values returns it).
	lit    *token
	vals   []value
	hasVal bool
}

func (o *operand) isLiteral() bool { return o.lit != nil }

// sliceRange is one range of a slice, as Wireshark's drange nodes.
type sliceRange struct {
	start  int
	length int // for rngLength
	end    int // for rngOffset (inclusive)
	how    uint8
}

const (
	rngLength uint8 = iota // [i:n]
	rngOffset              // [i-j]
	rngToEnd               // [i:]
)

// The parser.

type parser struct {
	expr string
	toks []token
	i    int
	d    *Filter
}

func (ps *parser) peek() token { return ps.toks[ps.i] }
func (ps *parser) next() token {
	t := ps.toks[ps.i]
	if t.kind != tokEOF {
		ps.i++
	}
	return t
}

func (ps *parser) errAt(t token, msg string) *Error {
	return errorAt(ps.expr, t.pos, msg, t.raw)
}

func (ps *parser) unexpected(t token) *Error {
	if t.kind == tokEOF {
		return ps.errAt(t, "unexpected end of filter")
	}
	return ps.errAt(t, fmt.Sprintf("%q was unexpected in this context", t.raw))
}

func (ps *parser) parseOr() (node, error) {
	a, err := ps.parseXor()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == tokOr {
		ps.next()
		b, err := ps.parseXor()
		if err != nil {
			return nil, err
		}
		a = &orNode{a, b}
	}
	return a, nil
}

func (ps *parser) parseXor() (node, error) {
	a, err := ps.parseAnd()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == tokXor {
		ps.next()
		b, err := ps.parseAnd()
		if err != nil {
			return nil, err
		}
		a = &xorNode{a, b}
	}
	return a, nil
}

func (ps *parser) parseAnd() (node, error) {
	a, err := ps.parseNot()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == tokAnd {
		ps.next()
		b, err := ps.parseNot()
		if err != nil {
			return nil, err
		}
		a = &andNode{a, b}
	}
	return a, nil
}

func (ps *parser) parseNot() (node, error) {
	if ps.peek().kind == tokNot {
		ps.next()
		x, err := ps.parseNot()
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
	}
	return ps.parseAtom()
}

func (ps *parser) parseAtom() (node, error) {
	t := ps.peek()
	if t.kind == tokLParen {
		ps.next()
		x, err := ps.parseOr()
		if err != nil {
			return nil, err
		}
		if c := ps.peek(); c.kind != tokRParen {
			if c.kind == tokEOF {
				return nil, ps.errAt(t, "unbalanced parenthesis: missing \")\"")
			}
			return nil, ps.unexpected(c)
		}
		ps.next()
		return x, nil
	}
	l, err := ps.parseEntity()
	if err != nil {
		return nil, err
	}
	op := ps.peek()
	switch op.kind {
	case tokRel:
		ps.next()
		r, err := ps.parseEntity()
		if err != nil {
			return nil, err
		}
		return ps.checkCmp(op, l, r)
	case tokContains:
		ps.next()
		r, err := ps.parseEntity()
		if err != nil {
			return nil, err
		}
		return ps.checkContains(op, l, r)
	case tokMatches:
		ps.next()
		r := ps.next()
		if r.kind != tokString {
			if r.kind == tokEOF {
				return nil, ps.unexpected(r)
			}
			return nil, ps.errAt(r, "matches requires a double quoted string on the right side")
		}
		return ps.checkMatches(op, l, r)
	case tokIn:
		ps.next()
		return ps.parseSet(op, l)
	case tokNot:
		if ps.toks[ps.i+1].kind == tokIn {
			ps.next()
			in := ps.next()
			x, err := ps.parseSet(in, l)
			if err != nil {
				return nil, err
			}
			return &notNode{x}, nil
		}
	}
	if err := ps.checkLHS(l, token{}); err != nil {
		return nil, err
	}
	return &testNode{l}, nil
}

// parseEntity parses a field reference (with #layer and [slice]), a
// function call, a literal, or one of those & another.
func (ps *parser) parseEntity() (*operand, error) {
	o, err := ps.parseTerm()
	if err != nil {
		return nil, err
	}
	if ps.peek().kind == tokBitAnd {
		amp := ps.next()
		m, err := ps.parseTerm()
		if err != nil {
			return nil, err
		}
		if o.isLiteral() {
			if err := ps.resolveUnknown(o); err != nil {
				return nil, err
			}
			return nil, ps.errAt(o.tok, fmt.Sprintf("left side of %q must be a field or function, not %s", amp.raw, o.tok.raw))
		}
		bytesLike := o.kind == decode.KindBytes || o.kind == decode.KindProtocol
		if !isInteger(o.kind) && !bytesLike {
			return nil, ps.errAt(o.tok, fmt.Sprintf("%s (type=%s) cannot participate in bitwise and", o.tok.raw, kindName(o.kind)))
		}
		if err := ps.typeOperand(m, o); err != nil {
			return nil, err
		}
		if kindClass(m.kind) != kindClass(o.kind) {
			return nil, ps.errAt(m.tok, fmt.Sprintf("%s and %s are not of compatible types", o.tok.raw, m.tok.raw))
		}
		k := o.kind
		if bytesLike {
			k = decode.KindBytes
		}
		return &operand{kind: k, tok: o.tok, mask: m, args: []*operand{o}}, nil
	}
	return o, nil
}

func (ps *parser) parseTerm() (*operand, error) {
	t := ps.next()
	switch t.kind {
	case tokString, tokChar:
		return &operand{tok: t, lit: &t}, nil
	case tokWord:
	default:
		return nil, ps.unexpected(t)
	}
	if ps.peek().kind == tokLParen && ps.peek().pos == t.pos+len(t.raw) {
		return ps.parseCall(t)
	}
	name := strings.TrimPrefix(t.text, ".") // a leading dot forces a field name
	kind, _, known := decode.LookupField(name)
	if !known {
		if strings.HasPrefix(t.text, ".") {
			return nil, ps.unknownField(t, name)
		}
		if k := ps.peek().kind; k == tokHash || k == tokSlice {
			return nil, ps.unknownField(t, name)
		}
		return &operand{tok: t, lit: &t}, nil
	}
	o := &operand{kind: kind, tok: t, field: name, slot: ps.slot(name)}
	if ps.peek().kind == tokHash {
		h := ps.next()
		n, err := strconv.Atoi(h.text)
		if err != nil || n < 1 {
			return nil, ps.errAt(h, "the layer number must be at least 1")
		}
		o.layer = n
		ps.d.layers = true
	}
	if ps.peek().kind == tokSlice {
		if err := ps.parseSlice(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (ps *parser) slot(name string) int {
	if i, ok := ps.d.slots[name]; ok {
		return i
	}
	i := len(ps.d.slots)
	ps.d.slots[name] = i
	return i
}

// functions are the functions the filter language knows, after 4.0's.
var functions = map[string]bool{"len": true, "count": true, "upper": true, "lower": true}

func (ps *parser) parseCall(name token) (*operand, error) {
	if !functions[name.text] {
		return nil, ps.errAt(name, fmt.Sprintf("the function %q does not exist", name.text))
	}
	ps.next() // (
	o := &operand{tok: name, fn: name.text}
	for ps.peek().kind != tokRParen {
		if len(o.args) > 0 {
			if c := ps.peek(); c.kind != tokComma {
				return nil, ps.unexpected(c)
			}
			ps.next()
		}
		a, err := ps.parseEntity()
		if err != nil {
			return nil, err
		}
		if a.isLiteral() {
			if err := ps.resolveUnknown(a); err != nil {
				return nil, err
			}
			return nil, ps.errAt(a.tok, fmt.Sprintf("only fields can be used as parameter for %s()", o.fn))
		}
		o.args = append(o.args, a)
	}
	ps.next() // )
	if len(o.args) != 1 {
		return nil, ps.errAt(name, fmt.Sprintf("function %s() takes exactly one argument", o.fn))
	}
	a := o.args[0]
	switch o.fn {
	case "len", "count":
		if a.field == "" || a.slice != nil {
			return nil, ps.errAt(a.tok, fmt.Sprintf("only fields can be used as parameter for %s()", o.fn))
		}
		o.kind = decode.KindUint
	case "upper", "lower":
		if a.kind != decode.KindString {
			return nil, ps.errAt(a.tok, fmt.Sprintf("only string fields can be used as parameter for %s()", o.fn))
		}
		o.kind = decode.KindString
	}
	if ps.peek().kind == tokSlice {
		if err := ps.parseSlice(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// sliceable reports whether values of kind k are byte sequences a slice
// can cut.
func sliceable(k decode.Kind) bool {
	switch k {
	case decode.KindBytes, decode.KindMAC, decode.KindProtocol, decode.KindIPv4, decode.KindIPv6, decode.KindString:
		return true
	}
	return false
}

// parseSlice parses [ranges] after o: "i:j" (start, length), "i-j"
// (start, end inclusive), "i" (one byte), ":j" (from 0), "i:" (to the
// end); negative offsets count from the end; ranges separated by commas
// are concatenated.
func (ps *parser) parseSlice(o *operand) error {
	t := ps.next()
	if !sliceable(o.kind) {
		return ps.errAt(o.tok, fmt.Sprintf("%q is a %s and cannot be sliced into a sequence of bytes", o.tok.raw, kindName(o.kind)))
	}
	bad := func(s string) error {
		return ps.errAt(t, fmt.Sprintf("%q is not a valid range", strings.TrimSpace(s)))
	}
	for _, part := range strings.Split(t.text, ",") {
		s := strings.TrimSpace(part)
		var r sliceRange
		num := func(x string) (int, bool) {
			n, err := strconv.Atoi(strings.TrimSpace(x))
			return n, err == nil && n >= -1<<30 && n <= 1<<30
		}
		switch {
		case s == "":
			return bad(part)
		case strings.Contains(s, ":"):
			i := strings.IndexByte(s, ':')
			a, b := s[:i], s[i+1:]
			if strings.TrimSpace(a) == "" {
				r.start = 0
			} else if n, ok := num(a); ok {
				r.start = n
			} else {
				return bad(part)
			}
			if strings.TrimSpace(b) == "" {
				r.how = rngToEnd
			} else if n, ok := num(b); ok && n > 0 {
				r.how, r.length = rngLength, n
			} else {
				return bad(part)
			}
		case strings.LastIndexByte(s, '-') > 0:
			i := strings.LastIndexByte(s, '-')
			// "-2-5" or "1--2": the separator is the '-' not at the start
			// of a number.
			for i > 0 && s[i-1] == '-' {
				i--
			}
			a, ok1 := num(s[:i])
			b, ok2 := num(s[i+1:])
			if !ok1 || !ok2 {
				return bad(part)
			}
			r.start, r.end, r.how = a, b, rngOffset
		default:
			n, ok := num(s)
			if !ok {
				return bad(part)
			}
			r.start, r.length, r.how = n, 1, rngLength
		}
		o.slice = append(o.slice, r)
	}
	o.kind = decode.KindBytes
	return nil
}

// parseSet parses "{a, b, c..d}" after "in" (in token t).
func (ps *parser) parseSet(t token, l *operand) (node, error) {
	if err := ps.checkLHS(l, t); err != nil {
		return nil, err
	}
	if b := ps.next(); b.kind != tokLBrace {
		return nil, ps.unexpected(b)
	}
	n := &inNode{l: l}
	for {
		if ps.peek().kind == tokRBrace {
			if len(n.set) == 0 {
				return nil, ps.errAt(ps.peek(), "the set is empty")
			}
			ps.next()
			break
		}
		if len(n.set) > 0 && ps.peek().kind == tokComma {
			ps.next()
			if ps.peek().kind == tokRBrace {
				return nil, ps.unexpected(ps.peek())
			}
		}
		lo, err := ps.parseEntity()
		if err != nil {
			return nil, err
		}
		if err := ps.typeOperand(lo, l); err != nil {
			return nil, err
		}
		e := setElem{lo: lo}
		if ps.peek().kind == tokDotDot {
			dd := ps.next()
			hi, err := ps.parseEntity()
			if err != nil {
				return nil, err
			}
			if err := ps.typeOperand(hi, l); err != nil {
				return nil, err
			}
			if !lo.isLiteral() || !hi.isLiteral() {
				return nil, ps.errAt(dd, "a range in a set must be between two values")
			}
			if !orderable(l.kind) {
				return nil, ps.errAt(l.tok, fmt.Sprintf("%s (type=%s) cannot be compared with a range", l.tok.raw, kindName(l.kind)))
			}
			e.hi = hi
		}
		n.set = append(n.set, e)
		if ps.peek().kind == tokEOF {
			return nil, ps.unexpected(ps.peek())
		}
	}
	return n, nil
}
