package pki

// Making keys, the CA, CSRs and certificates, and the tutorial's whole flow.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// KeyType selects the algorithm of a new private key.
type KeyType int

const (
	// RSA2048 is what the tutorial uses: RSA, 2048 bits, e = 65537.
	RSA2048 KeyType = iota
	// ECDSAP256 is ECDSA on NIST P-256: smaller and faster, and what
	// mkcert would pick for a leaf today.
	ECDSAP256
)

func (t KeyType) String() string {
	switch t {
	case RSA2048:
		return "RSA 2048"
	case ECDSAP256:
		return "ECDSA P-256"
	}
	return fmt.Sprintf("KeyType(%d)", int(t))
}

// GenerateKey makes a new private key.
func GenerateKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case RSA2048:
		// 2048 bits is the tutorial's size and still the common minimum;
		// Go always uses the public exponent 65537, like the tutorial.
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("pki: generate RSA key: %w", err)
		}
		return k, nil
	case ECDSAP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("pki: generate ECDSA key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("pki: unknown key type %d", int(t))
}

// Subject is the distinguished name the tutorial fills in.
type Subject struct{ Country, State, Locality, Org, CommonName string }

// Name turns s into a pkix.Name, leaving out the empty parts.
func (s Subject) Name() pkix.Name {
	var n pkix.Name
	add := func(dst *[]string, v string) {
		if v != "" {
			*dst = append(*dst, v)
		}
	}
	add(&n.Country, s.Country)
	add(&n.Province, s.State)
	add(&n.Locality, s.Locality)
	add(&n.Organization, s.Org)
	n.CommonName = s.CommonName
	return n
}

// randomSerial is a random 128-bit serial number. CAs must not reuse serials
// (RFC 5280 4.1.2.2); 128 random bits make a clash impossible in practice,
// like Python's x509.random_serial_number() (which uses 159 bits).
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("pki: serial number: %w", err)
	}
	if n.Sign() == 0 { // a serial must be positive
		n.SetInt64(1)
	}
	return n, nil
}

// validityPeriod returns NotBefore and NotAfter for days of validity. NotBefore
// is a minute in the past so a peer whose clock is slightly behind does not
// see a "not yet valid" certificate.
func validityPeriod(days int) (time.Time, time.Time, error) {
	if days < 1 {
		return time.Time{}, time.Time{}, newErr("", nil, nil, "use a validity of at least 1 day (the tutorial uses 30)",
			"validity of %d days is not positive", days)
	}
	now := time.Now()
	return now.Add(-time.Minute), now.Add(time.Duration(days) * 24 * time.Hour), nil
}

// serialAndValidity is what every new certificate needs: a random serial
// number and its validity period of days.
func serialAndValidity(days int) (*big.Int, time.Time, time.Time, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	notBefore, notAfter, err := validityPeriod(days)
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	return serial, notBefore, notAfter, nil
}

// sigAlg picks the signature algorithm: SHA-256 as in the tutorial, with
// PKCS#1 v1.5 padding for RSA, which every TLS stack accepts.
func sigAlg(key crypto.Signer) x509.SignatureAlgorithm {
	switch key.Public().(type) {
	case *rsa.PublicKey:
		return x509.SHA256WithRSA
	case *ecdsa.PublicKey:
		return x509.ECDSAWithSHA256
	case ed25519.PublicKey:
		return x509.PureEd25519
	}
	return x509.UnknownSignatureAlgorithm // let crypto/x509 choose or refuse
}

// subjectKeyID is the key identifier of RFC 7093 section 2 method 1: the
// leftmost 160 bits of the SHA-256 of the subjectPublicKey bits. It is what
// the SKI of RFC 5280 computes with SHA-1, without SHA-1.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal public key: %w", err)
	}
	var info struct {
		Algorithm        pkix.AlgorithmIdentifier
		SubjectPublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("pki: parse public key: %w", err)
	}
	sum := sha256.Sum256(info.SubjectPublicKey.Bytes)
	return sum[:20], nil
}

