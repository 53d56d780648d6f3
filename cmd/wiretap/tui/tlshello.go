package tui

import "fmt"

// clientHello is what a TLS ClientHello shows an eavesdropper in the clear.
type clientHello struct {
	serverName string
	alpn       []string
	versions   []string // supported_versions, when offered
}

// parseClientHello reads the first handshake record of a client's stream
// (RFC 8446 §4.1.2); ok is false when it does not start with one.
func parseClientHello(b []byte) (h clientHello, ok bool) {
	// Record header: type 22 (handshake), version, length.
	if len(b) < 9 || b[0] != 22 || b[5] != 1 {
		return h, false
	}
	recLen := int(b[3])<<8 | int(b[4])
	body := b[5:min(len(b), 5+recLen)]
	if len(body) < 4 {
		return h, false
	}
	r := reader{b: body[4:]} // skip the handshake type and length
	r.skip(2 + 32)           // legacy_version, random
	r.skip(int(r.u8()))      // session id
	r.skip(int(r.u16()))     // cipher suites
	r.skip(int(r.u8()))      // compression methods
	ext := reader{b: r.bytes(int(r.u16()))}
	for !ext.bad && len(ext.b) >= 4 {
		typ := ext.u16()
		data := reader{b: ext.bytes(int(ext.u16()))}
		switch typ {
		case 0: // server_name
			list := reader{b: data.bytes(int(data.u16()))}
			for !list.bad && len(list.b) >= 3 {
				kind := list.u8()
				name := list.bytes(int(list.u16()))
				if kind == 0 && !list.bad {
					h.serverName = string(name)
				}
			}
		case 16: // application_layer_protocol_negotiation
			list := reader{b: data.bytes(int(data.u16()))}
			for !list.bad && len(list.b) >= 1 {
				p := list.bytes(int(list.u8()))
				if !list.bad {
					h.alpn = append(h.alpn, string(p))
				}
			}
		case 43: // supported_versions
			list := reader{b: data.bytes(int(data.u8()))}
			for !list.bad && len(list.b) >= 2 {
				h.versions = append(h.versions, tlsVersionName(list.u16()))
			}
		}
	}
	return h, !r.bad
}

func tlsVersionName(v uint16) string {
	switch v {
	case 0x0304:
		return "TLS 1.3"
	case 0x0303:
		return "TLS 1.2"
	case 0x0302:
		return "TLS 1.1"
	case 0x0301:
		return "TLS 1.0"
	}
	return fmt.Sprintf("0x%04x", v)
}

// reader reads big-endian fields, remembering a short read instead of
// failing at each step.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if n > len(r.b) || n < 0 {
		r.bad = true
		r.b = nil
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) skip(n int) { r.bytes(n) }

func (r *reader) u8() uint8 {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return uint16(b[0])<<8 | uint16(b[1])
}
