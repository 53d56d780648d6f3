package decode

// TLS record decryption, one direction of a connection at a time, with
// the keys tls_keys.go derives: TLS 1.3 AEAD records (RFC 8446 §5.2–5.4),
// TLS 1.2 AEAD records (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 6655 §3, RFC
// 7905 §2), CBC records MAC-then-encrypt (RFC 5246 §6.2.3.2, RFC 4346,
// RFC 2246, RFC 6101 §5.2.3.2) or encrypt-then-MAC (RFC 7366), and RC4
// and NULL records (RFC 5246 §6.2.3.1). A passive analyser's decryptor:
// it checks padding and MACs correctly but need not do so in constant
// time, and it never returns a record that does not authenticate.

import (
	"bytes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// Why a record did not decrypt.
var (
	errTLSRecordShort   = errors.New("decode: tls record too short for its cipher")
	errTLSRecordLong    = errors.New("decode: tls record longer than the protocol allows")
	errTLSRecordAlign   = errors.New("decode: tls cbc record is not a whole number of blocks")
	errTLSAuthFailed    = errors.New("decode: tls record authentication failed")
	errTLSBadMAC        = errors.New("decode: tls record mac does not match")
	errTLSBadPadding    = errors.New("decode: tls record padding is invalid")
	errTLSNoContentType = errors.New("decode: tls 1.3 record has no content type (all padding)")
)

// Record size limits.
const (
	tlsMaxPlaintext     = 1 << 14             // RFC 5246 §6.2.1, RFC 8446 §5.1
	tls12MaxCiphertext  = 1<<14 + 2048        // RFC 5246 §6.2.3
	tls13MaxCiphertext  = 1<<14 + 256         // RFC 8446 §5.2
	tls13MaxInnerLength = tlsMaxPlaintext + 1 // content and type, padding removed (RFC 8446 §5.4)
)

// tlsDecryptor opens the records one side of a connection sends. Its
// sequence number is implicit (RFC 5246 §6.1, RFC 8446 §5.3): 0 for the
// first record under a key, one more for every record after, whether or
// not the record decrypted, as the sender counted them all.
type tlsDecryptor struct {
	suite          *tlsCipherSuite
	version        uint16 // the negotiated version
	encryptThenMAC bool   // RFC 7366, negotiated for a CBC suite
	seq            uint64

	aead cipher.AEAD
	// iv is the TLS 1.3 or ChaCha20-Poly1305 per-connection IV (XORed
	// with the sequence number), or the GCM/CCM 4-byte salt.
	iv []byte
	// secret is the TLS 1.3 traffic secret, for KeyUpdate.
	secret []byte

	block cipher.Block
	// chainIV is the IV of the next SSL 3.0 or TLS 1.0 CBC record: the
	// last ciphertext block of the one before (RFC 2246 §6.2.3.2).
	chainIV []byte
	rc4     *rc4.Cipher // RC4's state runs on across records

	mac     hash.Hash // HMAC keyed with the MAC key, or SSL 3.0's inner hash
	macKey  []byte    // SSL 3.0's MAC secret
	macSum  []byte
	nonce   [12]byte
	scratch [13]byte
}

// newTLS13Decryptor returns the decryptor of the records protected with
// trafficSecret (a key log's CLIENT_HANDSHAKE_TRAFFIC_SECRET,
// SERVER_TRAFFIC_SECRET_0, CLIENT_EARLY_TRAFFIC_SECRET, ...) under the
// TLS 1.3 cipher suite suite.
func newTLS13Decryptor(suite uint16, trafficSecret []byte) (*tlsDecryptor, error) {
	s, err := tlsCipherSuiteByID(suite)
	if err != nil {
		return nil, err
	}
	if !s.tls13 {
		return nil, fmt.Errorf("decode: %s is not a tls 1.3 cipher suite", s.name)
	}
	d := &tlsDecryptor{suite: s, version: versionTLS13}
	if err := d.setTrafficSecret(bytes.Clone(trafficSecret)); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *tlsDecryptor) setTrafficSecret(secret []byte) error {
	key, iv, err := tls13TrafficKeys(d.suite, secret)
	if err != nil {
		return err
	}
	aead, err := d.suite.bulk.newAEAD(key)
	if err != nil {
		return err
	}
	d.secret, d.aead, d.iv, d.seq = secret, aead, iv, 0
	return nil
}

// keyUpdate moves a TLS 1.3 decryptor to the next traffic secret, as
// after a KeyUpdate message (RFC 8446 §4.6.3, §7.2); the sequence number
// starts again at 0.
func (d *tlsDecryptor) keyUpdate() error {
	if !d.suite.tls13 {
		return errors.New("decode: key update is a tls 1.3 decryptor's")
	}
	next, err := tls13NextTrafficSecret(d.suite, d.secret)
	if err != nil {
		return err
	}
	return d.setTrafficSecret(next)
}

// newTLS12Decryptors returns the decryptors of the client's and the
// server's records of an SSL 3.0 to TLS 1.2 session (version is the
// negotiated one, 0x0300 to 0x0303) with cipher suite suite, from the
// master secret (a key log's CLIENT_RANDOM line) and the hello randoms.
// encryptThenMAC says the encrypt_then_mac extension was negotiated (RFC
// 7366); it applies to CBC suites only (§3: not to stream or AEAD ones).
func newTLS12Decryptors(version, suite uint16, masterSecret, clientRandom, serverRandom []byte, encryptThenMAC bool) (client, server *tlsDecryptor, err error) {
	s, err := tlsCipherSuiteByID(suite)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case version < versionSSL3 || version > versionTLS12:
		return nil, nil, fmt.Errorf("decode: tls version 0x%04x is not ssl 3.0 to tls 1.2", version)
	case s.tls13:
		return nil, nil, fmt.Errorf("decode: %s is a tls 1.3 cipher suite", s.name)
	case s.bulk.kind == tlsAEADCipher && version < versionTLS12:
		// RFC 5246 §6.2.3.3: AEAD ciphers are TLS 1.2's.
		return nil, nil, fmt.Errorf("decode: %s needs tls 1.2", s.name)
	case version == versionSSL3 && s.mac.ssl3PadLen == 0:
		return nil, nil, fmt.Errorf("decode: %s has no ssl 3.0 mac", s.name)
	case version == versionSSL3 && encryptThenMAC:
		return nil, nil, errors.New("decode: ssl 3.0 has no encrypt-then-mac (no extensions)")
	}
	kb, err := tlsExpandKeyBlock(version, s, masterSecret, clientRandom, serverRandom)
	if err != nil {
		return nil, nil, err
	}
	etm := encryptThenMAC && s.bulk.kind == tlsBlockCipher
	if client, err = newTLS12Decryptor(version, s, kb.clientMAC, kb.clientKey, kb.clientIV, etm); err != nil {
		return nil, nil, err
	}
	if server, err = newTLS12Decryptor(version, s, kb.serverMAC, kb.serverKey, kb.serverIV, etm); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

func newTLS12Decryptor(version uint16, s *tlsCipherSuite, macKey, key, iv []byte, etm bool) (*tlsDecryptor, error) {
	d := &tlsDecryptor{suite: s, version: version, encryptThenMAC: etm}
	var err error
	switch s.bulk.kind {
	case tlsAEADCipher:
		d.aead, err = s.bulk.newAEAD(key)
		d.iv = iv
	case tlsBlockCipher:
		d.block, err = s.bulk.newBlock(key)
		d.chainIV = iv // empty from TLS 1.1 on
	case tlsStreamCipher:
		if s.bulk.keyLen > 0 {
			d.rc4, err = rc4.NewCipher(key)
		}
	}
	if err != nil {
		return nil, err
	}
	if s.mac != nil {
		if version == versionSSL3 {
			d.mac, d.macKey = s.mac.hash.New(), macKey
		} else {
			d.mac = hmac.New(s.mac.hash.New, macKey)
		}
		d.macSum = make([]byte, 0, d.mac.Size())
	}
	return d, nil
}

// decrypt opens one record: contentType, version and fragment are the
// record's as on the wire (RFC 5246 §6.2.3, RFC 8446 §5.2), the fragment
// being everything after the 5-byte header. It returns the plaintext and
// its content type: for TLS 1.3 the inner one, the padding removed (RFC
// 8446 §5.4); before, the header's. The plaintext is written in dst's
// storage when it has room (pass the last call's plaintext to reuse it);
// dst must not overlap fragment. On error (the record is too short or
// long, does not authenticate, has a bad MAC or padding) there is no
// plaintext. Each call counts a record, failed or not.
func (d *tlsDecryptor) decrypt(dst []byte, contentType uint8, version uint16, fragment []byte) (plain []byte, innerType uint8, err error) {
	seq := d.seq
	d.seq++
	switch {
	case d.suite.tls13:
		return d.open13(dst, seq, contentType, version, fragment)
	case d.suite.bulk.kind == tlsAEADCipher:
		plain, err = d.open12(dst, seq, contentType, version, fragment)
	case d.suite.bulk.kind == tlsBlockCipher:
		plain, err = d.openCBC(dst, seq, contentType, version, fragment)
	default:
		plain, err = d.openStream(dst, seq, contentType, version, fragment)
	}
	if err != nil {
		return nil, 0, err
	}
	return plain, contentType, nil
}

// xorNonce is the TLS 1.3 and RFC 7905 per-record nonce: the IV XOR the
// sequence number, big-endian and left-padded to the IV's 12 bytes (RFC
// 8446 §5.3).
func (d *tlsDecryptor) xorNonce(seq uint64) []byte {
	n := d.nonce[:len(d.iv)]
	copy(n, d.iv)
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	subtle.XORBytes(n[len(n)-8:], n[len(n)-8:], s[:])
	return n
}

func (d *tlsDecryptor) open13(dst []byte, seq uint64, contentType uint8, version uint16, fragment []byte) ([]byte, uint8, error) {
	tagLen := d.aead.Overhead()
	switch {
	case len(fragment) > tls13MaxCiphertext:
		return nil, 0, errTLSRecordLong
	case len(fragment) < tagLen+1: // at least the inner content type
		return nil, 0, errTLSRecordShort
	}
	// additional_data = the record header (RFC 8446 §5.2).
	aad := d.scratch[:5]
	aad[0] = contentType
	binary.BigEndian.PutUint16(aad[1:], version)
	binary.BigEndian.PutUint16(aad[3:], uint16(len(fragment)))
	plain, err := d.aead.Open(dst[:0], d.xorNonce(seq), fragment, aad)
	if err != nil {
		return nil, 0, errTLSAuthFailed
	}
	// TLSInnerPlaintext = content, type, zeros (RFC 8446 §5.4).
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 {
		clear(plain)
		return nil, 0, errTLSNoContentType
	}
	if i+1 > tls13MaxInnerLength {
		clear(plain)
		return nil, 0, errTLSRecordLong
	}
	return plain[:i], plain[i], nil
}

// macHeader is the MAC's and TLS 1.2 AEAD's record description (RFC 5246
// §6.2.3.1, §6.2.3.3): seq_num, type, version, length; SSL 3.0 has no
// version (RFC 6101 §5.2.3.1).
func (d *tlsDecryptor) macHeader(seq uint64, contentType uint8, version uint16, length int) []byte {
	h := d.scratch[:0]
	h = binary.BigEndian.AppendUint64(h, seq)
	h = append(h, contentType)
	if d.version != versionSSL3 {
		h = binary.BigEndian.AppendUint16(h, version)
	}
	return binary.BigEndian.AppendUint16(h, uint16(length))
}

func (d *tlsDecryptor) open12(dst []byte, seq uint64, contentType uint8, version uint16, fragment []byte) ([]byte, error) {
	b := d.suite.bulk
	switch {
	case len(fragment) > tls12MaxCiphertext:
		return nil, errTLSRecordLong
	case len(fragment) < b.explicitNonceLen+b.tagLen:
		return nil, errTLSRecordShort
	}
	var nonce []byte
	if b.explicitNonceLen > 0 {
		// GCM and CCM: salt + the record's explicit nonce (RFC 5288 §3).
		nonce = append(d.nonce[:0], d.iv...)
		nonce = append(nonce, fragment[:b.explicitNonceLen]...)
	} else {
		nonce = d.xorNonce(seq) // RFC 7905 §2
	}
	ct := fragment[b.explicitNonceLen:]
	aad := d.macHeader(seq, contentType, version, len(ct)-b.tagLen)
	plain, err := d.aead.Open(dst[:0], nonce, ct, aad)
	if err != nil {
		return nil, errTLSAuthFailed
	}
	return plain, nil
}

// recordMAC is the record's MAC over header and data: HMAC (RFC 5246
// §6.2.3.1), or for SSL 3.0 hash(secret + pad_2 + hash(secret + pad_1 +
// seq_num + type + length + data)) (RFC 6101 §5.2.3.1).
func (d *tlsDecryptor) recordMAC(header []byte, data ...[]byte) []byte {
	d.mac.Reset()
	if d.version != versionSSL3 {
		d.mac.Write(header)
		for _, p := range data {
			d.mac.Write(p)
		}
		d.macSum = d.mac.Sum(d.macSum[:0])
		return d.macSum
	}
	pad := func(b byte) []byte {
		p := make([]byte, d.suite.mac.ssl3PadLen)
		for i := range p {
			p[i] = b
		}
		return p
	}
	d.mac.Write(d.macKey)
	d.mac.Write(pad(0x36))
	d.mac.Write(header)
	for _, p := range data {
		d.mac.Write(p)
	}
	inner := d.mac.Sum(nil)
	d.mac.Reset()
	d.mac.Write(d.macKey)
	d.mac.Write(pad(0x5c))
	d.mac.Write(inner)
	d.macSum = d.mac.Sum(d.macSum[:0])
	return d.macSum
}

func (d *tlsDecryptor) openStream(dst []byte, seq uint64, contentType uint8, version uint16, fragment []byte) ([]byte, error) {
	macLen := d.mac.Size()
	if len(fragment) > tls12MaxCiphertext {
		return nil, errTLSRecordLong
	}
	buf, _ := growBytes(dst[:0], len(fragment))
	if d.rc4 != nil {
		// Even a record that then fails took its key stream bytes.
		d.rc4.XORKeyStream(buf, fragment)
	} else {
		copy(buf, fragment)
	}
	if len(fragment) < macLen {
		clear(buf)
		return nil, errTLSRecordShort
	}
	n := len(buf) - macLen
	if !hmac.Equal(d.recordMAC(d.macHeader(seq, contentType, version, n), buf[:n]), buf[n:]) {
		clear(buf)
		return nil, errTLSBadMAC
	}
	return buf[:n], nil
}

func (d *tlsDecryptor) openCBC(dst []byte, seq uint64, contentType uint8, version uint16, fragment []byte) ([]byte, error) {
	bl := d.suite.bulk.blockLen
	macLen := d.mac.Size()
	explicitIV := 0
	if d.version >= versionTLS11 {
		explicitIV = bl // RFC 4346 §6.2.3.2
	}
	if len(fragment) > tls12MaxCiphertext {
		return nil, errTLSRecordLong
	}
	ct := fragment
	if d.encryptThenMAC {
		// RFC 7366 §3: IV + ciphertext, then a MAC over them.
		if len(fragment) < macLen {
			return nil, errTLSRecordShort
		}
		ct = fragment[:len(fragment)-macLen]
	}
	if len(ct)%bl != 0 {
		return nil, errTLSRecordAlign
	}
	if len(ct) < explicitIV+bl {
		return nil, errTLSRecordShort
	}
	// The chained IV moves on whatever becomes of the record: the sender's
	// next record was encrypted after this one's last block.
	iv := ct[:explicitIV]
	if explicitIV == 0 {
		iv = bytes.Clone(d.chainIV)
		copy(d.chainIV, ct[len(ct)-bl:])
	}
	body := ct[explicitIV:]
	if d.encryptThenMAC {
		h := d.macHeader(seq, contentType, version, len(ct))
		if !hmac.Equal(d.recordMAC(h, ct), fragment[len(ct):]) {
			return nil, errTLSBadMAC
		}
	} else if len(body) < macLen+1 {
		return nil, errTLSRecordShort
	}
	buf, _ := growBytes(dst[:0], len(body))
	cipher.NewCBCDecrypter(d.block, iv).CryptBlocks(buf, body)
	// GenericBlockCipher (RFC 5246 §6.2.3.2): content, [MAC,] padding,
	// padding_length; every padding byte is padding_length. SSL 3.0's
	// padding is arbitrary and shorter than a block (RFC 6101 §5.2.3.2).
	padLen := int(buf[len(buf)-1])
	trailer := padLen + 1
	if !d.encryptThenMAC {
		trailer += macLen
	}
	ok := trailer <= len(buf)
	if ok && d.version == versionSSL3 {
		ok = padLen < bl
	} else if ok {
		for _, p := range buf[len(buf)-1-padLen : len(buf)-1] {
			ok = ok && int(p) == padLen
		}
	}
	if !ok {
		clear(buf)
		return nil, errTLSBadPadding
	}
	n := len(buf) - trailer
	if !d.encryptThenMAC {
		h := d.macHeader(seq, contentType, version, n)
		if !hmac.Equal(d.recordMAC(h, buf[:n]), buf[n:n+macLen]) {
			clear(buf)
			return nil, errTLSBadMAC
		}
	}
	return buf[:n], nil
}
