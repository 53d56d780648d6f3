package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"
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

// fernetWithKeys adds what the keys make of a token: whether its HMAC
// verifies (fernet.verified) and, if so, its plaintext (fernet.plaintext,
// from a data source of its own). Tokens are not checked for age: a
// capture is read long after it was made.
func fernetWithKeys(p *Packet, node *Field, text []byte, keys []*fernet.Key) {
	msg := fernet.VerifyAndDecrypt(text, 0, keys)
	ok := msg != nil
	v := p.tree.newNode(Field{Name: "fernet.verified", Kind: KindBool, U: b2u(ok)}, "[HMAC verified with the key: %s]", yesNo(ok))
	node.Add(v)
	if !ok {
		node.Add(p.tree.newNode(Field{Name: "_ws.expert"}, "[Expert Info (Warning/Security): the HMAC did not verify with the given key: wrong key, or a forged token]"))
		return
	}
	node.Label = fmt.Sprintf("Fernet token, %d bytes of ciphertext (decrypted with the key)", len(msg))
	p.Sources = append(p.Sources, DataSource{Name: fmt.Sprintf("Decrypted Fernet (%d bytes)", len(msg)), Data: msg})
	node.Add(p.tree.newNode(Field{Name: "fernet.plaintext", Kind: KindString, S: string(msg), Source: len(p.Sources) - 1, Len: len(msg)}, "Plaintext: %s", printableQuote(msg)))
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// printableQuote is a Go-quoted string of b, at most 200 bytes of it.
func printableQuote(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("%q…", b[:200])
	}
	return fmt.Sprintf("%q", b)
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
// With keys (Options.FernetKeys), each token is verified and, when its
// HMAC is good, decrypted into a "Decrypted Fernet" data source.
func dissectFernet(p *Packet, keys []*fernet.Key) {
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
		if len(keys) > 0 {
			fernetWithKeys(p, node, text, keys)
		}
		p.Tree = append(p.Tree, node)
		p.Summary.Protocol = "Fernet"
		p.Summary.Info += fmt.Sprintf("  Fernet token (encrypted, %d bytes)", len(tok.Ciphertext))
	}
}
