package capture

// Capture-filter compiler: tcpdump / pcap-filter(7) syntax to classic BPF.
//
// Pipeline: fcLex (compile_lex.go) splits the expression into tokens;
// fcParser builds an AST of and/or/not over primitives (fcPrim) and
// relations (fcRel), resolving qualifiers, abbreviations ("host a or b"),
// names and addresses, with errors that carry a column; filterCompiler turns
// the AST into a tree of test blocks with true/false exits, block for block
// what libpcap's gencode.c generates (same tests, same order, same
// offsets); fcGraph then does to that flow graph what libpcap's optimiser
// does to it (jump threading, removal of tests whose exits meet, or/and
// pull-ups, opt_root); fcEmitter lays it out with forward jumps, inserts
// "ja" trampolines where a conditional jump would exceed 255 instructions
// and skips reloading a value already in A or X.
//
// Why mirror libpcap's optimiser rather than emit any correct program: a
// load beyond the end of a packet rejects it, so which loads a packet goes
// through decides the result for short (truncated, malformed) packets, and
// tcpdump's optimised programs skip loads whose outcome no longer matters.
// Arithmetic is folded the same way (constant offsets wrap modulo 2^32,
// "x & 0" never loads x), and libpcap 1.10's quirks are kept on purpose:
// '%' and '^' have no precedence, "a + tcp[0]" drops tcp's protocol test,
// "x / (0 + 1)" is a division by zero. compile_oracle_test.go checks all of
// it against tcpdump -ddd.

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// fcDefaultSnapLen is used when CompileFilter gets a snapLen <= 0 (libpcap's default).
const fcDefaultSnapLen = 262144

// fcMaxInstructions is the kernel's limit for a classic BPF program (BPF_MAXINSNS).
const fcMaxInstructions = 4096

// CompileFilter compiles a tcpdump-syntax expression for packets of link type
// lt: Ethernet, Linux SLL (113), Linux SLL2 (276), NULL (0, address family in
// host byte order), LOOP (108, network byte order), raw IP (101; also 12 and
// 14), IPv4 (228) or IPv6 (229). An empty expression accepts everything. The
// program returns snapLen for an accepted packet and 0 for a rejected one; a
// snapLen <= 0 means 262144. Syntax and semantic errors are *FilterError.
func CompileFilter(expr string, lt layers.LinkType, snapLen int) ([]bpf.Instruction, error) {
	link, ok := fcLinkFor(lt)
	if !ok {
		return nil, fmt.Errorf("capture: filter: link type %d (%v) is not supported", int(lt), lt)
	}
	if snapLen <= 0 {
		snapLen = fcDefaultSnapLen
	}
	toks, err := fcLex(expr)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == fcTokEOF {
		return []bpf.Instruction{bpf.RetConstant{Val: uint32(snapLen)}}, nil
	}
	p := &fcParser{expr: expr, toks: toks, link: link}
	ast, err := p.parseProgram()
	if err != nil {
		return nil, err
	}
	g := &filterCompiler{link: link}
	b, err := g.node(ast)
	if err != nil {
		return nil, p.errAt(toks[0], "%s", err.Error())
	}
	gr := fcBuildGraph(b)
	gr.optimize()
	// what libpcap would still fold after optimising the flow
	if err := gr.reachableErr(); err != nil {
		return nil, err
	}
	gr.finish()
	switch gr.root {
	case fcAccept:
		return []bpf.Instruction{bpf.RetConstant{Val: uint32(snapLen)}}, nil
	case fcReject:
		// libpcap refuses these too ("arp" on raw IP, "ip6 and tcp[0] = 1")
		return nil, p.errAt(toks[0], "expression rejects all packets")
	}
	prog, err := fcEmit(gr, uint32(snapLen))
	if err != nil {
		return nil, p.errAt(toks[0], "%s", err.Error())
	}
	return prog, nil
}

// ---------------------------------------------------------------------------
// Link layers

type fcLinkKind int

const (
	fcLinkEther fcLinkKind = iota
	fcLinkSLL              // Linux cooked v1 and v2: 16-bit protocol at ltOff
	fcLinkNull             // BSD loopback, family in host byte order
	fcLinkLoop             // OpenBSD loopback, family in network byte order
	fcLinkRaw              // raw IP, version in the first nibble
	fcLinkIPv4             // raw IPv4 only
	fcLinkIPv6             // raw IPv6 only
)

type fcLink struct {
	kind  fcLinkKind
	name  string
	ltOff uint32 // offset of the EtherType / protocol / family field
	plOff uint32 // offset of the network-layer header
}

func fcLinkFor(lt layers.LinkType) (fcLink, bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		return fcLink{fcLinkEther, "Ethernet", 12, 14}, true
	case layers.LinkTypeLinuxSLL:
		return fcLink{fcLinkSLL, "Linux cooked v1", 14, 16}, true
	case layers.LinkTypeLinuxSLL2:
		return fcLink{fcLinkSLL, "Linux cooked v2", 0, 20}, true
	case layers.LinkTypeNull:
		return fcLink{fcLinkNull, "BSD loopback", 0, 4}, true
	case layers.LinkTypeLoop:
		return fcLink{fcLinkLoop, "OpenBSD loopback", 0, 4}, true
	case layers.LinkTypeRaw, 12, 14:
		return fcLink{fcLinkRaw, "raw IP", 0, 0}, true
	case layers.LinkTypeIPv4:
		return fcLink{fcLinkIPv4, "raw IPv4", 0, 0}, true
	case layers.LinkTypeIPv6:
		return fcLink{fcLinkIPv6, "raw IPv6", 0, 0}, true
	}
	return fcLink{}, false
}

// ---------------------------------------------------------------------------
// AST

type fcProto int

const (
	fcPDefault fcProto = iota
	fcPLink
	fcPIP
	fcPIP6
	fcPARP
	fcPRARP
	fcPTCP
	fcPUDP
	fcPSCTP
	fcPICMP
	fcPICMP6
	fcPIGMP
)

var fcProtoNames = [...]string{"", "ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp"}

func fcProtoOfKeyword(k fcKeyword) (fcProto, bool) {
	switch k {
	case fcKwLink:
		return fcPLink, true
	case fcKwIP:
		return fcPIP, true
	case fcKwIP6:
		return fcPIP6, true
	case fcKwARP:
		return fcPARP, true
	case fcKwRARP:
		return fcPRARP, true
	case fcKwTCP:
		return fcPTCP, true
	case fcKwUDP:
		return fcPUDP, true
	case fcKwSCTP:
		return fcPSCTP, true
	case fcKwICMP:
		return fcPICMP, true
	case fcKwICMP6:
		return fcPICMP6, true
	case fcKwIGMP:
		return fcPIGMP, true
	}
	return fcPDefault, false
}

type fcDir int

const (
	fcDirDefault fcDir = iota // src or dst
	fcDirSrc
	fcDirDst
	fcDirOr
	fcDirAnd
)

type fcAddrQual int

const (
	fcAddrDefault fcAddrQual = iota
	fcAddrHost
	fcAddrNet
	fcAddrPort
	fcAddrPortRange
	fcAddrProto
)

// fcQual is libpcap's qualifier triple; an ID after and/or inherits the
// qualifiers of the primitive before it ("host a or b").
type fcQual struct {
	proto fcProto
	dir   fcDir
	addr  fcAddrQual
	ok    bool // false: nothing to inherit (libpcap's qerr)
}

type fcNode interface{}

type fcAndNode struct{ l, r fcNode }
type fcOrNode struct{ l, r fcNode }
type fcNotNode struct{ x fcNode }

type fcPrimKind int

const (
	fcPrimHost4     fcPrimKind = iota // IPv4 host or net (addr4/mask4)
	fcPrimHost6                       // IPv6 host or net (addr6/mask6)
	fcPrimEther                       // ether host MAC
	fcPrimPort                        // port lo
	fcPrimPortRange                   // portrange lo-hi
	fcPrimProto                       // [ip|ip6|ether] proto lo
	fcPrimAbbrev                      // tcp, ip, arp, ...
	fcPrimBroadcast                   // ether broadcast
	fcPrimMulticast                   // ether/ip/ip6 multicast
	fcPrimLess                        // less lo
	fcPrimGreater                     // greater lo
	fcPrimVlan                        // vlan [lo]
)

// fcPrim is one primitive with its qualifiers resolved.
type fcPrim struct {
	kind   fcPrimKind
	proto  fcProto
	dir    fcDir
	vlan   int // VLAN tags assumed (vlan keywords parsed before this primitive)
	addr4  uint32
	mask4  uint32
	addr6  [16]byte
	mask6  [16]byte
	mac    [6]byte
	lo, hi uint32
	l4     uint32 // port primitives: 6, 17, 132, or 0 for TCP, UDP and SCTP
	hasNum bool   // vlan with an ID
}

// fcRel is "arith relop arith".
type fcRel struct {
	cond   bpf.JumpTest // JumpEqual, JumpGreaterThan or JumpGreaterOrEqual
	rev    bool         // != (jeq), <= (jgt), < (jge)
	l, r   fcArith      // as written: the protocol checks come from these
	fl, fr fcArith      // folded (see fold): the code comes from these
	// foldErr is a division by zero or an oversized shift that only
	// folding revealed; libpcap's optimiser reports those only for
	// relations that survive its constant folding.
	foldErr error
}

type fcArith interface{}

type fcNum struct{ v uint32 }
type fcLenArith struct{}
type fcNeg struct{ x fcArith }
type fcBin struct {
	op   bpf.ALUOp
	l, r fcArith
	tok  fcToken // the operator, for error messages
}
type fcLoad struct {
	proto fcProto
	idx   fcArith
	size  int
	vlan  int
}

// fcFirstConst reports the constant loaded by the first statement libpcap
// generates for a, which is what libpcap checks for "division by zero" and
// "shift by more than 31 bits" (so "x / (0 + 1)" and "x / ip[0]" are errors).
func fcFirstConst(a fcArith) (uint32, bool) {
	switch a := a.(type) {
	case *fcNum:
		return a.v, true
	case *fcNeg:
		return fcFirstConst(a.x)
	case *fcBin:
		return fcFirstConst(a.l)
	case *fcLoad:
		return fcFirstConst(a.idx)
	}
	return 0, false
}

// ---------------------------------------------------------------------------
// Parser

type fcParser struct {
	expr  string
	toks  []fcToken
	pos   int
	link  fcLink
	vlans int
	depth int // recursion depth, limited to fcMaxDepth
}

const fcMaxDepth = 200

// enter guards the recursive parse functions against absurd nesting.
func (p *fcParser) enter() error {
	p.depth++
	if p.depth > fcMaxDepth {
		return p.errAt(p.peek(), "expression nested too deeply")
	}
	return nil
}

type fcParserState struct{ pos, vlans int }

func (p *fcParser) save() fcParserState     { return fcParserState{p.pos, p.vlans} }
func (p *fcParser) restore(s fcParserState) { p.pos, p.vlans = s.pos, s.vlans }

func (p *fcParser) peek() fcToken { return p.toks[p.pos] }

func (p *fcParser) peekN(n int) fcToken {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *fcParser) next() fcToken {
	t := p.toks[p.pos]
	if t.kind != fcTokEOF {
		p.pos++
	}
	return t
}

func (p *fcParser) errAt(t fcToken, format string, args ...any) *FilterError {
	tok := t.text
	if t.kind == fcTokEscaped {
		tok = "\\" + tok
	}
	return &FilterError{Expr: p.expr, Column: t.col, Token: tok, Msg: fmt.Sprintf(format, args...)}
}

// unexpected reports t where something else was needed.
func (p *fcParser) unexpected(t fcToken) *FilterError {
	switch {
	case t.kind == fcTokEOF:
		return p.errAt(t, "unexpected end of expression")
	case t.errMsg != "":
		return p.errAt(t, "%s", t.errMsg)
	case t.is(")"):
		return p.errAt(t, "unbalanced parenthesis")
	case t.kind == fcTokKeyword && t.kw == fcKwUnsupported:
		return p.errAt(t, "unsupported keyword %q", t.text)
	case t.kind == fcTokID || t.kind == fcTokEscaped:
		return p.errAt(t, "unknown keyword %q", t.text)
	}
	return p.errAt(t, "unexpected %s", t.describe())
}

