package decode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// Test values: a client random and secrets whose bytes say what they are.
var (
	testRandom  = bytes.Repeat([]byte{0xc1}, 32)
	testRandom2 = bytes.Repeat([]byte{0xc2}, 32)
	testSecret  = func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
)

func hx(b []byte) string { return hex.EncodeToString(b) }

// readKeyLog reads text into a new KeyLog; a read error fails t.
func readKeyLog(t *testing.T, text string) (*KeyLog, []error) {
	t.Helper()
	k := NewKeyLog()
	bad, err := k.Read(strings.NewReader(text), "test")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return k, bad
}

// Each label stores its secret, and only it, under its key.
func TestKeyLogLabels(t *testing.T) {
	for _, tc := range []struct {
		label string
		n     int
		field func(*TLSSecrets) []byte
	}{
		{"CLIENT_RANDOM", 48, func(s *TLSSecrets) []byte { return s.MasterSecret }},
		{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", 32, func(s *TLSSecrets) []byte { return s.ClientHandshake }},
		{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", 48, func(s *TLSSecrets) []byte { return s.ClientHandshake }},
		{"SERVER_HANDSHAKE_TRAFFIC_SECRET", 32, func(s *TLSSecrets) []byte { return s.ServerHandshake }},
		{"CLIENT_TRAFFIC_SECRET_0", 48, func(s *TLSSecrets) []byte { return s.ClientTraffic0 }},
		{"SERVER_TRAFFIC_SECRET_0", 32, func(s *TLSSecrets) []byte { return s.ServerTraffic0 }},
		{"CLIENT_EARLY_TRAFFIC_SECRET", 32, func(s *TLSSecrets) []byte { return s.ClientEarly }},
		{"EXPORTER_SECRET", 48, func(s *TLSSecrets) []byte { return s.Exporter }},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.label, tc.n), func(t *testing.T) {
			secret := testSecret(0x5e, tc.n)
			k, bad := readKeyLog(t, tc.label+" "+hx(testRandom)+" "+hx(secret)+"\n")
			if len(bad) != 0 {
				t.Fatalf("malformed: %v", bad)
			}
			s, ok := k.Lookup(testRandom)
			if !ok || k.Len() != 1 {
				t.Fatalf("Lookup: %v, Len %d", ok, k.Len())
			}
			if got := tc.field(&s); !bytes.Equal(got, secret) {
				t.Errorf("secret %x, want %x", got, secret)
			}
			set := 0
			for _, b := range secretSlots(&s) {
				if b != nil {
					set++
				}
			}
			if set != 1 {
				t.Errorf("%d secrets set, want 1: %+v", set, s)
			}
			if _, ok := k.Lookup(testRandom2); ok {
				t.Errorf("another random found")
			}
			if _, ok := k.LookupRSA(testRandom[:8]); ok {
				t.Errorf("found as an RSA entry")
			}
		})
	}
}

func secretSlots(s *TLSSecrets) [][]byte {
	return [][]byte{s.MasterSecret, s.ClientHandshake, s.ServerHandshake, s.ClientTraffic0, s.ServerTraffic0, s.ClientEarly, s.Exporter}
}

