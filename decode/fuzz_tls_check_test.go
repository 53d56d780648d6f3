package decode

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// checkTLSParsers runs the TLS message and extension parsers on data and
// checks what they return against the bytes: a parser that accepts data
// returns fields that, encoded again by the RFC's layout, give data back
// byte for byte (so no field reaches past the buffer or misses a byte of
// it, and every length agrees with the data), offsets that point at
// what they name, and the same answer when it parses the same bytes again.
func checkTLSParsers(t *testing.T, data []byte) {
	t.Helper()
	for typ := uint8(0); typ < 26; typ++ {
		for _, vers := range []uint16{versionTLS10, versionTLS12, versionTLS13} {
			for _, cipher := range []uint16{0xc02f, 0x009e, 0x002f} {
				e1, e2 := parseTestMessage(typ, data, vers, cipher), parseTestMessage(typ, data, vers, cipher)
				if fmt.Sprint(e1) != fmt.Sprint(e2) {
					t.Fatalf("message type %d (%#x, %#x): %v, then %v", typ, vers, cipher, e1, e2)
				}
			}
		}
	}
	same := func(what string, parse func() any) {
		t.Helper()
		if a, b := parse(), parse(); !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: %+v, then %+v", what, a, b)
		}
	}

	if m, err := parseClientHello(data); err == nil {
		same("ClientHello", func() any { m, _ := parseClientHello(data); return m })
		b := cryptobyte.NewBuilder(nil)
		b.AddUint16(m.vers)
		b.AddBytes(m.random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.sessionID) })
		if got := len(b.BytesOrPanic()); m.cipherOff != got {
			t.Fatalf("ClientHello: cipher suites at %d, after %d bytes", m.cipherOff, got)
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, cs := range m.cipherSuites {
				b.AddUint16(cs)
			}
		})
		if got := len(b.BytesOrPanic()); m.compOff != got {
			t.Fatalf("ClientHello: compression at %d, after %d bytes", m.compOff, got)
		}
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.compression) })
		if got := len(b.BytesOrPanic()); m.extOff != got {
			t.Fatalf("ClientHello: extensions at %d, after %d bytes", m.extOff, got)
		}
		if m.hasExtensions {
			addTestExtensions(b, m.extensions)
		}
		checkReencoded(t, "ClientHello", data, b)
		checkExtensionOffsets(t, "ClientHello", data, m.extOff, m.extensions)
	}

	if m, err := parseServerHello(data); err == nil {
		same("ServerHello", func() any { m, _ := parseServerHello(data); return m })
		b := cryptobyte.NewBuilder(nil)
		b.AddUint16(m.vers)
		b.AddBytes(m.random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.sessionID) })
		b.AddUint16(m.cipherSuite)
		b.AddUint8(m.compression)
		if got := len(b.BytesOrPanic()); m.extOff != got {
			t.Fatalf("ServerHello: extensions at %d, after %d bytes", m.extOff, got)
		}
		if m.hasExtensions {
			addTestExtensions(b, m.extensions)
		}
		checkReencoded(t, "ServerHello", data, b)
		checkExtensionOffsets(t, "ServerHello", data, m.extOff, m.extensions)
		// The scan that only looks for the version agrees with the full
		// parse: the first two-byte supported_versions, for TLS 1.2.
		vers, hrr := scanServerHello(data)
		want := m.vers
		if m.vers == versionTLS12 {
			for _, e := range m.extensions {
				if e.typ == extSupportedVersions && len(e.data) == 2 {
					want = uint16(e.data[0])<<8 | uint16(e.data[1])
					break
				}
			}
			if len(data) >= 46 && hrr != m.isHRR() {
				t.Fatalf("scanServerHello: HelloRetryRequest %v, parse %v", hrr, m.isHRR())
			}
		}
		if vers != want {
			t.Fatalf("scanServerHello: version %#x, parse %#x", vers, want)
		}
	}

	if m, err := parseSSLv2ClientHello(data); err == nil {
		b := cryptobyte.NewBuilder(nil)
		b.AddUint16(m.vers)
		b.AddUint16(uint16(3 * len(m.specs)))
		b.AddUint16(uint16(len(m.sessionID)))
		b.AddUint16(uint16(len(m.challenge)))
		for _, s := range m.specs {
			b.AddUint24(s)
		}
		b.AddBytes(m.sessionID)
		b.AddBytes(m.challenge)
		checkReencoded(t, "SSLv2 CLIENT-HELLO", data, b)
	}

	if exts, err := readExtensions(data, 0); err == nil {
		b := cryptobyte.NewBuilder(nil)
		addTestExtensions(b, exts)
		checkReencoded(t, "extensions", data, b)
		checkExtensionOffsets(t, "extensions", data, 0, exts)
	}

	if vs, ok := readSupportedVersions(data, true); ok {
		b := cryptobyte.NewBuilder(nil)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, v := range vs {
				b.AddUint16(v)
			}
		})
		checkReencoded(t, "supported_versions (client)", data, b)
	}
	if vs, ok := readSupportedVersions(data, false); ok {
		if len(vs) != 1 || len(data) != 2 || vs[0] != uint16(data[0])<<8|uint16(data[1]) {
			t.Fatalf("supported_versions (server): %#x from %x", vs, data)
		}
	}

	for _, c := range []struct {
		hs  uint8
		hrr bool
	}{{hsClientHello, false}, {hsServerHello, false}, {hsServerHello, true}} {
		ks, ok := readKeyShares(data, c.hs, c.hrr)
		if !ok {
			continue
		}
		b := cryptobyte.NewBuilder(nil)
		entry := func(b *cryptobyte.Builder, e tlsKeyShare) {
			b.AddUint16(e.group)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.key) })
		}
		switch {
		case c.hrr:
			if len(ks) != 1 || ks[0].key != nil {
				t.Fatalf("key_share (HelloRetryRequest): %+v", ks)
			}
			b.AddUint16(ks[0].group)
		case c.hs == hsServerHello:
			if len(ks) != 1 {
				t.Fatalf("key_share (ServerHello): %+v", ks)
			}
			entry(b, ks[0])
		default:
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, e := range ks {
					entry(b, e)
				}
			})
		}
		checkReencoded(t, fmt.Sprintf("key_share (%d, hrr %v)", c.hs, c.hrr), data, b)
	}

	if m, ok := readOfferedPSKs(data); ok {
		b := cryptobyte.NewBuilder(nil)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, id := range m.identities {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(id.identity) })
				b.AddUint32(id.age)
			}
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, bd := range m.binders {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(bd) })
			}
		})
		checkReencoded(t, "pre_shared_key", data, b)
		if 4+m.identLen+m.bindersLen != len(data) {
			t.Fatalf("pre_shared_key: identities %d and binders %d bytes of %d", m.identLen, m.bindersLen, len(data))
		}
	}

	if scts, ok := readSCTs(data); ok {
		b := cryptobyte.NewBuilder(nil)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range scts {
				n := len(b.BytesOrPanic())
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint8(s.version)
					b.AddBytes(s.logID)
					b.AddUint64(s.timestamp)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.exts) })
					b.AddUint8(s.hashAlg)
					b.AddUint8(s.sigAlg)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.sig) })
				})
				if got := len(b.BytesOrPanic()) - n - 2; got != s.length {
					t.Fatalf("SCT: length %d, fields %d bytes", s.length, got)
				}
			}
		})
		checkReencoded(t, "signed_certificate_timestamp", data, b)
	}

	if m, ok := readECH(data); ok {
		b := cryptobyte.NewBuilder(nil)
		b.AddUint8(m.typ)
		if m.typ == 0 {
			b.AddUint16(m.kdf)
			b.AddUint16(m.aead)
			b.AddUint8(m.configID)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.enc) })
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.payload) })
		}
		checkReencoded(t, "encrypted_client_hello", data, b)
	}
}