// expected reports that `what` was needed after the previous token.
func (p *fcParser) expected(what string) *FilterError {
	t := p.peek()
	if t.errMsg != "" {
		return p.errAt(t, "%s", t.errMsg)
	}
	prev := "the start"
	if p.pos > 0 {
		pt := p.toks[p.pos-1]
		prev = strconv.Quote(pt.text)
	}
	return p.errAt(t, "expected %s after %s", what, prev)
}

func fcFurthest(a, b error) error {
	fa, _ := a.(*FilterError)
	fb, _ := b.(*FilterError)
	switch {
	case fa == nil:
		return b
	case fb == nil:
		return a
	case fb.Column > fa.Column:
		return b
	}
	return a
}

func (p *fcParser) parseProgram() (fcNode, error) {
	n, _, err := p.parseExpr(fcQual{})
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != fcTokEOF {
		return nil, p.unexpected(t)
	}
	return n, nil
}

func (p *fcParser) atConnective() bool {
	t := p.peek()
	return t.isKw(fcKwAnd) || t.isKw(fcKwOr)
}

// parseExpr parses terms joined by and/or, which in pcap-filter have the same
// precedence and associate to the left.
func (p *fcParser) parseExpr(prev fcQual) (fcNode, fcQual, error) {
	n, q, err := p.parseTerm(prev)
	if err != nil {
		return nil, q, err
	}
	for p.atConnective() {
		conn := p.next()
		r, rq, err := p.parseRHS(q)
		if err != nil {
			return nil, q, err
		}
		if conn.kw == fcKwAnd {
			n = &fcAndNode{n, r}
		} else {
			n = &fcOrNode{n, r}
		}
		q = rq
	}
	return n, q, nil
}

// startsID reports whether the tokens at the cursor can be a bare address
// that inherits qualifiers ("host a or b", "port 80 or not 443").
func (p *fcParser) startsID() bool {
	for i := 0; ; i++ {
		t := p.peekN(i)
		if t.isKw(fcKwNot) || t.is("(") {
			continue
		}
		switch t.kind {
		case fcTokNum, fcTokHID, fcTokHID6, fcTokEID, fcTokID, fcTokEscaped:
			return true
		}
		return false
	}
}

func (p *fcParser) followsExpr() bool {
	t := p.peek()
	return t.kind == fcTokEOF || t.is(")") || p.atConnective()
}

// parseRHS parses what follows and/or: an abbreviated primitive or a term.
func (p *fcParser) parseRHS(q fcQual) (fcNode, fcQual, error) {
	if !p.startsID() {
		return p.parseTerm(q)
	}
	st := p.save()
	var idErr error
	idSemantic := false // the address parsed but is wrong ("port 99999")
	if q.ok {
		n, q2, err := p.parseID(q)
		if err == nil {
			if p.followsExpr() {
				return n, q2, nil
			}
			err = p.unexpected(p.peek())
		} else if fe, ok := err.(*FilterError); ok && p.pos > st.pos && fe.Column < p.peek().col {
			idSemantic = true
		}
		idErr = err
	}
	p.restore(st)
	n, q3, err := p.parseTerm(q)
	if err == nil {
		return n, q3, nil
	}
	if idSemantic {
		return nil, q, idErr
	}
	if idErr == nil {
		// a bare address with nothing to inherit: "tcp or 80"
		t := p.toks[st.pos]
		for t.isKw(fcKwNot) || t.is("(") {
			st.pos++
			t = p.toks[st.pos]
		}
		if (t.kind == fcTokNum && !fcArithFollows(p.toks[st.pos+1])) || t.kind == fcTokHID || t.kind == fcTokHID6 || t.kind == fcTokEID {
			return nil, q, p.errAt(t, "%s needs a qualifier such as \"host\" or \"port\" (there is none to inherit)", t.describe())
		}
	}
	return nil, q, fcFurthest(idErr, err)
}