// What is skipped silently, and what is tolerated around valid lines.
func TestKeyLogTolerated(t *testing.T) {
	master := testSecret(0x4d, 48)
	upper := strings.ToUpper("CLIENT_RANDOM " + hx(testRandom) + " " + hx(master))
	for _, tc := range []struct {
		name  string
		text  string
		found bool
	}{
		{"empty", "", false},
		{"comment", "# CLIENT_RANDOM " + hx(testRandom) + " " + hx(master) + "\n", false},
		{"indented comment", "  \t#CLIENT_RANDOM " + hx(testRandom) + " " + hx(master) + "\n", false},
		{"blank lines", "\n\n   \n\t\r\n", false},
		{"unknown label", "CLIENT_RANDOM_X " + hx(testRandom) + " " + hx(master) + "\n", false},
		{"unknown label with junk", "PMS_CLIENT_RANDOM zz\nSomething else entirely\n\x00\xff\x80\n", false},
		{"lowercase label", "client_random " + hx(testRandom) + " " + hx(master) + "\n", false},
		{"plain", "CLIENT_RANDOM " + hx(testRandom) + " " + hx(master) + "\n", true},
		{"no final newline", "CLIENT_RANDOM " + hx(testRandom) + " " + hx(master), true},
		{"CRLF", "# a comment\r\nCLIENT_RANDOM " + hx(testRandom) + " " + hx(master) + "\r\n\r\n", true},
		{"uppercase hex", upper + "\n", true},
		{"mixed-case hex", "CLIENT_RANDOM " + hx(testRandom)[:10] + strings.ToUpper(hx(testRandom)[10:]) + " " + hx(master) + "\n", true},
		{"surrounding white space", " \t CLIENT_RANDOM\t" + hx(testRandom) + "   " + hx(master) + " \t\r\n", true},
		{"among others", "# head\n\nFOO bar baz\nCLIENT_RANDOM " + hx(testRandom) + " " + hx(master) + "\nBAR\n# tail", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, bad := readKeyLog(t, tc.text)
			if len(bad) != 0 {
				t.Errorf("malformed: %v", bad)
			}
			s, ok := k.Lookup(testRandom)
			if ok != tc.found {
				t.Fatalf("found %v, want %v", ok, tc.found)
			}
			if tc.found && (!bytes.Equal(s.MasterSecret, master) || k.Len() != 1) {
				t.Errorf("master %x, Len %d", s.MasterSecret, k.Len())
			}
			if !tc.found && k.Len() != 0 {
				t.Errorf("Len %d", k.Len())
			}
		})
	}
}

