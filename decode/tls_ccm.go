package decode

// AES-CCM (Counter with CBC-MAC: RFC 3610, NIST SP 800-38C), which
// neither Go's standard library nor golang.org/x/crypto has, for the
// TLS CCM suites (RFC 6655, RFC 8446 §B.4: 12-byte nonce, 16-byte tag, or
// 8 for CCM_8). It is general over RFC 3610's parameters (nonce 7–13
// bytes, tag 4–16 bytes, even) so that the RFC's and NIST's vectors test
// it as they stand.

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
)

// ccmAEAD is CCM over a 128-bit block cipher.
type ccmAEAD struct {
	block     cipher.Block
	nonceSize int // 15 - L, L being the size of the length field (RFC 3610 §2)
	tagSize   int // M
}

var errCCMOpen = errors.New("decode: ccm message authentication failed")

// newCCM returns CCM over b (whose block must be 16 bytes) with the given
// nonce size (7 to 13) and tag size (4, 6, 8, 10, 12, 14 or 16), RFC 3610
// §2's ranges.
func newCCM(b cipher.Block, nonceSize, tagSize int) (cipher.AEAD, error) {
	if b.BlockSize() != 16 {
		return nil, errors.New("decode: ccm needs a 128-bit block cipher")
	}
	if nonceSize < 7 || nonceSize > 13 {
		return nil, errors.New("decode: ccm nonce size must be 7 to 13 bytes")
	}
	if tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, errors.New("decode: ccm tag size must be an even 4 to 16 bytes")
	}
	return &ccmAEAD{block: b, nonceSize: nonceSize, tagSize: tagSize}, nil
}

func (c *ccmAEAD) NonceSize() int { return c.nonceSize }
func (c *ccmAEAD) Overhead() int  { return c.tagSize }

// lengthFieldSize is L (RFC 3610 §2).
func (c *ccmAEAD) lengthFieldSize() int { return 15 - c.nonceSize }

// fits reports whether a message of n bytes has a length L bytes can
// hold (RFC 3610 §2.1: 0 <= l(m) < 2^(8L)).
func (c *ccmAEAD) fits(n int) bool {
	l := c.lengthFieldSize()
	return l >= 8 || uint64(n) < 1<<(8*l)
}

// counterBlock is A_i (RFC 3610 §2.3): flags = L-1, the nonce, the
// counter i in L bytes.
func (c *ccmAEAD) counterBlock(nonce []byte, i byte) [16]byte {
	var a [16]byte
	a[0] = byte(c.lengthFieldSize() - 1)
	copy(a[1:], nonce)
	a[15] = i
	return a
}

// cbcMACState absorbs bytes into a CBC-MAC whose blocks are zero-padded
// where the input does (RFC 3610 §2.2: the additional data and the
// message are each padded to a block).
type cbcMACState struct {
	block cipher.Block
	x     [16]byte
	n     int // bytes of the current block absorbed
}

func (s *cbcMACState) write(p []byte) {
	for len(p) > 0 {
		k := subtle.XORBytes(s.x[s.n:], s.x[s.n:], p)
		s.n += k
		p = p[k:]
		if s.n == 16 {
			s.block.Encrypt(s.x[:], s.x[:])
			s.n = 0
		}
	}
}

// pad ends a zero-padded part: XOR with zeros changes nothing, so only
// the pending block's encryption is left.
func (s *cbcMACState) pad() {
	if s.n > 0 {
		s.block.Encrypt(s.x[:], s.x[:])
		s.n = 0
	}
}

// tag is T before encryption, the CBC-MAC of B_0, the encoded additional
// data and the message (RFC 3610 §2.2), all 16 bytes of it.
func (c *ccmAEAD) tag(nonce, msg, ad []byte) [16]byte {
	l := c.lengthFieldSize()
	var b0 [16]byte
	b0[0] = byte((c.tagSize-2)/2)<<3 | byte(l-1)
	if len(ad) > 0 {
		b0[0] |= 0x40 // Adata
	}
	copy(b0[1:], nonce)
	for i, n := 0, uint64(len(msg)); i < l && i < 8; i, n = i+1, n>>8 {
		b0[15-i] = byte(n)
	}
	s := cbcMACState{block: c.block}
	s.write(b0[:])
	if len(ad) > 0 {
		// l(a)'s encoding (RFC 3610 §2.2): 2 bytes below 2^16-2^8, else
		// 0xff 0xfe and 4 bytes, else 0xff 0xff and 8 bytes.
		n := uint64(len(ad))
		var enc []byte
		switch {
		case n < 0xff00:
			enc = []byte{byte(n >> 8), byte(n)}
		case n <= 0xffffffff:
			enc = []byte{0xff, 0xfe, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		default:
			enc = []byte{0xff, 0xff, byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32),
				byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		}
		s.write(enc)
		s.write(ad)
		s.pad()
	}
	s.write(msg)
	s.pad()
	return s.x
}

// crypt XORs src with the key stream S_1, S_2, ... (RFC 3610 §2.3) into
// dst, and returns S_0, which encrypts the tag. The counter never
// overflows its L bytes into the nonce: fits bounds the message.
func (c *ccmAEAD) crypt(dst, src, nonce []byte) [16]byte {
	a0 := c.counterBlock(nonce, 0)
	var s0 [16]byte
	c.block.Encrypt(s0[:], a0[:])
	a1 := c.counterBlock(nonce, 1)
	cipher.NewCTR(c.block, a1[:]).XORKeyStream(dst, src)
	return s0
}

// growBytes returns in extended by n bytes, reusing its storage when it has
// room, and the n new bytes.
func growBytes(in []byte, n int) (head, tail []byte) {
	total := len(in) + n
	if cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}

// Seal encrypts and authenticates plaintext (cipher.AEAD). As Go's AEADs
// do, it panics on a nonce of the wrong size or a message too long for
// the nonce's length field: those are the caller's mistakes.
func (c *ccmAEAD) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != c.nonceSize {
		panic("decode: ccm: incorrect nonce length")
	}
	if !c.fits(len(plaintext)) {
		panic("decode: ccm: message too long for the nonce size")
	}
	t := c.tag(nonce, plaintext, additionalData)
	ret, out := growBytes(dst, len(plaintext)+c.tagSize)
	s0 := c.crypt(out[:len(plaintext)], plaintext, nonce)
	subtle.XORBytes(out[len(plaintext):], t[:c.tagSize], s0[:c.tagSize])
	return ret
}

// Open decrypts and authenticates ciphertext (cipher.AEAD). Unlike Seal
// it never panics: a wrong nonce size, a short or over-long ciphertext,
// and a tag that does not match are all errors, and on error no
// plaintext is left in dst's storage. To decrypt in place, pass
// ciphertext[:0] as dst.
func (c *ccmAEAD) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != c.nonceSize || len(ciphertext) < c.tagSize || !c.fits(len(ciphertext)-c.tagSize) {
		return nil, errCCMOpen
	}
	n := len(ciphertext) - c.tagSize
	var given [16]byte
	copy(given[:], ciphertext[n:]) // before out, which may be ciphertext's storage, is written
	ret, out := growBytes(dst, n)
	s0 := c.crypt(out, ciphertext[:n], nonce)
	t := c.tag(nonce, out, additionalData)
	var want [16]byte
	subtle.XORBytes(want[:c.tagSize], t[:c.tagSize], s0[:c.tagSize])
	if subtle.ConstantTimeCompare(want[:c.tagSize], given[:c.tagSize]) != 1 {
		clear(out)
		return nil, errCCMOpen
	}
	return ret, nil
}