func fcArithFollows(t fcToken) bool {
	if t.kind != fcTokOp {
		return false
	}
	switch t.text {
	case "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "=", "==", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func fcIsPname(t fcToken) bool {
	if t.kind != fcTokKeyword {
		return false
	}
	_, ok := fcProtoOfKeyword(t.kw)
	return ok
}

func fcStartsHead(t fcToken) bool {
	if t.kind != fcTokKeyword {
		return false
	}
	switch t.kw {
	case fcKwSrc, fcKwDst, fcKwHost, fcKwNet, fcKwPort, fcKwPortRange, fcKwProto:
		return true
	}
	return false
}

// parseTerm parses a primitive, a negation, a parenthesised expression or a
// relation. prev is the qualifier in force before it (a parenthesised
// expression passes it on, as in libpcap).
func (p *fcParser) parseTerm(prev fcQual) (fcNode, fcQual, error) {
	defer func() { p.depth-- }()
	if err := p.enter(); err != nil {
		return nil, prev, err
	}
	t := p.peek()
	switch {
	case t.isKw(fcKwNot):
		p.next()
		n, q, err := p.parseTerm(prev)
		if err != nil {
			return nil, q, err
		}
		return &fcNotNode{n}, q, nil
	case t.is("("):
		st := p.save()
		rel, relErr := p.parseRelation()
		if relErr == nil {
			return rel, fcQual{}, nil
		}
		p.restore(st)
		p.next()
		n, _, err := p.parseExpr(prev)
		if err != nil {
			return nil, prev, fcFurthest(err, relErr)
		}
		if c := p.peek(); !c.is(")") {
			if c.kind == fcTokEOF {
				return nil, prev, p.errAt(t, "unbalanced parenthesis")
			}
			return nil, prev, fcFurthest(p.unexpected(c), relErr)
		}
		p.next()
		return n, prev, nil
	case t.kind == fcTokNum || t.isKw(fcKwLen) || t.is("-"):
		rel, err := p.parseRelation()
		return rel, fcQual{}, err
	case t.kind == fcTokKeyword:
		switch t.kw {
		case fcKwSrc, fcKwDst, fcKwHost, fcKwNet, fcKwPort, fcKwPortRange, fcKwProto:
			return p.parseHead()
		case fcKwBroadcast, fcKwMulticast:
			n, err := p.parseCast(fcPDefault)
			return n, fcQual{}, err
		case fcKwLess, fcKwGreater:
			p.next()
			nt := p.peek()
			if nt.kind != fcTokNum {
				return nil, fcQual{}, p.expected("a length")
			}
			p.next()
			k := fcPrimLess
			if t.kw == fcKwGreater {
				k = fcPrimGreater
			}
			return &fcPrim{kind: k, lo: nt.num}, fcQual{}, nil
		case fcKwVlan:
			n, err := p.parseVlan()
			return n, fcQual{}, err
		case fcKwUnsupported:
			return nil, fcQual{}, p.unexpected(t)
		}
		proto, ok := fcProtoOfKeyword(t.kw)
		if !ok {
			if p.pos > 0 {
				return nil, fcQual{}, p.expected("an expression")
			}
			return nil, fcQual{}, p.unexpected(t)
		}
		n1 := p.peekN(1)
		switch {
		case n1.is("["):
			rel, err := p.parseRelation()
			return rel, fcQual{}, err
		case n1.isKw(fcKwBroadcast) || n1.isKw(fcKwMulticast):
			p.next()
			n, err := p.parseCast(proto)
			return n, fcQual{}, err
		case fcStartsHead(n1):
			return p.parseHead()
		}
		p.next()
		if proto == fcPLink {
			return nil, fcQual{}, p.errAt(t, "%q needs a qualifier such as \"host\", \"proto\" or \"broadcast\"", t.text)
		}
		return &fcPrim{kind: fcPrimAbbrev, proto: proto, vlan: p.vlans}, fcQual{}, nil
	case t.kind == fcTokHID || t.kind == fcTokHID6 || t.kind == fcTokEID:
		return nil, fcQual{}, p.errAt(t, "%s needs a qualifier such as \"host\"", t.describe())
	case t.kind == fcTokEOF:
		if p.pos > 0 {
			return nil, fcQual{}, p.expected("an expression")
		}
	}
	return nil, fcQual{}, p.unexpected(t)
}

// parseHead parses [proto] [dir] [host|net|port|portrange|proto] and the
// address that follows.
func (p *fcParser) parseHead() (fcNode, fcQual, error) {
	q := fcQual{ok: true}
	if proto, ok := fcProtoOfKeyword(p.peek().kw); ok && p.peek().kind == fcTokKeyword {
		q.proto = proto
		p.next()
	}
	if t := p.peek(); t.isKw(fcKwSrc) || t.isKw(fcKwDst) {
		p.next()
		q.dir = fcDirSrc
		if t.kw == fcKwDst {
			q.dir = fcDirDst
		}
		other := fcKwDst
		if t.kw == fcKwDst {
			other = fcKwSrc
		}
		if p.atConnective() && p.peekN(1).isKw(other) {
			conn := p.next()
			p.next()
			q.dir = fcDirOr
			if conn.kw == fcKwAnd {
				q.dir = fcDirAnd
			}
		}
	}
	if t := p.peek(); t.kind == fcTokKeyword {
		switch t.kw {
		case fcKwHost:
			q.addr = fcAddrHost
		case fcKwNet:
			q.addr = fcAddrNet
		case fcKwPort:
			q.addr = fcAddrPort
		case fcKwPortRange:
			q.addr = fcAddrPortRange
		case fcKwProto:
			if q.dir != fcDirDefault {
				return nil, q, p.errAt(t, "\"proto\" cannot have a direction qualifier")
			}
			q.addr = fcAddrProto
		}
		if q.addr != fcAddrDefault {
			p.next()
		}
	}
	n, _, err := p.parseID(q)
	return n, q, err
}

func fcAddrWhat(q fcQual) string {
	switch q.addr {
	case fcAddrHost:
		return "a host address"
	case fcAddrNet:
		return "a network address"
	case fcAddrPort:
		return "a port number"
	case fcAddrPortRange:
		return "a port range"
	case fcAddrProto:
		return "a protocol"
	}
	return "an address"
}

// parseID parses an address (or a parenthesised list of addresses joined by
// and/or) and turns it into primitives using the qualifiers q.
func (p *fcParser) parseID(q fcQual) (fcNode, fcQual, error) {
	defer func() { p.depth-- }()
	if err := p.enter(); err != nil {
		return nil, q, err
	}
	t := p.peek()
	switch t.kind {
	case fcTokKeyword:
		switch {
		case t.kw == fcKwNot:
			p.next()
			n, q2, err := p.parseID(q)
			if err != nil {
				return nil, q2, err
			}
			return &fcNotNode{n}, q2, nil
		case q.addr == fcAddrProto && fcIsPname(t) && t.kw != fcKwLink:
			// wiretap extension: "ip proto tcp" (tcpdump wants "ip proto \tcp")
			p.next()
			n, err := p.scode(q, t)
			return n, q, err
		}
	case fcTokOp:
		if !t.is("(") {
			break
		}
		p.next()
		n, _, err := p.parseID(q)
		if err != nil {
			return nil, q, err
		}
		for p.atConnective() {
			conn := p.next()
			r, _, err := p.parseID(q)
			if err != nil {
				return nil, q, err
			}
			if conn.kw == fcKwAnd {
				n = &fcAndNode{n, r}
			} else {
				n = &fcOrNode{n, r}
			}
		}
		if c := p.peek(); !c.is(")") {
			if c.kind == fcTokEOF {
				return nil, q, p.errAt(t, "unbalanced parenthesis")
			}
			return nil, q, p.unexpected(c)
		}
		p.next()
		return n, q, nil
	case fcTokNum:
		if q.addr == fcAddrPortRange && p.peekN(1).is("-") && p.peekN(1).col == t.end+1 {
			bad := t.text + "-"
			if nt := p.peekN(2); nt.col == t.end+2 && nt.kind != fcTokEOF {
				bad += nt.text
			}
			return nil, q, p.errAt(t, "invalid port range %q", bad)
		}
		p.next()
		n, err := p.ncode(q, t)
		return n, q, err
	case fcTokID, fcTokEscaped:
		if t.errMsg != "" {
			if q.proto == fcPLink && q.addr != fcAddrProto {
				return nil, q, p.errAt(t, "invalid MAC address %q", t.text)
			}
			return nil, q, p.errAt(t, "%s", t.errMsg)
		}
		p.next()
		n, err := p.scode(q, t)
		return n, q, err
	case fcTokHID:
		p.next()
		switch nt := p.peek(); {
		case nt.is("/"):
			p.next()
			lt := p.peek()
			if lt.kind != fcTokNum {
				return nil, q, p.expected("a prefix length")
			}
			p.next()
			n, err := p.mcode(q, t, nil, lt.num)
			return n, q, err
		case nt.isKw(fcKwMask):
			p.next()
			mt := p.peek()
			if mt.kind != fcTokHID {
				return nil, q, p.expected("a netmask")
			}
			p.next()
			n, err := p.mcode(q, t, &mt, 0)
			return n, q, err
		}
		switch q.addr {
		case fcAddrPort, fcAddrPortRange, fcAddrProto:
			return nil, q, p.errAt(t, "'%s' modifier applied to ip host", fcAddrKeyword(q.addr))
		}
		v := t.v4 << (32 - t.v4len)
		mask := uint32(0xffffffff) << (32 - t.v4len)
		n, err := p.host4(q, t, v, mask)
		return n, q, err
	case fcTokHID6:
		p.next()
		plen := uint32(128)
		if p.peek().is("/") {
			p.next()
			lt := p.peek()
			if lt.kind != fcTokNum {
				return nil, q, p.expected("a prefix length")
			}
			p.next()
			plen = lt.num
		}
		n, err := p.mcode6(q, t, plen)
		return n, q, err
	case fcTokEID:
		p.next()
		if q.proto != fcPLink || (q.addr != fcAddrDefault && q.addr != fcAddrHost) {
			return nil, q, p.errAt(t, "ethernet address used in non-ether expression")
		}
		if err := p.needEther(t, "ethernet addresses"); err != nil {
			return nil, q, err
		}
		return &fcPrim{kind: fcPrimEther, dir: q.dir, mac: t.mac}, q, nil
	}
	return nil, q, p.expected(fcAddrWhat(q))
}

func fcAddrKeyword(a fcAddrQual) string {
	switch a {
	case fcAddrPort:
		return "port"
	case fcAddrPortRange:
		return "portrange"
	case fcAddrProto:
		return "proto"
	case fcAddrNet:
		return "net"
	}
	return "host"
}

func (p *fcParser) needEther(t fcToken, what string) error {
	if p.link.kind != fcLinkEther {
		return p.errAt(t, "%s are supported only on Ethernet, not on %s", what, p.link.name)
	}
	return nil
}

// ncode handles a number after the qualifiers (libpcap's gen_ncode).
func (p *fcParser) ncode(q fcQual, t fcToken) (fcNode, error) {
	v := t.num
	switch q.addr {
	case fcAddrDefault, fcAddrHost, fcAddrNet:
		if q.proto == fcPLink {
			return nil, p.errAt(t, "illegal link layer address %q", t.text)
		}
		mask := uint32(0xffffffff)
		if q.addr == fcAddrNet {
			// promote a short net number: "net 10" is 10.0.0.0/8
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		}
		return p.host4(q, t, v, mask)
	case fcAddrPort, fcAddrPortRange:
		l4, err := p.portProto(q, t, 0, "")
		if err != nil {
			return nil, err
		}
		if v > 65535 {
			return nil, p.errAt(t, "port number %d out of range", v)
		}
		k := fcPrimPort
		if q.addr == fcAddrPortRange {
			k = fcPrimPortRange
		}
		return &fcPrim{kind: k, dir: q.dir, lo: v, hi: v, l4: l4, vlan: p.vlans}, nil
	case fcAddrProto:
		return p.protoPrim(q, t, v)
	}
	return nil, p.unexpected(t)
}

// portProto combines the protocol qualifier with the protocol of a named
// port (real: 6, 17, or 0 for both) into the transport protocol(s) to test.
func (p *fcParser) portProto(q fcQual, t fcToken, real uint32, name string) (uint32, error) {
	what := "port"
	if q.addr == fcAddrPortRange {
		what = "port in range"
	}
	var want uint32
	switch q.proto {
	case fcPDefault:
		return real, nil
	case fcPTCP:
		want = 6
	case fcPUDP:
		want = 17
	case fcPSCTP:
		want = 132
	default:
		return 0, p.errAt(t, "illegal qualifier %q of %q", fcProtoNames[q.proto], fcAddrKeyword(q.addr))
	}
	switch {
	case real == 6 && want != 6:
		return 0, p.errAt(t, "%s %q is tcp", what, name)
	case real == 17 && want != 17:
		return 0, p.errAt(t, "%s %q is udp", what, name)
	}
	return want, nil
}

// host4 builds an IPv4 host/net primitive (libpcap's gen_host).
func (p *fcParser) host4(q fcQual, t fcToken, v, mask uint32) (fcNode, error) {
	switch q.proto {
	case fcPDefault, fcPIP, fcPARP, fcPRARP:
		return &fcPrim{kind: fcPrimHost4, proto: q.proto, dir: q.dir, addr4: v, mask4: mask, vlan: p.vlans}, nil
	case fcPLink:
		return nil, p.errAt(t, "illegal link layer address %q", t.text)
	case fcPIP6:
		return nil, p.errAt(t, "'ip6' modifier applied to ip host")
	}
	return nil, p.errAt(t, "'%s' modifier applied to host", fcProtoNames[q.proto])
}

// mcode handles A.B.C.D/len and A.B.C.D mask M (libpcap's gen_mcode).
func (p *fcParser) mcode(q fcQual, t fcToken, maskTok *fcToken, masklen uint32) (fcNode, error) {
	n := t.v4 << (32 - t.v4len)
	var m uint32
	if maskTok != nil {
		m = maskTok.v4 << (32 - maskTok.v4len)
		if n&^m != 0 {
			return nil, p.errAt(t, "non-network bits set in \"%s mask %s\"", t.text, maskTok.text)
		}
	} else {
		if masklen > 32 {
			return nil, p.errAt(t, "mask length must be <= 32")
		}
		if masklen != 0 {
			m = 0xffffffff << (32 - masklen)
		}
		if n&^m != 0 {
			return nil, p.errAt(t, "non-network bits set in \"%s/%d\"", t.text, masklen)
		}
	}
	if q.addr != fcAddrNet {
		return nil, p.errAt(t, "mask syntax for networks only")
	}
	return p.host4(q, t, n, m)
}

// mcode6 handles IPv6 addresses and prefixes (libpcap's gen_mcode6).
func (p *fcParser) mcode6(q fcQual, t fcToken, plen uint32) (fcNode, error) {
	if plen > 128 {
		return nil, p.errAt(t, "mask length must be <= 128")
	}
	addr := t.v6.As16()
	var mask [16]byte
	for i := uint32(0); i < plen; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	for i := range addr {
		if addr[i]&^mask[i] != 0 {
			return nil, p.errAt(t, "non-network bits set in \"%s/%d\"", t.text, plen)
		}
	}
	switch q.addr {
	case fcAddrDefault, fcAddrHost:
		if plen != 128 {
			return nil, p.errAt(t, "mask syntax for networks only")
		}
	case fcAddrNet:
	default:
		return nil, p.errAt(t, "'%s' modifier applied to ip6 host", fcAddrKeyword(q.addr))
	}
	switch q.proto {
	case fcPDefault, fcPIP6:
	case fcPLink:
		return nil, p.errAt(t, "illegal link layer address %q", t.text)
	default:
		return nil, p.errAt(t, "'%s' modifier applied to ip6 host", fcProtoNames[q.proto])
	}
	return &fcPrim{kind: fcPrimHost6, dir: q.dir, addr6: addr, mask6: mask, vlan: p.vlans}, nil
}

// fcServices is the port-name table: the names of /etc/services (Debian's
// netbase) with the protocols listed there; a name listed for TCP only
// means TCP only, as in libpcap.
var fcServices = map[string]struct {
	port     uint32
	tcp, udp bool
}{
	"ftp-data": {20, true, false}, "ftp": {21, true, false}, "ssh": {22, true, false},
	"telnet": {23, true, false}, "smtp": {25, true, false}, "domain": {53, true, true},
	"bootps": {67, false, true}, "bootpc": {68, false, true}, "tftp": {69, false, true},
	"http": {80, true, false}, "www": {80, true, false}, "kerberos": {88, true, true},
	"pop3": {110, true, false}, "ntp": {123, false, true}, "imap": {143, true, false},
	"imap2": {143, true, false}, "snmp": {161, true, true}, "snmp-trap": {162, true, true},
	"bgp": {179, true, false}, "ldap": {389, true, true}, "https": {443, true, true},
	"microsoft-ds": {445, true, false}, "submission": {587, true, false},
	"ldaps": {636, true, true}, "rsync": {873, true, false}, "imaps": {993, true, false},
	"pop3s": {995, true, false}, "openvpn": {1194, true, true}, "mysql": {3306, true, false},
	"sip": {5060, true, true}, "mdns": {5353, false, true}, "postgresql": {5432, true, false},
	"redis": {6379, true, false}, "http-alt": {8080, true, false}, "webcache": {8080, true, false},
}

func fcPortByName(name string) (port, l4 uint32, ok bool) {
	s, ok := fcServices[name]
	if !ok {
		return 0, 0, false
	}
	switch {
	case s.tcp && s.udp:
		return s.port, 0, true
	case s.tcp:
		return s.port, 6, true
	}
	return s.port, 17, true
}

// fcIPProtocols maps the names and aliases of /etc/protocols (Debian's
// netbase) to IP protocol numbers, as getprotobyname does for libpcap.
var fcIPProtocols = map[string]uint32{
	"ip": 0, "IP": 0, "hopopt": 0, "HOPOPT": 0, "icmp": 1, "ICMP": 1, "igmp": 2, "IGMP": 2, "ggp": 3,
	"GGP": 3, "ipencap": 4, "IP-ENCAP": 4, "st": 5, "ST": 5, "tcp": 6, "TCP": 6, "egp": 8, "EGP": 8,
	"igp": 9, "IGP": 9, "pup": 12, "PUP": 12, "udp": 17, "UDP": 17, "hmp": 20, "HMP": 20,
	"xns-idp": 22, "XNS-IDP": 22, "rdp": 27, "RDP": 27, "iso-tp4": 29, "ISO-TP4": 29, "dccp": 33,
	"DCCP": 33, "xtp": 36, "XTP": 36, "ddp": 37, "DDP": 37, "idpr-cmtp": 38, "IDPR-CMTP": 38,
	"ipv6": 41, "IPv6": 41, "ipv6-route": 43, "IPv6-Route": 43, "ipv6-frag": 44, "IPv6-Frag": 44,
	"idrp": 45, "IDRP": 45, "rsvp": 46, "RSVP": 46, "gre": 47, "GRE": 47, "esp": 50, "IPSEC-ESP": 50,
	"ah": 51, "IPSEC-AH": 51, "skip": 57, "SKIP": 57, "ipv6-icmp": 58, "IPv6-ICMP": 58,
	"ipv6-nonxt": 59, "IPv6-NoNxt": 59, "ipv6-opts": 60, "IPv6-Opts": 60, "rspf": 73, "RSPF": 73,
	"CPHB": 73, "vmtp": 81, "VMTP": 81, "eigrp": 88, "EIGRP": 88, "ospf": 89, "OSPFIGP": 89,
	"ax.25": 93, "AX.25": 93, "ipip": 94, "IPIP": 94, "etherip": 97, "ETHERIP": 97, "encap": 98,
	"ENCAP": 98, "pim": 103, "PIM": 103, "ipcomp": 108, "IPCOMP": 108, "vrrp": 112, "VRRP": 112,
	"l2tp": 115, "L2TP": 115, "isis": 124, "ISIS": 124, "sctp": 132, "SCTP": 132, "fc": 133,
	"FC": 133, "mobility-header": 135, "Mobility-Header": 135, "udplite": 136, "UDPLite": 136,
	"mpls-in-ip": 137, "MPLS-in-IP": 137, "manet": 138, "hip": 139, "HIP": 139, "shim6": 140,
	"Shim6": 140, "wesp": 141, "WESP": 141, "rohc": 142, "ROHC": 142, "ethernet": 143,
	"Ethernet": 143, "mptcp": 262, "MPTCP": 262,
}

// fcEtherProtocols maps libpcap's EtherType names.
var fcEtherProtocols = map[string]uint32{
	"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035, "loopback": 0x9000,
}

// scode handles a name after the qualifiers (libpcap's gen_scode).
func (p *fcParser) scode(q fcQual, t fcToken) (fcNode, error) {
	name := t.text
	switch q.addr {
	case fcAddrNet:
		return nil, p.errAt(t, "unknown network %q", name)
	case fcAddrDefault, fcAddrHost:
		if q.proto == fcPLink {
			return nil, p.errAt(t, "unknown ethernet host %q", name)
		}
		// Host names: only localhost, resolved like tcpdump does here
		// (/etc/hosts maps localhost to 127.0.0.1 only).
		if name != "localhost" {
			return nil, p.errAt(t, "unknown host %q (only addresses and localhost are supported)", name)
		}
		if q.proto == fcPIP6 {
			return nil, p.errAt(t, "unknown host %q for specified address family", name)
		}
		return p.host4(q, t, 0x7f000001, 0xffffffff)
	case fcAddrPort:
		port, real, ok := fcPortByName(name)
		if !ok {
			return nil, p.errAt(t, "unknown port name %q", name)
		}
		l4, err := p.portProto(q, t, real, name)
		if err != nil {
			return nil, err
		}
		return &fcPrim{kind: fcPrimPort, dir: q.dir, lo: port, hi: port, l4: l4, vlan: p.vlans}, nil
	case fcAddrPortRange:
		lo, hi, real, err := p.portRange(t)
		if err != nil {
			return nil, err
		}
		l4, err := p.portProto(q, t, real, name)
		if err != nil {
			return nil, err
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		return &fcPrim{kind: fcPrimPortRange, dir: q.dir, lo: lo, hi: hi, l4: l4, vlan: p.vlans}, nil
	case fcAddrProto:
		var v uint32
		var ok bool
		switch q.proto {
		case fcPLink:
			v, ok = fcEtherProtocols[name]
		case fcPDefault, fcPIP, fcPIP6:
			v, ok = fcIPProtocols[name]
			if !ok && name == "icmp6" && q.proto != fcPIP && t.kind == fcTokKeyword {
				v, ok = 58, true
			}
		default:
			return p.protoPrim(q, t, 0)
		}
		if !ok {
			return nil, p.errAt(t, "unknown protocol %q", name)
		}
		return p.protoPrim(q, t, v)
	}
	return nil, p.unexpected(t)
}

// portRange parses "A-B" with numbers or port names (libpcap's
// pcap_nametoportrange); the protocol is "both" unless both names agree.
func (p *fcParser) portRange(t fcToken) (lo, hi, l4 uint32, err error) {
	bad := p.errAt(t, "invalid port range %q", t.text)
	a, b, ok := strings.Cut(t.text, "-")
	if !ok || a == "" || b == "" {
		return 0, 0, 0, bad
	}
	num := func(s string) (uint32, bool) {
		if strings.Trim(s, "0123456789") != "" {
			return 0, false
		}
		v, err := strconv.ParseUint(s, 10, 32)
		return uint32(v), err == nil
	}
	if x, okA := num(a); okA {
		y, okB := num(b)
		if !okB {
			return 0, 0, 0, bad
		}
		lo, hi = x, y
	} else {
		var l4a, l4b uint32
		var okB bool
		if lo, l4a, ok = fcPortByName(a); !ok {
			return 0, 0, 0, bad
		}
		if hi, l4b, okB = fcPortByName(b); !okB {
			return 0, 0, 0, bad
		}
		if l4a == l4b {
			l4 = l4a
		}
	}
	for _, v := range []uint32{lo, hi} {
		if v > 65535 {
			return 0, 0, 0, p.errAt(t, "port number %d out of range", v)
		}
	}
	return lo, hi, l4, nil
}

func (p *fcParser) protoPrim(q fcQual, t fcToken, v uint32) (fcNode, error) {
	switch q.proto {
	case fcPDefault, fcPIP, fcPIP6, fcPLink:
	default:
		return nil, p.errAt(t, "'%s proto' is bogus", fcProtoNames[q.proto])
	}
	return &fcPrim{kind: fcPrimProto, proto: q.proto, lo: v, vlan: p.vlans}, nil
}

// parseCast parses broadcast/multicast after an optional protocol.
func (p *fcParser) parseCast(proto fcProto) (fcNode, error) {
	t := p.next()
	if t.kw == fcKwBroadcast {
		switch proto {
		case fcPDefault, fcPLink:
			if err := p.needEther(t, "link-layer broadcast filters"); err != nil {
				return nil, err
			}
			return &fcPrim{kind: fcPrimBroadcast}, nil
		case fcPIP:
			return nil, p.errAt(t, "ip broadcast is not supported (it needs the interface netmask)")
		}
		return nil, p.errAt(t, "only link-layer broadcast filters are supported")
	}
	switch proto {
	case fcPDefault, fcPLink:
		if err := p.needEther(t, "link-layer multicast filters"); err != nil {
			return nil, err
		}
	case fcPIP, fcPIP6:
	default:
		return nil, p.errAt(t, "only link-layer, ip and ip6 multicast filters are supported")
	}
	return &fcPrim{kind: fcPrimMulticast, proto: proto, vlan: p.vlans}, nil
}

// parseVlan parses "vlan [id]". Like libpcap, every vlan keyword moves the
// network-layer offsets of everything parsed after it by 4 bytes.
func (p *fcParser) parseVlan() (fcNode, error) {
	t := p.next()
	if p.link.kind != fcLinkEther {
		return nil, p.errAt(t, "no VLAN support for %s", p.link.name)
	}
	pr := &fcPrim{kind: fcPrimVlan, vlan: p.vlans}
	// optional ID: NUM or (NUM)
	depth := 0
	for p.peekN(depth).is("(") {
		depth++
	}
	if p.peekN(depth).kind == fcTokNum {
		ok := true
		for i := 1; i <= depth; i++ {
			if !p.peekN(depth + i).is(")") {
				ok = false
			}
		}
		if ok {
			for i := 0; i < depth; i++ {
				p.next()
			}
			nt := p.next()
			for i := 0; i < depth; i++ {
				p.next()
			}
			if nt.num > 4095 {
				return nil, p.errAt(nt, "VLAN tag %d greater than maximum 4095", nt.num)
			}
			pr.lo, pr.hasNum = nt.num, true
		}
	}
	p.vlans++
	return pr, nil
}

// parseRelation parses "arith relop arith".
func (p *fcParser) parseRelation() (fcNode, error) {
	l, err := p.parseArith(0)
	if err != nil {
		return nil, err
	}
	t := p.peek()
	rel := &fcRel{l: l}
	switch {
	case t.is(">"):
		rel.cond = bpf.JumpGreaterThan
	case t.is(">="):
		rel.cond = bpf.JumpGreaterOrEqual
	case t.is("=") || t.is("=="):
		rel.cond = bpf.JumpEqual
	case t.is("<="):
		rel.cond, rel.rev = bpf.JumpGreaterThan, true
	case t.is("<"):
		rel.cond, rel.rev = bpf.JumpGreaterOrEqual, true
	case t.is("!="):
		rel.cond, rel.rev = bpf.JumpEqual, true
	default:
		if t.kind == fcTokEOF || p.atConnective() || t.is(")") {
			return nil, p.expected("a comparison operator")
		}
		return nil, p.unexpected(t)
	}
	p.next()
	if rel.r, err = p.parseArith(0); err != nil {
		return nil, err
	}
	// errors found by folding count only if the relation is still needed
	// once the flow is optimised (see fcBTest.err)
	if rel.fl, rel.foldErr = p.fold(rel.l); rel.foldErr == nil {
		rel.fr, rel.foldErr = p.fold(rel.r)
	}
	return rel, nil
}

// fold simplifies arithmetic the way libpcap's optimiser does before the
// program is attached: constants are folded modulo 2^32 (so constant load
// offsets wrap: ip[-8] reads ip's byte 0xfffffff8, i.e. frame byte 6), "x+0",
// "x|0", "x^0", "x<<0", "x>>0", "0+x", "0|x", "0^x" become x, and "x*0", "x&0",
// "0*x", "0&x", "0/x", "0%x", "0<<x", "0>>x" become 0 without loading x (so an
// out-of-bounds x does not reject the packet). Division or modulus by a
// folded zero and shifts by a folded constant above 31 are errors, as in
// libpcap.
func (p *fcParser) fold(a fcArith) (fcArith, error) {
	switch a := a.(type) {
	case *fcNeg:
		x, err := p.fold(a.x)
		if err != nil {
			return nil, err
		}
		if n, ok := x.(*fcNum); ok {
			return &fcNum{0 - n.v}, nil
		}
		return &fcNeg{x}, nil
	case *fcLoad:
		idx, err := p.fold(a.idx)
		if err != nil {
			return nil, err
		}
		c := *a
		c.idx = idx
		return &c, nil
	case *fcBin:
		l, err := p.fold(a.l)
		if err != nil {
			return nil, err
		}
		r, err := p.fold(a.r)
		if err != nil {
			return nil, err
		}
		ln, lc := l.(*fcNum)
		rn, rc := r.(*fcNum)
		switch {
		case lc && rc:
			v, msg := fcFoldOp(a.op, ln.v, rn.v)
			if msg != "" {
				return nil, p.errAt(a.tok, "%s", msg)
			}
			return &fcNum{v}, nil
		case rc:
			switch k := rn.v; {
			case k == 0 && (a.op == bpf.ALUOpAdd || a.op == bpf.ALUOpShiftLeft || a.op == bpf.ALUOpShiftRight || a.op == bpf.ALUOpOr || a.op == bpf.ALUOpXor):
				return l, nil
			case k == 0 && (a.op == bpf.ALUOpMul || a.op == bpf.ALUOpAnd):
				return &fcNum{0}, nil
			case k == 0 && a.op == bpf.ALUOpDiv:
				return nil, p.errAt(a.tok, "division by zero")
			case k == 0 && a.op == bpf.ALUOpMod:
				return nil, p.errAt(a.tok, "modulus by zero")
			case k > 31 && (a.op == bpf.ALUOpShiftLeft || a.op == bpf.ALUOpShiftRight):
				return nil, p.errAt(a.tok, "shift by more than 31 bits")
			}
		case lc && ln.v == 0:
			switch a.op {
			case bpf.ALUOpAdd, bpf.ALUOpOr, bpf.ALUOpXor:
				return r, nil
			case bpf.ALUOpMul, bpf.ALUOpDiv, bpf.ALUOpMod, bpf.ALUOpAnd, bpf.ALUOpShiftLeft, bpf.ALUOpShiftRight:
				return &fcNum{0}, nil
			}
		}
		return &fcBin{op: a.op, l: l, r: r, tok: a.tok}, nil
	}
	return a, nil
}

// fcFoldOp is libpcap's fold_op.
func fcFoldOp(op bpf.ALUOp, a, b uint32) (uint32, string) {
	switch op {
	case bpf.ALUOpAdd:
		return a + b, ""
	case bpf.ALUOpSub:
		return a - b, ""
	case bpf.ALUOpMul:
		return a * b, ""
	case bpf.ALUOpDiv:
		if b == 0 {
			return 0, "division by zero"
		}
		return a / b, ""
	case bpf.ALUOpMod:
		if b == 0 {
			return 0, "modulus by zero"
		}
		return a % b, ""
	case bpf.ALUOpAnd:
		return a & b, ""
	case bpf.ALUOpOr:
		return a | b, ""
	case bpf.ALUOpXor:
		return a ^ b, ""
	case bpf.ALUOpShiftLeft:
		if b < 32 {
			return a << b, ""
		}
		return 0, ""
	case bpf.ALUOpShiftRight:
		if b < 32 {
			return a >> b, ""
		}
		return 0, ""
	}
	return 0, "internal error: unknown operator"
}

// fcArithPrec: '^' and '%' are missing on purpose, see parseUnary.
var fcArithPrec = map[string]int{"|": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5}

var fcArithOps = map[string]bpf.ALUOp{
	"|": bpf.ALUOpOr, "&": bpf.ALUOpAnd, "<<": bpf.ALUOpShiftLeft, ">>": bpf.ALUOpShiftRight,
	"+": bpf.ALUOpAdd, "-": bpf.ALUOpSub, "*": bpf.ALUOpMul, "/": bpf.ALUOpDiv, "%": bpf.ALUOpMod,
	"^": bpf.ALUOpXor,
}

// parseArith is precedence climbing over libpcap's arithmetic operators.
func (p *fcParser) parseArith(minPrec int) (fcArith, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		prec, ok := fcArithPrec[t.text]
		if t.kind != fcTokOp || !ok || prec < minPrec {
			return l, nil
		}
		p.next()
		r, err := p.parseArith(prec + 1)
		if err != nil {
			return nil, err
		}
		if l, err = p.mkBin(t, l, r); err != nil {
			return nil, err
		}
	}
}

// parseUnary parses an operand, unary minus, '^' and '%'. '^' and '%' have
// no precedence in libpcap 1.10's grammar, so bison always shifts: they bind
// tightest to their left and take the whole arithmetic expression that
// follows ("a*b%c+d" is a*(b%(c+d)), "a%b*c" is a%(b*c)); tcpdump agrees.
func (p *fcParser) parseUnary() (fcArith, error) {
	defer func() { p.depth-- }()
	if err := p.enter(); err != nil {
		return nil, err
	}
	t := p.peek()
	if t.is("-") {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &fcNeg{x}, nil
	}
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if c := p.peek(); c.is("^") || c.is("%") {
		p.next()
		r, err := p.parseArith(0)
		if err != nil {
			return nil, err
		}
		return p.mkBin(c, x, r)
	}
	return x, nil
}

func (p *fcParser) mkBin(t fcToken, l, r fcArith) (fcArith, error) {
	op := fcArithOps[t.text]
	if k, ok := fcFirstConst(r); ok {
		switch {
		case op == bpf.ALUOpDiv && k == 0:
			return nil, p.errAt(t, "division by zero")
		case op == bpf.ALUOpMod && k == 0:
			return nil, p.errAt(t, "modulus by zero")
		case (op == bpf.ALUOpShiftLeft || op == bpf.ALUOpShiftRight) && k > 31:
			return nil, p.errAt(t, "shift by more than 31 bits")
		}
	}
	return &fcBin{op: op, l: l, r: r, tok: t}, nil
}

func (p *fcParser) parsePrimary() (fcArith, error) {
	t := p.peek()
	switch {
	case t.kind == fcTokNum:
		p.next()
		return &fcNum{t.num}, nil
	case t.isKw(fcKwLen):
		p.next()
		return &fcLenArith{}, nil
	case t.is("("):
		p.next()
		x, err := p.parseArith(0)
		if err != nil {
			return nil, err
		}
		if !p.peek().is(")") {
			if p.peek().kind == fcTokEOF {
				return nil, p.errAt(t, "unbalanced parenthesis")
			}
			return nil, p.unexpected(p.peek())
		}
		p.next()
		return x, nil
	case fcIsPname(t) && p.peekN(1).is("["):
		proto, _ := fcProtoOfKeyword(t.kw)
		p.next()
		p.next()
		idx, err := p.parseArith(0)
		if err != nil {
			return nil, err
		}
		size := 1
		if p.peek().is(":") {
			p.next()
			st := p.peek()
			if st.kind != fcTokNum {
				return nil, p.expected("a size (1, 2 or 4)")
			}
			if st.num != 1 && st.num != 2 && st.num != 4 {
				return nil, p.errAt(st, "data size must be 1, 2, or 4")
			}
			size = int(st.num)
			p.next()
		}
		if !p.peek().is("]") {
			return nil, p.expected(`"]"`)
		}
		p.next()
		return &fcLoad{proto: proto, idx: idx, size: size, vlan: p.vlans}, nil
	case t.kind == fcTokEOF || (t.kind == fcTokOp && !t.is(")")) || (t.kind == fcTokKeyword && t.kw != fcKwUnsupported):
		return nil, p.expected("an expression")
	}
	return nil, p.unexpected(t)
}

// ---------------------------------------------------------------------------
// Code generation: a tree of blocks (test + true/false exits)

type fcB interface{}

type fcBConst bool
type fcBAnd struct{ a, b fcB }
type fcBOr struct{ a, b fcB }
type fcBNot struct{ a fcB }

// fcBTest runs stmts, then jumps on "A cond k" (or "A cond X").
type fcBTest struct {
	stmts []bpf.Instruction
	cond  bpf.JumpTest
	k     uint32
	useX  bool
	// barrier is a relation that only folding decides (outcome): libpcap
	// decides those after its flow optimisation, so the block stays
	// (without loads) and keeps the tests before it from being removed.
	barrier bool
	outcome bool
	// err is a relation that cannot be compiled (see fcRel.foldErr);
	// an error only if the block is still reachable after optimisation
	err error
	// konst is a constant (fcConstTest)
	konst bool
	// relL and relR identify the operands of a relation as written (relR
	// is empty for a literal); see fcDecide
	relL, relR string
}

// fcArithKey identifies an arithmetic expression as written.
func fcArithKey(a fcArith) string {
	switch a := a.(type) {
	case *fcNum:
		return fmt.Sprintf("#%d", a.v)
	case *fcLenArith:
		return "len"
	case *fcNeg:
		return "-(" + fcArithKey(a.x) + ")"
	case *fcBin:
		return fmt.Sprintf("(%s %d %s)", fcArithKey(a.l), a.op, fcArithKey(a.r))
	case *fcLoad:
		return fmt.Sprintf("%s/%d[%s:%d]", fcProtoNames[a.proto], a.vlan, fcArithKey(a.idx), a.size)
	}
	return "?"
}

// opaque tests are never decided by other tests.
func (t *fcBTest) opaque() bool { return t.barrier || t.err != nil || t.konst }

// fcAnd and fcOr fold constants where that changes nothing; "x and false"
// and "x or true" are left to the flow optimisation, which removes x's
// tests but, like libpcap, keeps the loads of the very first one.
func fcAnd(a, b fcB) fcB {
	if c, ok := a.(fcBConst); ok {
		if c {
			return b
		}
		return fcBConst(false)
	}
	if c, ok := b.(fcBConst); ok && bool(c) {
		return a
	}
	return &fcBAnd{a, b}
}

func fcOr(a, b fcB) fcB {
	if c, ok := a.(fcBConst); ok {
		if c {
			return fcBConst(true)
		}
		return b
	}
	if c, ok := b.(fcBConst); ok && !bool(c) {
		return a
	}
	return &fcBOr{a, b}
}

func fcNot(a fcB) fcB {
	if c, ok := a.(fcBConst); ok {
		return !c
	}
	return &fcBNot{a}
}

func fcTest(cond bpf.JumpTest, k uint32, stmts ...bpf.Instruction) fcB {
	return &fcBTest{stmts: stmts, cond: cond, k: k}
}

// fcCmp is "load size bytes at off; jeq k" (libpcap's gen_cmp).
func fcCmp(off uint32, size int, k uint32) fcB {
	return fcTest(bpf.JumpEqual, k, bpf.LoadAbsolute{Off: off, Size: size})
}

// fcMCmp is gen_mcmp: the "and" is left out for an all-ones mask. A zero
// mask (the host part of "net 0.0.0.0/0", the low words of an IPv6 prefix)
// compares nothing, and like libpcap's optimiser we do not load the word.
func fcMCmp(off uint32, size int, k, mask uint32) fcB {
	switch mask {
	case 0xffffffff:
		return fcCmp(off, size, k)
	case 0:
		return fcBConst(k == 0)
	}
	return fcTest(bpf.JumpEqual, k, bpf.LoadAbsolute{Off: off, Size: size}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
}

type filterCompiler struct {
	link fcLink
	regs int // scratch memory words in use
}

func (g *filterCompiler) offs(vlan int) (lt, pl uint32) {
	return g.link.ltOff + 4*uint32(vlan), g.link.plOff + 4*uint32(vlan)
}

// fcHostFamily is ld [0] of a NULL header holding family f in host byte order.
func fcHostFamily(f uint32) uint32 {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], f)
	return binary.BigEndian.Uint32(b[:])
}

