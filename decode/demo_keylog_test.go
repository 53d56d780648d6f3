package decode

import (
	"bytes"
	"path/filepath"
	"testing"

	"wiretap/decode/decodetest"
)

// TestDemoKeyLogDecrypts: the key log a demo run writes (keys.log, beside
// its capture in tlsdecrypt/demo) decrypts the HTTPS stream: the server's
// decrypted application data holds the secret, completed in a frame of
// the stream; without the key log the same stream hides it.
func TestDemoKeyLogDecrypts(t *testing.T) {
	dir := filepath.Join("testdata", "tlsdecrypt", "demo")
	pkts, err := decodetest.ReadFile(filepath.Join(dir, "demo.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	kl := NewKeyLog()
	if bad, err := kl.ReadFile(filepath.Join(dir, "keys.log")); err != nil || len(bad) > 0 || kl.Len() == 0 {
		t.Fatalf("keys.log: %d sessions, bad lines %v, %v", kl.Len(), bad, err)
	}
	secret := []byte("fluffy tail")
	tlsStream := func(opts Options) *StreamExposure {
		t.Helper()
		opts.Secrets = [][]byte{secret}
		exps := httpAnalyze(pkts, opts, -1).Exposures()
		var found *StreamExposure
		for _, s := range exps[0].Streams {
			if s.Protocol == ProtoTLS {
				if found != nil {
					t.Fatalf("two TLS streams: %d and %d", found.Index, s.Index)
				}
				found = s
			}
		}
		if found == nil {
			t.Fatal("no TLS stream in the demo capture")
		}
		return found
	}

	with := tlsStream(Options{KeyLog: kl})
	if !bytes.Contains(with.Decrypted, secret) {
		t.Errorf("with keys.log, the server's decrypted data (%d bytes) lacks %q: %.200q", len(with.Decrypted), secret, with.Decrypted)
	}
	if with.KeysFrame < with.FirstFrame || with.KeysFrame > with.LastFrame {
		t.Errorf("with keys.log, the secret is completed in frame %d, not one of the stream's %d..%d", with.KeysFrame, with.FirstFrame, with.LastFrame)
	}
	if with.SecretVisible() {
		t.Errorf("the secret is visible on the wire of the TLS stream (frame %d/%d)", with.SecretFrame, with.SecretStreamFrame)
	}

	without := tlsStream(Options{})
	if without.KeysFrame != 0 || len(without.Decrypted) != 0 || without.SecretVisible() {
		t.Errorf("without keys: frame %d, %d bytes decrypted, visible %v", without.KeysFrame, len(without.Decrypted), without.SecretVisible())
	}
}
