package capture

// Capture-filter compiler: tcpdump / pcap-filter(7) syntax to classic BPF.
//
// This file is the public entry (CompileFilter, which runs the stages in
// turn) and what the stages share: the link layers and the AST the parser
// hands to code generation. The stages, one file each: compile_lex.go
// (tokens) -> compile_parse.go (AST) -> compile_gen.go (block tree) ->
// compile_optimize.go (block graph) -> compile_emit.go (instructions).
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
	"fmt"

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
