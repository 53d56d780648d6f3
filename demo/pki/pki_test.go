package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func init() {
	// Full-strength PBKDF2 costs a quarter second per key; the format,
	// not the work factor, is what these tests check.
	pbkdf2Iterations = 2048
}

// pkitKeys caches one key of each type: RSA generation is slow.
var pkitKeys = map[KeyType][]crypto.Signer{}

// pkitKey returns the i-th cached key of type t.
func pkitKey(t *testing.T, kt KeyType, i int) crypto.Signer {
	t.Helper()
	for len(pkitKeys[kt]) <= i {
		k, err := GenerateKey(kt)
		if err != nil {
			t.Fatal(err)
		}
		pkitKeys[kt] = append(pkitKeys[kt], k)
	}
	return pkitKeys[kt][i]
}

var pkitKeyTypes = []struct {
	name string
	kt   KeyType
}{{"rsa", RSA2048}, {"ecdsa", ECDSAP256}}

func TestPKIGenerateKey(t *testing.T) {
	for _, tc := range pkitKeyTypes {
		t.Run(tc.name, func(t *testing.T) {
			k := pkitKey(t, tc.kt, 0)
			switch pub := k.Public().(type) {
			case *rsa.PublicKey:
				if tc.kt != RSA2048 || pub.N.BitLen() != 2048 || pub.E != 65537 {
					t.Errorf("RSA key: %d bits, e=%d", pub.N.BitLen(), pub.E)
				}
			case *ecdsa.PublicKey:
				if tc.kt != ECDSAP256 || pub.Curve.Params().Name != "P-256" {
					t.Errorf("ECDSA key on %s", pub.Curve.Params().Name)
				}
			default:
				t.Errorf("key type %T", pub)
			}
		})
	}
	if _, err := GenerateKey(KeyType(42)); err == nil {
		t.Error("GenerateKey(42) did not fail")
	}
}

func TestPKINewCA(t *testing.T) {
	for _, tc := range pkitKeyTypes {
		t.Run(tc.name, func(t *testing.T) {
			key := pkitKey(t, tc.kt, 0)
			before := time.Now()
			ca, err := NewCA(key, TutorialCASubject, 30)
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				what string
				ok   bool
			}{
				{"IsCA", ca.IsCA && ca.BasicConstraintsValid},
				{"MaxPathLen 0", ca.MaxPathLen == 0 && ca.MaxPathLenZero},
				{"KeyUsage certSign+cRLSign", ca.KeyUsage == x509.KeyUsageCertSign|x509.KeyUsageCRLSign},
				{"SubjectKeyId", len(ca.SubjectKeyId) == 20},
				{"subject CN", ca.Subject.CommonName == "my-ca.com"},
				{"subject O", slices.Equal(ca.Subject.Organization, []string{"My CA Company"})},
				{"subject ST/L/C", slices.Equal(ca.Subject.Province, []string{"Maryland"}) &&
					slices.Equal(ca.Subject.Locality, []string{"Baltimore"}) && slices.Equal(ca.Subject.Country, []string{"US"})},
				{"issuer = subject", bytes.Equal(ca.RawIssuer, ca.RawSubject)},
				{"serial 1..2^128", ca.SerialNumber.Sign() > 0 && ca.SerialNumber.BitLen() <= 128},
				{"NotBefore a minute back", ca.NotBefore.Before(before) && before.Sub(ca.NotBefore) < 2*time.Minute},
				{"NotAfter in 30 days", ca.NotAfter.Sub(before) > 30*24*time.Hour-time.Minute && ca.NotAfter.Sub(before) < 30*24*time.Hour+time.Minute},
				{"SHA-256 signature", strings.Contains(ca.SignatureAlgorithm.String(), "SHA256")},
				{"key is the CA's", sameKey(key.Public(), ca.PublicKey)},
			}
			for _, c := range checks {
				if !c.ok {
					t.Errorf("CA certificate: %s does not hold", c.what)
				}
			}
			if err := ca.CheckSignatureFrom(ca); err != nil {
				t.Errorf("self-signature: %v", err)
			}
			// BasicConstraints and KeyUsage must be critical.
			for _, ext := range ca.Extensions {
				if (ext.Id.Equal(oidBasicConstraints) || ext.Id.Equal(oidKeyUsage)) && !ext.Critical {
					t.Errorf("extension %v is not critical", ext.Id)
				}
			}
			ca2, err := NewCA(key, TutorialCASubject, 30)
			if err != nil {
				t.Fatal(err)
			}
			if ca2.SerialNumber.Cmp(ca.SerialNumber) == 0 {
				t.Error("two CAs got the same serial")
			}
		})
	}
	if _, err := NewCA(pkitKey(t, ECDSAP256, 0), TutorialCASubject, 0); err == nil {
		t.Error("NewCA with 0 days did not fail")
	}
}