// linktype tests the link-layer protocol (libpcap's gen_linktype).
func (g *filterCompiler) linktype(proto uint32, vlan int) fcB {
	lt, pl := g.offs(vlan)
	switch g.link.kind {
	case fcLinkEther:
		notLen := func() fcB { // an EtherType, not an 802.3 length
			return fcNot(fcTest(bpf.JumpGreaterThan, 1500, bpf.LoadAbsolute{Off: lt, Size: 2}))
		}
		snap := func(oui0 uint32, typ uint32) fcB { // 802.2 SNAP: AA AA 03 OUI type
			return fcAnd(fcCmp(lt+6, 4, typ), fcCmp(lt+2, 4, 0xaaaa0300|oui0))
		}
		switch proto {
		case 0x06, 0xf0, 0xfe: // IP, NetBEUI, OSI: 802.2 with DSAP = SSAP
			return fcAnd(notLen(), fcCmp(lt+2, 2, proto<<8|proto))
		case 0xe0: // IPX: Ethernet II, SNAP, 802.2 or raw 802.3
			return fcOr(fcCmp(lt, 2, 0x8137), fcAnd(notLen(), fcOr(snap(0, 0x8137), fcOr(fcCmp(lt+2, 1, 0xe0), fcCmp(lt+2, 2, 0xffff)))))
		case 0x809b: // AppleTalk: Ethernet II or SNAP with Apple's OUI
			return fcOr(fcCmp(lt, 2, proto), fcAnd(notLen(), snap(0x08, 0x0007809b)))
		case 0x80f3: // AARP
			return fcOr(fcCmp(lt, 2, proto), fcAnd(notLen(), snap(0, 0x80f3)))
		}
		if proto <= 1500 {
			// 802.3 frame (length field) with this DSAP
			return fcAnd(fcNot(fcTest(bpf.JumpGreaterThan, 1500, bpf.LoadAbsolute{Off: lt, Size: 2})), fcCmp(lt+2, 1, proto))
		}
		return fcCmp(lt, 2, proto)
	case fcLinkSLL:
		llc := func() fcB { return fcCmp(lt, 2, 4) } // LINUX_SLL_P_802_2
		snap := func(oui0 uint32, typ uint32) fcB {
			return fcAnd(fcCmp(pl+4, 4, typ), fcCmp(pl, 4, 0xaaaa0300|oui0))
		}
		switch proto {
		case 0x06, 0xf0, 0xfe:
			return fcAnd(llc(), fcCmp(pl, 2, proto<<8|proto))
		case 0xe0: // also LINUX_SLL_P_802_3 (raw 802.3)
			return fcOr(fcCmp(lt, 2, 0x8137), fcOr(fcCmp(lt, 2, 1), fcAnd(llc(), fcOr(fcCmp(pl, 1, 0xe0), snap(0, 0x8137)))))
		case 0x809b:
			return fcOr(fcCmp(lt, 2, proto), fcAnd(llc(), snap(0x08, 0x0007809b)))
		case 0x80f3:
			return fcOr(fcCmp(lt, 2, proto), fcAnd(llc(), snap(0, 0x80f3)))
		}
		if proto <= 1500 {
			return fcAnd(fcCmp(lt, 2, 4), fcCmp(pl, 1, proto)) // LINUX_SLL_P_802_2
		}
		return fcCmp(lt, 2, proto)
	case fcLinkNull, fcLinkLoop:
		fam := func(f uint32) fcB {
			if g.link.kind == fcLinkNull {
				f = fcHostFamily(f)
			}
			return fcCmp(0, 4, f)
		}
		switch proto {
		case 0x0800:
			return fam(2)
		case 0x86dd:
			// AF_INET6 of Darwin, NetBSD/OpenBSD and FreeBSD (not Linux's 10), like libpcap
			return fcOr(fcOr(fam(30), fam(24)), fam(28))
		}
		return fcBConst(false)
	case fcLinkRaw:
		switch proto {
		case 0x0800:
			return fcMCmp(0, 1, 0x40, 0xf0)
		case 0x86dd:
			return fcMCmp(0, 1, 0x60, 0xf0)
		}
		return fcBConst(false)
	case fcLinkIPv4:
		return fcBConst(proto == 0x0800)
	case fcLinkIPv6:
		return fcBConst(proto == 0x86dd)
	}
	return fcBConst(false)
}

