package demo

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
)

// fernetVector is one entry of the fernet/spec JSON files (testdata/fernet,
// see SOURCES there).
type fernetVector struct {
	Desc   string `json:"desc"`
	Token  string `json:"token"`
	Now    string `json:"now"`
	IV     []byte `json:"-"`
	RawIV  []int  `json:"iv"`
	TTLSec int    `json:"ttl_sec"`
	Src    string `json:"src"`
	Secret string `json:"secret"`
}

func loadFernetVectors(t *testing.T, name string) []fernetVector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fernet", name))
	if err != nil {
		t.Fatal(err)
	}
	var vs []fernetVector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s holds no vectors", name)
	}
	for i := range vs {
		for _, b := range vs[i].RawIV {
			vs[i].IV = append(vs[i].IV, byte(b))
		}
	}
	return vs
}

func (v fernetVector) parse(t *testing.T) (*fernet.Key, time.Time) {
	t.Helper()
	key, err := ParseFernetKey(v.Secret)
	if err != nil {
		t.Fatalf("key %q: %v", v.Secret, err)
	}
	now, err := time.Parse(time.RFC3339, v.Now)
	if err != nil {
		t.Fatalf("now %q: %v", v.Now, err)
	}
	return key, now
}

// fixedReader yields the vector's IV in place of crypto/rand.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errors.New("fixedReader: out of bytes")
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestFernetSpecGenerate makes each generate.json token with the vector's IV
// (crypto/rand.Reader swapped out for the duration; not parallel) and
// compares it byte for byte.
func TestFernetSpecGenerate(t *testing.T) {
	for i, v := range loadFernetVectors(t, "generate.json") {
		key, now := v.parse(t)
		saved := rand.Reader
		rand.Reader = &fixedReader{b: append([]byte(nil), v.IV...)}
		tok, err := fernet.EncryptAndSignAtTime([]byte(v.Src), key, now)
		rand.Reader = saved
		if err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		if string(tok) != v.Token {
			t.Errorf("vector %d:\n got %s\nwant %s", i, tok, v.Token)
		}
		// And our decrypt opens what was made, at the same instant.
		msg, err := FernetDecrypt(key, tok, time.Duration(60)*time.Second, now)
		if err != nil || string(msg) != v.Src {
			t.Errorf("vector %d: FernetDecrypt = %q, %v; want %q", i, msg, err, v.Src)
		}
	}
}

func TestFernetSpecVerify(t *testing.T) {
	for i, v := range loadFernetVectors(t, "verify.json") {
		key, now := v.parse(t)
		ttl := time.Duration(v.TTLSec) * time.Second
		msg, err := FernetDecrypt(key, []byte(v.Token), ttl, now)
		if err != nil {
			t.Errorf("vector %d: %v", i, err)
			continue
		}
		if string(msg) != v.Src {
			t.Errorf("vector %d: got %q, want %q", i, msg, v.Src)
		}
	}
}

func TestFernetSpecInvalid(t *testing.T) {
	// Which sentinel each spec vector should trip.
	want := map[string]error{
		"incorrect mac":  ErrFernetSignature,
		"too short":      ErrFernetToken,
		"invalid base64": ErrFernetToken,
		"payload size not multiple of block size": ErrFernetToken,
		"payload padding error":                   ErrFernetSignature,
		"far-future TS (unacceptable clock skew)": ErrFernetExpired,
		"expired TTL":                         ErrFernetExpired,
		"incorrect IV (causes padding error)": ErrFernetSignature,
	}
	for _, v := range loadFernetVectors(t, "invalid.json") {
		t.Run(v.Desc, func(t *testing.T) {
			key, now := v.parse(t)
			ttl := time.Duration(v.TTLSec) * time.Second
			msg, err := FernetDecrypt(key, []byte(v.Token), ttl, now)
			if err == nil {
				t.Fatalf("accepted, message %q", msg)
			}
			if w, ok := want[v.Desc]; ok && !errors.Is(err, w) {
				t.Errorf("error %q is not %v", err, w)
			}
			if !strings.HasPrefix(err.Error(), "demo: ") {
				t.Errorf("error %q lacks the demo: prefix", err)
			}
		})
	}
}