func TestPKINewCSR(t *testing.T) {
	tests := []struct {
		sans    []string
		wantDNS []string
		wantIP  []string
	}{
		{[]string{"localhost"}, []string{"localhost"}, nil},
		{[]string{"localhost", "127.0.0.1"}, []string{"localhost"}, []string{"127.0.0.1"}},
		{[]string{"::1", "my-site.com", "10.0.0.1", "example.test"}, []string{"my-site.com", "example.test"}, []string{"::1", "10.0.0.1"}},
		{nil, nil, nil},
	}
	key := pkitKey(t, ECDSAP256, 0)
	for _, tc := range tests {
		t.Run(strings.Join(tc.sans, ","), func(t *testing.T) {
			csr, err := NewCSR(key, TutorialServerSubject, tc.sans)
			if err != nil {
				t.Fatal(err)
			}
			if err := csr.CheckSignature(); err != nil {
				t.Errorf("CSR signature: %v", err)
			}
			if !slices.Equal(csr.DNSNames, tc.wantDNS) {
				t.Errorf("DNS names %q, want %q", csr.DNSNames, tc.wantDNS)
			}
			var ips []string
			for _, ip := range csr.IPAddresses {
				ips = append(ips, ip.String())
			}
			if !slices.Equal(ips, tc.wantIP) {
				t.Errorf("IP addresses %q, want %q", ips, tc.wantIP)
			}
			if csr.Subject.CommonName != "my-site.com" {
				t.Errorf("CN %q", csr.Subject.CommonName)
			}
		})
	}
}

// pkitCA makes a CA of type kt.
func pkitCA(t *testing.T, kt KeyType) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key := pkitKey(t, kt, 0)
	ca, err := NewCA(key, TutorialCASubject, 30)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

