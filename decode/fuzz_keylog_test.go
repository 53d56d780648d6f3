package decode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzKeyLog reads arbitrary text as a key log: nothing may panic; every
// malformed line is a *KeyLogError numbered within the input; every entry
// stored can be looked up and has a length its label allows; reading the
// input again, into a new KeyLog or into the same one, gives the same
// result; and a plain line-by-line model of the format agrees on every
// entry and every malformed line. The line limit and the read buffer are
// made small (300 and 64 bytes), so that short inputs reach the paths of
// long lines (TestKeyLogLineLimit checks the real limit).
//
//	go test ./decode -run '^$' -fuzz FuzzKeyLog -fuzztime 3m
func FuzzKeyLog(f *testing.F) {
	limit, size := keyLogLineLimit, keyLogBufSize
	keyLogLineLimit, keyLogBufSize = 300, 64
	f.Cleanup(func() { keyLogLineLimit, keyLogBufSize = limit, size })
	logs, err := filepath.Glob(filepath.Join("testdata", "tls", "*", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range logs {
		if base := filepath.Base(p); base == "sslkeylog" || strings.HasSuffix(base, ".txt") {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	r, m := hx(testRandom), hx(testSecret(0x4d, 48))
	for _, s := range []string{
		"",
		"\n",
		"# comment\r\n\r\nCLIENT_RANDOM " + strings.ToUpper(r) + " " + m + "\r\n",
		"CLIENT_RANDOM " + r + "\n",
		"CLIENT_RANDOM " + r + " " + m + " x\n",
		"CLIENT_RANDOM " + r[1:] + " " + m + "\n",
		"CLIENT_RANDOM " + r + " " + m[:64] + "\n",
		"EXPORTER_SECRET " + r + " " + m[:64] + "zz\n",
		"CLIENT_EARLY_TRAFFIC_SECRET " + r + " " + m[:64] + "\nCLIENT_EARLY_TRAFFIC_SECRET " + r + " " + m + "\n",
		"RSA 0102030405060708 " + m + "\nRSA 01020304050607 " + m + "\n",
		"UNKNOWN a b\n\t \v\f\n\x00\xff",
		strings.Repeat("x", 301) + "\nCLIENT_RANDOM " + r + " " + m,
		"#" + strings.Repeat("x", 299) + "\n" + strings.Repeat(" ", 200) + "CLIENT_RANDOM " + r + " " + m + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines := countLines(b)
		k := NewKeyLog()
		bad, err := k.Read(bytes.NewReader(b), "fuzz")
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		var badLines []int
		for _, e := range bad {
			var ke *KeyLogError
			if !errors.As(e, &ke) {
				t.Fatalf("%v (%T) is not a *KeyLogError", e, e)
			}
			if ke.Line < 1 || ke.Line > lines || ke.Source != "fuzz" || !strings.HasPrefix(e.Error(), "decode: key log fuzz line ") {
				t.Fatalf("error %q: line %d of %d", e, ke.Line, lines)
			}
			if len(badLines) > 0 && ke.Line <= badLines[len(badLines)-1] {
				t.Fatalf("line %d reported after line %d", ke.Line, badLines[len(badLines)-1])
			}
			badLines = append(badLines, ke.Line)
		}
		checkKeyLogEntries(t, k)

		// The model.
		modelTLS, modelRSA, modelBad := keyLogModel(string(b))
		if !reflect.DeepEqual(badLines, modelBad) {
			t.Fatalf("malformed lines %v, model %v", badLines, modelBad)
		}
		if !reflect.DeepEqual(k.tls, modelTLS) || !reflect.DeepEqual(k.rsa, modelRSA) {
			t.Fatalf("entries differ from the model:\n%v %v\n%v %v", k.tls, k.rsa, modelTLS, modelRSA)
		}

		// Again, into a new KeyLog and into the same one.
		k2 := NewKeyLog()
		bad2, _ := k2.Read(bytes.NewReader(b), "fuzz")
		if !reflect.DeepEqual(bad, bad2) || !reflect.DeepEqual(k.tls, k2.tls) || !reflect.DeepEqual(k.rsa, k2.rsa) {
			t.Fatalf("a second reading differs")
		}
		bad3, _ := k2.Read(bytes.NewReader(b), "fuzz")
		if !reflect.DeepEqual(bad, bad3) || !reflect.DeepEqual(k.tls, k2.tls) || !reflect.DeepEqual(k.rsa, k2.rsa) {
			t.Fatalf("reading it twice into one KeyLog changed it")
		}
	})
}

// countLines counts lines as Read does: every newline ends one, and text
// after the last newline is one more.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// checkKeyLogEntries: every entry is found by its key and has lengths its
// label allows.
func checkKeyLogEntries(t *testing.T, k *KeyLog) {
	t.Helper()
	n := 0
	for r, s := range k.tls {
		got, ok := k.Lookup(r[:])
		if !ok || !reflect.DeepEqual(got, s) {
			t.Fatalf("random %x: Lookup %v", r, ok)
		}
		if s.MasterSecret != nil && len(s.MasterSecret) != 48 {
			t.Fatalf("random %x: master secret of %d bytes", r, len(s.MasterSecret))
		}
		set := s.MasterSecret != nil
		for _, b := range secretSlots(&s)[1:] {
			if b != nil && len(b) != 32 && len(b) != 48 {
				t.Fatalf("random %x: TLS 1.3 secret of %d bytes", r, len(b))
			}
			set = set || b != nil
		}
		if !set {
			t.Fatalf("random %x: no secret", r)
		}
		n++
	}
	for p, s := range k.rsa {
		got, ok := k.LookupRSA(p[:])
		if !ok || !bytes.Equal(got, s) || len(s) != 48 {
			t.Fatalf("RSA %x: %d bytes, Lookup %v", p, len(s), ok)
		}
		n++
	}
	if k.Len() != n {
		t.Fatalf("Len %d, %d entries", k.Len(), n)
	}
}

// modelLabels are the known labels, with the secret each sets (nil: RSA).
var modelLabels = map[string]func(*TLSSecrets) *[]byte{
	"CLIENT_RANDOM":                   func(s *TLSSecrets) *[]byte { return &s.MasterSecret },
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET": func(s *TLSSecrets) *[]byte { return &s.ClientHandshake },
	"SERVER_HANDSHAKE_TRAFFIC_SECRET": func(s *TLSSecrets) *[]byte { return &s.ServerHandshake },
	"CLIENT_TRAFFIC_SECRET_0":         func(s *TLSSecrets) *[]byte { return &s.ClientTraffic0 },
	"SERVER_TRAFFIC_SECRET_0":         func(s *TLSSecrets) *[]byte { return &s.ServerTraffic0 },
	"CLIENT_EARLY_TRAFFIC_SECRET":     func(s *TLSSecrets) *[]byte { return &s.ClientEarly },
	"EXPORTER_SECRET":                 func(s *TLSSecrets) *[]byte { return &s.Exporter },
	"RSA":                             nil,
}

// keyLogModel reads a key log the plain way: split into lines, split
// lines into fields, decode with encoding/hex.
func keyLogModel(text string) (map[[32]byte]TLSSecrets, map[[8]byte][]byte, []int) {
	tls := map[[32]byte]TLSSecrets{}
	rsa := map[[8]byte][]byte{}
	var bad []int
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		if len(line) > keyLogLineLimit {
			bad = append(bad, i+1)
			continue
		}
		fields := strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(" \t\r\n\v\f", r) })
		if len(fields) == 0 || fields[0][0] == '#' {
			continue
		}
		slot, known := modelLabels[fields[0]]
		if !known {
			continue
		}
		if len(fields) != 3 {
			bad = append(bad, i+1)
			continue
		}
		key, err1 := hex.DecodeString(fields[1])
		secret, err2 := hex.DecodeString(fields[2])
		keyLen, okLen := 32, len(secret) == 32 || len(secret) == 48
		switch fields[0] {
		case "RSA":
			keyLen, okLen = 8, len(secret) == 48
		case "CLIENT_RANDOM":
			okLen = len(secret) == 48
		}
		if err1 != nil || err2 != nil || len(key) != keyLen || !okLen {
			bad = append(bad, i+1)
			continue
		}
		if slot == nil {
			rsa[[8]byte(key)] = secret
			continue
		}
		s := tls[[32]byte(key)]
		*slot(&s) = secret
		tls[[32]byte(key)] = s
	}
	return tls, rsa, bad
}
