package capture

// Capture-filter compiler, stage 4 of 5: the optimiser (libpcap's optimize.c).
//
// fcBuildGraph turns the block tree from code generation (compile_gen.go)
// into a DAG of blocks (fcGraph), and optimize does to it what libpcap's
// optimiser does to its flow graph: jump threading, removal of tests whose
// exits meet, or/and pull-ups, opt_root. It hands the graph to emission
// (compile_emit.go).

import (
	"fmt"

	"golang.org/x/net/bpf"
)

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