// pkitCACSR makes a CSR asking for BasicConstraints CA:true.
func pkitCACSR(t *testing.T, key crypto.Signer) *x509.CertificateRequest {
	t.Helper()
	bc, err := asn1.Marshal(struct{ IsCA bool }{true})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         pkix.Name{CommonName: "evil-ca"},
		ExtraExtensions: []pkix.Extension{{Id: oidBasicConstraints, Critical: true, Value: bc}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

func TestPKISignCSR(t *testing.T) {
	for _, caType := range pkitKeyTypes {
		for _, leafType := range pkitKeyTypes {
			t.Run(caType.name+"-ca/"+leafType.name+"-leaf", func(t *testing.T) {
				ca, caKey := pkitCA(t, caType.kt)
				leafKey := pkitKey(t, leafType.kt, 1)
				csr, err := NewCSR(leafKey, TutorialServerSubject, []string{"localhost", "127.0.0.1"})
				if err != nil {
					t.Fatal(err)
				}
				cert, err := SignCSR(csr, ca, caKey, 30)
				if err != nil {
					t.Fatal(err)
				}
				roots := x509.NewCertPool()
				roots.AddCert(ca)
				for _, name := range []string{"localhost", "127.0.0.1"} {
					if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: name}); err != nil {
						t.Errorf("verify for %s: %v", name, err)
					}
				}
				if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "example.com"}); err == nil {
					t.Error("certificate verified for example.com")
				}
				wantKU := x509.KeyUsageDigitalSignature
				if leafType.kt == RSA2048 {
					wantKU |= x509.KeyUsageKeyEncipherment
				}
				checks := []struct {
					what string
					ok   bool
				}{
					{"ServerAuth", slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth)},
					{"KeyUsage", cert.KeyUsage == wantKU},
					{"not a CA", cert.BasicConstraintsValid && !cert.IsCA},
					{"AuthorityKeyId = CA SKID", bytes.Equal(cert.AuthorityKeyId, ca.SubjectKeyId)},
					{"subject from CSR", bytes.Equal(cert.RawSubject, csr.RawSubject)},
					{"issuer = CA", bytes.Equal(cert.RawIssuer, ca.RawSubject)},
					{"public key from CSR", sameKey(leafKey.Public(), cert.PublicKey)},
					{"SANs copied", slices.Equal(cert.DNSNames, []string{"localhost"}) && len(cert.IPAddresses) == 1 && cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1))},
				}
				for _, c := range checks {
					if !c.ok {
						t.Errorf("server certificate: %s does not hold", c.what)
					}
				}
			})
		}
	}

	ca, caKey := pkitCA(t, ECDSAP256)
	leafKey := pkitKey(t, ECDSAP256, 1)
	good, err := NewCSR(leafKey, TutorialServerSubject, []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	badSig := func() *x509.CertificateRequest {
		raw := bytes.Clone(good.Raw)
		raw[len(raw)-3] ^= 0xff // inside the signature BIT STRING
		csr, err := x509.ParseCertificateRequest(raw)
		if err != nil {
			t.Fatal(err)
		}
		return csr
	}()
	otherCA, _ := pkitCA(t, RSA2048)
	leafCert, err := SignCSR(good, ca, caKey, 1)
	if err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name   string
		csr    *x509.CertificateRequest
		caCert *x509.Certificate
		days   int
		want   string
	}{
		{"csr asks to be a CA", pkitCACSR(t, leafKey), ca, 30, "asks to be a CA"},
		{"csr with a bad signature", badSig, ca, 30, "bad signature"},
		{"ca key does not match", good, otherCA, 30, "does not belong"},
		{"issuer is not a CA", good, leafCert, 30, "not a CA certificate"},
		{"zero days", good, ca, 0, "not positive"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			cert, err := SignCSR(tc.csr, tc.caCert, caKey, tc.days)
			if err == nil {
				t.Fatalf("signed %v", cert.Subject)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "pki: ") {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

// pkitWrite writes data into dir/name and returns the path.
func pkitWrite(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pkitPEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestPKILoadPrivateKey(t *testing.T) {
	dir := t.TempDir()
	rsaKey := pkitKey(t, RSA2048, 0).(*rsa.PrivateKey)
	ecKey := pkitKey(t, ECDSAP256, 0).(*ecdsa.PrivateKey)
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	pass := []byte("secret_password")

	legacy := func(typ string, der []byte) []byte {
		// What Python's TraditionalOpenSSL + BestAvailableEncryption writes.
		//lint:ignore SA1019 making the tutorial's legacy format.
		b, err := x509.EncryptPEMBlock(rand.Reader, typ, der, pass, x509.PEMCipherAES256) //nolint:staticcheck // SA1019, as above.
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(b)
	}
	encPKCS8 := func(k crypto.Signer) []byte {
		p := filepath.Join(t.TempDir(), "k.pem")
		if err := WritePrivateKey(p, k, pass); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	cert, err := NewCA(ecKey, TutorialCASubject, 1)
	if err != nil {
		t.Fatal(err)
	}

	forms := []struct {
		name      string
		data      []byte
		want      crypto.Signer
		encrypted bool
	}{
		{"pkcs1 rsa", pkitPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), rsaKey, false},
		{"sec1 ec", pkitPEM("EC PRIVATE KEY", sec1), ecKey, false},
		{"sec1 ec after EC PARAMETERS", append(pkitPEM("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}), pkitPEM("EC PRIVATE KEY", sec1)...), ecKey, false},
		{"pkcs8 rsa", pkitPEM("PRIVATE KEY", pkcs8RSA), rsaKey, false},
		{"pkcs8 ec", pkitPEM("PRIVATE KEY", pkcs8EC), ecKey, false},
		{"pkcs8 after a certificate", append(pkitPEM("CERTIFICATE", cert.Raw), pkitPEM("PRIVATE KEY", pkcs8EC)...), ecKey, false},
		{"legacy encrypted rsa", legacy("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), rsaKey, true},
		{"legacy encrypted ec", legacy("EC PRIVATE KEY", sec1), ecKey, true},
		{"encrypted pkcs8 rsa", encPKCS8(rsaKey), rsaKey, true},
		{"encrypted pkcs8 ec", encPKCS8(ecKey), ecKey, true},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			path := pkitWrite(t, dir, strings.ReplaceAll(f.name, " ", "-")+".pem", f.data)
			calls := 0
			good := func() ([]byte, error) { calls++; return pass, nil }
			key, err := LoadPrivateKey(path, good)
			if err != nil {
				t.Fatal(err)
			}
			if !sameKey(key.Public(), f.want.Public()) {
				t.Errorf("loaded a different key")
			}
			if want := map[bool]int{false: 0, true: 1}[f.encrypted]; calls != want {
				t.Errorf("passphrase called %d times, want %d", calls, want)
			}
			if !f.encrypted {
				return
			}
			fail := []struct {
				name string
				pf   func() ([]byte, error)
				want error
			}{
				{"nil passphrase", nil, ErrPassphraseNeeded},
				{"empty passphrase", func() ([]byte, error) { return nil, nil }, ErrPassphraseNeeded},
				{"passphrase func says none", func() ([]byte, error) { return nil, ErrPassphraseNeeded }, ErrPassphraseNeeded},
				{"wrong passphrase", func() ([]byte, error) { return []byte("serverpassword"), nil }, ErrWrongPassphrase},
			}
			for _, tc := range fail {
				_, err := LoadPrivateKey(path, tc.pf)
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
					continue
				}
				if !strings.Contains(err.Error(), path) || !strings.HasPrefix(err.Error(), "pki: ") {
					t.Errorf("%s: error %q does not name %s", tc.name, err, path)
				}
				var h interface{ Hint() string }
				if !errors.As(err, &h) || h.Hint() == "" {
					t.Errorf("%s: error %q has no hint", tc.name, err)
				}
			}
			// A passphrase function's own error is passed on.
			boom := errors.New("no tty")
			if _, err := LoadPrivateKey(path, func() ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
				t.Errorf("passphrase error: got %v", err)
			}
		})
	}

	t.Run("wrong passphrase many times", func(t *testing.T) {
		// Legacy PEM's padding check lets about 1 wrong passphrase in 256
		// through; those must still come out as ErrWrongPassphrase.
		path := pkitWrite(t, dir, "legacy-many.pem", legacy("EC PRIVATE KEY", sec1))
		for i := range 600 {
			_, err := LoadPrivateKey(path, func() ([]byte, error) { return []byte{byte(i), byte(i >> 8), 'x'}, nil })
			if !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("passphrase %d: %v", i, err)
			}
		}
	})

	bad := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"missing file", "nope.pem", nil, "cannot read"},
		{"not PEM", "garbage.pem", []byte("hello\n"), "no PEM data"},
		{"a certificate", "cert.pem", pkitPEM("CERTIFICATE", cert.Raw), "no private key, only CERTIFICATE"},
		{"corrupt key", "corrupt.pem", pkitPEM("PRIVATE KEY", []byte{0x30, 3, 1, 2, 3}), "bad PRIVATE KEY"},
		{"corrupt encrypted", "corrupt-enc.pem", pkitPEM("ENCRYPTED PRIVATE KEY", []byte{0x30, 3, 1, 2, 3}), "cannot decrypt"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if tc.data != nil {
				pkitWrite(t, dir, tc.file, tc.data)
			}
			_, err := LoadPrivateKey(path, func() ([]byte, error) { return pass, nil })
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q, want it to name %s and say %q", err, path, tc.want)
			}
		})
	}
}

func TestPKIWritePrivateKey(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range pkitKeyTypes {
		for _, pass := range []string{"", "pw"} {
			t.Run(tc.name+"/pass="+pass, func(t *testing.T) {
				path := filepath.Join(dir, tc.name+pass+".pem")
				// A pre-existing world-readable file must end up 0600.
				if err := os.WriteFile(path, []byte("old contents that are longer than nothing"), 0o644); err != nil {
					t.Fatal(err)
				}
				key := pkitKey(t, tc.kt, 0)
				if err := WritePrivateKey(path, key, []byte(pass)); err != nil {
					t.Fatal(err)
				}
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want 0600", fi.Mode().Perm())
				}
				data, _ := os.ReadFile(path)
				b, _ := pem.Decode(data)
				wantType := map[string]string{"": "PRIVATE KEY", "pw": "ENCRYPTED PRIVATE KEY"}[pass]
				if b == nil || b.Type != wantType {
					t.Fatalf("PEM block %v, want type %s", b, wantType)
				}
				if pass != "" {
					if s := pkcs8Scheme(b.Bytes); s != "PBES2: PBKDF2-HMAC-SHA256 (2048 iterations), AES-256-CBC" {
						t.Errorf("scheme %q", s)
					}
				}
				got, err := LoadPrivateKey(path, func() ([]byte, error) { return []byte(pass), nil })
				if err != nil {
					t.Fatal(err)
				}
				if !sameKey(got.Public(), key.Public()) {
					t.Error("round trip gave a different key")
				}
			})
		}
	}
	// A new file is created 0600 too.
	path := filepath.Join(dir, "new.pem")
	if err := WritePrivateKey(path, pkitKey(t, ECDSAP256, 0), nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v", fi.Mode().Perm())
	}
	if err := WritePrivateKey(filepath.Join(dir, "no/such/dir/k.pem"), pkitKey(t, ECDSAP256, 0), nil); err == nil || !strings.Contains(err.Error(), "no/such/dir/k.pem") {
		t.Errorf("write into a missing dir: %v", err)
	}
}