// Malformed lines are reported with their line numbers and skipped; the
// valid lines around them are kept.
func TestKeyLogMalformed(t *testing.T) {
	r, m, s32 := hx(testRandom), hx(testSecret(0x4d, 48)), hx(testSecret(0x33, 32))
	valid := "CLIENT_RANDOM " + hx(testRandom2) + " " + m + "\n"
	for _, tc := range []struct {
		name string
		line string // put between two valid lines, as line 3 (after a comment)
		want string // the whole message
	}{
		{"label only", "CLIENT_RANDOM", "CLIENT_RANDOM line has 1 fields, want 3"},
		{"two fields", "CLIENT_RANDOM " + r, "CLIENT_RANDOM line has 2 fields, want 3"},
		{"four fields", "CLIENT_RANDOM " + r + " " + m + " extra", "CLIENT_RANDOM line has 4 or more fields, want 3"},
		{"many fields", "EXPORTER_SECRET a b c d e f", "EXPORTER_SECRET line has 4 or more fields, want 3"},
		{"random short", "CLIENT_RANDOM " + r[2:] + " " + m, "CLIENT_RANDOM line: client random has 62 hex digits, want 64"},
		{"random long", "SERVER_TRAFFIC_SECRET_0 " + r + "00 " + s32, "SERVER_TRAFFIC_SECRET_0 line: client random has 66 hex digits, want 64"},
		{"random odd", "CLIENT_RANDOM " + r[1:] + " " + m, "CLIENT_RANDOM line: client random has 63 hex digits, want 64"},
		{"random bad hex", "CLIENT_RANDOM " + r[:10] + "zz" + r[12:] + " " + m, `CLIENT_RANDOM line: client random is not hex: invalid byte 'z'`},
		{"secret bad hex", "CLIENT_RANDOM " + r + " " + m[:95] + "g", `CLIENT_RANDOM line: master secret is not hex: invalid byte 'g'`},
		{"master 32 bytes", "CLIENT_RANDOM " + r + " " + s32, "CLIENT_RANDOM line: master secret has 64 hex digits, want 96"},
		{"master odd", "CLIENT_RANDOM " + r + " " + m[1:], "CLIENT_RANDOM line: master secret has 95 hex digits, want 96"},
		{"TLS 1.3 secret 47 bytes", "CLIENT_TRAFFIC_SECRET_0 " + r + " " + m[2:], "CLIENT_TRAFFIC_SECRET_0 line: secret has 94 hex digits, want 64 or 96"},
		{"TLS 1.3 secret 64 bytes", "CLIENT_EARLY_TRAFFIC_SECRET " + r + " " + s32 + s32, "CLIENT_EARLY_TRAFFIC_SECRET line: secret has 128 hex digits, want 64 or 96"},
		{"TLS 1.3 secret 16 bytes", "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + r + " " + s32[:32], "CLIENT_HANDSHAKE_TRAFFIC_SECRET line: secret has 32 hex digits, want 64 or 96"},
		{"RSA prefix short", "RSA 0102030405060708aa " + m, "RSA line: encrypted pre-master secret prefix has 18 hex digits, want 16"},
		{"RSA prefix bad hex", "RSA 01020304050607xx " + m, `RSA line: encrypted pre-master secret prefix is not hex: invalid byte 'x'`},
		{"RSA secret short", "RSA 0102030405060708 " + s32, "RSA line: pre-master secret has 64 hex digits, want 96"},
		{"RSA two fields", "RSA 0102030405060708", "RSA line has 2 fields, want 3"},
		{"too long", "CLIENT_RANDOM " + r + " " + strings.Repeat("ab", 40_000), "line is longer than 65536 bytes"},
		{"too long, unknown label", strings.Repeat("x", 70_000), "line is longer than 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "# a key log\n" + valid + tc.line + "\r\n" + "CLIENT_RANDOM " + r + " " + m + "\n"
			k, bad := readKeyLog(t, text)
			if len(bad) != 1 {
				t.Fatalf("%d malformed lines, want 1: %v", len(bad), bad)
			}
			var ke *KeyLogError
			if !errors.As(bad[0], &ke) {
				t.Fatalf("%T is not a *KeyLogError", bad[0])
			}
			if ke.Line != 3 || ke.Source != "test" || ke.Msg != tc.want {
				t.Errorf("line %d of %q: %q\nwant line 3: %q", ke.Line, ke.Source, ke.Msg, tc.want)
			}
			if want := "decode: key log test line 3: " + tc.want; bad[0].Error() != want {
				t.Errorf("Error() = %q, want %q", bad[0], want)
			}
			// The lines before and after are read; the bad one stores nothing.
			s1, ok1 := k.Lookup(testRandom)
			_, ok2 := k.Lookup(testRandom2)
			if !ok1 || !ok2 || k.Len() != 2 || s1.MasterSecret == nil {
				t.Errorf("valid lines: %v %v, Len %d", ok1, ok2, k.Len())
			}
			for _, b := range secretSlots(&s1)[1:] {
				if b != nil {
					t.Errorf("the malformed line stored %x", b)
				}
			}
		})
	}
}

// Line numbers count every line (comments, blanks, CRLF), and several bad
// lines are each reported.
func TestKeyLogLineNumbers(t *testing.T) {
	r, m := hx(testRandom), hx(testSecret(0x4d, 48))
	text := strings.Join([]string{
		"# 1",
		"CLIENT_RANDOM " + r + " " + m + "\r", // 2
		"",                                    // 3
		"CLIENT_RANDOM " + r,                  // 4: bad
		"UNKNOWN x",                           // 5
		"\r",                                  // 6
		"EXPORTER_SECRET " + r + " 00",        // 7: bad
		"CLIENT_RANDOM " + r + " " + m + "0",  // 8: bad, no newline at the end
	}, "\n")
	_, bad := readKeyLog(t, text)
	var lines []int
	for _, e := range bad {
		lines = append(lines, e.(*KeyLogError).Line)
	}
	if got := fmt.Sprint(lines); got != "[4 7 8]" {
		t.Errorf("malformed lines %s, want [4 7 8]: %v", got, bad)
	}
}

