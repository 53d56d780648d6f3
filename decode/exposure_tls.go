package decode

// What a TLS conversation still tells an eavesdropper, read from the first
// bytes of each direction the exposure stage keeps: the server name and
// the application protocols the client asks for, the version and cipher
// suite the server picks and, before TLS 1.3 encrypts them, the names in
// its certificate.

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
)

// tlsLeaks lists those facts from the client's and the server's first
// bytes.
func tlsLeaks(client, server []byte) []string {
	var out []string
	for _, msg := range tlsPlainHandshakes(client) {
		if msg[0] != hsClientHello {
			continue
		}
		ch, err := parseClientHello(msg[4:])
		if err != nil {
			break
		}
		for _, e := range ch.extensions {
			switch e.typ {
			case extServerName:
				if names, ok := readServerNames(e.data); ok {
					for _, n := range names {
						out = append(out, "SNI "+string(n.name))
					}
				}
			case extALPN:
				if protos, ok := readALPN(e.data); ok {
					var ps []string
					for _, p := range protos {
						ps = append(ps, string(p))
					}
					out = append(out, "ALPN "+strings.Join(ps, ","))
				}
			}
		}
		break
	}
	tls13 := false
	for _, msg := range tlsPlainHandshakes(server) {
		switch msg[0] {
		case hsServerHello:
			sh, err := parseServerHello(msg[4:])
			if err != nil {
				return out
			}
			vers := sh.vers
			for _, e := range sh.extensions {
				if e.typ == extSupportedVersions && len(e.data) == 2 {
					vers = be16(e.data)
				}
			}
			tls13 = vers == versionTLS13
			name := tlsCipherSuiteNames[sh.cipherSuite]
			if name == "" {
				name = fmt.Sprintf("0x%04x", sh.cipherSuite)
			}
			out = append(out, tlsVersionName(vers)+" "+name)
		case hsCertificate:
			if tls13 {
				continue
			}
			certs, err := parseCertificate(msg[4:], false)
			if err != nil || len(certs.certs) == 0 {
				continue
			}
			if c, err := x509.ParseCertificate(certs.certs[0]); err == nil {
				var names []string
				for _, n := range append([]string{c.Subject.CommonName}, c.DNSNames...) {
					if n != "" && !slices.Contains(names, n) {
						names = append(names, n)
					}
				}
				issuer := c.Issuer.CommonName
				if issuer == "" {
					issuer = c.Issuer.String()
				}
				out = append(out, "certificate "+strings.Join(names, ",")+" issued by "+issuer)
			}
		}
	}
	return out
}

// tlsPlainHandshakes returns the handshake messages (header included) of
// b's leading plaintext handshake records, joined across records, up to
// the first record of another type.
func tlsPlainHandshakes(b []byte) [][]byte {
	var hs []byte
	for len(b) >= 5 && b[0] == tlsHandshake && looksLikeTLS(b) {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if n > len(b) {
			hs = append(hs, b[5:]...)
			break
		}
		hs = append(hs, b[5:n]...)
		b = b[n:]
	}
	var out [][]byte
	for len(hs) >= 4 {
		n := 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
		if n > len(hs) {
			break
		}
		out = append(out, hs[:n])
		hs = hs[n:]
	}
	return out
}