// proto4 is "ip proto p"; proto6 is "ip6 proto p", which also looks behind
// a fragment header (but no other extension header), like libpcap.
func (g *filterCompiler) proto4(p uint32, vlan int) fcB {
	_, pl := g.offs(vlan)
	return fcAnd(g.linktype(0x0800, vlan), fcCmp(pl+9, 1, p))
}

func (g *filterCompiler) proto6(p uint32, vlan int) fcB {
	_, pl := g.offs(vlan)
	return fcAnd(g.linktype(0x86dd, vlan), fcOr(fcCmp(pl+6, 1, p), fcAnd(fcCmp(pl+6, 1, 44), fcCmp(pl+40, 1, p))))
}

// abbrev is a protocol name used alone: "tcp", "ip6", ...
func (g *filterCompiler) abbrev(proto fcProto, vlan int) fcB {
	switch proto {
	case fcPIP:
		return g.linktype(0x0800, vlan)
	case fcPIP6:
		return g.linktype(0x86dd, vlan)
	case fcPARP:
		return g.linktype(0x0806, vlan)
	case fcPRARP:
		return g.linktype(0x8035, vlan)
	case fcPTCP:
		return fcOr(g.proto4(6, vlan), g.proto6(6, vlan))
	case fcPUDP:
		return fcOr(g.proto4(17, vlan), g.proto6(17, vlan))
	case fcPSCTP:
		return fcOr(g.proto4(132, vlan), g.proto6(132, vlan))
	case fcPICMP:
		return g.proto4(1, vlan)
	case fcPIGMP:
		return g.proto4(2, vlan)
	case fcPICMP6:
		return g.proto6(58, vlan)
	}
	return fcBConst(true)
}