// A later entry replaces an earlier one (as Wireshark keeps the latest),
// in the same Read and in a later one; other secrets of the random stay.
func TestKeyLogLastWins(t *testing.T) {
	r := hx(testRandom)
	first, second, third := testSecret(1, 32), testSecret(2, 48), testSecret(3, 32)
	server := testSecret(9, 32)
	k, bad := readKeyLog(t, "CLIENT_TRAFFIC_SECRET_0 "+r+" "+hx(first)+"\n"+
		"SERVER_TRAFFIC_SECRET_0 "+r+" "+hx(server)+"\n"+
		"CLIENT_TRAFFIC_SECRET_0 "+r+" "+hx(second)+"\n"+
		"CLIENT_TRAFFIC_SECRET_0 "+r+" "+hx(first)[:10]+"\n") // malformed: changes nothing
	if len(bad) != 1 {
		t.Fatalf("malformed: %v", bad)
	}
	before, _ := k.Lookup(testRandom)
	if !bytes.Equal(before.ClientTraffic0, second) || !bytes.Equal(before.ServerTraffic0, server) {
		t.Fatalf("after one Read: %+v", before)
	}
	if _, err := k.Read(strings.NewReader("CLIENT_TRAFFIC_SECRET_0 "+r+" "+hx(third)+"\n"), "more"); err != nil {
		t.Fatal(err)
	}
	s, _ := k.Lookup(testRandom)
	if !bytes.Equal(s.ClientTraffic0, third) || !bytes.Equal(s.ServerTraffic0, server) || k.Len() != 1 {
		t.Errorf("after the second Read: %+v, Len %d", s, k.Len())
	}
	// What Lookup returned before is not overwritten.
	if !bytes.Equal(before.ClientTraffic0, second) {
		t.Errorf("an earlier Lookup's secret changed to %x", before.ClientTraffic0)
	}
}

// The zero KeyLog works as NewKeyLog's.
func TestKeyLogZero(t *testing.T) {
	var k KeyLog
	if _, ok := k.Lookup(testRandom); ok || k.Len() != 0 {
		t.Errorf("empty: found %v, Len %d", ok, k.Len())
	}
	if _, ok := k.LookupRSA(testRandom[:8]); ok {
		t.Errorf("empty: RSA found")
	}
	bad, err := k.Read(strings.NewReader("RSA "+hx(testRandom[:8])+" "+hx(testSecret(1, 48))+"\nCLIENT_RANDOM "+hx(testRandom)+" "+hx(testSecret(2, 48))+"\n"), "zero")
	if bad != nil || err != nil || k.Len() != 2 {
		t.Errorf("Read: %v %v, Len %d", bad, err, k.Len())
	}
	if s, ok := k.Lookup(testRandom); !ok || s.MasterSecret[0] != 2 {
		t.Errorf("Lookup: %v %+v", ok, s)
	}
	if s, ok := k.LookupRSA(testRandom[:8]); !ok || s[0] != 1 {
		t.Errorf("LookupRSA: %v %x", ok, s)
	}
}

func TestKeyLogRSA(t *testing.T) {
	prefix := []byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4}
	pms, pms2 := testSecret(0x03, 48), testSecret(0x04, 48)
	k, bad := readKeyLog(t, "RSA "+strings.ToUpper(hx(prefix))+" "+hx(pms)+"\n"+
		"RSA 0000000000000000 "+hx(pms)+"\n"+
		"RSA 0000000000000000 "+hx(pms2)+"\n") // replaces the one before
	if len(bad) != 0 {
		t.Fatalf("malformed: %v", bad)
	}
	if k.Len() != 2 {
		t.Errorf("Len %d, want 2", k.Len())
	}
	// The key is the first 8 bytes: a whole encrypted pre-master secret
	// finds it too.
	for _, key := range [][]byte{prefix, append(bytes.Clone(prefix), testSecret(0x77, 248)...)} {
		if got, ok := k.LookupRSA(key); !ok || !bytes.Equal(got, pms) {
			t.Errorf("LookupRSA(%d bytes): %x %v", len(key), got, ok)
		}
	}
	if got, ok := k.LookupRSA(make([]byte, 8)); !ok || !bytes.Equal(got, pms2) {
		t.Errorf("LookupRSA(zeros): %x %v, want the later entry", got, ok)
	}
	for _, key := range [][]byte{nil, prefix[:7], {1, 2, 3, 4, 5, 6, 7, 8}} {
		if _, ok := k.LookupRSA(key); ok {
			t.Errorf("LookupRSA(%x) found", key)
		}
	}
	if _, ok := k.Lookup(append(bytes.Clone(prefix), make([]byte, 24)...)); ok {
		t.Errorf("an RSA entry found by Lookup")
	}
	for _, key := range [][]byte{nil, testRandom[:31], append(bytes.Clone(testRandom), 0)} {
		if _, ok := k.Lookup(key); ok {
			t.Errorf("Lookup of %d bytes found", len(key))
		}
	}
}

