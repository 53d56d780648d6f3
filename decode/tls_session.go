package decode

// TLS decryption in the fast pass (Options.KeyLog), as Wireshark's TLS
// dissector does on its first pass: each session's hello randoms, cipher
// suite and extensions are read from its handshake; the key log gives the
// secrets; every protected record is opened in capture order with the
// direction's decryptor (tls_decrypt.go), whose sequence number counts the
// records as the sender did. What a record held is kept for the tree tier
// (tlsPlain), handshake messages in the clear drive the key schedule
// (TLS 1.3's Finished and KeyUpdate, TLS 1.2's ChangeCipherSpec, a
// renegotiation's new hellos), and application data goes on to the
// protocol the session carries (appData: HTTP/1.x today) through the same
// framer as plaintext TCP.

import (
	"bytes"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// tlsPlainBudget bounds the decrypted bytes the fast pass keeps for the
// records the tree tier cannot open again by themselves (RC4, and CBC
// before TLS 1.1, whose state runs from record to record), and for the
// followed stream (-z follow,tls); past it a record shows as decrypted
// but without its plaintext. Every other record is decrypted again, on
// demand, from its bytes and its keys (tlsEpoch).
const tlsPlainBudget = 64 << 20

// tlsCrypto is one session's decryption state during the fast pass, and
// what the tree tier says of it afterwards.
type tlsCrypto struct {
	clientDir    int // the direction that sent the ClientHello
	clientRandom []byte
	serverRandom []byte
	etm          bool // encrypt_then_mac negotiated (RFC 7366)
	tls12Ready   bool // next holds the keys of the last ServerHello
	// The fast pass's decryptors and their epochs (dropped when the
	// conversation ends).
	cur, next           [2]*tlsDecryptor // next: TLS ≤ 1.2, what ChangeCipherSpec turns on
	curEpoch, nextEpoch [2]int32
	// missing names the key log entry decryption needed and did not find
	// ("" when none was missing); why says what else stopped it.
	missing string
	why     string
	// protected counts each direction's protected records since the keys
	// changed (ServerHello, ChangeCipherSpec): where a key that arrives
	// late (a key log still being written) starts.
	protected [2]uint32
	// 0-RTT: the client offered early data (early), and the decryptors
	// to try on its first early record, one per TLS 1.3 suite it offered
	// (the resumed session's suite is not in the ClientHello).
	early    bool
	earlyTry []*tlsDecryptor
	// TLS ≤ 1.2 with RSA key exchange: the handshake so far (for the
	// extended master secret's session hash), whether the ServerHello
	// asked for that, and the master secret the pre-master secret gave.
	transcript []byte
	ems        bool
	master     []byte
}

// tlsEpoch is what opens one direction's records under one key: enough
// to make its decryptor again for the tree tier.
type tlsEpoch struct {
	suite   uint16
	version uint16
	tls13   bool
	secret  []byte // TLS 1.3: the traffic secret
	// TLS ≤ 1.2: the master secret and the hello randoms (shared with the
	// key log and the session), and which decryptor of the pair.
	master, clientRandom, serverRandom []byte
	etm, server                        bool
	// random: any record opens alone, given its sequence number (AEAD,
	// TLS 1.3, CBC with explicit IVs, NULL); else the fast pass keeps the
	// plaintext.
	random bool
}

// tlsRecDec is the fast pass's record of one protected record (16 bytes):
// which call and record it is, what it held, and how to open it again.
type tlsRecDec struct {
	call   int32
	rec    uint16
	inner  uint8 // its content type (TLS 1.3's inner type)
	status uint8
	epoch  int32
	seq    uint32
}

// tlsRecDec statuses.
const (
	tlsPlainOK      = iota // decrypted: opened again on demand, or kept
	tlsPlainNotKept        // decrypted, but neither kept nor to be opened again
	tlsPlainFailed         // did not open: err is tlsDecryptErrs[status-tlsPlainFailed]
)

// tlsDecryptErrs are the reasons a record does not open, by code.
var tlsDecryptErrs = []error{errTLSAuthFailed, errTLSBadMAC, errTLSBadPadding, errTLSRecordShort, errTLSRecordLong,
	errTLSRecordAlign, errTLSNoContentType}

func decryptErrCode(err error) uint8 {
	for i, e := range tlsDecryptErrs {
		if err == e {
			return uint8(tlsPlainFailed + i)
		}
	}
	return tlsPlainFailed
}

// plainKey is the key of a record: its call and index in the call.
func plainKey(call, rec int32) int64 { return int64(call)<<24 | int64(rec) }

// cryptoOf returns session sess's decryption state, creating it.
func (s *tlsStage) cryptoOf(sess int32) *tlsCrypto {
	cr := s.crypto[sess]
	if cr == nil {
		cr = &tlsCrypto{}
		s.crypto[sess] = cr
	}
	return cr
}

// newEpoch records what opens the records the fast pass's decryptor d
// opens, and returns its index.
func (s *tlsStage) newEpoch(d *tlsDecryptor, e tlsEpoch) int32 {
	e.suite, e.version, e.tls13 = d.suite.id, d.version, d.suite.tls13
	e.random = d.suite.tls13 || d.suite.bulk.kind == tlsAEADCipher || (d.suite.bulk.kind == tlsBlockCipher && d.version >= versionTLS11) ||
		(d.suite.bulk.kind == tlsStreamCipher && d.suite.bulk.keyLen == 0)
	s.epochs = append(s.epochs, e)
	return int32(len(s.epochs) - 1)
}

// setKeys makes d (of epoch e) direction dir's decryptor.
func (cr *tlsCrypto) setKeys(dir int, d *tlsDecryptor, e int32) { cr.cur[dir], cr.curEpoch[dir] = d, e }

// recDec finds the fast pass's record of record rec of call (the tree
// tier), nil if it was not a protected record of a session with keys.
func (s *tlsStage) recDec(call, rec int32) *tlsRecDec {
	i := sort.Search(len(s.decRecs), func(i int) bool {
		r := &s.decRecs[i]
		return r.call > call || r.call == call && int32(r.rec) >= rec
	})
	if i < len(s.decRecs) && s.decRecs[i].call == call && int32(s.decRecs[i].rec) == rec {
		return &s.decRecs[i]
	}
	return nil
}

// openRecord is a decrypted record's plaintext for the tree tier: kept,
// or opened again from its body (the record after its 5-byte header).
// ok is false when it was not decrypted; plain is nil when it was but is
// not at hand (tlsPlainNotKept, or its bytes were not kept).
func (s *tlsStage) openRecord(call, rec int32, h tlsRecordHeader, body []byte) (r *tlsRecDec, plain []byte, ok bool) {
	r = s.recDec(call, rec)
	if r == nil || r.status >= tlsPlainFailed {
		return r, nil, false
	}
	if kept, ok := s.kept[plainKey(call, rec)]; ok {
		return r, kept, true
	}
	if r.status != tlsPlainOK || !s.epochs[r.epoch].random || len(body) != h.length {
		return r, nil, true
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	d := s.cache.get(s, r.epoch)
	if d == nil {
		return r, nil, true
	}
	d.seq = uint64(r.seq)
	plain, _, err := d.decrypt(nil, h.contentType, h.version, body)
	if err != nil {
		return r, nil, true
	}
	return r, plain, true
}

// tlsDecCache keeps the decryptors the tree tier made last: a session's
// records are near each other in a capture.
type tlsDecCache struct {
	mu   sync.Mutex
	m    map[int32]*tlsDecryptor
	ring [64]int32
	next int
}

// get returns epoch e's decryptor, made again from its keys if needed.
func (c *tlsDecCache) get(s *tlsStage, e int32) *tlsDecryptor {
	if d := c.m[e]; d != nil {
		return d
	}
	ep := &s.epochs[e]
	var d *tlsDecryptor
	var err error
	if ep.tls13 {
		d, err = newTLS13Decryptor(ep.suite, ep.secret)
	} else {
		var cl, sv *tlsDecryptor
		cl, sv, err = newTLS12Decryptors(ep.version, ep.suite, ep.master, ep.clientRandom, ep.serverRandom, ep.etm)
		d = cl
		if ep.server {
			d = sv
		}
	}
	if err != nil {
		return nil
	}
	if c.m == nil {
		c.m = map[int32]*tlsDecryptor{}
		for i := range c.ring {
			c.ring[i] = -1
		}
	}
	if old := c.ring[c.next]; old >= 0 {
		delete(c.m, old)
	}
	c.ring[c.next], c.m[e] = e, d
	c.next = (c.next + 1) % len(c.ring)
	return d
}

// decryptRecord opens a protected record of direction dir, if the
// direction has keys; ok says it did (and the plaintext is then handled).
func (s *tlsStage) decryptRecord(c *tlsConn, dir, frame int, call, rec int32, h tlsRecordHeader, body []byte) bool {
	cr := s.crypto[c.sess]
	if cr == nil {
		return false
	}
	sess := &s.sessions[c.sess]
	if cr.cur[dir] == nil && len(cr.earlyTry) > 0 && dir == cr.clientDir && h.contentType == tlsApplicationData {
		s.pickEarlyKeys(cr, h, body)
	}
	if cr.cur[dir] == nil && cr.next[dir] != nil && sess.version == versionTLS13 && h.contentType == tlsApplicationData {
		// Early data without its secret, or the first record after it:
		// only the handshake keys open the latter.
		n := cr.next[dir]
		seq := n.seq
		if _, _, err := n.decrypt(s.plainBuf[:0], h.contentType, h.version, body); err != nil {
			n.seq = seq
			if cr.missing == "" {
				cr.missing = "CLIENT_EARLY_TRAFFIC_SECRET"
			}
			return false
		}
		n.seq = seq // opened again below
		cr.cur[dir], cr.curEpoch[dir], cr.next[dir] = n, cr.nextEpoch[dir], nil
	}
	if sess.version == versionTLS13 && h.contentType != tlsApplicationData {
		return false // ChangeCipherSpec (RFC 8446 §5) and alerts before the keys are in the clear
	}
	if cr.cur[dir] == nil && cr.next[dir] == nil && cr.serverRandom != nil {
		s.lateKeys(cr, sess, dir, h, body)
	}
	if cr.serverRandom != nil {
		cr.protected[dir]++
	}
	if cr.cur[dir] == nil {
		return false
	}
	d := cr.cur[dir]
	rd := tlsRecDec{call: call, rec: uint16(rec), epoch: cr.curEpoch[dir], seq: uint32(d.seq)}
	// Into a buffer of the stage's: what the stages after keep, they copy.
	plain, inner, err := d.decrypt(s.plainBuf[:0], h.contentType, h.version, body)
	if err != nil && cr.next[dir] != nil && sess.version == versionTLS13 {
		// Not early data (any more): the handshake keys.
		n := cr.next[dir]
		seq := n.seq
		if p2, in2, err2 := n.decrypt(s.plainBuf[:0], h.contentType, h.version, body); err2 == nil {
			plain, inner, err = p2, in2, nil
			cr.cur[dir], cr.curEpoch[dir], cr.next[dir] = n, cr.nextEpoch[dir], nil
			rd.epoch, rd.seq = cr.curEpoch[dir], uint32(seq)
		} else {
			n.seq = seq
		}
	}
	if cap(plain) > cap(s.plainBuf) {
		s.plainBuf = plain[:0]
	}
	if err != nil {
		rd.status = decryptErrCode(err)
		s.decRecsC.add(rd)
		return false
	}
	rd.inner = inner
	keep := !s.epochs[rd.epoch].random || (s.opts.Following && s.opts.Follow == c.stream && inner == tlsApplicationData)
	if keep {
		if s.plainLen+int64(len(plain)) > tlsPlainBudget {
			rd.status = tlsPlainNotKept
		} else {
			s.plainLen += int64(len(plain))
			s.kept[plainKey(call, rec)] = bytes.Clone(plain)
		}
	}
	s.decRecsC.add(rd)
	switch inner {
	case tlsHandshake:
		s.handshake(c, dir, frame, call, rec, plain, true)
	case tlsChangeCipherSpec:
		// A renegotiation's ChangeCipherSpec, sent under the old keys.
		s.changeCipherSpec(c, dir)
	case tlsApplicationData:
		if len(plain) == 0 {
			break
		}
		if s.events != nil {
			s.events.tlsDecrypted(c.stream, dir, frame, plain)
		}
		// Where the bytes are in the frame's decrypted payload (the
		// application data of its records, back to back: what the tree
		// tier hands HTTP as the frame's payload).
		if s.appFrame != frame {
			s.appFrame, s.appOff = frame, 0
		}
		if s.appData != nil {
			s.appData(c.stream, dir, frame, s.curTs, sess, plain, s.appOff)
		}
		s.appOff += len(plain)
	}
	return true
}

// helloKeys notes what a handshake message tells the key schedule (it is
// called for every complete handshake message, in the clear or
// decrypted, of a session being decrypted; ch and sh are the hellos
// handshakeMessage parsed, nil for other messages or when they did not
// parse).
func (s *tlsStage) helloKeys(c *tlsConn, dir int, sess *tlsSession, typ uint8, body []byte, ch *tlsClientHello, sh *tlsServerHello) {
	cr := s.cryptoOf(c.sess)
	if s.rsaWanted() && cr.master == nil && typ != hsHelloRequest {
		// RFC 7627 §3: the session hash covers the messages up to and
		// including the ClientKeyExchange.
		if typ == hsClientHello {
			cr.transcript = cr.transcript[:0]
		}
		cr.transcript = append(append(cr.transcript, typ, byte(len(body)>>16), byte(len(body)>>8), byte(len(body))), body...)
	}
	switch typ {
	case hsClientKeyExchange:
		if s.rsaWanted() && sess.version != versionTLS13 {
			s.premaster(cr, sess, body)
		}
		cr.transcript = nil
	case hsClientHello:
		if ch != nil {
			cr.clientDir, cr.clientRandom = dir, bytes.Clone(ch.random)
			s.earlyKeys(cr, ch)
		}
	case hsEndOfEarlyData:
		// The client's handshake keys start after it (RFC 8446 §4.5).
		if dir == cr.clientDir && cr.next[dir] != nil {
			cr.cur[dir], cr.curEpoch[dir], cr.next[dir] = cr.next[dir], cr.nextEpoch[dir], nil
		}
	case hsServerHello:
		if sh == nil || sh.isHRR() || cr.clientRandom == nil {
			return
		}
		cr.serverRandom = bytes.Clone(sh.random)
		cr.etm, cr.ems, cr.master = false, false, nil
		for _, e := range sh.extensions {
			switch e.typ {
			case extEncryptThenMAC:
				cr.etm = true
			case extExtendedMasterSecret:
				cr.ems = true
			}
		}
		cr.next, cr.tls12Ready, cr.protected = [2]*tlsDecryptor{}, false, [2]uint32{}
		if sess.version == versionTLS13 {
			s.tls13Keys(cr, sess)
		}
	case hsFinished:
		if sess.version == versionTLS13 && cr.cur[dir] != nil {
			// The application traffic keys start after each side's
			// Finished (RFC 8446 §7.1).
			s.tls13TrafficKeys(cr, sess, dir)
		}
	case hsKeyUpdate:
		if d := cr.cur[dir]; d != nil && sess.version == versionTLS13 {
			if err := d.keyUpdate(); err != nil {
				cr.cur[dir], cr.why = nil, err.Error()
			} else {
				cr.setKeys(dir, d, s.newEpoch(d, tlsEpoch{secret: d.secret}))
			}
		}
	}
}

// tls13Keys sets up both directions' handshake decryptors after the
// ServerHello (RFC 8446 §7.1).
func (s *tlsStage) tls13Keys(cr *tlsCrypto, sess *tlsSession) {
	sec, ok := s.keys.Lookup(cr.clientRandom)
	if !ok {
		cr.missing = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
		return
	}
	cd, sd := cr.clientDir, 1-cr.clientDir
	open := func(dir int, secret []byte, name string) {
		early := dir == cd && (cr.early || len(cr.earlyTry) > 0)
		if !early {
			cr.cur[dir] = nil
		}
		d, e := s.tls13Epoch(cr, sess, secret, name)
		switch {
		case d == nil:
		case early:
			// 0-RTT data may still come first: the handshake keys wait
			// for EndOfEarlyData, or for a record the early keys do not
			// open (early data the server refused is not sent on).
			cr.next[dir], cr.nextEpoch[dir] = d, e
		default:
			cr.setKeys(dir, d, e)
		}
	}
	open(cd, sec.ClientHandshake, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
	open(sd, sec.ServerHandshake, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
}

// tls13Epoch makes the decryptor of a TLS 1.3 traffic secret and its
// epoch; nil when the key log has no such secret (named name) or the
// suite cannot be opened, which cr then says.
func (s *tlsStage) tls13Epoch(cr *tlsCrypto, sess *tlsSession, secret []byte, name string) (*tlsDecryptor, int32) {
	if secret == nil {
		if cr.missing == "" {
			cr.missing = name
		}
		return nil, -1
	}
	d, err := newTLS13Decryptor(sess.cipher, secret)
	if err != nil {
		cr.why = err.Error()
		return nil, -1
	}
	return d, s.newEpoch(d, tlsEpoch{secret: secret})
}

// tls13TrafficKeys moves direction dir to its application traffic secret.
func (s *tlsStage) tls13TrafficKeys(cr *tlsCrypto, sess *tlsSession, dir int) {
	sec, _ := s.keys.Lookup(cr.clientRandom)
	secret, name := sec.ServerTraffic0, "SERVER_TRAFFIC_SECRET_0"
	if dir == cr.clientDir {
		secret, name = sec.ClientTraffic0, "CLIENT_TRAFFIC_SECRET_0"
	}
	cr.cur[dir] = nil
	if d, e := s.tls13Epoch(cr, sess, secret, name); d != nil {
		cr.setKeys(dir, d, e)
	}
}

// changeCipherSpec turns on direction dir's keys (TLS ≤ 1.2), made from
// the master secret and the last hellos' randoms at the first
// ChangeCipherSpec after them.
func (s *tlsStage) changeCipherSpec(c *tlsConn, dir int) {
	cr := s.crypto[c.sess]
	if cr == nil || cr.serverRandom == nil {
		return
	}
	sess := &s.sessions[c.sess]
	if !cr.tls12Ready {
		cr.tls12Ready = true
		sec, _ := s.keys.Lookup(cr.clientRandom)
		if cr.master != nil {
			sec.MasterSecret = cr.master // from the RSA key
		}
		if sec.MasterSecret == nil {
			cr.missing = "CLIENT_RANDOM"
		} else if cl, sv, err := newTLS12Decryptors(sess.version, sess.cipher, sec.MasterSecret, cr.clientRandom, cr.serverRandom, cr.etm); err != nil {
			cr.why = err.Error()
		} else {
			cr.next[cr.clientDir], cr.next[1-cr.clientDir] = cl, sv
			for d, dec := range cr.next {
				e := tlsEpoch{master: sec.MasterSecret, clientRandom: cr.clientRandom, serverRandom: cr.serverRandom, etm: cr.etm, server: d != cr.clientDir}
				cr.nextEpoch[d] = s.newEpoch(dec, e)
			}
		}
	}
	cr.cur[dir], cr.curEpoch[dir], cr.next[dir] = cr.next[dir], cr.nextEpoch[dir], nil
	cr.protected[dir] = 0
}

// decryptStatus says why a protected record of session sess is shown
// encrypted (the tree tier's tls.decrypt.status).
func (s *tlsStage) decryptStatus(sess int32, r *tlsRecDec) string {
	if r != nil && r.status >= tlsPlainFailed {
		return fmt.Sprintf("record did not decrypt: %v", tlsDecryptErrs[r.status-tlsPlainFailed])
	}
	cr := s.crypto[sess]
	switch {
	case cr == nil || cr.clientRandom == nil:
		return "no ClientHello seen: the capture starts after the handshake"
	case cr.missing != "":
		return "no " + cr.missing + " for this session in the key log"
	case cr.why != "":
		return cr.why
	case cr.serverRandom == nil:
		return "no ServerHello seen"
	}
	return "no keys for this record"
}

// FollowTLS returns the decrypted application data of TCP stream n, one
// chunk per direction and frame, in the order tshark -z follow,tls shows
// it, and the direction of the first frame with a decrypted record
// (tshark's node 0; -1 when none was). The stream must have been asked for before the fast
// pass (Options.Follow), with a key log (Options.KeyLog); data over the
// plaintext budget is missing.
func (a *Analyzer) FollowTLS(stream int) (chunks []FollowChunk, first int, err error) {
	if !a.done {
		return nil, 0, fmt.Errorf("decode: FollowTLS before the fast pass finished")
	}
	s := a.app.tls
	if stream < 0 || stream >= len(a.tcp.streams) {
		return nil, 0, fmt.Errorf("decode: no TCP stream %d (the capture has %d)", stream, len(a.tcp.streams))
	}
	if !a.opts.Following || a.opts.Follow != stream {
		return nil, 0, fmt.Errorf("decode: TCP stream %d was not followed (set Options.Follow before reading the capture)", stream)
	}
	if !s.isTLS(stream) || s.keys == nil {
		return nil, -1, nil
	}
	sess := s.streams[stream] - 1
	first = -1
	for _, r := range s.decRecs {
		call := &s.calls[r.call]
		if call.sess != sess {
			continue
		}
		if first < 0 && r.status < tlsPlainFailed {
			first = int(call.dir)
		}
		pl := s.kept[plainKey(r.call, int32(r.rec))]
		if r.inner != tlsApplicationData || len(pl) == 0 {
			continue
		}
		if k := len(chunks) - 1; k >= 0 && chunks[k].Frame == int(call.frame) && chunks[k].Dir == int(call.dir) {
			chunks[k].Data = append(chunks[k].Data, pl...)
			continue
		}
		chunks = append(chunks, FollowChunk{Dir: int(call.dir), Frame: int(call.frame), Data: bytes.Clone(pl)})
	}
	return chunks, first, nil
}

// rsaWanted says whether key exchanges without a key log can be opened:
// an RSA private key or a PSK was given, or the key log has RSA lines.
func (s *tlsStage) rsaWanted() bool {
	return len(s.opts.RSAKeys) > 0 || len(s.opts.TLSPSK) > 0 || s.keys.hasRSA()
}

// premaster recovers the master secret of an RSA or PSK key exchange from
// the ClientKeyExchange: the pre-master secret decrypted with the server's
// private key or found in the key log's RSA lines (RFC 5246 §7.4.7.1), or
// made from the pre-shared key (RFC 4279 §2); then the PRF's "master
// secret" (RFC 5246 §8.1) or, with the extension, "extended master
// secret" over the session hash (RFC 7627 §4).
func (s *tlsStage) premaster(cr *tlsCrypto, sess *tlsSession, body []byte) {
	suite, err := tlsCipherSuiteByID(sess.cipher)
	if err != nil || cr.clientRandom == nil || cr.serverRandom == nil {
		return
	}
	var pms []byte
	switch {
	case strings.HasPrefix(suite.name, "TLS_RSA_WITH_"):
		if pms = s.rsaPremaster(cr, sess, body); pms == nil {
			return
		}
	case strings.HasPrefix(suite.name, "TLS_PSK_WITH_") && len(s.opts.TLSPSK) > 0:
		// other_secret (N zeros) and the PSK, each with its length.
		n := len(s.opts.TLSPSK)
		pms = append(append(append([]byte{byte(n >> 8), byte(n)}, make([]byte, n)...), byte(n>>8), byte(n)), s.opts.TLSPSK...)
	default:
		return
	}
	if sess.version == versionSSL3 {
		cr.why = "ssl 3.0 key exchange is not decrypted without a key log"
		return
	}
	if cr.ems {
		var hash []byte
		if sess.version >= versionTLS12 {
			h := suite.hash.New()
			h.Write(cr.transcript)
			hash = h.Sum(nil)
		} else {
			m, s1 := md5.Sum(cr.transcript), sha1.Sum(cr.transcript)
			hash = append(m[:], s1[:]...)
		}
		cr.master = tlsPRF(sess.version, suite.hash, pms, "extended master secret", hash, masterLen)
		return
	}
	seed := append(bytes.Clone(cr.clientRandom), cr.serverRandom...)
	cr.master = tlsPRF(sess.version, suite.hash, pms, "master secret", seed, masterLen)
}

// rsaPremaster is the pre-master secret of an RSA ClientKeyExchange, nil
// when neither a key nor the key log opens it.
func (s *tlsStage) rsaPremaster(cr *tlsCrypto, sess *tlsSession, body []byte) []byte {
	epms := body
	if sess.version >= versionTLS10 {
		// TLS: a two-byte length first (SSL 3.0 sent it bare).
		if len(body) < 2 || int(be16(body)) != len(body)-2 {
			return nil
		}
		epms = body[2:]
	}
	if pms, ok := s.keys.LookupRSA(epms); ok {
		return pms
	}
	for _, k := range s.opts.RSAKeys {
		if p, err := rsa.DecryptPKCS1v15(nil, k, epms); err == nil && len(p) == masterLen {
			return p
		}
	}
	if cr.missing == "" {
		cr.missing = "RSA private key for the server's certificate"
	}
	return nil
}

// earlyKeys prepares the 0-RTT decryptors of a ClientHello that offers
// early data (RFC 8446 §4.2.10) and whose CLIENT_EARLY_TRAFFIC_SECRET the
// key log has: one per TLS 1.3 suite offered whose hash fits the secret.
func (s *tlsStage) earlyKeys(cr *tlsCrypto, m *tlsClientHello) {
	cr.early, cr.earlyTry = false, nil
	for _, e := range m.extensions {
		cr.early = cr.early || e.typ == extEarlyData
	}
	if !cr.early {
		return
	}
	sec, ok := s.keys.Lookup(cr.clientRandom)
	if !ok || sec.ClientEarly == nil {
		return
	}
	for _, id := range m.cipherSuites {
		if id>>8 != 0x13 {
			continue
		}
		if d, err := newTLS13Decryptor(id, sec.ClientEarly); err == nil && d.suite.hash.Size() == len(sec.ClientEarly) {
			cr.earlyTry = append(cr.earlyTry, d)
		}
	}
}

// pickEarlyKeys finds which of the early decryptors opens the client's
// first early record: that is the resumed session's suite.
func (s *tlsStage) pickEarlyKeys(cr *tlsCrypto, h tlsRecordHeader, body []byte) {
	sec, _ := s.keys.Lookup(cr.clientRandom)
	for _, d := range cr.earlyTry {
		if _, _, err := d.decrypt(nil, h.contentType, h.version, body); err == nil {
			d.seq = 0 // decryptRecord opens it again
			cr.setKeys(cr.clientDir, d, s.newEpoch(d, tlsEpoch{secret: sec.ClientEarly}))
			break
		}
	}
	cr.earlyTry = nil
}

// lateKeys tries secrets that were not in the key log when the keys
// changed (a key log still being written while capturing, a secrets block
// written after the ServerHello): on the first protected record without
// a decryptor, the handshake secret at the record's place since the
// ServerHello, else the first traffic secret at the first few places
// (the handshake records before it unknown), else, for TLS ≤ 1.2, the
// master secret at its place since the ChangeCipherSpec.
func (s *tlsStage) lateKeys(cr *tlsCrypto, sess *tlsSession, dir int, h tlsRecordHeader, body []byte) {
	sec, ok := s.keys.Lookup(cr.clientRandom)
	if !ok {
		return
	}
	n := uint64(cr.protected[dir])
	opens := func(d *tlsDecryptor, seq uint64) bool {
		d.seq = seq
		_, _, err := d.decrypt(s.plainBuf[:0], h.contentType, h.version, body)
		d.seq = seq
		return err == nil
	}
	if sess.version != versionTLS13 {
		if !cr.tls12Ready || sec.MasterSecret == nil {
			return
		}
		cl, sv, err := newTLS12Decryptors(sess.version, sess.cipher, sec.MasterSecret, cr.clientRandom, cr.serverRandom, cr.etm)
		if err != nil {
			return
		}
		d := sv
		if dir == cr.clientDir {
			d = cl
		}
		if opens(d, n) {
			e := tlsEpoch{master: sec.MasterSecret, clientRandom: cr.clientRandom, serverRandom: cr.serverRandom, etm: cr.etm, server: dir != cr.clientDir}
			cr.setKeys(dir, d, s.newEpoch(d, e))
			cr.missing = ""
		}
		return
	}
	hs, tr := sec.ServerHandshake, sec.ServerTraffic0
	if dir == cr.clientDir {
		hs, tr = sec.ClientHandshake, sec.ClientTraffic0
	}
	if hs != nil {
		if d, err := newTLS13Decryptor(sess.cipher, hs); err == nil && opens(d, n) {
			cr.setKeys(dir, d, s.newEpoch(d, tlsEpoch{secret: hs}))
			cr.missing = ""
			return
		}
	}
	if tr != nil {
		if d, err := newTLS13Decryptor(sess.cipher, tr); err == nil {
			for k := uint64(0); k <= min(n, 16); k++ {
				if opens(d, k) {
					cr.setKeys(dir, d, s.newEpoch(d, tlsEpoch{secret: tr}))
					cr.missing = ""
					return
				}
			}
		}
	}
}
