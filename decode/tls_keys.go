package decode

// The TLS key schedule, for decrypting records with secrets from a key
// log: what each cipher suite protects its records with (read from the
// suite's IANA name in tlsCipherSuiteNames), the TLS 1.3 traffic keys
// (RFC 8446 §7), and the TLS 1.0–1.2 and SSL 3.0 key block (RFC 5246
// §6.3, RFC 4346/2246 §5, RFC 6101 §6.2.2). tls_decrypt.go opens the
// records with them.

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	_ "crypto/sha256" // crypto.SHA256
	_ "crypto/sha512" // crypto.SHA384
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// tlsCipherKind is how a bulk cipher protects a record.
type tlsCipherKind uint8

const (
	tlsStreamCipher tlsCipherKind = iota // RC4, or NULL: MAC-then-encrypt, no padding
	tlsBlockCipher                       // CBC: MAC-then-encrypt with padding, or encrypt-then-MAC (RFC 7366)
	tlsAEADCipher                        // GCM, CCM, ChaCha20-Poly1305: no separate MAC
)

// tlsBulkCipher is a record cipher as cipher suite names spell it
// ("AES_128_GCM"), with its sizes (RFC 5246 §6.2.3 and appendix C; RFC
// 5288 §3 for GCM, RFC 6655 §3 for CCM, RFC 7905 §2 for ChaCha20-Poly1305).
type tlsBulkCipher struct {
	name   string
	kind   tlsCipherKind
	keyLen int
	// blockLen is the CBC block size (the TLS 1.1+ explicit IV's length).
	blockLen int
	// fixedIVLen is the key block's IV for TLS 1.2 AEAD: the 4-byte salt
	// of GCM and CCM (RFC 5288 §3, RFC 6655 §3), all 12 bytes of
	// ChaCha20-Poly1305's nonce mask (RFC 7905 §2).
	fixedIVLen int
	// explicitNonceLen is the per-record nonce part a TLS 1.2 AEAD record
	// carries before its ciphertext (8 for GCM and CCM, 0 for ChaCha20).
	explicitNonceLen int
	tagLen           int
	// The constructors: newAEAD's nonce is 12 bytes (RFC 5116 §3.2, the
	// TLS 1.3 and TLS 1.2 AEAD nonce length).
	newAEAD  func(key []byte) (cipher.AEAD, error)
	newBlock func(key []byte) (cipher.Block, error)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func newCCMWithTag(tagLen int) func([]byte) (cipher.AEAD, error) {
	return func(key []byte) (cipher.AEAD, error) {
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return newCCM(b, 12, tagLen)
	}
}

// tlsBulkCiphers are the record ciphers decryption supports, by the name
// suites give them. Camellia, ARIA, SEED, IDEA, RC2, GOST, SM4 and the
// export ciphers are not among them.
var tlsBulkCiphers = map[string]*tlsBulkCipher{
	"NULL":              {name: "NULL", kind: tlsStreamCipher},
	"RC4_128":           {name: "RC4_128", kind: tlsStreamCipher, keyLen: 16},
	"DES_CBC":           {name: "DES_CBC", kind: tlsBlockCipher, keyLen: 8, blockLen: 8, newBlock: des.NewCipher},
	"3DES_EDE_CBC":      {name: "3DES_EDE_CBC", kind: tlsBlockCipher, keyLen: 24, blockLen: 8, newBlock: des.NewTripleDESCipher},
	"AES_128_CBC":       {name: "AES_128_CBC", kind: tlsBlockCipher, keyLen: 16, blockLen: 16, newBlock: aes.NewCipher},
	"AES_256_CBC":       {name: "AES_256_CBC", kind: tlsBlockCipher, keyLen: 32, blockLen: 16, newBlock: aes.NewCipher},
	"AES_128_GCM":       {name: "AES_128_GCM", kind: tlsAEADCipher, keyLen: 16, fixedIVLen: 4, explicitNonceLen: 8, tagLen: 16, newAEAD: newGCM},
	"AES_256_GCM":       {name: "AES_256_GCM", kind: tlsAEADCipher, keyLen: 32, fixedIVLen: 4, explicitNonceLen: 8, tagLen: 16, newAEAD: newGCM},
	"AES_128_CCM":       {name: "AES_128_CCM", kind: tlsAEADCipher, keyLen: 16, fixedIVLen: 4, explicitNonceLen: 8, tagLen: 16, newAEAD: newCCMWithTag(16)},
	"AES_256_CCM":       {name: "AES_256_CCM", kind: tlsAEADCipher, keyLen: 32, fixedIVLen: 4, explicitNonceLen: 8, tagLen: 16, newAEAD: newCCMWithTag(16)},
	"AES_128_CCM_8":     {name: "AES_128_CCM_8", kind: tlsAEADCipher, keyLen: 16, fixedIVLen: 4, explicitNonceLen: 8, tagLen: 8, newAEAD: newCCMWithTag(8)},
	"AES_256_CCM_8":     {name: "AES_256_CCM_8", kind: tlsAEADCipher, keyLen: 32, fixedIVLen: 4, explicitNonceLen: 8, tagLen: 8, newAEAD: newCCMWithTag(8)},
	"CHACHA20_POLY1305": {name: "CHACHA20_POLY1305", kind: tlsAEADCipher, keyLen: 32, fixedIVLen: 12, tagLen: 16, newAEAD: chacha20poly1305.New},
}

// tlsMAC is a record MAC of TLS 1.0–1.2 and SSL 3.0 (HMAC, RFC 2104; or
// SSL 3.0's own construction, RFC 6101 §5.2.3.1).
type tlsMAC struct {
	name string // as suite names end: "MD5", "SHA", "SHA256", "SHA384"
	hash crypto.Hash
	// ssl3PadLen is how many times SSL 3.0 repeats pad_1 and pad_2 (48
	// for MD5, 40 for SHA; RFC 6101 §5.2.3.1); 0 where SSL 3.0 has no MAC.
	ssl3PadLen int
}

var tlsMACs = map[string]*tlsMAC{
	"MD5":    {name: "MD5", hash: crypto.MD5, ssl3PadLen: 48},
	"SHA":    {name: "SHA", hash: crypto.SHA1, ssl3PadLen: 40},
	"SHA256": {name: "SHA256", hash: crypto.SHA256},
	"SHA384": {name: "SHA384", hash: crypto.SHA384},
}

// tlsCipherSuite is what a cipher suite's record protection is made of;
// the key exchange does not matter once the key log gives the secret.
type tlsCipherSuite struct {
	id   uint16
	name string // IANA's, as tshark prints it (tlsCipherSuiteNames)
	bulk *tlsBulkCipher
	mac  *tlsMAC // nil for AEAD suites (and TLS 1.3)
	// hash is the TLS 1.2 PRF's (RFC 5246 §5: SHA-256 unless the suite
	// says SHA-384) or the TLS 1.3 HKDF's (RFC 8446 §B.4). TLS 1.0/1.1
	// and SSL 3.0 ignore it: their PRFs are fixed.
	hash  crypto.Hash
	tls13 bool // a TLS 1.3 suite (0x13xx), usable with no other version
}

// tlsDraftChaCha are the pre-RFC 7905 ChaCha20-Poly1305 suites
// (draft-agl-tls-chacha20poly1305), whose nonce and MAC input differ
// from RFC 7905's; their names are the same as the RFC's, so they are
// excluded by number.
var tlsDraftChaCha = map[uint16]bool{0xcc13: true, 0xcc14: true, 0xcc15: true}

// tlsCipherSuiteByID returns the record protection of cipher suite id,
// read from its name: "TLS_<kx>_WITH_<cipher>_<mac or PRF hash>" for TLS
// 1.0–1.2 (the CCM suites have no hash: SHA-256, RFC 6655 §3), and
// "TLS_<cipher>_<hash>" for TLS 1.3 (RFC 8446 §B.4). An error says
// whether the suite is unknown or its cipher is not supported.
func tlsCipherSuiteByID(id uint16) (*tlsCipherSuite, error) {
	name, ok := tlsCipherSuiteNames[id]
	if !ok {
		return nil, fmt.Errorf("decode: unknown tls cipher suite 0x%04x", id)
	}
	unsupported := fmt.Errorf("decode: tls cipher suite %s (0x%04x) cannot be decrypted", name, id)
	s := &tlsCipherSuite{id: id, name: name, hash: crypto.SHA256}
	var spec string
	switch {
	case !strings.HasPrefix(name, "TLS_") || tlsDraftChaCha[id] || strings.Contains(name, "EXPORT"):
		// SSL_* are vendor suites; export suites derive their keys
		// differently (RFC 2246 §6.3).
		return nil, unsupported
	case id>>8 == 0x13:
		s.tls13 = true
		spec = strings.TrimPrefix(name, "TLS_")
	default:
		_, after, ok := strings.Cut(name, "_WITH_")
		if !ok {
			return nil, unsupported
		}
		spec = after
	}
	suffix := ""
	if i := strings.LastIndexByte(spec, '_'); i >= 0 && (tlsMACs[spec[i+1:]] != nil) {
		spec, suffix = spec[:i], spec[i+1:]
	}
	s.bulk = tlsBulkCiphers[spec]
	if s.bulk == nil {
		return nil, unsupported
	}
	switch {
	case s.tls13:
		// RFC 8446 §B.4: AEAD only, named with the HKDF hash.
		if s.bulk.kind != tlsAEADCipher || (suffix != "SHA256" && suffix != "SHA384") {
			return nil, unsupported
		}
	case s.bulk.kind == tlsAEADCipher:
		// The suffix is the PRF's hash (none for CCM: SHA-256).
		if suffix != "" && suffix != "SHA256" && suffix != "SHA384" {
			return nil, unsupported
		}
	default:
		s.mac = tlsMACs[suffix]
		if s.mac == nil {
			// TLS_NULL_WITH_NULL_NULL protects nothing; nothing to decrypt.
			return nil, unsupported
		}
	}
	if suffix == "SHA384" {
		s.hash = crypto.SHA384
	}
	return s, nil
}

// hkdfExpandLabel is HKDF-Expand-Label (RFC 8446 §7.1):
// HKDF-Expand(secret, HkdfLabel, length) with
//
//	struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255>; } HkdfLabel
func hkdfExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) ([]byte, error) {
	full := "tls13 " + label
	if len(full) > 255 || len(context) > 255 || length < 0 || length > 0xffff {
		return nil, errors.New("decode: hkdf label, context or length out of range")
	}
	info := make([]byte, 0, 2+1+len(full)+1+len(context))
	info = append(info, byte(length>>8), byte(length), byte(len(full)))
	info = append(info, full...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	return hkdf.Expand(h.New, secret, string(info), length)
}

// tls13TrafficKeys derives a TLS 1.3 record key and IV from a traffic
// secret (RFC 8446 §7.3): key = HKDF-Expand-Label(secret, "key", "",
// key_length), iv = HKDF-Expand-Label(secret, "iv", "", 12). The secret
// must be as long as the suite's hash (RFC 8446 §7.1: Derive-Secret's
// output), which catches a secret logged for another suite.
func tls13TrafficKeys(s *tlsCipherSuite, secret []byte) (key, iv []byte, err error) {
	if !s.tls13 {
		return nil, nil, fmt.Errorf("decode: %s is not a tls 1.3 cipher suite", s.name)
	}
	if len(secret) != s.hash.Size() {
		return nil, nil, fmt.Errorf("decode: tls 1.3 traffic secret is %d bytes, %s needs %d", len(secret), s.name, s.hash.Size())
	}
	if key, err = hkdfExpandLabel(s.hash, secret, "key", nil, s.bulk.keyLen); err != nil {
		return nil, nil, err
	}
	if iv, err = hkdfExpandLabel(s.hash, secret, "iv", nil, 12); err != nil {
		return nil, nil, err
	}
	return key, iv, nil
}

// tls13NextTrafficSecret is the traffic secret after a KeyUpdate (RFC
// 8446 §7.2): HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
func tls13NextTrafficSecret(s *tlsCipherSuite, secret []byte) ([]byte, error) {
	return hkdfExpandLabel(s.hash, secret, "traffic upd", nil, s.hash.Size())
}

// pHash is P_hash (RFC 5246 §5): HMAC_hash(secret, A(i) + seed) for A(0)
// = seed, A(i) = HMAC_hash(secret, A(i-1)), concatenated into out.
func pHash(out []byte, h func() hash.Hash, secret, seed []byte) {
	mac := hmac.New(h, secret)
	mac.Write(seed)
	a := mac.Sum(nil)
	for len(out) > 0 {
		mac.Reset()
		mac.Write(a)
		mac.Write(seed)
		out = out[copy(out, mac.Sum(nil)):]
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
}

// tlsPRF fills n bytes of PRF(secret, label, seed): P_<hash> for TLS 1.2
// (RFC 5246 §5), P_MD5 of the secret's first half XOR P_SHA-1 of its
// second half for TLS 1.0 and 1.1 (RFC 2246 §5; the halves share the
// middle byte of an odd-length secret).
func tlsPRF(version uint16, h crypto.Hash, secret []byte, label string, seed []byte, n int) []byte {
	labelSeed := make([]byte, 0, len(label)+len(seed))
	labelSeed = append(append(labelSeed, label...), seed...)
	out := make([]byte, n)
	if version >= versionTLS12 {
		pHash(out, h.New, secret, labelSeed)
		return out
	}
	half := (len(secret) + 1) / 2
	pHash(out, md5.New, secret[:half], labelSeed)
	x := make([]byte, n)
	pHash(x, sha1.New, secret[len(secret)-half:], labelSeed)
	for i := range out {
		out[i] ^= x[i]
	}
	return out
}

// ssl3KeyBlock fills n bytes of SSL 3.0's key block (RFC 6101 §6.2.2):
// MD5(master + SHA1("A" + master + seed)) + MD5(master + SHA1("BB" +
// master + seed)) + ..., seed being server_random + client_random.
func ssl3KeyBlock(master, seed []byte, n int) []byte {
	out := make([]byte, 0, n+md5.Size)
	for i := 0; len(out) < n; i++ {
		sh := sha1.New()
		sh.Write([]byte(strings.Repeat(string(rune('A'+i)), i+1)))
		sh.Write(master)
		sh.Write(seed)
		m := md5.New()
		m.Write(master)
		m.Write(sh.Sum(nil))
		out = m.Sum(out)
	}
	return out[:n]
}

// tlsKeyBlock is the key block cut into its parts, in the order RFC 5246
// §6.3 gives them.
type tlsKeyBlock struct {
	clientMAC, serverMAC []byte
	clientKey, serverKey []byte
	clientIV, serverIV   []byte
}

// tlsExpandKeyBlock makes the key block of a TLS 1.0–1.2 or SSL 3.0
// session from its 48-byte master secret (RFC 5246 §8.1) and the hello
// randoms (32 bytes each, RFC 5246 §7.4.1.2): key_block = PRF(master,
// "key expansion", server_random + client_random) (RFC 5246 §6.3). The
// IVs are the AEAD fixed IV (RFC 5288 §3, RFC 7905 §2), or for SSL 3.0
// and TLS 1.0 CBC the first record's IV; TLS 1.1+ CBC records carry
// their own (RFC 4346 §6.2.3.2), so no IV is cut for them.
func tlsExpandKeyBlock(version uint16, s *tlsCipherSuite, master, clientRandom, serverRandom []byte) (*tlsKeyBlock, error) {
	if len(master) != 48 {
		return nil, fmt.Errorf("decode: tls master secret is %d bytes, not 48", len(master))
	}
	if len(clientRandom) != 32 || len(serverRandom) != 32 {
		return nil, fmt.Errorf("decode: tls hello randoms are %d and %d bytes, not 32", len(clientRandom), len(serverRandom))
	}
	macLen := 0
	if s.mac != nil {
		macLen = s.mac.hash.Size()
	}
	ivLen := s.bulk.fixedIVLen
	if s.bulk.kind == tlsBlockCipher && version <= versionTLS10 {
		ivLen = s.bulk.blockLen
	}
	n := 2*macLen + 2*s.bulk.keyLen + 2*ivLen
	seed := make([]byte, 0, 64)
	seed = append(append(seed, serverRandom...), clientRandom...)
	var kb []byte
	if version == versionSSL3 {
		kb = ssl3KeyBlock(master, seed, n)
	} else {
		kb = tlsPRF(version, s.hash, master, "key expansion", seed, n)
	}
	next := func(l int) []byte {
		p := kb[:l:l]
		kb = kb[l:]
		return p
	}
	k := &tlsKeyBlock{}
	k.clientMAC, k.serverMAC = next(macLen), next(macLen)
	k.clientKey, k.serverKey = next(s.bulk.keyLen), next(s.bulk.keyLen)
	k.clientIV, k.serverIV = next(ivLen), next(ivLen)
	return k, nil
}
