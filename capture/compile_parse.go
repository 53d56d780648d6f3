package capture

// Capture-filter compiler, stage 2 of 5: the parser (libpcap's grammar.y).
//
// fcParser reads the tokens of fcLex (compile_lex.go) and builds the AST
// of compile.go: and/or/not over primitives (fcPrim) and relations (fcRel),
// with qualifiers, abbreviations ("host a or b"), names, addresses and
// constant arithmetic resolved, and errors that carry a column. It hands
// the AST to code generation (compile_gen.go).

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

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

// joinNodes joins n and r by the connective conn (and, or).
func joinNodes(conn fcToken, n, r fcNode) fcNode {
	if conn.kw == fcKwAnd {
		return &fcAndNode{n, r}
	}
	return &fcOrNode{n, r}
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
		n = joinNodes(conn, n, r)
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
			n = joinNodes(conn, n, r)
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