// addTestExtensions encodes an extension list (RFC 8446 §4.2).
func addTestExtensions(b *cryptobyte.Builder, exts []tlsExtension) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range exts {
			b.AddUint16(e.typ)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
		}
	})
}

// checkExtensionOffsets checks that each extension's offset is where its
// type and data are in body, the list's length at listOff before them.
func checkExtensionOffsets(t *testing.T, what string, body []byte, listOff int, exts []tlsExtension) {
	t.Helper()
	off := listOff + 2
	for i, e := range exts {
		if e.off != off || e.off+4+len(e.data) > len(body) ||
			uint16(body[e.off])<<8|uint16(body[e.off+1]) != e.typ || !bytes.Equal(body[e.off+4:e.off+4+len(e.data)], e.data) {
			t.Fatalf("%s: extension %d (type %d, %d bytes) at %d, expected at %d of %d", what, i, e.typ, len(e.data), e.off, off, len(body))
		}
		off += 4 + len(e.data)
	}
}

// checkReencoded checks that what a parser read, encoded again, is the
// input.
func checkReencoded(t *testing.T, what string, data []byte, b *cryptobyte.Builder) {
	t.Helper()
	got, err := b.Bytes()
	if err != nil {
		t.Fatalf("%s: fields do not encode: %v", what, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("%s: fields encode to\n%x\nnot the input\n%x", what, got, data)
	}
}
