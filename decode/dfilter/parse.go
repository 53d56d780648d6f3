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

type dfNode interface {
	eval(c *dfCtx) bool
}

type (
	dfOrNode  struct{ a, b dfNode }
	dfAndNode struct{ a, b dfNode }
	dfXorNode struct{ a, b dfNode }
	dfNotNode struct{ x dfNode }
	// dfTestNode is a bare operand: a field or protocol is present (a
	// bitwise and is non-zero).
	dfTestNode struct{ x *dfOperand }
	dfCmpNode  struct {
		op   string
		l, r *dfOperand
	}
	dfContainsNode struct{ l, r *dfOperand }
	dfMatchesNode  struct {
		l  *dfOperand
		re *regexp.Regexp
	}
	dfInNode struct {
		l   *dfOperand
		set []dfSetElem
	}
)

type dfSetElem struct {
	lo, hi *dfOperand // hi is nil for a single value
}

// dfOperand is one side of a comparison.
type dfOperand struct {
	kind decode.Kind // the type of its values (KindBytes for a slice)
	tok  dfToken
	// A field or protocol reference.
	field string
	slot  int
	layer int // #N, 0 for any
	// A slice of the value, applied last.
	slice []dfRange
	// A function call.
	fn   string
	args []*dfOperand
	// A bitwise and: the operand's values & mask's.
	mask *dfOperand
	// A literal, before typing (lit) and after (val).
	lit    *dfToken
	val    dfValue
	hasVal bool
}

func (o *dfOperand) isLiteral() bool { return o.lit != nil }