// failingReader returns its text, then an error.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestKeyLogReadError(t *testing.T) {
	boom := errors.New("boom")
	k := NewKeyLog()
	text := "CLIENT_RANDOM " + hx(testRandom) + " " + hx(testSecret(1, 48)) + "\nCLIENT_RANDOM " + hx(testRandom2)
	bad, err := k.Read(&failingReader{strings.NewReader(text), boom}, "pipe")
	if !errors.Is(err, boom) || err.Error() != "decode: key log pipe: after line 2: boom" {
		t.Errorf("error %v", err)
	}
	// The cut line was read as it was when the reader failed.
	if len(bad) != 1 || bad[0].(*KeyLogError).Line != 2 {
		t.Errorf("malformed %v", bad)
	}
	if _, ok := k.Lookup(testRandom); !ok {
		t.Errorf("the line before the error is lost")
	}
	if _, err := k.ReadFile(filepath.Join("testdata", "no such key log")); err == nil || !strings.HasPrefix(err.Error(), "decode: open testdata/no such key log") {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
}

// Lookups while Read adds lines (run with -race).
func TestKeyLogConcurrent(t *testing.T) {
	k := NewKeyLog()
	const n = 200
	randomOf := func(i int) []byte {
		r := make([]byte, 32)
		r[0], r[1] = byte(i), byte(i>>8)
		return r
	}
	var text strings.Builder
	for i := range n {
		fmt.Fprintf(&text, "CLIENT_RANDOM %s %s\nCLIENT_TRAFFIC_SECRET_0 %s %s\n", hx(randomOf(i)), hx(testSecret(byte(i), 48)), hx(randomOf(i)), hx(testSecret(byte(i), 32)))
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if bad, err := k.Read(strings.NewReader(text.String()), "concurrent"); err != nil || bad != nil {
				t.Errorf("Read: %v %v", bad, err)
			}
		})
	}
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < 4*n; i++ {
				if s, ok := k.Lookup(randomOf(i % n)); ok && s.MasterSecret[0] != byte(i%n) {
					t.Errorf("random %d: master secret %x", i%n, s.MasterSecret)
				}
				k.LookupRSA(randomOf(i))
				k.Len()
			}
		})
	}
	wg.Wait()
	if k.Len() != n {
		t.Errorf("Len %d, want %d", k.Len(), n)
	}
}