// ipfrag is "not a fragment other than the first".
func (g *filterCompiler) ipfrag(vlan int) fcB {
	_, pl := g.offs(vlan)
	return fcNot(fcTest(bpf.JumpBitsSet, 0x1fff, bpf.LoadAbsolute{Off: pl + 6, Size: 2}))
}

func fcDirCombine(dir fcDir, src, dst func() fcB) fcB {
	switch dir {
	case fcDirSrc:
		return src()
	case fcDirDst:
		return dst()
	case fcDirAnd:
		return fcAnd(src(), dst())
	}
	return fcOr(src(), dst())
}

func (g *filterCompiler) hostop(pr *fcPrim, ll, srcOff, dstOff uint32) fcB {
	_, pl := g.offs(pr.vlan)
	one := func(off uint32) func() fcB {
		return func() fcB { return fcAnd(g.linktype(ll, pr.vlan), fcMCmp(pl+off, 4, pr.addr4, pr.mask4)) }
	}
	return fcDirCombine(pr.dir, one(srcOff), one(dstOff))
}

func (g *filterCompiler) host6op(pr *fcPrim) fcB {
	_, pl := g.offs(pr.vlan)
	one := func(off uint32) func() fcB {
		return func() fcB {
			var b fcB = fcBConst(true)
			for i := 3; i >= 0; i-- {
				a := binary.BigEndian.Uint32(pr.addr6[4*i:])
				m := binary.BigEndian.Uint32(pr.mask6[4*i:])
				b = fcAnd(fcMCmp(pl+off+uint32(4*i), 4, a, m), b)
			}
			return fcAnd(g.linktype(0x86dd, pr.vlan), b)
		}
	}
	return fcDirCombine(pr.dir, one(8), one(24))
}

// bcmp compares 6 bytes at off: the word at off+2 first, then the half-word.
func fcBCmp(off uint32, b [6]byte) fcB {
	return fcAnd(fcCmp(off+2, 4, binary.BigEndian.Uint32(b[2:])), fcCmp(off, 2, uint32(binary.BigEndian.Uint16(b[:2]))))
}

// ports builds port and portrange primitives (gen_port/gen_port6 and the
// range versions): IPv6 first, then IPv4 with the fragment check.
func (g *filterCompiler) ports(pr *fcPrim) fcB {
	_, pl := g.offs(pr.vlan)
	atom := func(ipv4 bool, off uint32) fcB {
		var ld []bpf.Instruction
		if ipv4 {
			ld = []bpf.Instruction{bpf.LoadMemShift{Off: pl}, bpf.LoadIndirect{Off: pl + off, Size: 2}}
		} else {
			ld = []bpf.Instruction{bpf.LoadAbsolute{Off: pl + 40 + off, Size: 2}}
		}
		if pr.kind == fcPrimPort {
			return fcTest(bpf.JumpEqual, pr.lo, ld...)
		}
		return fcAnd(fcTest(bpf.JumpGreaterOrEqual, pr.lo, ld...), fcNot(fcTest(bpf.JumpGreaterThan, pr.hi, ld...)))
	}
	portop := func(ipv4 bool, proto uint32) fcB {
		var b fcB
		if ipv4 {
			b = fcAnd(fcCmp(pl+9, 1, proto), g.ipfrag(pr.vlan))
		} else {
			b = fcCmp(pl+6, 1, proto)
		}
		return fcAnd(b, fcDirCombine(pr.dir, func() fcB { return atom(ipv4, 0) }, func() fcB { return atom(ipv4, 2) }))
	}
	family := func(ipv4 bool) fcB {
		var b fcB
		if pr.l4 != 0 {
			b = portop(ipv4, pr.l4)
		} else {
			b = fcOr(portop(ipv4, 132), fcOr(portop(ipv4, 6), portop(ipv4, 17)))
		}
		ll := uint32(0x86dd)
		if ipv4 {
			ll = 0x0800
		}
		return fcAnd(g.linktype(ll, pr.vlan), b)
	}
	return fcOr(family(false), family(true))
}

func (g *filterCompiler) prim(pr *fcPrim) fcB {
	_, pl := g.offs(pr.vlan)
	switch pr.kind {
	case fcPrimHost4:
		switch pr.proto {
		case fcPIP:
			return g.hostop(pr, 0x0800, 12, 16)
		case fcPARP:
			return g.hostop(pr, 0x0806, 14, 24)
		case fcPRARP:
			return g.hostop(pr, 0x8035, 14, 24)
		}
		b := fcOr(g.hostop(pr, 0x0800, 12, 16), g.hostop(pr, 0x0806, 14, 24))
		return fcOr(b, g.hostop(pr, 0x8035, 14, 24))
	case fcPrimHost6:
		return g.host6op(pr)
	case fcPrimEther:
		return fcDirCombine(pr.dir, func() fcB { return fcBCmp(6, pr.mac) }, func() fcB { return fcBCmp(0, pr.mac) })
	case fcPrimPort, fcPrimPortRange:
		return g.ports(pr)
	case fcPrimProto:
		switch pr.proto {
		case fcPLink:
			return g.linktype(pr.lo, pr.vlan)
		case fcPIP:
			return g.proto4(pr.lo, pr.vlan)
		case fcPIP6:
			return g.proto6(pr.lo, pr.vlan)
		}
		return fcOr(g.proto4(pr.lo, pr.vlan), g.proto6(pr.lo, pr.vlan))
	case fcPrimAbbrev:
		return g.abbrev(pr.proto, pr.vlan)
	case fcPrimBroadcast:
		return fcBCmp(0, [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	case fcPrimMulticast:
		switch pr.proto {
		case fcPIP:
			return fcAnd(g.linktype(0x0800, pr.vlan), fcTest(bpf.JumpGreaterOrEqual, 224, bpf.LoadAbsolute{Off: pl + 16, Size: 1}))
		case fcPIP6:
			return fcAnd(g.linktype(0x86dd, pr.vlan), fcCmp(pl+24, 1, 255))
		}
		return fcTest(bpf.JumpBitsSet, 1, bpf.LoadAbsolute{Off: 0, Size: 1})
	case fcPrimLess:
		return fcNot(fcTest(bpf.JumpGreaterThan, pr.lo, bpf.LoadExtension{Num: bpf.ExtLen}))
	case fcPrimGreater:
		return fcTest(bpf.JumpGreaterOrEqual, pr.lo, bpf.LoadExtension{Num: bpf.ExtLen})
	case fcPrimVlan:
		b := fcOr(fcOr(g.linktype(0x8100, pr.vlan), g.linktype(0x88a8, pr.vlan)), g.linktype(0x9100, pr.vlan))
		if pr.hasNum {
			b = fcAnd(b, fcMCmp(pl, 2, pr.lo, 0x0fff))
		}
		return b
	}
	return fcBConst(false)
}

func (g *filterCompiler) node(n fcNode) (fcB, error) {
	switch n := n.(type) {
	case *fcAndNode:
		a, err := g.node(n.l)
		if err != nil {
			return nil, err
		}
		b, err := g.node(n.r)
		if err != nil {
			return nil, err
		}
		return fcAnd(a, b), nil
	case *fcOrNode:
		a, err := g.node(n.l)
		if err != nil {
			return nil, err
		}
		b, err := g.node(n.r)
		if err != nil {
			return nil, err
		}
		return fcOr(a, b), nil
	case *fcNotNode:
		a, err := g.node(n.x)
		if err != nil {
			return nil, err
		}
		return fcNot(a), nil
	case *fcPrim:
		return g.prim(n), nil
	case *fcRel:
		return g.relation(n)
	}
	return nil, fmt.Errorf("internal error: unknown node %T", n)
}

// checks are the protocol tests guarding the loads of an arithmetic
// expression. As in libpcap 1.10, a binary operator keeps only the checks of
// its left operand (tcpdump compiles "ip[0] + tcp[0] = 5" with an "ip" test
// only).
func (g *filterCompiler) checks(a fcArith) fcB {
	switch a := a.(type) {
	case *fcNeg:
		return g.checks(a.x)
	case *fcBin:
		return g.checks(a.l)
	case *fcLoad:
		idx := g.checks(a.idx)
		switch a.proto {
		case fcPLink:
			return idx
		case fcPIP, fcPIP6, fcPARP, fcPRARP:
			return fcAnd(idx, g.abbrev(a.proto, a.vlan))
		case fcPICMP6:
			_, pl := g.offs(a.vlan)
			return fcAnd(idx, fcAnd(g.linktype(0x86dd, a.vlan), fcCmp(pl+6, 1, 58)))
		}
		// transport layer: IPv4, the protocol, first fragment
		return fcAnd(g.linktype(0x0800, a.vlan), fcAnd(idx, fcAnd(g.abbrev(a.proto, a.vlan), g.ipfrag(a.vlan))))
	}
	return fcBConst(true)
}

func (g *filterCompiler) allocReg() (uint32, error) {
	if g.regs >= 16 {
		return 0, fmt.Errorf("expression too complex (more than 16 scratch registers)")
	}
	g.regs++
	return uint32(g.regs - 1), nil
}

// arith computes a into A.
func (g *filterCompiler) arith(a fcArith) ([]bpf.Instruction, error) {
	switch a := a.(type) {
	case *fcNum:
		return []bpf.Instruction{bpf.LoadConstant{Dst: bpf.RegA, Val: a.v}}, nil
	case *fcLenArith:
		return []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtLen}}, nil
	case *fcNeg:
		// -A as (A ^ 0xffffffff) + 1: x/net/bpf's VM cannot run NegateA
		s, err := g.arith(a.x)
		return append(s, bpf.ALUOpConstant{Op: bpf.ALUOpXor, Val: 0xffffffff}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1}), err
	case *fcBin:
		s, err := g.arith(a.l)
		if err != nil {
			return nil, err
		}
		if n, ok := a.r.(*fcNum); ok {
			return append(s, bpf.ALUOpConstant{Op: a.op, Val: n.v}), nil
		}
		r, err := g.allocReg()
		if err != nil {
			return nil, err
		}
		defer func() { g.regs-- }()
		s = append(s, bpf.StoreScratch{Src: bpf.RegA, N: int(r)})
		s2, err := g.arith(a.r)
		if err != nil {
			return nil, err
		}
		s = append(s, s2...)
		return append(s, bpf.TAX{}, bpf.LoadScratch{Dst: bpf.RegA, N: int(r)}, bpf.ALUOpX{Op: a.op}), nil
	case *fcLoad:
		_, pl := g.offs(a.vlan)
		base := pl
		transport := false
		switch a.proto {
		case fcPLink:
			base = 0
		case fcPIP, fcPIP6, fcPARP, fcPRARP:
		case fcPICMP6:
			base = pl + 40
		default:
			transport = true
		}
		if n, ok := a.idx.(*fcNum); ok {
			// constant offset, folded into the load modulo 2^32 like
			// libpcap's optimiser does (ip[0xfffffff8] is ldb [6])
			if transport {
				return []bpf.Instruction{bpf.LoadMemShift{Off: pl}, bpf.LoadIndirect{Off: base + n.v, Size: a.size}}, nil
			}
			return []bpf.Instruction{bpf.LoadAbsolute{Off: base + n.v, Size: a.size}}, nil
		}
		s, err := g.arith(a.idx)
		if err != nil {
			return nil, err
		}
		if transport {
			s = append(s, bpf.LoadMemShift{Off: pl}, bpf.ALUOpX{Op: bpf.ALUOpAdd})
		}
		return append(s, bpf.TAX{}, bpf.LoadIndirect{Off: base, Size: a.size}), nil
	}
	return nil, fmt.Errorf("internal error: unknown arithmetic node %T", a)
}