// NewCA makes a self-signed CA certificate: BasicConstraints CA:true
// critical, KeyUsage certSign+cRLSign (critical), SubjectKeyId, random
// 128-bit serial, NotBefore = now-1min, NotAfter = now+days.
func NewCA(key crypto.Signer, subj Subject, days int) (*x509.Certificate, error) {
	serial, notBefore, notAfter, err := serialAndValidity(days)
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            subj.Name(),
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		SignatureAlgorithm: sigAlg(key),

		// crypto/x509 always marks BasicConstraints critical, as the
		// tutorial asks. Unlike the tutorial (path_length=None) the path
		// length is 0, as mkcert does: this CA signs only leaf
		// certificates, never another CA, so a stolen CA-signed
		// intermediate cannot be made to work.
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,

		// A CA key signs certificates and CRLs and nothing else;
		// crypto/x509 marks KeyUsage critical. The tutorial has no
		// KeyUsage, which RFC 5280 4.2.1.3 requires of a CA.
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,

		// Set explicitly (crypto/x509 would derive one too) so that the
		// leaf's AuthorityKeyId is known and stable.
		SubjectKeyId: skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: create CA certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// NewCSR makes a PKCS#10 request; each san is an IP address if it parses as
// one, else a DNS name. crypto/x509 puts them in a non-critical
// SubjectAlternativeName extension request, as the tutorial does.
func NewCSR(key crypto.Signer, subj Subject, sans []string) (*x509.CertificateRequest, error) {
	tpl := &x509.CertificateRequest{
		Subject:            subj.Name(),
		SignatureAlgorithm: sigAlg(key),
	}
	for _, s := range sans {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		// Browsers and Go ignore the CommonName; only SANs name the
		// server, and an IP must be an IP SAN to match https://127.0.0.1.
		if ip := net.ParseIP(s); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, s)
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tpl, key)
	if err != nil {
		return nil, fmt.Errorf("pki: create CSR: %w", err)
	}
	return x509.ParseCertificateRequest(der)
}