// The key logs that came with the TLS test captures: how many client
// randoms each has (counted with grep, awk and sort -u), that none of their
// lines is malformed, and which randoms are those of a ClientHello in the
// captures the key log belongs to. Three key logs also hold sessions their
// captures do not have; the randoms found are those tshark 4.0.17 shows
// (-Y tls.handshake.type==1 -T fields -e tls.handshake.random).
func TestKeyLogFiles(t *testing.T) {
	dir := filepath.Join("testdata", "tls")
	for _, tc := range []struct {
		keylog   string
		captures []string
		randoms  int      // client randoms
		tls12    int      // of which with a CLIENT_RANDOM master secret
		tls13    int      // with both application traffic secrets
		inHello  []string // the randoms found in a ClientHello of the captures; nil: all
	}{
		{"illustrated-tls13/keylog.txt", []string{"illustrated-tls13/capture.pcap"}, 1, 0, 1, nil},
		{"illustrated-tls12/keylog.txt", []string{"illustrated-tls12/capture.pcap"}, 1, 1, 0, nil},
		{"hotplace-tls13/sslkeylog", []string{
			"hotplace-tls13/handshake_failure.pcapng",
			"hotplace-tls13/tls13_TLS_AES_128_GCM_SHA256.pcapng",
			"hotplace-tls13/tls13_TLS_AES_256_GCM_SHA384.pcapng",
			"hotplace-tls13/tls13_TLS_CHACHA20_POLY1305_SHA256.pcapng",
		}, 12, 0, 12, []string{ // handshake_failure's ClientHello is not logged
			"809e8158ce5615096911896042afa66b1bdf63678c35ace06618e5da520c2ded",
			"b9398c3af35d1401fe4aa62ea94b264337f185bc844e1bc2dded3586b8dae225",
			"c55d7de4cca2ee3f725ca027cbb30a1bf3b857f2962aa4b7bccf3106bbc9e7b3",
		}},
		{"hotplace-http1/sslkeylog", []string{"hotplace-http1/http1.pcapng"}, 15, 2, 9, []string{
			"c126cfafae8cb4f1ec61468e6f8b16db41bcb2bd16ff0c81610f8c40c5d028e4",
			"f9cef6ee59e41f07f495a835982451150e5ad090ff6b33547b56a364f58e8b62",
		}},
		{"snet/TLS1_2_ECDHE-ECDSA-CHACHA20-POLY1305_auth.txt", []string{"snet/TLS1_2_ECDHE-ECDSA-CHACHA20-POLY1305_auth.pcap"}, 1, 1, 0, nil},
		{"snet/TLS1_2_ECDHE-RSA-AES128-GCM-SHA256_auth.txt", []string{"snet/TLS1_2_ECDHE-RSA-AES128-GCM-SHA256_auth.pcap"}, 1, 1, 0, nil},
		{"snet/TLS1_3_TLS_AES_128_GCM_SHA256.txt", []string{"snet/TLS1_3_TLS_AES_128_GCM_SHA256.pcap"}, 2, 0, 2, []string{
			"321b2e644ec48f3f3f21cd13e0ed0772d212a0788a472bcbca8aade25df8119e",
		}},
		{"zeek/tls12-decryption.keylog.derived.txt", []string{"zeek/tls12-decryption.pcap"}, 1, 1, 0, nil},
	} {
		t.Run(tc.keylog, func(t *testing.T) {
			k := NewKeyLog()
			bad, err := k.ReadFile(filepath.Join(dir, tc.keylog))
			if err != nil {
				t.Fatal(err)
			}
			if len(bad) != 0 {
				t.Errorf("malformed lines: %v", bad)
			}
			tls12, tls13 := 0, 0
			for _, s := range k.tls {
				if s.MasterSecret != nil {
					tls12++
				}
				if s.ClientTraffic0 != nil && s.ServerTraffic0 != nil {
					tls13++
				}
			}
			if k.Len() != tc.randoms || len(k.rsa) != 0 || tls12 != tc.tls12 || tls13 != tc.tls13 {
				t.Errorf("%d entries (%d RSA), %d with a master secret, %d with traffic secrets; want %d, 0, %d, %d",
					k.Len(), len(k.rsa), tls12, tls13, tc.randoms, tc.tls12, tc.tls13)
			}
			hellos := map[[32]byte]bool{}
			for _, c := range tc.captures {
				for _, r := range clientHelloRandoms(t, filepath.Join(dir, c)) {
					hellos[r] = true
				}
			}
			var found, want []string
			for r := range k.tls {
				if hellos[r] {
					found = append(found, hx(r[:]))
				}
				want = append(want, hx(r[:]))
			}
			if tc.inHello != nil {
				want = tc.inHello
			}
			slices.Sort(found)
			slices.Sort(want)
			if !slices.Equal(found, want) {
				t.Errorf("client randoms in the captures' %d ClientHellos:\n%s\nwant\n%s", len(hellos), strings.Join(found, "\n"), strings.Join(want, "\n"))
			}
			for _, r := range tc.inHello {
				if b, _ := hex.DecodeString(r); !hellos[[32]byte(b)] {
					t.Errorf("no ClientHello has the random %s", r)
				}
			}
		})
	}
}

