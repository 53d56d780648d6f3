package capture

// Capture-filter compiler, stage 3 of 5: code generation (libpcap's gencode.c).
//
// filterCompiler turns the AST from the parser (compile_parse.go) into a
// tree of test blocks (fcB) with true/false exits, block for block what
// gencode.c generates: same tests, same order, same offsets. It hands the
// tree to the optimiser (compile_optimize.go).

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"
)

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

// pair generates the code of l and r.
func (g *filterCompiler) pair(l, r fcNode) (a, b fcB, err error) {
	if a, err = g.node(l); err != nil {
		return nil, nil, err
	}
	if b, err = g.node(r); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

func (g *filterCompiler) node(n fcNode) (fcB, error) {
	switch n := n.(type) {
	case *fcAndNode:
		a, b, err := g.pair(n.l, n.r)
		if err != nil {
			return nil, err
		}
		return fcAnd(a, b), nil
	case *fcOrNode:
		a, b, err := g.pair(n.l, n.r)
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
