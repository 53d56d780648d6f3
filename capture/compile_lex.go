package capture

// Capture-filter compiler, stage 1 of 5: the lexer (libpcap's scanner.l).
// fcLex splits the expression into tokens and hands them to the parser
// (compile_parse.go).
//
// Lexer for the tcpdump / pcap-filter(7) capture-filter language.
//
// The token rules follow libpcap's scanner closely enough that every
// expression tcpdump accepts is split the same way: an identifier may contain
// '-', '_' and '.' in its middle (so "10-20", "tcp-syn" and "ftp-data" are one
// word), IPv6 and MAC addresses are single words, and ':' is an address
// character except between '[' and ']', where it separates offset and size.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// FilterError is a syntax or semantic error in a capture-filter expression.
type FilterError struct {
	Expr   string // the whole expression
	Column int    // 1-based column (byte offset + 1) of the offending token; len(Expr)+1 at the end
	Token  string // the offending token, "" at the end of the expression
	Msg    string // what is wrong
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("capture: filter: %s at column %d", e.Msg, e.Column)
}

type fcTokKind int

const (
	fcTokEOF     fcTokKind = iota
	fcTokKeyword           // a filter keyword (kw is set)
	fcTokNum               // a number or a named constant (num is set)
	fcTokHID               // dotted IPv4 address, possibly partial: 10, 10.1, 10.1.2 (not a bare number), 10.1.2.3
	fcTokHID6              // IPv6 address
	fcTokEID               // Ethernet MAC address
	fcTokID                // any other word (host or port name, port range, ...)
	fcTokEscaped           // \name: an identifier that is never a keyword
	fcTokOp                // operator or punctuation; text holds it
)

type fcKeyword int

const (
	fcKwNone fcKeyword = iota
	// protocol qualifiers (pname)
	fcKwLink
	fcKwIP
	fcKwIP6
	fcKwARP
	fcKwRARP
	fcKwTCP
	fcKwUDP
	fcKwSCTP
	fcKwICMP
	fcKwICMP6
	fcKwIGMP
	// direction qualifiers
	fcKwSrc
	fcKwDst
	// address qualifiers
	fcKwHost
	fcKwNet
	fcKwPort
	fcKwPortRange
	fcKwProto
	fcKwMask
	// connectives
	fcKwAnd
	fcKwOr
	fcKwNot
	// other primitives
	fcKwBroadcast
	fcKwMulticast
	fcKwLess
	fcKwGreater
	fcKwLen
	fcKwVlan
	// recognised pcap keywords that wiretap does not implement
	fcKwUnsupported
)

var fcKeywords = map[string]fcKeyword{
	"ether": fcKwLink, "link": fcKwLink,
	"ip": fcKwIP, "ip6": fcKwIP6, "arp": fcKwARP, "rarp": fcKwRARP,
	"tcp": fcKwTCP, "udp": fcKwUDP, "sctp": fcKwSCTP,
	"icmp": fcKwICMP, "icmp6": fcKwICMP6, "igmp": fcKwIGMP,
	"src": fcKwSrc, "dst": fcKwDst,
	"host": fcKwHost, "net": fcKwNet, "port": fcKwPort, "portrange": fcKwPortRange,
	"proto": fcKwProto, "mask": fcKwMask,
	"and": fcKwAnd, "or": fcKwOr, "not": fcKwNot,
	"broadcast": fcKwBroadcast, "multicast": fcKwMulticast,
	"less": fcKwLess, "greater": fcKwGreater, "len": fcKwLen, "length": fcKwLen,
	"vlan": fcKwVlan,
}

// fcUnsupportedKeywords are pcap-filter keywords outside wiretap's subset.
var fcUnsupportedKeywords = []string{
	"gateway", "protochain", "mpls", "pppoed", "pppoes", "geneve", "inbound", "outbound",
	"ifindex", "byte", "atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl", "iso",
	"esis", "es-is", "isis", "is-is", "clnp", "stp", "ipx", "netbeui", "ah", "esp", "pim",
	"vrrp", "carp", "igrp", "radio", "fddi", "tr", "wlan", "llc", "type", "subtype", "dir",
	"addr1", "addr2", "addr3", "addr4", "ra", "ta", "l1", "l2", "iih", "lsp", "snp", "csnp",
	"psnp", "lane", "oamf4", "oamf4ec", "oamf4sc", "oam", "metac", "bcc", "sc", "ilmic",
	"connectmsg", "metaconnect", "vpi", "vci", "on", "ifname", "rnr", "rulenum", "reason",
	"rset", "ruleset", "srnr", "subrulenum", "action", "fisu", "lssu", "msu", "hfisu",
	"hlssu", "hmsu", "sio", "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls", "hostname",
	"random", "rand",
}