// clientHelloRandoms scans the TCP payloads of a capture for TLS
// handshake records that start with a ClientHello and returns their
// randoms. (A deliberately simple scan, independent of the TLS dissector:
// the random is within the first 43 bytes of the record, so it is in the
// segment that starts the record.)
func clientHelloRandoms(t *testing.T, path string) [][32]byte {
	t.Helper()
	pkts, err := decodetest.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][32]byte
	for _, p := range pkts {
		pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil {
			continue
		}
		b := tcp.Payload
		// Record: type 22 (handshake), version 3.x, length (2); then
		// the handshake: type 1 (ClientHello), length (3), version (2),
		// random (32).
		for i := 0; i+5+38 <= len(b); i++ {
			if b[i] == 22 && b[i+1] == 3 && b[i+5] == 1 {
				out = append(out, [32]byte(b[i+5+6:i+5+38]))
			}
		}
	}
	if len(out) == 0 {
		t.Errorf("%s: no ClientHello found", path)
	}
	return out
}

// A line may have up to 64 KiB before its newline (or CRLF's CR and LF:
// the CR counts); a longer one is reported, whatever it holds, and the
// line after it is read.
func TestKeyLogLineLimit(t *testing.T) {
	next := "CLIENT_RANDOM " + hx(testRandom) + " " + hx(testSecret(1, 48)) + "\n"
	for _, tc := range []struct {
		name string
		line string
		bad  bool
	}{
		{"at the limit", strings.Repeat("x", 65536) + "\n", false},
		{"at the limit, no newline", strings.Repeat("x", 65536), false},
		{"comment at the limit", "#" + strings.Repeat("x", 65535) + "\n", false},
		{"one byte over", strings.Repeat("x", 65537) + "\n", true},
		{"CR over the limit", strings.Repeat("x", 65536) + "\r\n", true},
		{"comment over", "#" + strings.Repeat("x", 65536) + "\n", true},
		{"a megabyte", strings.Repeat("CLIENT_RANDOM ", 80_000) + "\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.line
			if strings.HasSuffix(text, "\n") {
				text += next
			}
			k, bad := readKeyLog(t, text)
			if got := len(bad) == 1 && bad[0].(*KeyLogError).Line == 1 && strings.Contains(bad[0].Error(), "longer than 65536 bytes"); got != tc.bad || len(bad) > 1 {
				t.Errorf("malformed %v, want line 1 reported: %v", bad, tc.bad)
			}
			if _, ok := k.Lookup(testRandom); ok != strings.HasSuffix(tc.line, "\n") {
				t.Errorf("the next line read: %v", ok)
			}
		})
	}
}

// The key log that editcap put in a pcapng Decryption Secrets Block (see
// capture/testdata/dsb/SOURCES) gives the secrets the key log file gives,
// and they belong to the capture's ClientHello.
func TestKeyLogFromDSB(t *testing.T) {
	path := oracletest.Testdata("capture", "dsb", "illustrated-tls13-dsb.pcapng")
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		if _, _, err := src.ReadPacket(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	fromDSB := NewKeyLog()
	for _, sec := range src.(capture.SecretsReader).Secrets() {
		if sec.Type != capture.SecretsTLSKeyLog {
			t.Errorf("a secret of type %s", capture.SecretsTypeName(sec.Type))
			continue
		}
		name := fmt.Sprintf("%s decryption secrets block at byte %d", filepath.Base(path), sec.Offset)
		if bad, err := fromDSB.Read(bytes.NewReader(sec.Data), name); bad != nil || err != nil {
			t.Errorf("%s: %v %v", name, bad, err)
		}
	}
	fromFile := NewKeyLog()
	if bad, err := fromFile.ReadFile(filepath.Join("testdata", "tls", "illustrated-tls13", "keylog.txt")); bad != nil || err != nil {
		t.Fatal(bad, err)
	}
	if fromDSB.Len() != 1 || !reflect.DeepEqual(fromDSB.tls, fromFile.tls) {
		t.Errorf("the block's %d entries differ from the file's %d", fromDSB.Len(), fromFile.Len())
	}
	hellos := clientHelloRandoms(t, path)
	for r, s := range fromDSB.tls {
		if !slices.Contains(hellos, r) || s.ClientHandshake == nil || s.ServerHandshake == nil || s.ClientTraffic0 == nil || s.ServerTraffic0 == nil || s.Exporter == nil {
			t.Errorf("random %x (in the ClientHellos %x): %+v", r, hellos, s)
		}
	}
}