func TestPKICertificateFiles(t *testing.T) {
	dir := t.TempDir()
	ca, key := pkitCA(t, ECDSAP256)
	csr, err := NewCSR(key, TutorialServerSubject, []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "c.pem")
	rp := filepath.Join(dir, "r.pem")
	if err := WriteCertificate(cp, ca.Raw); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSR(rp, csr.Raw); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(cp); fi.Mode().Perm() != 0o644 {
		t.Errorf("certificate mode %v", fi.Mode().Perm())
	}
	c, err := LoadCertificate(cp)
	if err != nil || !c.Equal(ca) {
		t.Errorf("LoadCertificate: %v", err)
	}
	r, err := LoadCSR(rp)
	if err != nil || !bytes.Equal(r.Raw, csr.Raw) {
		t.Errorf("LoadCSR: %v", err)
	}
	// Wrong file for the job: a clear error, with a hint.
	if _, err := LoadCertificate(rp); err == nil || !strings.Contains(err.Error(), "no certificate, only CERTIFICATE REQUEST") {
		t.Errorf("LoadCertificate(csr): %v", err)
	} else if h := err.(*Error).Hint(); !strings.Contains(h, "pki sign") {
		t.Errorf("hint %q", h)
	}
	if _, err := LoadCSR(cp); err == nil || !strings.Contains(err.Error(), "no certificate request") {
		t.Errorf("LoadCSR(cert): %v", err)
	}
	// DER is accepted.
	dp := pkitWrite(t, dir, "c.der", ca.Raw)
	if c, err := LoadCertificate(dp); err != nil || !c.Equal(ca) {
		t.Errorf("LoadCertificate(DER): %v", err)
	}
}