func init() {
	for _, w := range fcUnsupportedKeywords {
		if _, ok := fcKeywords[w]; !ok {
			fcKeywords[w] = fcKwUnsupported
		}
	}
}

// fcNamedConstants are the symbolic numbers of pcap-filter(7); like libpcap,
// the lexer turns them into plain numbers.
var fcNamedConstants = map[string]uint32{
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5,
	"icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11,
	"icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15,
	"icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
	"icmp6type": 0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
	"icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
	"icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
	"icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133, "icmp6-routeradvert": 134,
	"icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139,
	"icmp6-nodeinformationresponse": 140, "icmp6-ineighbordiscoverysolicit": 141,
	"icmp6-ineighbordiscoveryadvert": 142, "icmp6-multicastlistenerreportv2": 143,
	"icmp6-homeagentdiscoveryrequest": 144, "icmp6-homeagentdiscoveryreply": 145,
	"icmp6-mobileprefixsolicit": 146, "icmp6-mobileprefixadvert": 147,
	"icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149,
	"icmp6-multicastrouteradvert": 151, "icmp6-multicastroutersolicit": 152,
	"icmp6-multicastrouterterm": 153,
}

type fcToken struct {
	kind fcTokKind
	text string // source text (without the backslash for fcTokEscaped)
	col  int    // 1-based column
	end  int    // byte offset just past the token

	kw     fcKeyword
	num    uint32     // fcTokNum
	v4     uint32     // fcTokHID: address bits, left-aligned to the parts given
	v4len  int        // fcTokHID: 8 * number of parts
	v6     netip.Addr // fcTokHID6
	mac    [6]byte    // fcTokEID
	errMsg string     // a word that looks like a number or address but is malformed
}

func (t fcToken) is(op string) bool { return t.kind == fcTokOp && t.text == op }

func (t fcToken) isKw(k fcKeyword) bool { return t.kind == fcTokKeyword && t.kw == k }

// describe renders the token for error messages.
func (t fcToken) describe() string {
	if t.kind == fcTokEOF {
		return "end of expression"
	}
	return strconv.Quote(t.text)
}

func fcIsAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// fcLex splits expr into tokens; the last one is fcTokEOF.
func fcLex(expr string) ([]fcToken, error) {
	var toks []fcToken
	depth := 0 // '[' nesting: ':' is punctuation inside brackets
	i := 0
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '\\':
			j := i + 1
			for j < len(expr) && !strings.ContainsRune(" \t\n\r!()", rune(expr[j])) {
				j++
			}
			if j == i+1 {
				return nil, &FilterError{Expr: expr, Column: i + 1, Token: "\\", Msg: `expected a name after "\"`}
			}
			toks = append(toks, fcToken{kind: fcTokEscaped, text: expr[i+1 : j], col: i + 1, end: j})
			i = j
			continue
		case fcIsAlnum(c) || (c == ':' && depth == 0):
			j := i
			for j < len(expr) {
				d := expr[j]
				if fcIsAlnum(d) || d == '.' || d == '_' || d == '-' || (d == ':' && depth == 0) {
					j++
					continue
				}
				break
			}
			// like libpcap, a word does not end in '-' or '_'
			for j > i+1 && (expr[j-1] == '-' || expr[j-1] == '_') {
				j--
			}
			toks = append(toks, fcClassify(expr[i:j], i+1, j))
			i = j
			continue
		}
		// operators
		two := ""
		if i+1 < len(expr) {
			two = expr[i : i+2]
		}
		switch two {
		case "&&", "||", "==", "!=", "<=", ">=", "<<", ">>":
			t := fcToken{kind: fcTokOp, text: two, col: i + 1, end: i + 2}
			switch two {
			case "&&":
				t = fcToken{kind: fcTokKeyword, kw: fcKwAnd, text: two, col: i + 1, end: i + 2}
			case "||":
				t = fcToken{kind: fcTokKeyword, kw: fcKwOr, text: two, col: i + 1, end: i + 2}
			}
			toks = append(toks, t)
			i += 2
			continue
		}
		if strings.IndexByte("()[]:+-*/%&|^!<>=", c) < 0 {
			r := []rune(expr[i:])[0]
			return nil, &FilterError{Expr: expr, Column: i + 1, Token: string(r),
				Msg: fmt.Sprintf("unexpected character %q", r)}
		}
		t := fcToken{kind: fcTokOp, text: string(c), col: i + 1, end: i + 1}
		switch c {
		case '!':
			t = fcToken{kind: fcTokKeyword, kw: fcKwNot, text: "!", col: i + 1, end: i + 1}
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		}
		toks = append(toks, t)
		i++
	}
	toks = append(toks, fcToken{kind: fcTokEOF, col: len(expr) + 1, end: len(expr)})
	return toks, nil
}

