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
	"fmt"
)

// tlsPlainBudget bounds the decrypted bytes kept for the tree tier; past
// it a record shows as decrypted but without its plaintext.
const tlsPlainBudget = 64 << 20

// tlsCrypto is one session's decryption state during the fast pass, and
// what the tree tier says of it afterwards.
type tlsCrypto struct {
	clientDir    int // the direction that sent the ClientHello
	clientRandom []byte
	serverRandom []byte
	etm          bool // encrypt_then_mac negotiated (RFC 7366)
	tls12Ready   bool // next holds the keys of the last ServerHello
	cur          [2]*tlsDecryptor
	next         [2]*tlsDecryptor // TLS ≤ 1.2: what ChangeCipherSpec turns on
	// missing names the key log entry decryption needed and did not find
	// ("" when none was missing); why says what else stopped it.
	missing string
	why     string
}

// tlsPlain is what one protected record held.
type tlsPlain struct {
	data   []byte // the plaintext (nil when not kept)
	inner  uint8  // its content type (TLS 1.3's inner type)
	status uint8
	err    error // tlsPlainFailed: why
}

// tlsPlain statuses.
const (
	tlsPlainOK      = iota // decrypted, data kept
	tlsPlainNotKept        // decrypted, over the budget
	tlsPlainFailed         // did not authenticate, or malformed
)

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

// plainOf returns what record rec of call held, nil if it was not
// decrypted (the tree tier).
func (s *tlsStage) plainOf(call, rec int32) *tlsPlain {
	if s.plain == nil {
		return nil
	}
	return s.plain[plainKey(call, rec)]
}

// decryptRecord opens a protected record of direction dir, if the
// direction has keys; ok says it did (and the plaintext is then handled).
func (s *tlsStage) decryptRecord(c *tlsConn, dir, frame int, call, rec int32, h tlsRecordHeader, body []byte) bool {
	cr := s.crypto[c.sess]
	if cr == nil || cr.cur[dir] == nil {
		return false
	}
	sess := &s.sessions[c.sess]
	if sess.version == versionTLS13 && h.contentType != tlsApplicationData {
		return false // ChangeCipherSpec (RFC 8446 §5) and alerts before the keys are in the clear
	}
	plain, inner, err := cr.cur[dir].decrypt(make([]byte, 0, len(body)), h.contentType, h.version, body)
	key := plainKey(call, rec)
	if err != nil {
		s.plain[key] = &tlsPlain{status: tlsPlainFailed, err: err}
		return false
	}
	rp := &tlsPlain{data: plain, inner: inner}
	if s.plainLen+int64(len(plain)) > tlsPlainBudget {
		rp.data, rp.status = nil, tlsPlainNotKept
	} else {
		s.plainLen += int64(len(plain))
	}
	s.plain[key] = rp
	switch inner {
	case tlsHandshake:
		s.handshake(c, dir, frame, call, rec, plain, true)
	case tlsChangeCipherSpec:
		// A renegotiation's ChangeCipherSpec, sent under the old keys.
		s.changeCipherSpec(c, dir)
	case tlsApplicationData:
		if s.events != nil && len(plain) > 0 {
			s.events.tlsDecrypted(c.stream, dir, frame, plain)
		}
		if s.appData != nil && len(plain) > 0 {
			s.appData(c.stream, dir, frame, s.curTs, sess, plain)
		}
	}
	return true
}

// helloKeys notes what a hello message tells the key schedule (it is
// called for every complete handshake message, in the clear or
// decrypted, of a session being decrypted).
func (s *tlsStage) helloKeys(c *tlsConn, dir int, sess *tlsSession, typ uint8, body []byte) {
	cr := s.cryptoOf(c.sess)
	switch typ {
	case hsClientHello:
		if m, err := parseClientHello(body); err == nil {
			cr.clientDir, cr.clientRandom = dir, bytes.Clone(m.random)
		}
	case hsServerHello:
		m, err := parseServerHello(body)
		if err != nil || m.isHRR() || cr.clientRandom == nil {
			return
		}
		cr.serverRandom = bytes.Clone(m.random)
		cr.etm = false
		for _, e := range m.extensions {
			if e.typ == extEncryptThenMAC {
				cr.etm = true
			}
		}
		cr.next, cr.tls12Ready = [2]*tlsDecryptor{}, false
		if sess.version == versionTLS13 {
			s.tls13Keys(cr, sess, true)
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
			}
		}
	}
}