func TestPKIInitPKI(t *testing.T) {
	tests := []struct {
		name  string
		opts  InitOptions
		names []string
	}{
		{"defaults", InitOptions{}, []string{"localhost", "127.0.0.1"}},
		{"ecdsa encrypted", InitOptions{KeyType: ECDSAP256, Days: 7, Pass: []byte("serverpassword"), Hostnames: []string{"my-site.com", "::1"}}, []string{"my-site.com", "::1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			files, err := Init(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if files != TutorialFiles(dir) {
				t.Errorf("files %+v", files)
			}
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("dir: %v %v", fi.Mode(), err)
			}
			for _, f := range []struct {
				path string
				mode os.FileMode
			}{{files.CAKey, 0o600}, {files.ServerKey, 0o600}, {files.CACert, 0o644}, {files.ServerCSR, 0o644}, {files.ServerCert, 0o644}} {
				fi, err := os.Stat(f.path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != f.mode {
					t.Errorf("%s: mode %v, want %v", f.path, fi.Mode().Perm(), f.mode)
				}
			}
			pf := func() ([]byte, error) { return tc.opts.Pass, nil }
			caKey, err := LoadPrivateKey(files.CAKey, pf)
			if err != nil {
				t.Fatal(err)
			}
			srvKey, err := LoadPrivateKey(files.ServerKey, pf)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.opts.Pass) > 0 {
				if _, err := LoadPrivateKey(files.ServerKey, nil); !errors.Is(err, ErrPassphraseNeeded) {
					t.Errorf("encrypted key loaded without passphrase: %v", err)
				}
			}
			ca, err := LoadCertificate(files.CACert)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := LoadCertificate(files.ServerCert)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := LoadCSR(files.ServerCSR); err != nil {
				t.Fatal(err)
			}
			if !sameKey(caKey.Public(), ca.PublicKey) || !sameKey(srvKey.Public(), cert.PublicKey) {
				t.Error("keys do not match their certificates")
			}
			if ca.Subject.CommonName != "my-ca.com" || cert.Subject.CommonName != tc.names[0] {
				t.Errorf("CNs %q %q", ca.Subject.CommonName, cert.Subject.CommonName)
			}
			days := tc.opts.Days
			if days == 0 {
				days = 30
			}
			if d := cert.NotAfter.Sub(cert.NotBefore).Round(time.Hour); d != time.Duration(days)*24*time.Hour {
				t.Errorf("validity %v, want %d days", d, days)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			for _, n := range tc.names {
				if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: n}); err != nil {
					t.Errorf("verify %s: %v", n, err)
				}
			}
		})
	}
}

