package capture

// Capture-filter compiler, stage 5 of 5: emission (the code layout of
// libpcap's optimize.c).
//
// fcEmit lays out the optimised block graph from compile_optimize.go as
// linear code with forward jumps, inserts "ja" trampolines where a
// conditional jump would exceed 255 instructions and skips reloading a
// value already in A or X. It hands the finished []bpf.Instruction back
// to CompileFilter (compile.go).

import (
	"fmt"

	"golang.org/x/net/bpf"
)

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