// fcClassify decides what a word is: keyword, number, address or identifier.
func fcClassify(w string, col, end int) fcToken {
	t := fcToken{kind: fcTokID, text: w, col: col, end: end}
	if kw, ok := fcKeywords[w]; ok {
		t.kind, t.kw = fcTokKeyword, kw
		return t
	}
	if v, ok := fcNamedConstants[w]; ok {
		t.kind, t.num = fcTokNum, v
		return t
	}
	if w[0] >= '0' && w[0] <= '9' && !strings.ContainsAny(w, ".:-_") {
		if v, msg := fcParseNumber(w); msg == "" {
			t.kind, t.num = fcTokNum, v
		} else if fcLooksNumeric(w) {
			t.errMsg = msg
		}
		return t
	}
	if strings.Contains(w, ":") {
		if a, err := netip.ParseAddr(w); err == nil && a.Is6() && a.Zone() == "" {
			t.kind, t.v6 = fcTokHID6, a
			return t
		}
		if mac, ok := fcParseMAC(w); ok {
			t.kind, t.mac = fcTokEID, mac
			return t
		}
		t.errMsg = fmt.Sprintf("invalid address %q", w)
		return t
	}
	if mac, ok := fcParseMAC(w); ok {
		t.kind, t.mac = fcTokEID, mac
		return t
	}
	if v, n, ok := fcParseHID(w); ok {
		t.kind, t.v4, t.v4len = fcTokHID, v, n
		return t
	}
	if strings.Trim(w, "0123456789.") == "" {
		t.errMsg = fmt.Sprintf("invalid IPv4 address %q", w)
	}
	return t
}

func fcLooksNumeric(w string) bool {
	if strings.HasPrefix(w, "0x") || strings.HasPrefix(w, "0X") {
		return true
	}
	return strings.Trim(w, "0123456789") == ""
}

// fcParseNumber parses decimal, 0x hexadecimal and 0-prefixed octal like libpcap.
func fcParseNumber(w string) (uint32, string) {
	base, digits := 10, w
	switch {
	case strings.HasPrefix(w, "0x") || strings.HasPrefix(w, "0X"):
		base, digits = 16, w[2:]
	case len(w) > 1 && w[0] == '0':
		base, digits = 8, w[1:]
	}
	if digits == "" {
		return 0, fmt.Sprintf("invalid number %q", w)
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, fmt.Sprintf("invalid number %q", w)
		}
		if d >= uint64(base) {
			if base == 8 {
				return 0, fmt.Sprintf("number %s contains a non-octal digit", w)
			}
			return 0, fmt.Sprintf("invalid number %q", w)
		}
		v = v*uint64(base) + d
		if v > 0xffffffff {
			return 0, fmt.Sprintf("number %s overflows 32 bits", w)
		}
	}
	return uint32(v), ""
}

// fcParseHID parses a dotted IPv4 address of 2 to 4 decimal parts; the value
// is not yet shifted: "10.1" gives 0x0a01 and 16 bits (libpcap's __pcap_atoin).
func fcParseHID(w string) (uint32, int, bool) {
	parts := strings.Split(w, ".")
	if len(parts) < 2 || len(parts) > 4 {
		return 0, 0, false
	}
	var v uint32
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return 0, 0, false
		}
		n, _ := strconv.Atoi(p)
		if n > 255 {
			return 0, 0, false
		}
		v = v<<8 | uint32(n)
	}
	return v, 8 * len(parts), true
}

// fcParseMAC accepts xx:xx:xx:xx:xx:xx (also with '-' or '.', 1 or 2 hex digits
// a part) and xxxx.xxxx.xxxx.
func fcParseMAC(w string) ([6]byte, bool) {
	var mac [6]byte
	hexv := func(s string) (uint64, bool) {
		v, err := strconv.ParseUint(s, 16, 64)
		return v, err == nil
	}
	for _, sep := range []string{":", "-", "."} {
		parts := strings.Split(w, sep)
		if len(parts) != 6 {
			continue
		}
		ok := true
		for i, p := range parts {
			if len(p) < 1 || len(p) > 2 {
				ok = false
				break
			}
			v, good := hexv(p)
			if !good {
				ok = false
				break
			}
			mac[i] = byte(v)
		}
		if ok {
			return mac, true
		}
	}
	if parts := strings.Split(w, "."); len(parts) == 3 {
		for i, p := range parts {
			if len(p) != 4 {
				return mac, false
			}
			v, good := hexv(p)
			if !good {
				return mac, false
			}
			mac[2*i], mac[2*i+1] = byte(v>>8), byte(v)
		}
		return mac, true
	}
	return mac, false
}
