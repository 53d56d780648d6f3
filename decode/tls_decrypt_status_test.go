package decode

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// TestTLSDecryptStatus: what a record that cannot be decrypted shows — a
// clear status, no plaintext, no false HTTP or data — on the TLS 1.3
// "ping"/"pong" session (frame 11: the client's "ping", frame 17: the
// server's "pong").
func TestTLSDecryptStatus(t *testing.T) {
	dir := oracletest.Testdata("decode", "tls", "illustrated-tls13")
	pkts, err := decodetest.ReadFile(filepath.Join(dir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	kl := NewKeyLog()
	if _, err := kl.ReadFile(filepath.Join(dir, "keylog.txt")); err != nil {
		t.Fatal(err)
	}
	other := NewKeyLog()
	if _, err := other.ReadFile(oracletest.Testdata("decode", "tls", "zeek", "tls12-decryption.keylog.derived.txt")); err != nil {
		t.Fatal(err)
	}
	tampered := func(ps []decodetest.Packet) []decodetest.Packet {
		out := append([]decodetest.Packet(nil), ps...)
		d := bytes.Clone(out[10].Data)
		d[len(d)-3] ^= 0x01 // in frame 11's ciphertext
		out[10].Data = d
		return out
	}
	for _, tc := range []struct {
		name   string
		pkts   []decodetest.Packet
		keys   *KeyLog
		frame  int    // frame to check, numbered in tc.pkts
		status string // tls.decrypt.status, "" for decrypted
		data   string // data.data expected (decrypted), "" none
	}{
		{"decrypted", pkts, kl, 11, "", "70696e67"},
		{"tampered record", tampered(pkts), kl, 11, "record did not decrypt: decode: tls record authentication failed", ""},
		{"after the tampered record", tampered(pkts), kl, 17, "", "706f6e67"},
		{"another session's key log", pkts, other, 11, "no CLIENT_HANDSHAKE_TRAFFIC_SECRET for this session in the key log", ""},
		{"capture starts after the handshake", pkts[10:], kl, 1, "no ClientHello seen: the capture starts after the handshake", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := httpAnalyze(tc.pkts, Options{KeyLog: tc.keys}, -1)
			n := tc.frame
			p := a.Dissect(n, tc.pkts[n-1].CI, tc.pkts[n-1].LinkType, tc.pkts[n-1].Data)
			if got := p.FieldText("tls.decrypt.status", ","); got != tc.status {
				t.Errorf("tls.decrypt.status = %q, want %q", got, tc.status)
			}
			if got := p.FieldText("data.data", ","); got != strings.ReplaceAll(tc.data, ":", "") {
				t.Errorf("data.data = %q, want %q", got, tc.data)
			}
			if tc.status != "" {
				if len(p.Sources) > 1 || p.Summary.Info != "Application Data" {
					t.Errorf("an undecrypted record shows plaintext: %d data sources, Info %q", len(p.Sources), p.Summary.Info)
				}
			}
			r := a.Row(n, tc.pkts[n-1].CI, tc.pkts[n-1].LinkType, tc.pkts[n-1].Data)
			if r.Info != p.Summary.Info || r.Protocol != p.Summary.Protocol {
				t.Errorf("Row %q %q, Dissect %q %q", r.Protocol, r.Info, p.Summary.Protocol, p.Summary.Info)
			}
		})
	}
}

// TestExposureWithKeys: -z exposure's second half — a secret an
// eavesdropper cannot read, which the keys reveal in frame 11 (the
// decrypted 301 response).
func TestExposureWithKeys(t *testing.T) {
	dir := oracletest.Testdata("decode", "tls", "zeek")
	pkts, err := decodetest.ReadFile(filepath.Join(dir, "tls12-decryption.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	kl := NewKeyLog()
	if _, err := kl.ReadFile(filepath.Join(dir, "tls12-decryption.keylog.derived.txt")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		keys      *KeyLog
		keysFrame int
	}{{nil, 0}, {NewKeyLog(), 0}, {kl, 11}} {
		a := httpAnalyze(pkts, Options{KeyLog: tc.keys, Secrets: [][]byte{[]byte("Moved Permanently")}}, -1)
		ex := a.Exposures()[0]
		s := ex.Streams[0]
		if s.SecretVisible() || s.KeysFrame != tc.keysFrame {
			t.Errorf("keys %v: visible %v, found with the keys in frame %d; want hidden, %d", tc.keys != nil, s.SecretVisible(), s.KeysFrame, tc.keysFrame)
		}
		if ex.Keys != (tc.keysFrame != 0) || (tc.keysFrame != 0) != bytes.Contains(s.Decrypted, []byte("301 Moved")) {
			t.Errorf("keys %v: Exposure.Keys %v, decrypted server data %.20q", tc.keys != nil, ex.Keys, s.Decrypted)
		}
	}
}

// TestTLSDecryptZeroRTTWithoutEarlySecret: OpenSSL's 0-RTT session with a
// key log that lacks CLIENT_EARLY_TRAFFIC_SECRET: the early data (frame 21)
// stays encrypted and says which secret is missing; the handshake after
// it (the client's Finished, frame 25) still decrypts.
func TestTLSDecryptZeroRTTWithoutEarlySecret(t *testing.T) {
	dir := oracletest.Testdata("decode", "tlsdecrypt", "zerortt")
	pkts, err := decodetest.ReadFile(filepath.Join(dir, "zrtt.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		keys, status, early string
	}{
		{"keys.log", "", "GET /early HTTP/1.0\r\n"},
		{"keys-no-early.log", "no CLIENT_EARLY_TRAFFIC_SECRET for this session in the key log", ""},
	} {
		kl := NewKeyLog()
		if _, err := kl.ReadFile(filepath.Join(dir, tc.keys)); err != nil {
			t.Fatal(err)
		}
		a := httpAnalyze(pkts, Options{KeyLog: kl}, -1)
		p := a.Dissect(21, pkts[20].CI, pkts[20].LinkType, pkts[20].Data)
		if got := p.FieldText("tls.decrypt.status", ","); got != tc.status {
			t.Errorf("%s: frame 21 tls.decrypt.status = %q, want %q", tc.keys, got, tc.status)
		}
		if got := p.FieldText("http.request.line", ","); tc.early == "" && got != "" || tc.early != "" && !strings.Contains(p.FieldText("http.request.method", ","), "GET") {
			t.Errorf("%s: frame 21's early data shows %q (method %q)", tc.keys, got, p.FieldText("http.request.method", ","))
		}
		f := a.Dissect(25, pkts[24].CI, pkts[24].LinkType, pkts[24].Data)
		if !strings.Contains(f.FieldText("tls.handshake.type", ","), "20") {
			t.Errorf("%s: frame 25's Finished did not decrypt: %q", tc.keys, f.Summary.Info)
		}
	}
}

// TestTLSDecryptLateKeys: the key log's lines arrive after the server's
// flight was read (a key log still being written during a live capture):
// the client's Finished and both sides' data still decrypt, at their
// places (the server's flight itself stays encrypted).
func TestTLSDecryptLateKeys(t *testing.T) {
	dir := oracletest.Testdata("decode", "tls", "illustrated-tls13")
	pkts, err := decodetest.ReadFile(filepath.Join(dir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	kl := NewKeyLog()
	a := NewAnalyzer(Options{KeyLog: kl, Live: true})
	for i, p := range pkts {
		if i == 7 { // after frame 7, the server's encrypted flight
			if _, err := kl.ReadFile(filepath.Join(dir, "keylog.txt")); err != nil {
				t.Fatal(err)
			}
		}
		a.Add(i+1, p.CI, p.LinkType, p.Data)
	}
	a.Finish()
	for _, tc := range []struct {
		frame int
		info  string
	}{
		{7, "Server Hello, Change Cipher Spec, Application Data, Application Data, Application Data, Application Data"},
		{9, "Change Cipher Spec, Finished"},
		{11, "Application Data"},
		{13, "New Session Ticket"},
		{17, "Application Data"},
	} {
		p := a.Dissect(tc.frame, pkts[tc.frame-1].CI, pkts[tc.frame-1].LinkType, pkts[tc.frame-1].Data)
		if p.Summary.Info != tc.info {
			t.Errorf("frame %d: Info %q, want %q", tc.frame, p.Summary.Info, tc.info)
		}
		if want := map[int]string{11: "70696e67", 17: "706f6e67"}[tc.frame]; p.FieldText("data.data", ",") != want {
			t.Errorf("frame %d: data %q, want %q", tc.frame, p.FieldText("data.data", ","), want)
		}
	}
}

// TestTLSDecryptConcurrent: the tree tier opens records again from
// several goroutines at once (read's workers, the viewer's): each gets
// the tree it would get alone. Run with -race to check the decryptor
// cache's locking.
func TestTLSDecryptConcurrent(t *testing.T) {
	dir := oracletest.Testdata("decode", "tls", "hotplace-http1")
	pkts, err := decodetest.ReadFile(filepath.Join(dir, "http2.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	kl := NewKeyLog()
	if _, err := kl.ReadFile(filepath.Join(dir, "sslkeylog")); err != nil {
		t.Fatal(err)
	}
	a := httpAnalyze(pkts, Options{KeyLog: kl, Force: map[uint16]string{9000: "tls"}}, -1)
	want := make([]string, len(pkts))
	for i, p := range pkts {
		want[i] = a.Dissect(i+1, p.CI, p.LinkType, p.Data).Summary.Info
	}
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for k := range pkts {
				i := (k*7 + g*13) % len(pkts)
				if got := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data).Summary.Info; got != want[i] {
					errs <- fmt.Sprintf("frame %d: %q, alone %q", i+1, got, want[i])
					return
				}
			}
			errs <- ""
		}(g)
	}
	for g := 0; g < 4; g++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