func TestFernetErrors(t *testing.T) {
	key, _ := ParseFernetKey(GenerateFernetKey())
	other, _ := ParseFernetKey(GenerateFernetKey())
	now := time.Now()
	tok, err := FernetEncrypt(key, []byte(DefaultSecret))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(string(tok))
	future := append([]byte(nil), raw...)
	binary.BigEndian.PutUint64(future[1:], binary.BigEndian.Uint64(raw[1:])+300) // 5 minutes ahead
	futureTok := []byte(base64.URLEncoding.EncodeToString(future))

	tests := []struct {
		name  string
		key   *fernet.Key
		token []byte
		ttl   time.Duration
		now   time.Time
		is    error
		text  string
	}{
		{"wrong key", other, tok, 0, now, ErrFernetSignature, "demo: the Fernet token was not made with this key (or was altered)"},
		{"not base64", key, []byte("fluffy tail"), 0, now, ErrFernetToken, "not a Fernet token"},
		{"expired", key, tok, time.Second, now.Add(time.Minute), ErrFernetExpired, "token expired (made at "},
		{"future", key, futureTok, 0, now, ErrFernetExpired, "token timestamp is in the future"},
		{"wrong version", key, []byte(base64.URLEncoding.EncodeToString(append([]byte{0x81}, raw[1:]...))), 0, now, ErrFernetToken, "version byte 0x80"},
		{"empty", key, nil, 0, now, ErrFernetToken, "not a Fernet token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := FernetDecrypt(tt.key, tt.token, tt.ttl, tt.now)
			if err == nil {
				t.Fatalf("accepted: %q", msg)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not contain %q", err, tt.text)
			}
		})
	}

	msg, err := FernetDecrypt(key, tok, time.Minute, now)
	if err != nil || string(msg) != DefaultSecret {
		t.Fatalf("round trip: %q, %v", msg, err)
	}
}

func TestParseFernetKey(t *testing.T) {
	var k32 [32]byte
	for i := range k32 {
		k32[i] = byte(i * 7)
	}
	tests := []struct {
		name, key string
		ok        bool
		text      string
	}{
		{"python generate_key", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=", true, ""},
		{"fresh", GenerateFernetKey(), true, ""},
		{"standard base64", base64.StdEncoding.EncodeToString(k32[:]), true, ""},
		{"surrounding space", " " + GenerateFernetKey() + "\n", true, ""},
		{"31 bytes", base64.URLEncoding.EncodeToString(k32[:31]), false, "(got 31 bytes)"},
		{"33 bytes", base64.URLEncoding.EncodeToString(append(k32[:], 1)), false, "(got 33 bytes)"},
		{"not base64", "this is not a key!", false, "(not base64: "},
		{"hex", hex.EncodeToString(k32[:]), false, "(got 48 bytes)"},
		{"empty", "", false, "(got 0 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseFernetKey(tt.key)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if k == nil {
					t.Fatal("nil key")
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %q", tt.key)
			}
			if !errors.Is(err, ErrFernetKey) {
				t.Errorf("error %q is not ErrFernetKey", err)
			}
			const prefix = "demo: SECRET_KEY must be 32 bytes of url-safe base64 "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q, want %q...%q", err, prefix, tt.text)
			}
			var h interface{ Hint() string }
			if !errors.As(err, &h) || h.Hint() != "make one with: wiretap fernet genkey" {
				t.Errorf("hint missing or wrong on %q", err)
			}
		})
	}
	// The Python-made key gives the key the spec vectors were made with.
	k, _ := ParseFernetKey("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	want, _ := base64.URLEncoding.DecodeString("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if !bytes.Equal(k[:], want) {
		t.Error("key bytes differ")
	}
	if len(GenerateFernetKey()) != 44 {
		t.Error("GenerateFernetKey is not 44 characters")
	}
}
