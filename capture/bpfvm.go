package capture

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"
)

// Matcher runs a compiled filter over packets read from a file, as
// libpcap's bpf_filter does for offline reads. Unlike x/net/bpf's VM it
// knows a packet's wire length apart from its captured bytes — `greater`,
// `less` and `len` test the length on the wire, which a snap length cuts
// from the data — and it works on the raw instructions, without an
// interface call per instruction.
type Matcher struct {
	prog []bpf.RawInstruction
}

// NewMatcher assembles prog for Match.
func NewMatcher(prog []bpf.Instruction) (*Matcher, error) {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("capture: filter: %w", err)
	}
	if err := checkProgram(raw); err != nil {
		return nil, err
	}
	return &Matcher{prog: raw}, nil
}

// Classic BPF opcode fields (linux/filter.h, pcap/bpf.h).
const (
	bpfLD, bpfLDX, bpfST, bpfSTX, bpfALU, bpfJMP, bpfRET, bpfMISC = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
	bpfW, bpfH, bpfB                                              = 0x00, 0x08, 0x10
	bpfIMM, bpfABS, bpfIND, bpfMEM, bpfLEN, bpfMSH                = 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0
	bpfADD, bpfSUB, bpfMUL, bpfDIV, bpfOR, bpfAND, bpfLSH, bpfRSH = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
	bpfNEG, bpfMOD, bpfXOR                                        = 0x80, 0x90, 0xa0
	bpfJA, bpfJEQ, bpfJGT, bpfJGE, bpfJSET                        = 0x00, 0x10, 0x20, 0x30, 0x40
	bpfK, bpfX, bpfA                                              = 0x00, 0x08, 0x10
	bpfTAX, bpfTXA                                                = 0x00, 0x80
	// Linux ancillary loads: SKF_AD_OFF + SKF_AD_PKTTYPE / SKF_AD_PROTOCOL…
	skfAdOff = 0xfffff000
)

// Match reports whether the filter accepts a packet of wireLen bytes on the
// wire whose first len(data) bytes were captured. A load past the captured
// bytes rejects the packet, as in libpcap.
func (m *Matcher) Match(data []byte, wireLen int) bool {
	var a, x uint32
	var mem [16]uint32
	n := uint32(len(data))
	prog := m.prog
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		k := ins.K
		switch ins.Op & 0x07 {
		case bpfRET:
			if ins.Op&0x18 == bpfA {
				return a != 0
			}
			return k != 0
		case bpfLD, bpfLDX:
			var v uint32
			mode := ins.Op & 0xe0
			size := ins.Op & 0x18
			switch mode {
			case bpfIMM:
				v = k
			case bpfLEN:
				v = uint32(wireLen)
			case bpfMEM:
				v = mem[k&15]
			case bpfMSH: // ldx 4*([k]&0xf)
				if k >= n {
					return false
				}
				v = uint32(data[k]&0xf) << 2
			case bpfABS, bpfIND:
				off := k
				if mode == bpfIND {
					off += x
				}
				if k >= skfAdOff {
					return false // ancillary data: not in a file
				}
				var ok bool
				if v, ok = load(data, off, size); !ok {
					return false
				}
			}
			if ins.Op&0x07 == bpfLD {
				a = v
			} else {
				x = v
			}
		case bpfST:
			mem[k&15] = a
		case bpfSTX:
			mem[k&15] = x
		case bpfALU:
			operand := k
			if ins.Op&0x08 == bpfX {
				operand = x
			}
			switch ins.Op & 0xf0 {
			case bpfADD:
				a += operand
			case bpfSUB:
				a -= operand
			case bpfMUL:
				a *= operand
			case bpfDIV:
				if operand == 0 {
					return false
				}
				a /= operand
			case bpfMOD:
				if operand == 0 {
					return false
				}
				a %= operand
			case bpfOR:
				a |= operand
			case bpfAND:
				a &= operand
			case bpfXOR:
				a ^= operand
			case bpfLSH:
				a <<= operand & 31
			case bpfRSH:
				a >>= operand & 31
			case bpfNEG:
				a = -a
			}
		case bpfJMP:
			if ins.Op&0xf0 == bpfJA {
				pc += int(k)
				continue
			}
			operand := k
			if ins.Op&0x08 == bpfX {
				operand = x
			}
			var cond bool
			switch ins.Op & 0xf0 {
			case bpfJEQ:
				cond = a == operand
			case bpfJGT:
				cond = a > operand
			case bpfJGE:
				cond = a >= operand
			case bpfJSET:
				cond = a&operand != 0
			}
			if cond {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case bpfMISC:
			if ins.Op&0xf8 == bpfTAX {
				x = a
			} else {
				a = x
			}
		}
	}
	return false
}

func load(data []byte, off uint32, size uint16) (uint32, bool) {
	n := uint32(len(data))
	switch size {
	case bpfW:
		if off > n || n-off < 4 {
			return 0, false
		}
		return binary.BigEndian.Uint32(data[off:]), true
	case bpfH:
		if off > n || n-off < 2 {
			return 0, false
		}
		return uint32(binary.BigEndian.Uint16(data[off:])), true
	default:
		if off >= n {
			return 0, false
		}
		return uint32(data[off]), true
	}
}