// tls13Keys sets up both directions' handshake decryptors after the
// ServerHello (RFC 8446 §7.1).
func (s *tlsStage) tls13Keys(cr *tlsCrypto, sess *tlsSession, handshake bool) {
	sec, ok := s.keys.Lookup(cr.clientRandom)
	if !ok {
		cr.missing = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
		return
	}
	cd, sd := cr.clientDir, 1-cr.clientDir
	open := func(secret []byte, name string) *tlsDecryptor {
		if secret == nil {
			if cr.missing == "" {
				cr.missing = name
			}
			return nil
		}
		d, err := newTLS13Decryptor(sess.cipher, secret)
		if err != nil {
			cr.why = err.Error()
			return nil
		}
		return d
	}
	cr.cur[cd] = open(sec.ClientHandshake, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
	cr.cur[sd] = open(sec.ServerHandshake, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
}

// tls13TrafficKeys moves direction dir to its application traffic secret.
func (s *tlsStage) tls13TrafficKeys(cr *tlsCrypto, sess *tlsSession, dir int) {
	sec, _ := s.keys.Lookup(cr.clientRandom)
	secret, name := sec.ServerTraffic0, "SERVER_TRAFFIC_SECRET_0"
	if dir == cr.clientDir {
		secret, name = sec.ClientTraffic0, "CLIENT_TRAFFIC_SECRET_0"
	}
	cr.cur[dir] = nil
	if secret == nil {
		if cr.missing == "" {
			cr.missing = name
		}
		return
	}
	d, err := newTLS13Decryptor(sess.cipher, secret)
	if err != nil {
		cr.why = err.Error()
		return
	}
	cr.cur[dir] = d
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
		sec, ok := s.keys.Lookup(cr.clientRandom)
		if !ok || sec.MasterSecret == nil {
			cr.missing = "CLIENT_RANDOM"
		} else if cl, sv, err := newTLS12Decryptors(sess.version, sess.cipher, sec.MasterSecret, cr.clientRandom, cr.serverRandom, cr.etm); err != nil {
			cr.why = err.Error()
		} else {
			cr.next[cr.clientDir], cr.next[1-cr.clientDir] = cl, sv
		}
	}
	cr.cur[dir], cr.next[dir] = cr.next[dir], nil
}

// decryptStatus says why a protected record of session sess is shown
// encrypted (the tree tier's tls.decrypt.status).
func (s *tlsStage) decryptStatus(sess int32, p *tlsPlain) string {
	if p != nil && p.status == tlsPlainFailed {
		return fmt.Sprintf("record did not decrypt: %v", p.err)
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
// (tshark's node 0). It needs the fast pass finished with a key log
// (Options.KeyLog); data over the plaintext budget is missing.
func (a *Analyzer) FollowTLS(stream int) (chunks []FollowChunk, first int, err error) {
	if !a.done {
		return nil, 0, fmt.Errorf("decode: FollowTLS before the fast pass finished")
	}
	s := a.app.tls
	if stream < 0 || stream >= len(a.tcp.streams) {
		return nil, 0, fmt.Errorf("decode: no TCP stream %d (the capture has %d)", stream, len(a.tcp.streams))
	}
	if !s.isTLS(stream) || s.plain == nil {
		return nil, 0, nil
	}
	sess := s.streams[stream] - 1
	first = -1
	for _, ci := range s.callIdx {
		call := &s.calls[ci]
		if call.sess != sess {
			continue
		}
		for rec := int32(0); ; rec++ {
			pl := s.plain[plainKey(ci, rec)]
			if pl == nil {
				if rec > 64 || !s.hasPlainAfter(ci, rec) {
					break
				}
				continue
			}
			if first < 0 && pl.status != tlsPlainFailed {
				first = int(call.dir)
			}
			if pl.inner != tlsApplicationData || len(pl.data) == 0 {
				continue
			}
			if k := len(chunks) - 1; k >= 0 && chunks[k].Frame == int(call.frame) && chunks[k].Dir == int(call.dir) {
				chunks[k].Data = append(chunks[k].Data, pl.data...)
				continue
			}
			chunks = append(chunks, FollowChunk{Dir: int(call.dir), Frame: int(call.frame), Data: bytes.Clone(pl.data)})
		}
	}
	return chunks, max(first, 0), nil
}

// hasPlainAfter says whether a record of call after rec was decrypted (a
// record between may have been one in the clear).
func (s *tlsStage) hasPlainAfter(call, rec int32) bool {
	for r := rec + 1; r < rec+16; r++ {
		if s.plain[plainKey(call, r)] != nil {
			return true
		}
	}
	return false
}
