package decode

import (
	"bytes"
	"testing"
)

// FuzzTLSDecrypt decrypts arbitrary records with arbitrary suites,
// versions and secrets: nothing panics, and a plaintext is never longer
// than its fragment. It also seals a record of the fuzzed plaintext
// with the test sealer and flips one byte of it: for AEAD suites that
// never decrypts (for the others the MAC makes it as unlikely, but a
// flip in CBC padding or an SSL 3.0 padding byte may go unnoticed, as
// it does for the sender's peer).
func FuzzTLSDecrypt(f *testing.F) {
	for _, seed := range []struct {
		suite, version uint16
		secret, frag   []byte
	}{
		{0x1301, versionTLS13, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 40)},
		{0x1302, versionTLS13, bytes.Repeat([]byte{1}, 48), bytes.Repeat([]byte{2}, 17)},
		{0x1304, versionTLS13, bytes.Repeat([]byte{1}, 32), nil},
		{0xc02f, versionTLS12, bytes.Repeat([]byte{3}, 48), bytes.Repeat([]byte{4}, 24)},
		{0xc013, versionTLS10, bytes.Repeat([]byte{3}, 48), bytes.Repeat([]byte{4}, 48)},
		{0x002f, versionTLS11, bytes.Repeat([]byte{3}, 48), bytes.Repeat([]byte{4}, 64)},
		{0x0005, versionSSL3, bytes.Repeat([]byte{3}, 48), bytes.Repeat([]byte{4}, 21)},
		{0xcca8, versionTLS12, bytes.Repeat([]byte{3}, 48), bytes.Repeat([]byte{4}, 16)},
		{0xc0ae, versionTLS12, bytes.Repeat([]byte{3}, 48), bytes.Repeat([]byte{4}, 16)},
	} {
		f.Add(seed.suite, seed.version, seed.secret, seed.frag, uint8(23), false, uint16(0))
	}
	f.Fuzz(func(t *testing.T, suite, version uint16, secret, frag []byte, typ uint8, etm bool, flip uint16) {
		var decs []*tlsDecryptor
		if d, err := newTLS13Decryptor(suite, secret); err == nil {
			decs = append(decs, d)
		}
		// The rest of the secret makes the randoms, as a key log and
		// hellos would give them.
		master, cr, sr := fuzzCut(secret, 48), fuzzCut(secret, 32), fuzzCut(secret, 32)
		if c, s, err := newTLS12Decryptors(version, suite, master, cr, sr, etm); err == nil {
			decs = append(decs, c, s)
		}
		for _, d := range decs {
			for range 2 { // twice: the second with the sequence number (and RC4, IV state) moved on
				plain, _, err := d.decrypt(nil, typ, version, frag)
				if err == nil && len(plain) > len(frag) {
					t.Fatalf("%s: %d bytes of plaintext from a %d-byte fragment", d.suite.name, len(plain), len(frag))
				}
				if err != nil && plain != nil {
					t.Fatalf("%s: plaintext with error %v", d.suite.name, err)
				}
			}
		}
		// Seal-then-flip, on a session made from fixed secrets.
		s, err := tlsCipherSuiteByID(suite)
		if err != nil || s.bulk.kind != tlsAEADCipher || len(frag) > tlsMaxPlaintext {
			return
		}
		sp := sessionSpec{version: versionTLS12, id: suite}
		if s.tls13 {
			sp.version = versionTLS13
		}
		ts := makeSession(t, sp)
		sealed := ts.sealers[0].seal(typ, frag, sealOpts{})
		outer := typ
		if s.tls13 {
			outer = tlsApplicationData
		}
		if plain, _, err := makeSession(t, sp).decs[0].decrypt(nil, outer, ts.sealers[0].recordVersion(), sealed); err != nil || !bytes.Equal(plain, frag) {
			if !(s.tls13 && typ == 0) { // type 0 reads as padding: no content type
				t.Fatalf("%s: sealed record did not round-trip: %v", s.name, err)
			}
		}
		i := int(flip) % len(sealed)
		sealed[i] ^= byte(flip>>8) | 1
		if plain, _, err := makeSession(t, sp).decs[0].decrypt(nil, outer, ts.sealers[0].recordVersion(), sealed); err == nil {
			t.Fatalf("%s: record with byte %d flipped decrypted to %q", s.name, i, plain)
		}
	})
}

// fuzzCut is the first n bytes of b, zero-padded: enough key material
// for a session from any fuzzed secret.
func fuzzCut(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}