func (g *filterCompiler) relation(r *fcRel) (fcB, error) {
	checks := fcAnd(g.checks(r.l), g.checks(r.r))
	if r.foldErr != nil {
		return fcAnd(checks, &fcBTest{err: r.foldErr}), nil
	}
	ln, lc := r.fl.(*fcNum)
	rn, rc := r.fr.(*fcNum)
	if lc && rc {
		var v bool
		switch r.cond {
		case bpf.JumpEqual:
			v = ln.v == rn.v
		case bpf.JumpGreaterThan:
			v = ln.v > rn.v
		default:
			v = ln.v >= rn.v
		}
		_, literalL := r.l.(*fcNum)
		_, literalR := r.r.(*fcNum)
		if literalL && literalR {
			// "1 = 1": libpcap decides it while optimising the flow
			return fcAnd(checks, fcBConst(v != r.rev)), nil
		}
		return fcAnd(checks, &fcBTest{barrier: true, outcome: v != r.rev}), nil
	}
	s, err := g.arith(r.fl)
	if err != nil {
		return nil, err
	}
	t := &fcBTest{cond: r.cond, relL: fcArithKey(r.l)}
	if _, literal := r.r.(*fcNum); !literal {
		t.relR = fcArithKey(r.r)
	}
	if rc {
		t.k = rn.v
	} else {
		reg, err := g.allocReg()
		if err != nil {
			return nil, err
		}
		s = append(s, bpf.StoreScratch{Src: bpf.RegA, N: int(reg)})
		s2, err := g.arith(r.fr)
		g.regs--
		if err != nil {
			return nil, err
		}
		s = append(s, s2...)
		s = append(s, bpf.TAX{}, bpf.LoadScratch{Dst: bpf.RegA, N: int(reg)})
		t.useX = true
	}
	t.stmts = s
	var b fcB = t
	if r.rev {
		b = fcNot(b)
	}
	return fcAnd(checks, b), nil
}

// ---------------------------------------------------------------------------
// Emission: linear code with forward jumps to labels

type fcItemKind int

const (
	fcItemIns   fcItemKind = iota // a plain instruction
	fcItemCond                    // conditional jump to labels jt/jf
	fcItemJump                    // ja to label jt
	fcItemLabel                   // a label (no code)
)

type fcItem struct {
	kind   fcItemKind
	ins    bpf.Instruction
	cond   bpf.JumpTest
	k      uint32
	useX   bool
	jt, jf int
	label  int
}

// fcRegs is what is known to be in A and X: the packet load that put it
// there, or nil.
type fcRegs struct {
	a, x bpf.Instruction
	ax   bpf.Instruction // for an indirect load in a: the load that set X
}

func (r fcRegs) merge(o fcRegs) fcRegs {
	if r.a != o.a || r.ax != o.ax {
		r.a, r.ax = nil, nil
	}
	if r.x != o.x {
		r.x = nil
	}
	return r
}

type fcEmitter struct {
	items   []fcItem
	nlabels int
	in      map[int]fcRegs // register state on jumps to a label, merged
	regs    fcRegs
	live    bool // the current position can be reached by falling through
}

func (e *fcEmitter) arrive(l int) {
	if s, ok := e.in[l]; ok {
		e.in[l] = s.merge(e.regs)
	} else {
		e.in[l] = e.regs
	}
}

func (e *fcEmitter) place(l int) {
	s, ok := e.in[l]
	switch {
	case ok && e.live:
		e.regs = s.merge(e.regs)
	case ok:
		e.regs = s
	case !e.live:
		e.regs = fcRegs{}
	}
	e.live = true
	e.items = append(e.items, fcItem{kind: fcItemLabel, label: l})
}

func (e *fcEmitter) stmt(s bpf.Instruction) {
	setX := func(x bpf.Instruction) {
		e.regs.x = x
		if e.regs.ax != nil { // A came from an indirect load with the old X
			e.regs.a, e.regs.ax = nil, nil
		}
	}
	switch s := s.(type) {
	case bpf.LoadAbsolute:
		if e.regs.a == s {
			return
		}
		e.regs.a, e.regs.ax = s, nil
	case bpf.LoadIndirect:
		if e.regs.a == s && e.regs.x != nil && e.regs.ax == e.regs.x {
			return
		}
		e.regs.a, e.regs.ax = s, e.regs.x
		if e.regs.x == nil {
			e.regs.a = nil
		}
	case bpf.LoadMemShift:
		if e.regs.x == s {
			return
		}
		setX(s)
	case bpf.StoreScratch:
	case bpf.TAX:
		setX(nil)
	case bpf.LoadScratch:
		if s.Dst == bpf.RegX {
			setX(nil)
		} else {
			e.regs.a, e.regs.ax = nil, nil
		}
	case bpf.LoadConstant:
		if s.Dst == bpf.RegX {
			setX(nil)
		} else {
			e.regs.a, e.regs.ax = nil, nil
		}
	default: // loads into A, ALU operations
		e.regs.a, e.regs.ax = nil, nil
	}
	e.items = append(e.items, fcItem{kind: fcItemIns, ins: s})
}

// ---------------------------------------------------------------------------
// Block graph and libpcap's flow optimisation

// Terminal blocks of a fcGraph.
const (
	fcAccept = 0
	fcReject = 1
)

// fcBlock is a test with its true and false successors.
type fcBlock struct {
	test   *fcBTest
	jt, jf int
}

// fcGraph is the program as a DAG of blocks; blocks 0 and 1 are accept and
// reject.
type fcGraph struct {
	blocks []fcBlock
	root   int
}

// fcConstTest is the test of a constant block (libpcap's gen_true and
// gen_false, "ld #k; jeq #0", which its optimiser decides at once).
var fcConstTest = &fcBTest{konst: true}

func fcBuildGraph(b fcB) *fcGraph {
	gr := &fcGraph{blocks: make([]fcBlock, 2)}
	gr.root = gr.build(b, fcAccept, fcReject)
	return gr
}

func (gr *fcGraph) build(b fcB, t, f int) int {
	switch b := b.(type) {
	case fcBConst:
		to := f
		if b {
			to = t
		}
		gr.blocks = append(gr.blocks, fcBlock{test: fcConstTest, jt: to, jf: to})
		return len(gr.blocks) - 1
	case *fcBAnd:
		return gr.build(b.a, gr.build(b.b, t, f), f)
	case *fcBOr:
		return gr.build(b.a, t, gr.build(b.b, t, f))
	case *fcBNot:
		return gr.build(b.a, f, t)
	case *fcBTest:
		gr.blocks = append(gr.blocks, fcBlock{test: b, jt: t, jf: f})
		return len(gr.blocks) - 1
	}
	return f
}

func (gr *fcGraph) exit(b int, t bool) int {
	if t {
		return gr.blocks[b].jt
	}
	return gr.blocks[b].jf
}

func (gr *fcGraph) setExit(b int, t bool, to int) {
	if t {
		gr.blocks[b].jt = to
	} else {
		gr.blocks[b].jf = to
	}
}

// fcDecide is libpcap's fold_edge: is test s decided by an earlier test q
// that went the way sense? Blocks whose statements are the same compute the
// same A (and X) from the same packet; "A == k1" true also decides
// "A == k2" (false).
//
// Relations are compared as written: in libpcap they load through the X
// register and scratch memory, which its value numbering does not equate
// with the direct loads of the other primitives (ip[9] = 6 does not decide
// ip proto 6) nor with a different way of writing the same operands.
func fcDecide(q *fcBTest, sense bool, s *fcBTest) (decided, outcome bool) {
	if q.opaque() || s.opaque() || q.cond != s.cond || q.relL != s.relL {
		return false, false
	}
	if q.relL != "" {
		switch {
		case q.relR != s.relR:
			return false, false
		case q.relR != "" || q.k == s.k:
			return true, sense
		case sense && s.cond == bpf.JumpEqual:
			return true, false
		}
		return false, false
	}
	if q.useX != s.useX || len(q.stmts) != len(s.stmts) {
		return false, false
	}
	for i := range q.stmts {
		if q.stmts[i] != s.stmts[i] {
			return false, false
		}
	}
	if q.useX || q.k == s.k {
		return true, sense
	}
	if sense && s.cond == bpf.JumpEqual {
		return true, false
	}
	return false, false
}

// levels is libpcap's find_levels: terminals are level 0, a block is one
// above its highest successor; blocks are listed in post-order (true branch
// first), each prepended to its level's list.
func (gr *fcGraph) levels() [][]int {
	level := make([]int, len(gr.blocks))
	for i := range level {
		level[i] = -1
	}
	var lists [][]int
	var visit func(b int)
	visit = func(b int) {
		if level[b] >= 0 {
			return
		}
		lv := 0
		if b > fcReject {
			level[b] = 0
			visit(gr.blocks[b].jt)
			visit(gr.blocks[b].jf)
			lv = max(level[gr.blocks[b].jt], level[gr.blocks[b].jf]) + 1
		}
		level[b] = lv
		for len(lists) <= lv {
			lists = append(lists, nil)
		}
		lists[lv] = append([]int{b}, lists[lv]...)
	}
	visit(gr.root)
	return lists
}

// fcFact is "block's test went the way t".
type fcFact struct {
	block int
	t     bool
}

// edoms are libpcap's edge dominators: for each block, the facts true on
// every path through its true ([0]) and false ([1]) exits.
func (gr *fcGraph) edoms(levels [][]int) [][2][]fcFact {
	n := len(gr.blocks)
	in := make([][]fcFact, n) // facts on every path into a block
	seen := make([]bool, n)
	seen[gr.root] = true
	ed := make([][2][]fcFact, n)
	mark := make([]bool, 2*n)
	key := func(f fcFact) int {
		if f.t {
			return 2*f.block + 1
		}
		return 2 * f.block
	}
	for lv := len(levels) - 1; lv > 0; lv-- {
		for _, b := range levels[lv] {
			for i, t := range []bool{true, false} {
				facts := append(append(make([]fcFact, 0, len(in[b])+1), in[b]...), fcFact{b, t})
				ed[b][i] = facts
				s := gr.exit(b, t)
				if !seen[s] {
					in[s], seen[s] = facts, true
					continue
				}
				for _, f := range facts {
					mark[key(f)] = true
				}
				var common []fcFact
				for _, f := range in[s] {
					if mark[key(f)] {
						common = append(common, f)
					}
				}
				for _, f := range facts {
					mark[key(f)] = false
				}
				in[s] = common
			}
		}
	}
	return ed
}

