package decode

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
)

// A token made by Python's cryptography.fernet for b"fluffy tail".
const pyFernetToken = "gAAAAABrCrrmmn4leQhBdZJjjoZImVF7Hd8831ZL9bVM2iOHFU7LsjUm40CFJUemBX9P964O9kesh2iGFqjyncf_RSF716Hy6g=="

func TestParseFernetToken(t *testing.T) {
	tok, err := ParseFernetToken([]byte(pyFernetToken))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Version != 0x80 || len(tok.IV) != 16 || len(tok.Ciphertext) != 16 || len(tok.HMAC) != 32 {
		t.Errorf("token parts: version %x, iv %d, ciphertext %d, hmac %d", tok.Version, len(tok.IV), len(tok.Ciphertext), len(tok.HMAC))
	}
	if tok.Timestamp.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("timestamp %v", tok.Timestamp)
	}
	raw, _ := base64.URLEncoding.DecodeString(pyFernetToken)
	bad := func(mutate func([]byte) []byte) string {
		b := mutate(append([]byte(nil), raw...))
		return base64.URLEncoding.EncodeToString(b)
	}
	tests := []struct{ name, text, want string }{
		{"not base64", "gAAAAA!!!!", "not url-safe base64"},
		{"wrong version", bad(func(b []byte) []byte { b[0] = 0x81; return b }), "version 0x81"},
		{"ragged ciphertext", bad(func(b []byte) []byte { return append(b, 1, 2, 3) }), "not whole AES blocks"},
		{"too short", bad(func(b []byte) []byte { return b[:60] }), "too short"},
	}
	for _, tt := range tests {
		if _, err := ParseFernetToken([]byte(tt.text)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	// Every truncated prefix of the decoded token is rejected.
	for i := 0; i < len(raw); i++ {
		if _, err := ParseFernetToken([]byte(base64.URLEncoding.EncodeToString(raw[:i]))); err == nil {
			t.Errorf("a %d-byte prefix parses", i)
		}
	}
}

// TestDissectFernet finds the token in the demo capture's Fernet response.
func TestDissectFernet(t *testing.T) {
	an := NewAnalyzer(Options{})
	if !fastPassFile("testdata/oracle/demo.pcapng", an) {
		t.Skip("no demo capture")
	}
	an.Finish()
	// The display filter "fernet" (package decode/dfilter, which imports
	// this one): the name is registered and some node has it.
	if _, _, ok := LookupField("fernet"); !ok {
		t.Fatal(`"fernet" is neither a field nor a protocol name`)
	}
	var found []*Packet
	eachDissected(t, "testdata/oracle/demo.pcapng", an, func(p *Packet) {
		if len(p.Fields("fernet")) > 0 {
			found = append(found, p)
		}
	})
	if len(found) != 1 {
		t.Fatalf("%d packets match fernet, want 1 (the Fernet server's response)", len(found))
	}
	p := found[0]
	if got := p.FieldText("fernet.ciphertext_len", ","); got != "16" {
		t.Errorf("fernet.ciphertext_len = %q, want 16 (\"fluffy tail\" padded to one block)", got)
	}
	if !strings.HasPrefix(p.FieldText("fernet.token", ","), "gAAAAA") || !strings.Contains(p.Summary.Info, "Fernet token (encrypted, 16 bytes)") {
		t.Errorf("token %q, info %q", p.FieldText("fernet.token", ","), p.Summary.Info)
	}
	tok := p.Fields("fernet.token")[0]
	if string(p.Sources[tok.Source].Data[tok.Start:tok.Start+tok.Len]) != tok.S {
		t.Errorf("fernet.token's byte range does not hold the token")
	}
}

func FuzzFernetToken(f *testing.F) {
	f.Add([]byte(pyFernetToken))
	f.Add([]byte("gAAAAA"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if tok, err := ParseFernetToken(b); err == nil && len(tok.Raw) != fernetOverhead+len(tok.Ciphertext) {
			t.Fatalf("parts do not add up: %d raw, %d ciphertext", len(tok.Raw), len(tok.Ciphertext))
		}
	})
}

// TestFernetWithKey: with the Fernet server's key, the demo's token is
// verified and decrypted, and the exposure says the key reveals the
// secret; with another key it says the HMAC did not verify.
func TestFernetWithKey(t *testing.T) {
	dir := filepath.Join("testdata", "tlsdecrypt", "demo")
	keyText, err := os.ReadFile(filepath.Join(dir, "fernet.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := fernet.DecodeKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatal(err)
	}
	var other fernet.Key
	if err := other.Generate(); err != nil {
		t.Fatal(err)
	}
	kl := NewKeyLog()
	if _, err := kl.ReadFile(filepath.Join(dir, "keys.log")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		keys      []*fernet.Key
		verified  string
		plaintext string
		keysFrame int // the Fernet stream's KeysFrame
	}{
		{"the server's key", []*fernet.Key{key}, "1", "fluffy tail", 13},
		{"another key", []*fernet.Key{&other}, "0", "", 0},
		{"both keys", []*fernet.Key{&other, key}, "1", "fluffy tail", 13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			an := NewAnalyzer(Options{FernetKeys: tc.keys, KeyLog: kl, Secrets: [][]byte{[]byte("fluffy tail")}})
			file := filepath.Join(dir, "demo.pcapng")
			if !fastPassFile(file, an) {
				t.Fatal("no demo capture")
			}
			an.Finish()
			n := 0
			eachDissected(t, file, an, func(p *Packet) {
				if len(p.Fields("fernet")) == 0 {
					return
				}
				n++
				if got := p.FieldText("fernet.verified", ","); got != tc.verified {
					t.Errorf("fernet.verified = %q, want %q", got, tc.verified)
				}
				if got := p.FieldText("fernet.plaintext", ","); got != tc.plaintext {
					t.Errorf("fernet.plaintext = %q, want %q", got, tc.plaintext)
				}
			})
			if n != 1 {
				t.Fatalf("%d packets with a Fernet token, want 1", n)
			}
			byPort := map[uint16]*StreamExposure{}
			for _, s := range an.Exposures()[0].Streams {
				byPort[s.Server.Port] = s
			}
			if s := byPort[5684]; s == nil || s.SecretVisible() || s.KeysFrame != tc.keysFrame {
				t.Errorf("Fernet stream: %+v, want hidden and found with the keys in frame %d", s, tc.keysFrame)
			}
			if s := byPort[5685]; s == nil || s.SecretVisible() || s.KeysFrame != 25 {
				t.Errorf("HTTPS stream: want hidden, found with the keys in frame 25")
			}
		})
	}
}
