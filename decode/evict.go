package decode

import "slices"

// Conversation eviction (Options.MaxStreams). Every TCP and UDP
// conversation costs a record of a few hundred bytes plus what the
// application stage keeps of it, and a flood of new connections (a SYN
// flood is 200,000 of them in seconds) would grow that without end. With a
// bound, once more conversations are held than it allows, the least
// recently used eighth are forgotten: their records go, the application
// stage closes them as if the capture had ended for them, and the count
// is reported (LimitsHit). A packet of a forgotten conversation later
// starts a new one, with a new stream index: tshark, which never forgets,
// would number it as the old one. Evicting an eighth at a time keeps the
// sort's cost, amortised, to a few comparisons a new conversation.

// DefaultMaxStreamsLive is the bound of a live capture's fast pass (about
// 100 MB of conversation state at worst); reading a file has none unless
// asked, as tshark has none.
const DefaultMaxStreamsLive = 100_000

// evictor keeps count of one kind of conversation held.
type evictor struct {
	held    int   // records in memory
	evicted int64 // records forgotten
}

// over reports whether a new conversation makes the held ones too many.
func (e *evictor) over(limit int) bool {
	e.held++
	return limit > 0 && e.held > limit
}

// oldestEighth returns the positions (in lasts' order) of the least
// recently used eighth of held conversations, lasts being their last
// frames (0 for one already gone).
func oldestEighth(lasts []int, held int) []int {
	type aged struct{ last, at int }
	all := make([]aged, 0, held)
	for i, l := range lasts {
		if l > 0 {
			all = append(all, aged{l, i})
		}
	}
	slices.SortFunc(all, func(a, b aged) int { return a.last - b.last })
	drop := make([]int, 0, max(1, len(all)/8))
	for _, a := range all[:min(len(all), max(1, len(all)/8))] {
		drop = append(drop, a.at)
	}
	slices.Sort(drop)
	return drop
}

// evictTCP forgets the least recently used eighth of the TCP
// conversations held; their indexes wait in t.evictedNow for the
// application stage.
func (t *tcpAnalysis) evictTCP() {
	lasts := make([]int, len(t.streams))
	for i, st := range t.streams {
		if st != nil {
			lasts[i] = st.LastFrame
		}
	}
	for _, i := range oldestEighth(lasts, t.tcpHeld.held) {
		st := t.streams[i]
		key := makeConvKey(st.Client.Addr, st.Server.Addr, st.Client.Port, st.Server.Port)
		if t.byKey[key] == st {
			delete(t.byKey, key)
		}
		if t.last == st {
			t.last = nil
		}
		t.streams[i] = nil
		t.tcpHeld.held--
		t.tcpHeld.evicted++
		t.evictedNow = append(t.evictedNow, i)
	}
}

// evictUDP is evictTCP for UDP conversations (no stage holds them).
func (t *tcpAnalysis) evictUDP() {
	lasts := make([]int, len(t.udp))
	for i, u := range t.udp {
		if u != nil {
			lasts[i] = u.LastFrame
		}
	}
	for _, i := range oldestEighth(lasts, t.udpHeld.held) {
		u := t.udp[i]
		key := makeConvKey(u.A.Addr, u.B.Addr, u.A.Port, u.B.Port)
		if t.udpKey[key] == u {
			delete(t.udpKey, key)
		}
		t.udp[i] = nil
		t.udpHeld.held--
		t.udpHeld.evicted++
	}
}

// takeEvicted returns the TCP streams evicted since the last call.
func (t *tcpAnalysis) takeEvicted() []int {
	ev := t.evictedNow
	t.evictedNow = t.evictedNow[:0]
	return ev
}

// held returns the records of s still in memory: s itself unless some
// were evicted.
func held[T any](s []*T, evicted int64) []*T {
	if evicted == 0 {
		return s
	}
	out := make([]*T, 0, len(s))
	for _, v := range s {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// evict closes a forgotten stream in the application stage, as the end of
// the capture would: what its PDUs completed stays, what was still
// arriving is given up.
func (a *appAnalysis) evict(stream int) {
	if a.r.seq != nil && a.r.seq.conns[stream] != nil {
		a.r.seq.closeAll(stream)
	}
	a.closed(stream)
}