// dfRange is one range of a slice, as Wireshark's drange nodes.
type dfRange struct {
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

type dfParser struct {
	expr string
	toks []dfToken
	i    int
	d    *Filter
}

func (ps *dfParser) peek() dfToken { return ps.toks[ps.i] }
func (ps *dfParser) next() dfToken {
	t := ps.toks[ps.i]
	if t.kind != dfEOF {
		ps.i++
	}
	return t
}

func (ps *dfParser) errAt(t dfToken, msg string) *Error {
	return dfErrAt(ps.expr, t.pos, msg, t.raw)
}

func (ps *dfParser) unexpected(t dfToken) *Error {
	if t.kind == dfEOF {
		return ps.errAt(t, "unexpected end of filter")
	}
	return ps.errAt(t, fmt.Sprintf("%q was unexpected in this context", t.raw))
}

func (ps *dfParser) parseOr() (dfNode, error) {
	a, err := ps.parseXor()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == dfOr {
		ps.next()
		b, err := ps.parseXor()
		if err != nil {
			return nil, err
		}
		a = &dfOrNode{a, b}
	}
	return a, nil
}

func (ps *dfParser) parseXor() (dfNode, error) {
	a, err := ps.parseAnd()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == dfXor {
		ps.next()
		b, err := ps.parseAnd()
		if err != nil {
			return nil, err
		}
		a = &dfXorNode{a, b}
	}
	return a, nil
}

func (ps *dfParser) parseAnd() (dfNode, error) {
	a, err := ps.parseNot()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == dfAnd {
		ps.next()
		b, err := ps.parseNot()
		if err != nil {
			return nil, err
		}
		a = &dfAndNode{a, b}
	}
	return a, nil
}

func (ps *dfParser) parseNot() (dfNode, error) {
	if ps.peek().kind == dfNot {
		ps.next()
		x, err := ps.parseNot()
		if err != nil {
			return nil, err
		}
		return &dfNotNode{x}, nil
	}
	return ps.parseAtom()
}

func (ps *dfParser) parseAtom() (dfNode, error) {
	t := ps.peek()
	if t.kind == dfLParen {
		ps.next()
		x, err := ps.parseOr()
		if err != nil {
			return nil, err
		}
		if c := ps.peek(); c.kind != dfRParen {
			if c.kind == dfEOF {
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
	case dfRel:
		ps.next()
		r, err := ps.parseEntity()
		if err != nil {
			return nil, err
		}
		return ps.checkCmp(op, l, r)
	case dfContains:
		ps.next()
		r, err := ps.parseEntity()
		if err != nil {
			return nil, err
		}
		return ps.checkContains(op, l, r)
	case dfMatches:
		ps.next()
		r := ps.next()
		if r.kind != dfString {
			if r.kind == dfEOF {
				return nil, ps.unexpected(r)
			}
			return nil, ps.errAt(r, "matches requires a double quoted string on the right side")
		}
		return ps.checkMatches(op, l, r)
	case dfIn:
		ps.next()
		return ps.parseSet(op, l)
	case dfNot:
		if ps.toks[ps.i+1].kind == dfIn {
			ps.next()
			in := ps.next()
			x, err := ps.parseSet(in, l)
			if err != nil {
				return nil, err
			}
			return &dfNotNode{x}, nil
		}
	}
	if err := ps.checkLHS(l, dfToken{}); err != nil {
		return nil, err
	}
	return &dfTestNode{l}, nil
}

// parseEntity parses a field reference (with #layer and [slice]), a
// function call, a literal, or one of those & another.
func (ps *dfParser) parseEntity() (*dfOperand, error) {
	o, err := ps.parseTerm()
	if err != nil {
		return nil, err
	}
	if ps.peek().kind == dfBitAnd {
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
		if !dfIsInteger(o.kind) && !bytesLike {
			return nil, ps.errAt(o.tok, fmt.Sprintf("%s (type=%s) cannot participate in bitwise and", o.tok.raw, dfKindName(o.kind)))
		}
		if err := ps.typeOperand(m, o); err != nil {
			return nil, err
		}
		if dfKindClass(m.kind) != dfKindClass(o.kind) {
			return nil, ps.errAt(m.tok, fmt.Sprintf("%s and %s are not of compatible types", o.tok.raw, m.tok.raw))
		}
		k := o.kind
		if bytesLike {
			k = decode.KindBytes
		}
		return &dfOperand{kind: k, tok: o.tok, mask: m, args: []*dfOperand{o}}, nil
	}
	return o, nil
}

func (ps *dfParser) parseTerm() (*dfOperand, error) {
	t := ps.next()
	switch t.kind {
	case dfString, dfChar:
		return &dfOperand{tok: t, lit: &t}, nil
	case dfWord:
	default:
		return nil, ps.unexpected(t)
	}
	if ps.peek().kind == dfLParen && ps.peek().pos == t.pos+len(t.raw) {
		return ps.parseCall(t)
	}
	name := strings.TrimPrefix(t.text, ".") // a leading dot forces a field name
	kind, _, known := decode.LookupField(name)
	if !known {
		if strings.HasPrefix(t.text, ".") {
			return nil, ps.unknownField(t, name)
		}
		if k := ps.peek().kind; k == dfHash || k == dfSlice {
			return nil, ps.unknownField(t, name)
		}
		return &dfOperand{tok: t, lit: &t}, nil
	}
	o := &dfOperand{kind: kind, tok: t, field: name, slot: ps.slot(name)}
	if ps.peek().kind == dfHash {
		h := ps.next()
		n, err := strconv.Atoi(h.text)
		if err != nil || n < 1 {
			return nil, ps.errAt(h, "the layer number must be at least 1")
		}
		o.layer = n
		ps.d.layers = true
	}
	if ps.peek().kind == dfSlice {
		if err := ps.parseSlice(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (ps *dfParser) slot(name string) int {
	if i, ok := ps.d.slots[name]; ok {
		return i
	}
	i := len(ps.d.slots)
	ps.d.slots[name] = i
	return i
}

// dfFunctions are the functions the filter language knows, after 4.0's.
var dfFunctions = map[string]bool{"len": true, "count": true, "upper": true, "lower": true}

func (ps *dfParser) parseCall(name dfToken) (*dfOperand, error) {
	if !dfFunctions[name.text] {
		return nil, ps.errAt(name, fmt.Sprintf("the function %q does not exist", name.text))
	}
	ps.next() // (
	o := &dfOperand{tok: name, fn: name.text}
	for ps.peek().kind != dfRParen {
		if len(o.args) > 0 {
			if c := ps.peek(); c.kind != dfComma {
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
	if ps.peek().kind == dfSlice {
		if err := ps.parseSlice(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// dfSliceable reports whether values of kind k are byte sequences a slice
// can cut.
func dfSliceable(k decode.Kind) bool {
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
func (ps *dfParser) parseSlice(o *dfOperand) error {
	t := ps.next()
	if !dfSliceable(o.kind) {
		return ps.errAt(o.tok, fmt.Sprintf("%q is a %s and cannot be sliced into a sequence of bytes", o.tok.raw, dfKindName(o.kind)))
	}
	bad := func(s string) error {
		return ps.errAt(t, fmt.Sprintf("%q is not a valid range", strings.TrimSpace(s)))
	}
	for _, part := range strings.Split(t.text, ",") {
		s := strings.TrimSpace(part)
		var r dfRange
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
func (ps *dfParser) parseSet(t dfToken, l *dfOperand) (dfNode, error) {
	if err := ps.checkLHS(l, t); err != nil {
		return nil, err
	}
	if b := ps.next(); b.kind != dfLBrace {
		return nil, ps.unexpected(b)
	}
	n := &dfInNode{l: l}
	for {
		if ps.peek().kind == dfRBrace {
			if len(n.set) == 0 {
				return nil, ps.errAt(ps.peek(), "the set is empty")
			}
			ps.next()
			break
		}
		if len(n.set) > 0 && ps.peek().kind == dfComma {
			ps.next()
			if ps.peek().kind == dfRBrace {
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
		e := dfSetElem{lo: lo}
		if ps.peek().kind == dfDotDot {
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
			if !dfOrderable(l.kind) {
				return nil, ps.errAt(l.tok, fmt.Sprintf("%s (type=%s) cannot be compared with a range", l.tok.raw, dfKindName(l.kind)))
			}
			e.hi = hi
		}
		n.set = append(n.set, e)
		if ps.peek().kind == dfEOF {
			return nil, ps.unexpected(ps.peek())
		}
	}
	return n, nil
}