var (
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// requestsCA reports whether a CSR's requested extensions include
// BasicConstraints with CA:true.
func requestsCA(csr *x509.CertificateRequest) (bool, error) {
	for _, ext := range csr.Extensions {
		if !ext.Id.Equal(oidBasicConstraints) {
			continue
		}
		var bc struct {
			IsCA       bool `asn1:"optional"`
			MaxPathLen int  `asn1:"optional,default:-1"`
		}
		if _, err := asn1.Unmarshal(ext.Value, &bc); err != nil {
			return false, err
		}
		if bc.IsCA {
			return true, nil
		}
	}
	return false, nil
}

// nameOf is a short name for a CSR or certificate subject in messages.
func nameOf(n pkix.Name) string {
	if n.CommonName != "" {
		return fmt.Sprintf("%q", n.CommonName)
	}
	if s := n.String(); s != "" {
		return fmt.Sprintf("%q", s)
	}
	return "with an empty subject"
}

// SignCSR issues a server certificate for csr, signed by the CA. It checks
// the CSR's signature first, refuses a CSR that asks to be a CA
// (BasicConstraints CA:true in its requested extensions), copies its
// requested extensions (SANs etc.), adds ExtKeyUsage ServerAuth and KeyUsage
// digitalSignature (+keyEncipherment for RSA), AuthorityKeyId from the CA,
// and is valid for days.
func SignCSR(csr *x509.CertificateRequest, caCert *x509.Certificate, caKey crypto.Signer, days int) (*x509.Certificate, error) {
	if csr == nil || caCert == nil || caKey == nil {
		return nil, errors.New("pki: SignCSR needs a CSR, a CA certificate and a CA key")
	}
	// The signature proves the requester holds the private key of the
	// public key it wants certified. The tutorial's sign_csr skips this.
	if err := csr.CheckSignature(); err != nil {
		return nil, newErr("", nil, err, "make the CSR again with its own key: wiretap pki csr --key KEY --out CSR",
			"the CSR for %s has a bad signature (%v); refusing to sign it", nameOf(csr.Subject), err)
	}
	// Copying extensions blindly, as the tutorial does, would let a CSR
	// make itself a CA able to sign certificates for any site.
	isCA, err := requestsCA(csr)
	if err != nil {
		return nil, newErr("", nil, err, "", "the CSR for %s has a malformed BasicConstraints extension: %v", nameOf(csr.Subject), err)
	}
	if isCA {
		return nil, newErr("", nil, nil, "request a server certificate instead (wiretap pki csr makes one); a CA is made with wiretap pki ca",
			"the CSR for %s asks to be a CA (BasicConstraints CA:true); refusing to sign it", nameOf(csr.Subject))
	}
	if !caCert.IsCA {
		return nil, newErr("", nil, nil, "pass the CA's certificate (ca-public-key.pem in the tutorial)",
			"the certificate for %s is not a CA certificate and cannot sign", nameOf(caCert.Subject))
	}
	if !sameKey(caKey.Public(), caCert.PublicKey) {
		return nil, newErr("", nil, nil, "pass the CA's own key (ca-private-key.pem in the tutorial)",
			"the CA key does not belong to the CA certificate for %s", nameOf(caCert.Subject))
	}
	serial, notBefore, notAfter, err := serialAndValidity(days)
	if err != nil {
		return nil, err
	}

	// The CA decides what the key may be used for and whether it is a CA,
	// so those extensions are ours; everything else requested (the SANs
	// above all) is copied, as the tutorial's sign_csr does.
	var extra []pkix.Extension
	for _, ext := range csr.Extensions {
		switch {
		case ext.Id.Equal(oidBasicConstraints), ext.Id.Equal(oidKeyUsage),
			ext.Id.Equal(oidExtKeyUsage), ext.Id.Equal(oidAuthorityKeyID),
			ext.Id.Equal(oidSubjectKeyID):
			continue
		}
		extra = append(extra, ext)
	}

	// digitalSignature is what TLS 1.3 and ECDHE need; keyEncipherment
	// only makes sense for RSA (TLS 1.2 RSA key exchange).
	ku := x509.KeyUsageDigitalSignature
	if _, ok := csr.PublicKey.(*rsa.PublicKey); ok {
		ku |= x509.KeyUsageKeyEncipherment
	}

	tpl := &x509.Certificate{
		SerialNumber: serial,
		// RawSubject keeps the CSR's subject byte for byte, in its order.
		RawSubject:         csr.RawSubject,
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		SignatureAlgorithm: sigAlg(caKey),
		KeyUsage:           ku,
		// Go's and browsers' verifiers want ServerAuth on a TLS server
		// certificate once any ExtKeyUsage is present; say it outright.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// CA:false, stated, so no verifier can take it for a CA.
		BasicConstraintsValid: true,
		IsCA:                  false,
		// Lets a verifier find the issuing CA by key, not only by name.
		AuthorityKeyId:  caCert.SubjectKeyId,
		ExtraExtensions: extra,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, caCert, csr.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("pki: sign certificate for %s: %w", nameOf(csr.Subject), err)
	}
	return x509.ParseCertificate(der)
}

// sameKey reports whether two public keys are equal.
func sameKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// Files are the tutorial's file names inside Dir.
type Files struct{ Dir, CAKey, CACert, ServerKey, ServerCSR, ServerCert string }

// TutorialFiles names the tutorial's five files inside dir.
func TutorialFiles(dir string) Files {
	return Files{
		Dir:        dir,
		CAKey:      filepath.Join(dir, "ca-private-key.pem"),
		CACert:     filepath.Join(dir, "ca-public-key.pem"),
		ServerKey:  filepath.Join(dir, "server-private-key.pem"),
		ServerCSR:  filepath.Join(dir, "server-csr.pem"),
		ServerCert: filepath.Join(dir, "server-public-key.pem"),
	}
}

// TutorialCASubject is the tutorial's CA name.
var TutorialCASubject = Subject{Country: "US", State: "Maryland", Locality: "Baltimore", Org: "My CA Company", CommonName: "my-ca.com"}

// TutorialServerSubject is the tutorial's server name (CN my-site.com).
var TutorialServerSubject = Subject{Country: "US", State: "Maryland", Locality: "Baltimore", Org: "My Company", CommonName: "my-site.com"}

// InitOptions tune Init. The zero value is the tutorial's setup, with an
// RSA key, unencrypted keys and names localhost and 127.0.0.1.
type InitOptions struct {
	KeyType   KeyType
	Days      int      // validity of both certificates; 0 means 30
	Pass      []byte   // passphrase for both keys; empty writes them unencrypted
	Hostnames []string // server names; nil means {"localhost", "127.0.0.1"}
}

// Init does the whole tutorial flow in dir: CA key and certificate
// (subject like the tutorial's CA), server key, CSR (SANs = Hostnames, CN =
// the first) and the server certificate signed by the CA. Keys are encrypted
// when Pass is non-empty. dir is created (0700) if missing; existing files
// are overwritten.
func Init(dir string, opts InitOptions) (Files, error) {
	files := TutorialFiles(dir)
	if opts.Days == 0 {
		opts.Days = 30 // the tutorial's validity
	}
	if len(opts.Hostnames) == 0 {
		// Both, so https://localhost:5683 and https://127.0.0.1:5683 work.
		opts.Hostnames = []string{"localhost", "127.0.0.1"}
	}
	// 0700: the directory holds private keys.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return files, newErr(dir, nil, err, "", "cannot create directory %s: %v", dir, stripPath(err))
	}

	caKey, ca, err := newKeyAnd(opts.KeyType, files.CAKey, opts.Pass,
		func(k crypto.Signer) (*x509.Certificate, error) { return NewCA(k, TutorialCASubject, opts.Days) },
		func(c *x509.Certificate) error { return WriteCertificate(files.CACert, c.Raw) })
	if err != nil {
		return files, err
	}
	subj := TutorialServerSubject
	subj.CommonName = opts.Hostnames[0]
	_, csr, err := newKeyAnd(opts.KeyType, files.ServerKey, opts.Pass,
		func(k crypto.Signer) (*x509.CertificateRequest, error) { return NewCSR(k, subj, opts.Hostnames) },
		func(r *x509.CertificateRequest) error { return WriteCSR(files.ServerCSR, r.Raw) })
	if err != nil {
		return files, err
	}
	cert, err := SignCSR(csr, ca, caKey, opts.Days)
	if err != nil {
		return files, err
	}
	if err := WriteCertificate(files.ServerCert, cert.Raw); err != nil {
		return files, err
	}
	return files, nil
}

// newKeyAnd makes a key of type t and, with issue, what Init makes from it
// (the CA certificate, the server's CSR); then it writes the key to keyPath,
// encrypted with pass if that is not empty, and the other with write.
// Nothing is written unless both were made.
func newKeyAnd[T any](t KeyType, keyPath string, pass []byte, issue func(crypto.Signer) (T, error), write func(T) error) (crypto.Signer, T, error) {
	var zero T
	key, err := GenerateKey(t)
	if err != nil {
		return nil, zero, err
	}
	v, err := issue(key)
	if err != nil {
		return nil, zero, err
	}
	if err := WritePrivateKey(keyPath, key, pass); err != nil {
		return nil, zero, err
	}
	if err := write(v); err != nil {
		return nil, zero, err
	}
	return key, v, nil
}
