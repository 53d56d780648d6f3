package demo

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fernet/fernet-go"
)

// Sentinels for errors.Is on the errors of the Fernet helpers.
var (
	ErrFernetKey       = errors.New("bad Fernet key")
	ErrFernetToken     = errors.New("malformed Fernet token")
	ErrFernetExpired   = errors.New("Fernet token expired")
	ErrFernetSignature = errors.New("Fernet token signature mismatch")
)

const (
	fernetVersion  = 0x80
	fernetMinLen   = 1 + 8 + 16 + 16 + 32 // version, timestamp, IV, one block, HMAC
	fernetMaxSkew  = 60 * time.Second
	fernetKeyHint  = "make one with: wiretap fernet genkey"
	fernetKeyBytes = 32
)

// ParseFernetKey decodes a key the way Python's Fernet(key) does: 32 bytes
// in url-safe base64 (what Fernet.generate_key() prints). Standard base64 is
// accepted too, as fernet-go does; the hex form fernet-go also knows is
// rejected, because Python would reject it.
func ParseFernetKey(s string) (*fernet.Key, error) {
	s = strings.TrimSpace(s)
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		if b2, err2 := base64.StdEncoding.DecodeString(s); err2 == nil {
			b, err = b2, nil
		}
	}
	if err != nil {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: SECRET_KEY must be 32 bytes of url-safe base64 (not base64: %v)", err),
			NextStep: fernetKeyHint,
			Kind:     ErrFernetKey,
		}
	}
	if len(b) != fernetKeyBytes {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: SECRET_KEY must be 32 bytes of url-safe base64 (got %d bytes)", len(b)),
			NextStep: fernetKeyHint,
			Kind:     ErrFernetKey,
		}
	}
	k := new(fernet.Key)
	copy(k[:], b)
	return k, nil
}

// GenerateFernetKey makes a fresh random key in the form Python's
// Fernet.generate_key() prints: 44 characters of url-safe base64.
func GenerateFernetKey() string {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic("demo: cannot read random bytes: " + err.Error())
	}
	return k.Encode()
}

// FernetEncrypt makes a Fernet token for msg, stamped with the current time.
func FernetEncrypt(key *fernet.Key, msg []byte) ([]byte, error) {
	if key == nil {
		return nil, &squirrelError{Msg: "demo: no Fernet key", NextStep: fernetKeyHint, Kind: ErrFernetKey}
	}
	return fernet.EncryptAndSign(msg, key)
}

// FernetDecrypt checks token and returns the message inside it. ttl > 0
// rejects tokens older than ttl at time now; a timestamp more than 60s after
// now is always rejected. The structural and time checks are done here
// (fernet-go only knows time.Now and says nothing about why a token failed)
// so each failure has its own error: ErrFernetToken, ErrFernetExpired or
// ErrFernetSignature.
func FernetDecrypt(key *fernet.Key, token []byte, ttl time.Duration, now time.Time) ([]byte, error) {
	if key == nil {
		return nil, &squirrelError{Msg: "demo: no Fernet key", NextStep: fernetKeyHint, Kind: ErrFernetKey}
	}
	raw, err := base64.URLEncoding.DecodeString(string(token))
	if err != nil {
		return nil, tokenError(token, fmt.Sprintf("not url-safe base64: %v", err))
	}
	switch {
	case len(raw) == 0 || raw[0] != fernetVersion:
		return nil, tokenError(token, "it does not start with the version byte 0x80")
	case len(raw) < fernetMinLen:
		return nil, tokenError(token, fmt.Sprintf("%d bytes is too short (at least %d)", len(raw), fernetMinLen))
	case (len(raw)-fernetMinLen)%16 != 0:
		return nil, tokenError(token, fmt.Sprintf("%d bytes is not 57 + a multiple of 16", len(raw)))
	}
	ts := binary.BigEndian.Uint64(raw[1:9])
	if ts > 1<<62 {
		return nil, &squirrelError{
			Msg:      "demo: Fernet token timestamp is in the future",
			NextStep: "the token was made by a clock far ahead of this one",
			Kind:     ErrFernetExpired,
		}
	}
	made := time.Unix(int64(ts), 0)
	if ttl > 0 && now.After(made.Add(ttl)) {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: Fernet token expired (made at %s, ttl %s)", made.UTC().Format(time.RFC3339), ttl),
			NextStep: "make a fresh token, or allow more time with a longer --ttl",
			Kind:     ErrFernetExpired,
		}
	}
	if made.After(now.Add(fernetMaxSkew)) {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: Fernet token timestamp is in the future (made at %s, now %s)", made.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)),
			NextStep: "the token was made by a clock more than 60s ahead of this one",
			Kind:     ErrFernetExpired,
		}
	}
	msg := fernet.VerifyAndDecrypt(token, 0, []*fernet.Key{key})
	if msg == nil {
		return nil, &squirrelError{
			Msg:      "demo: the Fernet token was not made with this key (or was altered)",
			NextStep: "SECRET_KEY must be the same key the token's maker (the server) used",
			Kind:     ErrFernetSignature,
		}
	}
	return msg, nil
}

// tokenError reports a malformed token, showing its first bytes.
func tokenError(token []byte, why string) error {
	return &squirrelError{
		Msg:      fmt.Sprintf("demo: not a Fernet token (%s): starts %s", why, quoteHead(token, 32)),
		NextStep: "a Fernet token is url-safe base64 starting with \"gAAAAA\"",
		Kind:     ErrFernetToken,
	}
}

// quoteHead quotes up to n bytes of b, noting how much was left out.
func quoteHead(b []byte, n int) string {
	if len(b) <= n {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q... (%d bytes)", b[:n], len(b))
}
