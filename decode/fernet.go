package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Fernet tokens (https://github.com/fernet/spec, "Token Format"):
//
//	Version (1 byte, 0x80) ‖ Timestamp (8 bytes, big-endian seconds) ‖
//	IV (16 bytes) ‖ Ciphertext (AES-128-CBC, whole 16-byte blocks) ‖
//	HMAC (32 bytes, SHA-256 over everything before it)
//
// all in url-safe base64. Without the key an eavesdropper can read the
// structure — when the token was made, how long the message is — but not
// the message.

// FernetToken is a parsed token; the byte slices point into Raw.
type FernetToken struct {
	Raw        []byte // the decoded token
	Version    byte
	Timestamp  time.Time
	IV         []byte
	Ciphertext []byte
	HMAC       []byte
}

const (
	fernetVersion  = 0x80
	fernetOverhead = 1 + 8 + 16 + 32
)

// ParseFernetToken reads text as a Fernet token, checking every length.
func ParseFernetToken(text []byte) (*FernetToken, error) {
	raw := make([]byte, base64.URLEncoding.DecodedLen(len(text)))
	n, err := base64.URLEncoding.Decode(raw, text)
	if err != nil {
		return nil, errors.New("decode: fernet: not url-safe base64")
	}
	raw = raw[:n]
	if n < fernetOverhead+16 {
		return nil, fmt.Errorf("decode: fernet: %d bytes is too short for a token", n)
	}
	if raw[0] != fernetVersion {
		return nil, fmt.Errorf("decode: fernet: version 0x%02x, want 0x80", raw[0])
	}
	if (n-fernetOverhead)%16 != 0 {
		return nil, fmt.Errorf("decode: fernet: ciphertext of %d bytes is not whole AES blocks", n-fernetOverhead)
	}
	return &FernetToken{
		Raw:        raw,
		Version:    raw[0],
		Timestamp:  time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0).UTC(),
		IV:         raw[9:25],
		Ciphertext: raw[25 : n-32],
		HMAC:       raw[n-32:],
	}, nil
}

// IsFernetToken reports whether b has the shape of a Fernet token.
func IsFernetToken(b []byte) bool {
	if len(b) < 76 || !bytes.HasPrefix(b, []byte("gAAAAA")) {
		return false
	}
	_, err := ParseFernetToken(b)
	return err == nil
}

// fernetInBody is the Fernet stage of the fast pass: the token an HTTP
// body is (blanks around it allowed), nil if it is none.
func fernetInBody(body []byte) *FernetToken {
	body = bytes.TrimSpace(body)
	if len(body) < 76 || !bytes.HasPrefix(body, []byte("gAAAAA")) {
		return nil
	}
	tok, err := ParseFernetToken(body)
	if err != nil {
		return nil
	}
	return tok
}

// dissectFernet adds a "fernet" node for each HTTP body that is a Fernet
// token. Byte ranges point into the base64 text, at the characters that
// encode each part.
func dissectFernet(p *Packet) {
	if !p.fileData {
		return
	}
	for _, body := range p.Fields("http.file_data") {
		if body.Source >= len(p.Sources) || body.Start+body.Len > len(p.Sources[body.Source].Data) {
			continue
		}
		text := p.Sources[body.Source].Data[body.Start : body.Start+body.Len]
		lead := len(text) - len(bytes.TrimLeft(text, " \t\r\n"))
		text = bytes.TrimSpace(text)
		if !IsFernetToken(text) {
			continue
		}
		tok, _ := ParseFernetToken(text)
		start := body.Start + lead
		// part maps decoded bytes [off, off+n) to the base64 characters
		// that carry them.
		part := func(name, label string, kind Kind, off, n int) *Field {
			from, to := off*4/3, min((off+n+2)/3*4, len(text))
			return p.tree.newNode(Field{Name: name, Kind: kind, Source: body.Source, Start: start + from, Len: to - from}, label)
		}
		node := p.tree.newNode(Field{Name: "fernet", Kind: KindProtocol, Source: body.Source, Start: start, Len: len(text)}, "Fernet token, %d bytes of ciphertext (encrypted: unreadable without the key)", len(tok.Ciphertext))
		t := p.tree.newNode(Field{Name: "fernet.token", Kind: KindString, S: string(text), Source: body.Source, Start: start, Len: len(text)}, "Token: "+string(text))
		node.Add(t)
		node.Add(part("", fmt.Sprintf("Version: 0x%02x", tok.Version), KindNone, 0, 1))
		ts := part("fernet.timestamp", "Timestamp: "+tok.Timestamp.Format("2006-01-02 15:04:05 UTC"), KindTime, 1, 8)
		ts.T = tok.Timestamp
		node.Add(ts)
		iv := part("fernet.iv", fmt.Sprintf("IV: %x", tok.IV), KindBytes, 9, 16)
		iv.B = tok.IV
		node.Add(iv)
		cl := part("fernet.ciphertext_len", fmt.Sprintf("Ciphertext length: %d", len(tok.Ciphertext)), KindUint, 25, len(tok.Ciphertext))
		cl.U, cl.Bits = uint64(len(tok.Ciphertext)), 64
		node.Add(cl)
		mac := part("fernet.hmac", fmt.Sprintf("HMAC: %x", tok.HMAC), KindBytes, len(tok.Raw)-32, 32)
		mac.B = tok.HMAC
		node.Add(mac)
		p.Tree = append(p.Tree, node)
		p.Summary.Protocol = "Fernet"
		p.Summary.Info += fmt.Sprintf("  Fernet token (encrypted, %d bytes)", len(tok.Ciphertext))
	}
}