func TestPKIDescribe(t *testing.T) {
	dir := t.TempDir()
	files, err := Init(dir, InitOptions{Pass: []byte("pw")})
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := LoadCertificate(files.CACert)
	cert, _ := LoadCertificate(files.ServerCert)
	fp := func(der []byte) string {
		sum := sha256.Sum256(der)
		var parts []string
		for _, b := range sum {
			parts = append(parts, strings.ToUpper(string("0123456789abcdef"[b>>4])+string("0123456789abcdef"[b&15])))
		}
		return strings.Join(parts, ":")
	}
	pass := func() ([]byte, error) { return []byte("pw"), nil }
	caData, _ := os.ReadFile(files.CACert)
	srvData, _ := os.ReadFile(files.ServerCert)
	both := pkitWrite(t, dir, "chain.pem", append(srvData, caData...))
	legacyKey := func() string {
		//lint:ignore SA1019 the tutorial's legacy format.
		b, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(pkitKey(t, RSA2048, 0).(*rsa.PrivateKey)), []byte("pw"), x509.PEMCipherAES256) //nolint:staticcheck // SA1019, as above.
		if err != nil {
			t.Fatal(err)
		}
		return pkitWrite(t, dir, "legacy.pem", pem.EncodeToMemory(b))
	}()

	tests := []struct {
		name  string
		path  string
		pass  func() ([]byte, error)
		want  []string // regexps
		avoid []string
	}{
		{"ca certificate", files.CACert, nil, []string{
			`^CA certificate \(self-signed\)`,
			`Subject: +CN=my-ca\.com,O=My CA Company,L=Baltimore,ST=Maryland,C=US`,
			`Issuer: +CN=my-ca\.com.*\(itself\)`,
			`Serial: +` + regexp.QuoteMeta(colonHex(ca.SerialNumber.Bytes())),
			`Not before: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`,
			`Not after: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`,
			`Valid now: +yes, (29|30) days left`,
			`Public key: +RSA 2048 bits`,
			`CA: +yes, path length 0`,
			`Key usage: +Certificate Sign, CRL Sign`,
			`SHA-256 fingerprint: +` + fp(ca.Raw),
		}, nil},
		{"server certificate", files.ServerCert, nil, []string{
			`^Certificate\n`,
			`Subject: +CN=localhost,O=My Company`,
			`Issuer: +CN=my-ca\.com`,
			`Names \(SAN\): +DNS:localhost, IP:127\.0\.0\.1`,
			`CA: +no\n`,
			`Key usage: +Digital Signature, Key Encipherment`,
			`Extended key usage: +TLS Web Server Authentication`,
			`SHA-256 fingerprint: +` + fp(cert.Raw),
		}, []string{"self-signed"}},
		{"csr", files.ServerCSR, nil, []string{
			`^Certificate signing request`,
			`Names \(SAN\): +DNS:localhost, IP:127\.0\.0\.1`,
			`CA: +not requested`,
			`Signature: +SHA256-RSA, valid`,
		}, nil},
		{"encrypted key, no passphrase", files.CAKey, nil, []string{
			`^Encrypted private key \(PKCS#8\)`,
			`Encryption: +PBES2: PBKDF2-HMAC-SHA256 \(2048 iterations\), AES-256-CBC`,
		}, []string{"RSA 2048"}},
		{"encrypted key, passphrase", files.CAKey, pass, []string{
			`Encryption: +PBES2`,
			`Key type: +RSA 2048 bits`,
			`Public key SHA-256: +` + spkiFingerprint(ca.PublicKey),
		}, nil},
		{"legacy key, no passphrase", legacyKey, nil, []string{
			`^Encrypted private key \(PKCS#1\)`,
			`legacy OpenSSL PEM encryption, AES-256-CBC`,
		}, nil},
		{"legacy key, passphrase", legacyKey, pass, []string{`Key type: +RSA 2048 bits`}, nil},
		{"two certificates", both, nil, []string{
			`^-- block 1 of 2: CERTIFICATE --\nCertificate\n`,
			`\n\n-- block 2 of 2: CERTIFICATE --\nCA certificate`,
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Describe(tc.path, tc.pass)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !regexp.MustCompile(`(?m)` + w).MatchString(out) {
					t.Errorf("output lacks %s:\n%s", w, out)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}

	t.Run("wrong passphrase", func(t *testing.T) {
		_, err := Describe(files.CAKey, func() ([]byte, error) { return []byte("nope"), nil })
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("not pem", func(t *testing.T) {
		_, err := Describe(pkitWrite(t, dir, "x.txt", []byte("hi")), nil)
		if err == nil || !strings.Contains(err.Error(), "no PEM data") {
			t.Errorf("error %v", err)
		}
	})
}
