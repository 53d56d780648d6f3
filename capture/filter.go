package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// MaxSnapLen is the snap length tcpdump and libpcap use, and the value
// accepting filters built here return (like `tcpdump -d` programs do).
const MaxSnapLen = 262144

// maxFilterLen is the kernel's BPF_MAXINSNS.
const maxFilterLen = 4096

// Offsets into an Ethernet frame, as tcpdump uses them.
const (
	ethTypeOff   = 12
	ethHdrLen    = 14
	ipv4ProtoOff = ethHdrLen + 9  // 23
	ipv4FragOff  = ethHdrLen + 6  // 20: flags and fragment offset
	ipv6NextOff  = ethHdrLen + 6  // 20
	ipv6SrcPort  = ethHdrLen + 40 // 54
	ipv6DstPort  = ethHdrLen + 42 // 56
	etherTypeIP4 = 0x0800
	etherTypeIP6 = 0x86dd
	protoTCP     = 6
)

// TCPPortsFilter returns a classic BPF program for Ethernet framing that
// accepts IPv4 and IPv6 TCP packets whose source or destination port is one
// of ports: the equivalent of tcpdump 'tcp port A or tcp port B …'.
//
// Like tcpdump it only looks at ports in IPv4 packets that are not
// non-first fragments (fragment offset 0; later fragments carry no TCP
// header), and in IPv6 packets whose first next-header is TCP (no extension
// headers). Accepted packets return MaxSnapLen, rejected ones 0.
//
// With no ports the filter accepts nothing (an empty "or" is false).
//
// The program is laid out so that every conditional jump skips at most one
// instruction (an accept or reject return sits next to each test), so it works
// for any number of ports up to the kernel's 4096 instruction limit.
func TCPPortsFilter(ports ...uint16) []bpf.Instruction {
	ports = dedupePorts(ports)
	reject := bpf.RetConstant{Val: 0}
	accept := bpf.RetConstant{Val: MaxSnapLen}
	if len(ports) == 0 {
		return []bpf.Instruction{reject}
	}

	// matchPorts: A holds a port; accept if it is one of ports, else fall
	// through past the checks.
	matchPorts := func(p []bpf.Instruction) []bpf.Instruction {
		for _, port := range ports {
			p = append(p,
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipTrue: 0, SkipFalse: 1},
				accept,
			)
		}
		return p
	}

	// IPv6 section, reached when the EtherType is 0x86dd.
	ip6 := []bpf.Instruction{
		bpf.LoadAbsolute{Off: ipv6NextOff, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoTCP, SkipTrue: 1},
		reject,
		bpf.LoadAbsolute{Off: ipv6SrcPort, Size: 2},
	}
	ip6 = matchPorts(ip6)
	ip6 = append(ip6, bpf.LoadAbsolute{Off: ipv6DstPort, Size: 2})
	ip6 = matchPorts(ip6)
	ip6 = append(ip6, reject)

	// IPv4 section; A still holds the EtherType.
	ip4 := []bpf.Instruction{
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIP4, SkipTrue: 1},
		reject,
		bpf.LoadAbsolute{Off: ipv4ProtoOff, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoTCP, SkipTrue: 1},
		reject,
		bpf.LoadAbsolute{Off: ipv4FragOff, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipFalse: 1},
		reject,
		bpf.LoadMemShift{Off: ethHdrLen}, // X = IPv4 header length
		bpf.LoadIndirect{Off: ethHdrLen, Size: 2},
	}
	ip4 = matchPorts(ip4)
	ip4 = append(ip4, bpf.LoadIndirect{Off: ethHdrLen + 2, Size: 2})
	ip4 = matchPorts(ip4)
	ip4 = append(ip4, reject)

	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: ethTypeOff, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIP6, SkipTrue: 1},
		bpf.Jump{Skip: uint32(len(ip6))}, // not IPv6: go to the IPv4 section
	}
	prog = append(prog, ip6...)
	return append(prog, ip4...)
}

func dedupePorts(ports []uint16) []uint16 {
	seen := make(map[uint16]bool, len(ports))
	out := make([]uint16, 0, len(ports))
	for _, p := range ports {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// pktTypeOutgoing is PACKET_OUTGOING, the packet type the kernel gives the
// copy of a packet that this host sends.
const pktTypeOutgoing = 4

// kernelProgram builds the program OpenLive attaches to the socket: a
// prologue rejecting outgoing packets (on lo every packet is seen twice, once
// sent and once received; tcpdump keeps only the received copy), then the
// caller's filter with its accepting returns capped at snapLen so the kernel
// truncates packets to the snap length. A nil filter accepts everything.
func kernelProgram(filter []bpf.Instruction, snapLen int) ([]bpf.RawInstruction, error) {
	prog := []bpf.Instruction{
		// What `tcpdump -d outbound` shows as `ldh [type]` / `ld [-4092]`.
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: pktTypeOutgoing, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
	}
	if len(filter) == 0 {
		prog = append(prog, bpf.RetConstant{Val: uint32(snapLen)})
	} else {
		for _, ins := range filter {
			if r, ok := ins.(bpf.RetConstant); ok && r.Val > uint32(snapLen) {
				ins = bpf.RetConstant{Val: uint32(snapLen)}
			}
			prog = append(prog, ins)
		}
	}
	if len(prog) > maxFilterLen {
		return nil, fmt.Errorf("capture: filter has %d instructions, the kernel takes at most %d", len(filter), maxFilterLen-3)
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("capture: invalid filter: %w", err)
	}
	// A RawInstruction in the caller's filter bypasses the RetConstant cap
	// above; cap its returns too.
	for i := range raw {
		if raw[i].Op == retConstantOp && raw[i].K > uint32(snapLen) {
			raw[i].K = uint32(snapLen)
		}
	}
	if err := checkProgram(raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// BPF opcodes used to check programs.
const (
	clsMask       = 0x07
	clsJmp        = 0x05
	clsRet        = 0x06
	jmpOpMask     = 0xf0
	jmpJA         = 0x00
	retConstantOp = clsRet | 0x00 // BPF_RET|BPF_K
)

// checkProgram rejects programs the kernel would refuse with a bare EINVAL,
// so the error can say why: jumps past the end, no return at the end.
func checkProgram(raw []bpf.RawInstruction) error {
	n := len(raw)
	if n == 0 {
		return fmt.Errorf("capture: invalid filter: empty program")
	}
	for i, ins := range raw {
		if ins.Op&clsMask != clsJmp {
			continue
		}
		if ins.Op&jmpOpMask == jmpJA {
			if uint64(i)+1+uint64(ins.K) >= uint64(n) {
				return fmt.Errorf("capture: invalid filter: instruction %d jumps past the end", i)
			}
			continue
		}
		if i+1+int(ins.Jt) >= n || i+1+int(ins.Jf) >= n {
			return fmt.Errorf("capture: invalid filter: instruction %d jumps past the end", i)
		}
	}
	if raw[n-1].Op&clsMask != clsRet {
		return fmt.Errorf("capture: invalid filter: the last instruction must be a return")
	}
	return nil
}