// dominators: dom[d] holds b if every path to d goes through b.
func (gr *fcGraph) dominators(levels [][]int) [][]uint64 {
	n := len(gr.blocks)
	words := (n + 63) / 64
	dom := make([][]uint64, n)
	for lv := len(levels) - 1; lv >= 0; lv-- {
		for _, b := range levels[lv] {
			if dom[b] == nil {
				dom[b] = make([]uint64, words)
			}
			dom[b][b/64] |= 1 << (b % 64)
			if b <= fcReject {
				continue
			}
			for _, s := range []int{gr.blocks[b].jt, gr.blocks[b].jf} {
				if dom[s] == nil {
					dom[s] = append([]uint64(nil), dom[b]...)
					dom[s][s/64] &^= 1 << (s % 64)
					continue
				}
				self := dom[s][s/64] & (1 << (s % 64))
				for w := range dom[s] {
					dom[s][w] &= dom[b][w]
				}
				dom[s][s/64] |= self
			}
		}
	}
	return dom
}

// optJ is libpcap's opt_j for the exit t of block b: skip a successor whose
// exits meet (once), then follow successors decided by the edge's
// dominators.
func (gr *fcGraph) optJ(b int, t bool, facts []fcFact) bool {
	succ := gr.exit(b, t)
	if succ <= fcReject {
		return false
	}
	changed := false
	if sb := gr.blocks[succ]; sb.jt == sb.jf {
		succ = sb.jt
		gr.setExit(b, t, succ)
		changed = true
	}
top:
	if succ <= fcReject {
		return changed
	}
	for _, f := range facts {
		decided, out := fcDecide(gr.blocks[f.block].test, f.t, gr.blocks[succ].test)
		if !decided {
			continue
		}
		succ = gr.exit(succ, out)
		gr.setExit(b, t, succ)
		changed = true
		goto top
	}
	return changed
}

// optimize does to the flow of control what libpcap's optimiser does before
// its statement optimisations, in the same order, because that decides
// which loads a packet goes through: tests whose exits meet are removed with
// their loads, tests decided by earlier tests are jumped over, and tests on
// a value already loaded are pulled up in chains of ors and ands. No result
// changes, except that packets too short for a load that does not matter are
// not rejected, exactly as with tcpdump's programs.
func (gr *fcGraph) optimize() {
	if len(gr.blocks) > 2*fcMaxInstructions {
		return
	}
	for round := 0; round < 1000 && gr.root > fcReject; round++ {
		levels := gr.levels()
		dom := gr.dominators(levels)
		ed := gr.edoms(levels)
		changed := false
		for lv := 1; lv < len(levels); lv++ {
			for _, b := range levels[lv] {
				if gr.optJ(b, true, ed[b][0]) {
					changed = true
				}
				if gr.optJ(b, false, ed[b][1]) {
					changed = true
				}
			}
		}
		if gr.pullups(levels, dom) {
			changed = true
		}
		if !changed {
			return
		}
	}
}

// finish is what happens after libpcap's flow optimisation: relations that
// only folding decides are decided (their blocks stay, see fcBTest.barrier),
// and opt_root skips first blocks whose exits meet, keeping their loads.
func (gr *fcGraph) finish() {
	for i := range gr.blocks {
		if t := gr.blocks[i].test; t != nil && t.barrier {
			to := gr.blocks[i].jf
			if t.outcome {
				to = gr.blocks[i].jt
			}
			gr.blocks[i].jt, gr.blocks[i].jf = to, to
		}
	}
	var pre []bpf.Instruction
	for gr.root > fcReject && gr.blocks[gr.root].jt == gr.blocks[gr.root].jf {
		pre = append(pre, gr.blocks[gr.root].test.stmts...)
		gr.root = gr.blocks[gr.root].jt
	}
	if gr.root > fcReject && len(pre) > 0 {
		t := *gr.blocks[gr.root].test
		t.stmts = append(pre, t.stmts...)
		gr.blocks[gr.root].test = &t
	}
}

// avals identifies the value a block leaves in A: blocks with the same
// statements compute the same value (libpcap's value numbers).
func (gr *fcGraph) avals() []string {
	av := make([]string, len(gr.blocks))
	for i := range gr.blocks {
		t := gr.blocks[i].test
		switch {
		case i <= fcReject || t.opaque() || len(t.stmts) == 0:
			av[i] = fmt.Sprintf("#%d", i)
		case t.relL != "":
			av[i] = "rel " + t.relL
		default:
			av[i] = fmt.Sprintf("%#v", t.stmts)
		}
	}
	return av
}

// pullups is one round of libpcap's or_pullup and and_pullup: in a chain
// of tests with a common true (false) exit, a test on the value the chain
// started with is moved up before tests on other values. So "port 53 or
// port 80" tests the source port against 80 before it loads the
// destination port, like tcpdump. Levels and dominators are those of the
// start of the round, as in libpcap.
func (gr *fcGraph) pullups(levels [][]int, dom [][]uint64) bool {
	n := len(gr.blocks)
	if n > 4096 {
		return false
	}
	in := make([][]fcFact, n) // in-edges: predecessor and which exit
	for lv := len(levels) - 1; lv > 0; lv-- {
		for _, b := range levels[lv] {
			in[gr.blocks[b].jt] = append([]fcFact{{b, true}}, in[gr.blocks[b].jt]...)
			in[gr.blocks[b].jf] = append([]fcFact{{b, false}}, in[gr.blocks[b].jf]...)
		}
	}
	dominates := func(b, d int) bool { return dom[d] != nil && dom[d][b/64]&(1<<(b%64)) != 0 }
	av := gr.avals()
	exit := func(b int, t bool) int {
		if b <= fcReject {
			return -1 // a return has no successors
		}
		return gr.exit(b, t)
	}
	// same: true for or_pullup (the chain shares the true exit and goes on
	// through false exits), false for and_pullup
	pullup := func(b int, same bool) bool {
		if len(in[b]) == 0 {
			return false
		}
		val := av[in[b][0].block]
		for _, e := range in[b][1:] {
			if av[e.block] != val {
				return false
			}
		}
		first := in[b][0].block
		diffp := fcFact{first, gr.blocks[first].jt == b}
		atTop := true
		for {
			d := gr.exit(diffp.block, diffp.t)
			if d <= fcReject || exit(d, same) != exit(b, same) || !dominates(b, d) {
				return false
			}
			if av[d] != val {
				break
			}
			diffp = fcFact{d, !same}
			atTop = false
		}
		samep := fcFact{gr.exit(diffp.block, diffp.t), !same}
		for {
			sm := gr.exit(samep.block, samep.t)
			if sm <= fcReject || exit(sm, same) != exit(b, same) || !dominates(b, sm) {
				return false
			}
			if av[sm] == val {
				break
			}
			samep = fcFact{sm, !same}
		}
		pull := gr.exit(samep.block, samep.t)
		gr.setExit(samep.block, samep.t, gr.exit(pull, !same))
		gr.setExit(pull, !same, gr.exit(diffp.block, diffp.t))
		if atTop {
			for _, e := range in[b] {
				if gr.blocks[e.block].jt == b {
					gr.blocks[e.block].jt = pull
				} else {
					gr.blocks[e.block].jf = pull
				}
			}
		} else {
			gr.setExit(diffp.block, diffp.t, pull)
		}
		return true
	}
	changed := false
	for lv := 1; lv < len(levels); lv++ {
		for _, b := range levels[lv] {
			if pullup(b, true) {
				changed = true
			}
			if pullup(b, false) {
				changed = true
			}
		}
	}
	return changed
}

// order lists the reachable blocks so that every jump goes forward: a
// block, then its true branch, then its false branch (like libpcap).
func (gr *fcGraph) order() []int {
	var post []int
	seen := make([]bool, len(gr.blocks))
	var visit func(b int)
	visit = func(b int) {
		if b <= fcReject || seen[b] {
			return
		}
		seen[b] = true
		visit(gr.blocks[b].jf)
		visit(gr.blocks[b].jt)
		post = append(post, b)
	}
	visit(gr.root)
	for i, j := 0, len(post)-1; i < j; i, j = i+1, j-1 {
		post[i], post[j] = post[j], post[i]
	}
	return post
}

// reachableErr returns the error of a reachable block that cannot be compiled.
func (gr *fcGraph) reachableErr() error {
	for _, b := range gr.order() {
		if err := gr.blocks[b].test.err; err != nil {
			return err
		}
	}
	return nil
}

// fcEmit linearises the graph into a program returning snap (accept) or 0
// (reject). The root must not be a terminal.
func fcEmit(gr *fcGraph, snap uint32) ([]bpf.Instruction, error) {
	reach := make([]bool, len(gr.blocks))
	order := gr.order()
	for _, i := range order {
		reach[gr.blocks[i].jt], reach[gr.blocks[i].jf] = true, true
	}
	// labels are block numbers
	e := &fcEmitter{in: map[int]fcRegs{}, live: true, nlabels: len(gr.blocks)}
	for _, i := range order {
		b := gr.blocks[i]
		e.place(i)
		for _, s := range b.test.stmts {
			e.stmt(s)
		}
		e.arrive(b.jt)
		e.arrive(b.jf)
		if b.jt == b.jf {
			e.items = append(e.items, fcItem{kind: fcItemJump, jt: b.jt})
		} else {
			e.items = append(e.items, fcItem{kind: fcItemCond, cond: b.test.cond, k: b.test.k, useX: b.test.useX, jt: b.jt, jf: b.jf})
		}
		e.live = false
	}
	if reach[fcAccept] {
		e.place(fcAccept)
		e.items = append(e.items, fcItem{kind: fcItemIns, ins: bpf.RetConstant{Val: snap}})
	}
	if reach[fcReject] {
		e.place(fcReject)
		e.items = append(e.items, fcItem{kind: fcItemIns, ins: bpf.RetConstant{Val: 0}})
	}

	// drop "ja" to the very next instruction
	items := e.items[:0:0]
	for i, it := range e.items {
		if it.kind == fcItemJump {
			j := i + 1
			for j < len(e.items) && e.items[j].kind == fcItemLabel && e.items[j].label != it.jt {
				j++
			}
			if j < len(e.items) && e.items[j].kind == fcItemLabel && e.items[j].label == it.jt {
				continue
			}
		}
		items = append(items, it)
	}

	// resolve, inserting "ja" trampolines for conditional jumps over 255
	nlabels := e.nlabels
	for {
		addr := make([]int, len(items))
		labelAddr := make([]int, nlabels)
		n := 0
		for i, it := range items {
			if it.kind == fcItemLabel {
				labelAddr[it.label] = n
				continue
			}
			addr[i] = n
			n++
		}
		if n > fcMaxInstructions*4 {
			return nil, fmt.Errorf("filter too large (%d instructions, the limit is %d)", n, fcMaxInstructions)
		}
		var out []fcItem
		changed := false
		for i, it := range items {
			out = append(out, it)
			if it.kind != fcItemCond {
				continue
			}
			ci := len(out) - 1
			if labelAddr[it.jt]-addr[i]-1 > 255 {
				l := nlabels
				nlabels++
				out[ci].jt = l
				out = append(out, fcItem{kind: fcItemLabel, label: l}, fcItem{kind: fcItemJump, jt: it.jt})
				changed = true
			}
			if labelAddr[it.jf]-addr[i]-1 > 255 {
				l := nlabels
				nlabels++
				out[ci].jf = l
				out = append(out, fcItem{kind: fcItemLabel, label: l}, fcItem{kind: fcItemJump, jt: it.jf})
				changed = true
			}
		}
		items = out
		if changed {
			continue
		}
		if n > fcMaxInstructions {
			return nil, fmt.Errorf("filter too large (%d instructions, the limit is %d)", n, fcMaxInstructions)
		}
		prog := make([]bpf.Instruction, 0, n)
		for i, it := range items {
			switch it.kind {
			case fcItemIns:
				prog = append(prog, it.ins)
			case fcItemJump:
				prog = append(prog, bpf.Jump{Skip: uint32(labelAddr[it.jt] - addr[i] - 1)})
			case fcItemCond:
				st, sf := uint8(labelAddr[it.jt]-addr[i]-1), uint8(labelAddr[it.jf]-addr[i]-1)
				if it.useX {
					prog = append(prog, bpf.JumpIfX{Cond: it.cond, SkipTrue: st, SkipFalse: sf})
				} else {
					prog = append(prog, bpf.JumpIf{Cond: it.cond, Val: it.k, SkipTrue: st, SkipFalse: sf})
				}
			}
		}
		return prog, nil
	}
}
