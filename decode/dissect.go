package decode

import (
	"crypto/rsa"
	"strings"
	"sync"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Dissection runs in two tiers (see DESIGN): a fast pass that sees every
// packet once, in order, and keeps only compact per-frame and per-stream
// records; and full dissection of one packet on demand, which rebuilds that
// packet's tree from its bytes plus those records. Answers that need later
// packets (http.response_in, a retransmission seen only in hindsight) come
// from the records, so a full tree is the same whichever packet is asked
// for first.

// Options steer both tiers.
type Options struct {
	// Force maps TCP ports to an application protocol ("http", "tls"),
	// like tshark's -d tcp.port==N,proto. Detection is by content anyway;
	// this only decides ambiguous cases.
	Force map[uint16]string
	// Follow names the TCP stream whose bytes FollowTCP returns (tshark's
	// -z follow,tcp,…,N); only that stream's bytes are kept.
	Follow    int
	Following bool
	// Secrets are looked for in every frame and TCP stream (Exposures).
	Secrets [][]byte
	// Live: packets arrive from a live capture, and their rows are wanted
	// at once. The application stage then runs inside Add, and every Add
	// publishes what it learned: Row, Dissect and DissectFor may be called
	// for any packet added so far, beside further Adds (they take turns).
	// A row is then what the packets so far tell (a PDU still arriving
	// shows when it completes); Finish makes it final.
	Live bool
	// LayersOnly: only the layers' fields will be asked for (DissectFor
	// with a Want whose App is false): the application stage (HTTP,
	// TLS, exposure) does not run, and trees have no application layer.
	LayersOnly bool
	// KeyLog holds TLS secrets (key log files, pcapng Decryption Secrets
	// Blocks): the TLS sessions it has keys for are decrypted, and their
	// application data dissected as the protocol they carry. Lines may be
	// added while the fast pass runs (a key log still growing); a session
	// needs its secrets by the time its ServerHello is read.
	KeyLog *KeyLog
	// FernetKeys verify and decrypt the Fernet tokens in HTTP bodies
	// (fernet.verified, fernet.plaintext); the exposure stage looks for
	// the secrets in what they decrypt.
	FernetKeys []*fernet.Key
	// RSAKeys are servers' private keys (tshark's tls.keys_list): a TLS
	// 1.2 or earlier session with RSA key exchange to one of them is
	// decrypted without a key log.
	RSAKeys []*rsa.PrivateKey
	// MaxStreams bounds the TCP conversations, and the UDP ones, the fast
	// pass holds (0: no bound; DefaultMaxStreamsLive suits a live
	// capture): past it the least recently used are forgotten and counted
	// (LimitsHit, evict.go).
	MaxStreams int
	// TLSPSK is a TLS 1.2 pre-shared key (tshark's tls.psk), for sessions
	// with plain PSK key exchange (TLS_PSK_WITH_*).
	TLSPSK []byte
}

// Analyzer is the fast pass. Feed it every packet with Add, in capture
// order, then call Finish; after that Dissect builds any packet's tree.
type Analyzer struct {
	opts  Options
	dec   *Decoder
	first time.Time
	count int
	// Per-stage state; each stage keeps its own compact records.
	tcp  *tcpAnalysis
	app  *appAnalysis
	work *appWorker // runs app beside the rest; nil once finished
	lay  layerState // timestamps, IPv4 fragments (layer_frame.go)
	done bool
	err  *PanicError // the application stage's panic (Err)
	// mu (Options.Live): Add and Finish write, the tree tier reads.
	mu sync.RWMutex
}

// NewAnalyzer returns an empty fast pass.
func NewAnalyzer(opts Options) *Analyzer {
	a := &Analyzer{opts: opts, dec: NewDecoder()}
	a.tcp = newTCPAnalysis()
	a.tcp.maxStreams = opts.MaxStreams
	a.app = newAppAnalysis(opts)
	return a
}

// Add runs the fast pass over packet number n (1-based, consecutive).
func (a *Analyzer) Add(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) {
	if a.opts.Live {
		a.mu.Lock()
		defer a.mu.Unlock()
	}
	if a.count == 0 {
		a.first = ci.Timestamp
	}
	a.count = n
	a.lay.addTime(n, ci)
	f := a.dec.Decode(lt, data)
	if k := len(f.Layers); k > 0 {
		switch f.Layers[k-1] {
		case layers.LayerTypeIPv4: // a fragment, or a protocol the decoder leaves
			a.lay.addFragment(n, f)
		case layers.LayerTypeIPv6: // extension headers the decoder stops at
			a.lay.addIPv6Ext(f)
		}
	}
	if f.Has(layers.LayerTypeTCP) {
		if st := a.tcp.add(n, ci, f); st != nil && !a.opts.LayersOnly {
			if a.app.exp != nil {
				a.app.exp.frame(n, st.Index, data)
			}
			switch {
			case a.opts.Live:
				a.app.addTCP(n, ci, &f.TCP, segInfoOf(st))
				a.app.publish()
			case a.work == nil:
				a.work = newAppWorker(a.app)
				fallthrough
			default:
				a.work.add(n, ci, &f.TCP, st)
			}
		}
	} else if f.Has(layers.LayerTypeUDP) {
		a.tcp.addUDP(n, ci, f)
	} else {
		a.lay.addICMP(n, f) // echo requests and replies (layer_icmp.go)
	}
	if len(a.tcp.evictedNow) > 0 {
		for _, stream := range a.tcp.takeEvicted() {
			switch {
			case a.opts.LayersOnly:
			case a.opts.Live:
				a.app.evict(stream)
			case a.work != nil:
				a.work.evict(stream)
			}
		}
	}
}

// Finish ends the fast pass: streams still open are flushed.
func (a *Analyzer) Finish() {
	if a.opts.Live {
		a.mu.Lock()
		defer a.mu.Unlock()
	}
	if a.done {
		return
	}
	a.done = true
	if a.work != nil {
		a.err = a.work.wait()
		a.work = nil
	}
	if a.err != nil {
		// What the stage recorded before it failed is still worth
		// dissecting with; a second fault in sorting it is not news.
		defer func() { recover() }()
	}
	a.app.finish()
}

// Err is the fault that stopped the fast pass's application stage (a bug:
// a *PanicError), or nil. It is known once Finish has run; the packets
// after it have no HTTP or TLS records, but everything else stands.
func (a *Analyzer) Err() error {
	if a.err == nil {
		return nil // not a typed nil
	}
	return a.err
}

// Packets is how many packets the fast pass saw.
func (a *Analyzer) Packets() int { return a.count }

// LimitsHit counts what the fast pass let go to stay within its memory
// bounds: messages (HTTP/1.x, HTTP/2 frames, TLS records) of which it
// kept only a prefix, being longer than one may keep or arriving while
// too many others were (the budgets in http_fast.go, http2_fast.go,
// tls_fast.go). Their trees show that prefix.
// TCPEvicted and UDPEvicted count the conversations forgotten to stay
// within Options.MaxStreams.
type LimitsHit struct {
	HTTPCut, HTTP2Cut, TLSCut int64
	TCPEvicted, UDPEvicted    int64
}

// Any reports whether a bound was hit.
func (l LimitsHit) Any() bool {
	return l.HTTPCut+l.HTTP2Cut+l.TLSCut+l.TCPEvicted+l.UDPEvicted > 0
}

// LimitsHit is what the fast pass let go so far (see LimitsHit). Call it
// after Finish, or live between Adds.
func (a *Analyzer) LimitsHit() LimitsHit {
	defer a.reading()()
	return LimitsHit{HTTPCut: a.app.http.pending.cut, HTTP2Cut: a.app.h2.pending.cut, TLSCut: a.app.tls.pending.cut,
		TCPEvicted: a.tcp.tcpHeld.evicted, UDPEvicted: a.tcp.udpHeld.evicted}
}

// FirstTime is the first packet's timestamp (frame.time_relative's origin).
func (a *Analyzer) FirstTime() time.Time { return a.first }

// Dissect builds the full tree of packet n (the same n, ci, lt and data the
// fast pass saw). It may be called in any order after Finish, and from
// several goroutines at once: it only reads the fast pass's records.
func (a *Analyzer) Dissect(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) *Packet {
	defer a.reading()()
	// Its nodes come from the pools too: a caller that drops the packet
	// may give them back (Release); one that keeps it keeps them.
	p := pooledPacket(n, data)
	a.dissect(p, n, ci, lt, data)
	return p
}

// DissectShown is Dissect for a tree that is only printed as text (-V):
// hidden fields, which the printed tree leaves out, get no labels.
func (a *Analyzer) DissectShown(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) *Packet {
	defer a.reading()()
	p := pooledPacket(n, data)
	p.tree.shownOnly = true
	a.dissect(p, n, ci, lt, data)
	return p
}

// pooledPacket is packet n of frame data, from packetPool, its nodes
// from the tree's pools (Packet.Release gives both back).
func pooledPacket(n int, data []byte) *Packet {
	p := packetPool.Get().(*Packet)
	p.Number, p.pooled = n, true
	p.Sources = append(p.Sources, DataSource{Name: "Frame", Data: data})
	p.tree.pool = true
	return p
}

// Row is packet n's packet-list row: Dissect(…).Summary, without building
// the trees of the common layers (Ethernet, IP, TCP, UDP, HTTP headers),
// many times faster. Like Dissect it needs the fast pass finished.
func (a *Analyzer) Row(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) Summary {
	defer a.reading()()
	p := pooledPacket(n, data)
	p.lite = true
	a.dissect(p, n, ci, lt, data)
	s := p.Summary
	p.Release() // the row's strings are its own, not the tree's
	return s
}

// Want says what a tree-tier call is for (fields on demand): the values of
// some fields, with no labels, and without the dissectors none of those
// fields comes from. A display filter asks for the fields it names, -T
// fields for its -e fields.
type Want struct {
	app   bool // a field the application stage's dissectors make
	names map[string]bool
	// protos are the layers some wanted field is in; the others' trees
	// are skimmed as for a row (dctx.skim). all: none may be (a field
	// every layer adds to, like frame.protocols).
	protos map[string]bool
	all    bool
	// sieve has bit nameSieve(n) set for each kept name n: most nodes
	// are refused without hashing their names.
	sieve [4]uint64
	// under holds every dot-prefix of the wanted names ("tcp",
	// "tcp.flags" for tcp.flags.syn): a dissector skips a group of
	// nodes none of whose names is wanted (dctx.under).
	under map[string]bool
	// httpHeaders: a wanted field is made from an HTTP header line
	// (httpHeaderNode); else the HTTP dissector skips the header lines.
	httpHeaders bool
}

// App reports whether a wanted field comes from the application stage
// (so the fast pass must run it: Options.LayersOnly must be false).
func (w *Want) App() bool { return w.app }

// WantFields is a Want for the values of the named fields and protocols.
func WantFields(names []string) *Want {
	w := &Want{names: map[string]bool{}, protos: map[string]bool{}}
	for _, n := range names {
		if !layerField(n) {
			w.app = true
		}
		proto, _, _ := strings.Cut(n, ".")
		w.protos[proto] = true
		if kind, _, _ := LookupField(n); kind == KindProtocol && proto != "frame" {
			// A protocol's bytes (contains, matches) end where its IP
			// header says: IP's tree is needed.
			w.protos["ip"], w.protos["ipv6"] = true, true
		}
		switch {
		case n == "ip.version":
			// IPv6's tree carries ip.version too (tshark's hidden field).
			w.protos["ipv6"] = true
		case n == "frame.protocols", proto == "_ws", proto == "data":
			w.all = true
		}
		w.names[n] = true
		for _, d := range fieldNeeds[n] {
			w.names[d] = true
		}
		if len(n) >= 7 && n[:7] == "fernet." || n == "fernet" {
			// The Fernet dissector reads the HTTP bodies.
			w.names["http.file_data"] = true
		}
	}
	w.under = map[string]bool{}
	for n := range structural {
		w.names[n] = true
	}
	for n := range w.names {
		h := nameSieve(n)
		w.sieve[h>>6] |= 1 << (h & 63)
		for i := 0; i < len(n); i++ {
			if n[i] == '.' {
				w.under[n[:i]] = true
			}
		}
		w.under[n] = true
		if httpHeaderNode(n) {
			w.httpHeaders = true
		}
	}
	return w
}

// fieldNeeds are fields a field's dissector reads back from the tree.
var fieldNeeds = map[string][]string{}

// structural are the nodes the dissectors read back from the tree (the
// TCP stream and payload) and the display filter's
// protocol buffers (an IP header's lengths): always made.
var structural = map[string]bool{"tcp.stream": true, "tcp.payload": true, "ip.len": true, "ipv6.plen": true}

// skims reports whether layer proto's tree can be left out (what a row
// builds instead: its protocol node and what the layers above read).
func (w *Want) skims(proto string) bool { return !w.all && !w.protos[proto] }

// keeps reports whether a node named name, of kind, is made: what is
// asked for, every protocol, and the structural nodes.
func (w *Want) keeps(name string, kind Kind) bool {
	if kind == KindProtocol {
		return true
	}
	h := nameSieve(name)
	return w.sieve[h>>6]&(1<<(h&63)) != 0 && w.names[name]
}

// nameSieve is a cheap hash of a field name (its length, its middle
// byte and last two) into 0..255, for Want.sieve.
func nameSieve(name string) uint {
	n := len(name)
	if n < 2 {
		return uint(n)
	}
	return (uint(n)*37 + uint(name[n-1])*7 + uint(name[n-2])*3 + uint(name[n/2])*11) & 255
}

// wantsUnder reports whether a wanted name is prefix or starts with
// prefix and a dot.
func (w *Want) wantsUnder(prefix string) bool { return w.all || w.under[prefix] }

// layerPrefixes are the protocols dissectLayers makes alone.
var layerPrefixes = []string{"frame", "eth", "sll", "null", "ip", "ipv6", "icmp", "icmpv6", "udp", "arp", "vlan", "tcp"}

// layerField reports whether field (or protocol) name comes only from the
// layers' dissectors: not frame.protocols, which every dissector extends,
// nor what the application stage adds to the TCP tree for a PDU.
func layerField(name string) bool {
	switch name {
	case "frame.protocols", "tcp.reassembled_in", "tcp.segments", "tcp.segment", "tcp.segment.count",
		"tcp.reassembled.length", "tcp.reassembled.data":
		return false
	}
	for _, p := range layerPrefixes {
		if name == p || len(name) > len(p) && name[:len(p)] == p && name[len(p)] == '.' {
			return true
		}
	}
	return false
}

// DissectFor builds what w asks of packet n: every field w names has the
// values Dissect gives it, but labels are empty and the dissectors that
// cannot make those fields are not run. Call Release on the packet when
// done with it: its nodes are recycled.
func (a *Analyzer) DissectFor(w *Want, n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) *Packet {
	defer a.reading()()
	p := pooledPacket(n, data)
	p.tree.noLabels, p.tree.want = true, w
	tcpNode := a.dissectLayers(p, n, ci, lt, data)
	if tcpNode != nil && w.app {
		a.dissectApp(p, n, tcpNode)
	}
	return p
}

// reading takes the tree tier's turn beside a live fast pass; the
// function it returns ends it.
func (a *Analyzer) reading() func() {
	if !a.opts.Live {
		return func() {}
	}
	a.mu.RLock()
	return a.mu.RUnlock
}

func (a *Analyzer) dissect(p *Packet, n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) {
	// Layers (frame … IP, TCP/UDP/ICMP, with tcp.analysis from the fast
	// pass) are built by dissectLayers; the application layer on top of TCP
	// by the app stage, which knows which messages this frame completes.
	if tcpNode := a.dissectLayers(p, n, ci, lt, data); tcpNode != nil {
		a.dissectApp(p, n, tcpNode)
	}
}

// dissectApp adds the application layer on top of TCP.
func (a *Analyzer) dissectApp(p *Packet, n int, tcpNode *Field) {
	if a.opts.LayersOnly {
		return
	}
	if !a.app.tls.dissect(p, n, tcpNode) && !a.app.h2.dissect(p, n, tcpNode) {
		a.app.http.dissect(p, n, tcpNode)
	} else if a.app.tls.keys != nil {
		// HTTP/2 frames or HTTP messages of the decrypted data this frame
		// completes, in its decrypted payload or saved copies.
		if stream, ok := tcpStreamOf(tcpNode); ok && a.app.h2.isH2(stream) {
			if len(a.app.h2.frameCalls(n)) > 0 {
				info, proto, malformed := a.app.h2.appendFrames(p, n, stream, p.tlsApp, p.tlsAppSrc, 0)
				p.Summary.Protocol = proto
				p.Summary.Info = tcpInfoPrefix(p.Summary.Info) + info
				if malformed {
					p.Summary.Info += malformedNote
				}
			}
		} else if recs := a.app.http.frameRecs(n); len(recs) > 0 {
			a.app.http.dissectMessages(p, n, recs, p.tlsApp, p.tlsAppSrc, 0, true)
		} else if in, ok := a.app.http.decTable.in(n); ok && len(p.tlsApp) > 0 {
			tlsSegmentData(p, n, in)
		}
	}
	dissectFernet(p, a.opts.FernetKeys)
}
