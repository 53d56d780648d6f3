package demo

// This file is the tutorial's pki_helpers.py done in Go: a private CA, a
// server key, a certificate signing request and the signed certificate. Like
// mkcert's cert.go, each choice below has a comment saying why.

import (
	"bytes"
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
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/youmark/pkcs8"
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

// ErrPassphraseNeeded is wrapped by LoadPrivateKey's error when the key is
// encrypted and no passphrase (or an empty one) was available.
var ErrPassphraseNeeded = errors.New("demo: key is encrypted and no passphrase was given")

// ErrWrongPassphrase is wrapped by LoadPrivateKey's error when the
// passphrase does not decrypt the key.
var ErrWrongPassphrase = errors.New("demo: wrong passphrase")

// PKIError is an error of this file: Error names the file (when there is one)
// and what failed, Hint the next step, if there is an obvious one. It unwraps
// to a sentinel such as ErrWrongPassphrase and to the underlying cause.
type PKIError struct {
	Path  string // the file involved, or ""
	msg   string // the whole message, "demo: ..." included
	hint  string
	kind  error
	cause error
}

func (e *PKIError) Error() string { return e.msg }

// Hint is the suggested next step, printed by wiretap as "wiretap: hint: ...".
func (e *PKIError) Hint() string { return e.hint }

func (e *PKIError) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// pkiErr builds a *PKIError; msg gets the "demo: " prefix.
func pkiErr(path string, kind, cause error, hint, format string, args ...any) *PKIError {
	return &PKIError{Path: path, msg: "demo: " + fmt.Sprintf(format, args...), hint: hint, kind: kind, cause: cause}
}

// GenerateKey makes a new private key.
func GenerateKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case RSA2048:
		// 2048 bits is the tutorial's size and still the common minimum;
		// Go always uses the public exponent 65537, like the tutorial.
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("demo: generate RSA key: %w", err)
		}
		return k, nil
	case ECDSAP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("demo: generate ECDSA key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("demo: unknown key type %d", int(t))
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

// pkiSerial is a random 128-bit serial number. CAs must not reuse serials
// (RFC 5280 4.1.2.2); 128 random bits make a clash impossible in practice,
// like Python's x509.random_serial_number() (which uses 159 bits).
func pkiSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("demo: serial number: %w", err)
	}
	if n.Sign() == 0 { // a serial must be positive
		n.SetInt64(1)
	}
	return n, nil
}

// pkiValidity returns NotBefore and NotAfter for days of validity. NotBefore
// is a minute in the past so a peer whose clock is slightly behind does not
// see a "not yet valid" certificate.
func pkiValidity(days int) (time.Time, time.Time, error) {
	if days < 1 {
		return time.Time{}, time.Time{}, pkiErr("", nil, nil, "use a validity of at least 1 day (the tutorial uses 30)",
			"validity of %d days is not positive", days)
	}
	now := time.Now()
	return now.Add(-time.Minute), now.Add(time.Duration(days) * 24 * time.Hour), nil
}

// pkiSigAlg picks the signature algorithm: SHA-256 as in the tutorial, with
// PKCS#1 v1.5 padding for RSA, which every TLS stack accepts.
func pkiSigAlg(key crypto.Signer) x509.SignatureAlgorithm {
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

// pkiSubjectKeyID is the key identifier of RFC 7093 section 2 method 1: the
// leftmost 160 bits of the SHA-256 of the subjectPublicKey bits. It is what
// the SKI of RFC 5280 computes with SHA-1, without SHA-1.
func pkiSubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("demo: marshal public key: %w", err)
	}
	var info struct {
		Algorithm        pkix.AlgorithmIdentifier
		SubjectPublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("demo: parse public key: %w", err)
	}
	sum := sha256.Sum256(info.SubjectPublicKey.Bytes)
	return sum[:20], nil
}

// NewCA makes a self-signed CA certificate: BasicConstraints CA:true
// critical, KeyUsage certSign+cRLSign (critical), SubjectKeyId, random
// 128-bit serial, NotBefore = now-1min, NotAfter = now+days.
func NewCA(key crypto.Signer, subj Subject, days int) (*x509.Certificate, error) {
	serial, err := pkiSerial()
	if err != nil {
		return nil, err
	}
	notBefore, notAfter, err := pkiValidity(days)
	if err != nil {
		return nil, err
	}
	skid, err := pkiSubjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            subj.Name(),
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		SignatureAlgorithm: pkiSigAlg(key),

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
		return nil, fmt.Errorf("demo: create CA certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// NewCSR makes a PKCS#10 request; each san is an IP address if it parses as
// one, else a DNS name. crypto/x509 puts them in a non-critical
// SubjectAlternativeName extension request, as the tutorial does.
func NewCSR(key crypto.Signer, subj Subject, sans []string) (*x509.CertificateRequest, error) {
	tpl := &x509.CertificateRequest{
		Subject:            subj.Name(),
		SignatureAlgorithm: pkiSigAlg(key),
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
		return nil, fmt.Errorf("demo: create CSR: %w", err)
	}
	return x509.ParseCertificateRequest(der)
}

var (
	pkiOIDBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	pkiOIDKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	pkiOIDExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	pkiOIDSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	pkiOIDAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// pkiRequestsCA reports whether a CSR's requested extensions include
// BasicConstraints with CA:true.
func pkiRequestsCA(csr *x509.CertificateRequest) (bool, error) {
	for _, ext := range csr.Extensions {
		if !ext.Id.Equal(pkiOIDBasicConstraints) {
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

// pkiNameOf is a short name for a CSR or certificate subject in messages.
func pkiNameOf(n pkix.Name) string {
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
		return nil, errors.New("demo: SignCSR needs a CSR, a CA certificate and a CA key")
	}
	// The signature proves the requester holds the private key of the
	// public key it wants certified. The tutorial's sign_csr skips this.
	if err := csr.CheckSignature(); err != nil {
		return nil, pkiErr("", nil, err, "make the CSR again with its own key: wiretap pki csr --key KEY --out CSR",
			"the CSR for %s has a bad signature (%v); refusing to sign it", pkiNameOf(csr.Subject), err)
	}
	// Copying extensions blindly, as the tutorial does, would let a CSR
	// make itself a CA able to sign certificates for any site.
	isCA, err := pkiRequestsCA(csr)
	if err != nil {
		return nil, pkiErr("", nil, err, "", "the CSR for %s has a malformed BasicConstraints extension: %v", pkiNameOf(csr.Subject), err)
	}
	if isCA {
		return nil, pkiErr("", nil, nil, "request a server certificate instead (wiretap pki csr makes one); a CA is made with wiretap pki ca",
			"the CSR for %s asks to be a CA (BasicConstraints CA:true); refusing to sign it", pkiNameOf(csr.Subject))
	}
	if !caCert.IsCA {
		return nil, pkiErr("", nil, nil, "pass the CA's certificate (ca-public-key.pem in the tutorial)",
			"the certificate for %s is not a CA certificate and cannot sign", pkiNameOf(caCert.Subject))
	}
	if !pkiSameKey(caKey.Public(), caCert.PublicKey) {
		return nil, pkiErr("", nil, nil, "pass the CA's own key (ca-private-key.pem in the tutorial)",
			"the CA key does not belong to the CA certificate for %s", pkiNameOf(caCert.Subject))
	}
	serial, err := pkiSerial()
	if err != nil {
		return nil, err
	}
	notBefore, notAfter, err := pkiValidity(days)
	if err != nil {
		return nil, err
	}

	// The CA decides what the key may be used for and whether it is a CA,
	// so those extensions are ours; everything else requested (the SANs
	// above all) is copied, as the tutorial's sign_csr does.
	var extra []pkix.Extension
	for _, ext := range csr.Extensions {
		switch {
		case ext.Id.Equal(pkiOIDBasicConstraints), ext.Id.Equal(pkiOIDKeyUsage),
			ext.Id.Equal(pkiOIDExtKeyUsage), ext.Id.Equal(pkiOIDAuthorityKeyID),
			ext.Id.Equal(pkiOIDSubjectKeyID):
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
		SignatureAlgorithm: pkiSigAlg(caKey),
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
		return nil, fmt.Errorf("demo: sign certificate for %s: %w", pkiNameOf(csr.Subject), err)
	}
	return x509.ParseCertificate(der)
}

// pkiSameKey reports whether two public keys are equal.
func pkiSameKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// LoadPrivateKey reads a PEM private key file: PKCS#1 "RSA PRIVATE KEY",
// SEC1 "EC PRIVATE KEY", PKCS#8 "PRIVATE KEY", legacy-encrypted
// ("Proc-Type: 4,ENCRYPTED", as Python's TraditionalOpenSSL +
// BestAvailableEncryption writes) and PKCS#8 "ENCRYPTED PRIVATE KEY".
// passphrase is called only when the key is encrypted; when it is nil (or
// gives an empty passphrase) an encrypted key yields an error satisfying
// errors.Is(err, ErrPassphraseNeeded). A wrong passphrase yields
// errors.Is(err, ErrWrongPassphrase). Errors name the file.
func LoadPrivateKey(path string, passphrase func() ([]byte, error)) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, pkiReadErr(path, "private key", err)
	}
	block, err := pkiFindKeyBlock(path, data)
	if err != nil {
		return nil, err
	}
	return pkiParseKeyBlock(path, block, passphrase)
}

// pkiReadErr reports a file that could not be read.
func pkiReadErr(path, what string, err error) error {
	hint := ""
	if errors.Is(err, os.ErrNotExist) {
		hint = "make the tutorial's files with: wiretap pki init DIR"
	}
	return pkiErr(path, nil, err, hint, "cannot read %s %s: %v", what, path, pkiStripPath(err))
}

// pkiStripPath drops the path from an *fs.PathError, which the message
// already names.
func pkiStripPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// pkiFindKeyBlock returns the first PEM block of data holding a private key.
// OpenSSL's "EC PARAMETERS" and any certificates before it are skipped.
func pkiFindKeyBlock(path string, data []byte) (*pem.Block, error) {
	var seen []string
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			return b, nil
		}
		seen = append(seen, b.Type)
	}
	if len(seen) == 0 {
		return nil, pkiErr(path, nil, nil, "a private key file starts with -----BEGIN ... PRIVATE KEY-----",
			"%s holds no PEM data", path)
	}
	hint := "pass the private key file (ca-private-key.pem or server-private-key.pem in the tutorial)"
	return nil, pkiErr(path, nil, nil, hint, "%s holds no private key, only %s", path, strings.Join(seen, ", "))
}

// pkiIsLegacyEncrypted reports whether b carries the legacy OpenSSL
// "Proc-Type: 4,ENCRYPTED" header.
func pkiIsLegacyEncrypted(b *pem.Block) bool {
	return strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED")
}

// pkiParseKeyBlock turns one PEM key block into a key, asking for the
// passphrase if it is encrypted.
func pkiParseKeyBlock(path string, b *pem.Block, passphrase func() ([]byte, error)) (crypto.Signer, error) {
	switch {
	case pkiIsLegacyEncrypted(b):
		pass, err := pkiAskPassphrase(path, passphrase)
		if err != nil {
			return nil, err
		}
		// Legacy PEM encryption (MD5-based key derivation, no integrity
		// check) is weak and deprecated, but it is exactly what the
		// tutorial's Python writes, so it must be read.
		//lint:ignore SA1019 reading the tutorial's legacy keys is the point.
		der, err := x509.DecryptPEMBlock(b, pass) //nolint:staticcheck // SA1019, as above.
		if err != nil {
			if errors.Is(err, x509.IncorrectPasswordError) {
				return nil, pkiWrongPass(path, err)
			}
			return nil, pkiErr(path, nil, err, "", "cannot decrypt %s: %v", path, err)
		}
		key, err := pkiParseDER(b.Type, der)
		if err != nil {
			// The padding check passes for about 1 wrong passphrase in
			// 256; the garbage then fails to parse.
			return nil, pkiWrongPass(path, err)
		}
		return key, nil
	case b.Type == "ENCRYPTED PRIVATE KEY":
		pass, err := pkiAskPassphrase(path, passphrase)
		if err != nil {
			return nil, err
		}
		key, err := pkiDecryptPKCS8(b.Bytes, pass)
		if err != nil {
			if errors.Is(err, ErrWrongPassphrase) {
				return nil, pkiWrongPass(path, err)
			}
			return nil, pkiErr(path, nil, err,
				"convert it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in OLD -out NEW",
				"cannot decrypt %s: %v", path, err)
		}
		return key, nil
	}
	key, err := pkiParseDER(b.Type, b.Bytes)
	if err != nil {
		return nil, pkiErr(path, nil, err, "", "%s: bad %s: %v", path, b.Type, err)
	}
	return key, nil
}

// pkiAskPassphrase calls passphrase, mapping "none" to ErrPassphraseNeeded.
func pkiAskPassphrase(path string, passphrase func() ([]byte, error)) ([]byte, error) {
	hint := "give the key's passphrase"
	if passphrase == nil {
		return nil, pkiErr(path, ErrPassphraseNeeded, nil, hint, "%s: key is encrypted and no passphrase was given", path)
	}
	pass, err := passphrase()
	if err != nil {
		if errors.Is(err, ErrPassphraseNeeded) {
			return nil, pkiErr(path, ErrPassphraseNeeded, err, hint, "%s: key is encrypted and no passphrase was given", path)
		}
		return nil, pkiErr(path, nil, err, "", "%s: key is encrypted and reading the passphrase failed: %v", path, err)
	}
	if len(pass) == 0 {
		return nil, pkiErr(path, ErrPassphraseNeeded, nil, hint, "%s: key is encrypted and the passphrase given is empty", path)
	}
	return pass, nil
}

func pkiWrongPass(path string, cause error) error {
	return pkiErr(path, ErrWrongPassphrase, cause, "check the passphrase; it is the one given when the key was written",
		"%s: wrong passphrase", path)
}

// pkiDecryptPKCS8 decrypts an EncryptedPrivateKeyInfo; a failure that a wrong
// passphrase causes wraps ErrWrongPassphrase.
func pkiDecryptPKCS8(der, pass []byte) (key crypto.Signer, err error) {
	// youmark/pkcs8 hands ciphertext of a bad length straight to
	// CryptBlocks, which panics; a corrupt file must be an error.
	defer func() {
		if r := recover(); r != nil {
			key, err = nil, fmt.Errorf("corrupt encrypted key: %v", r)
		}
	}()
	k, _, err := pkcs8.ParsePrivateKey(der, pass)
	if err != nil {
		msg := err.Error()
		// "incorrect password": the decrypted bytes are not a key (CBC);
		// "authentication failed": the GCM tag does not match.
		if strings.Contains(msg, "incorrect password") || strings.Contains(msg, "authentication failed") {
			return nil, fmt.Errorf("%w (%v)", ErrWrongPassphrase, err)
		}
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return s, nil
}

// pkiParseDER parses an unencrypted key by its PEM type.
func pkiParseDER(typ string, der []byte) (crypto.Signer, error) {
	var k any
	var err error
	switch typ {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(der)
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(der)
	default:
		return nil, fmt.Errorf("unsupported PEM type %q", typ)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return s, nil
}

// pkiPBKDF2Iterations is the PBKDF2-HMAC-SHA256 work factor for keys this
// package encrypts: OWASP's 2023 figure for PBKDF2-SHA256, about a quarter
// of a second per try here. Tests lower it.
var pkiPBKDF2Iterations = 600_000

// WritePrivateKey writes key as PEM with mode 0600 (create or truncate, and
// chmod 0600 in case the file existed): unencrypted PKCS#8 when pass is
// empty, else encrypted PKCS#8 with PBES2 + PBKDF2-SHA256 + AES-256-CBC.
func WritePrivateKey(path string, key crypto.Signer, pass []byte) error {
	// PKCS#8 rather than the tutorial's TraditionalOpenSSL: it holds any
	// key type and its encryption (PBES2) is a standard with a real KDF,
	// which OpenSSL, Python's cryptography and Go all read.
	der, err := pkcs8.MarshalPrivateKey(key, pass, &pkcs8.Opts{
		// AES-256-CBC is what every PBES2 reader supports; GCM in
		// PKCS#8 is rare.
		Cipher: pkcs8.AES256CBC,
		KDFOpts: pkcs8.PBKDF2Opts{
			SaltSize:       16, // NIST SP 800-132 asks for at least 128 bits
			IterationCount: pkiPBKDF2Iterations,
			HMACHash:       crypto.SHA256,
		},
	})
	if err != nil {
		return fmt.Errorf("demo: encode private key for %s: %w", path, err)
	}
	typ := "PRIVATE KEY"
	if len(pass) > 0 {
		typ = "ENCRYPTED PRIVATE KEY"
	}
	return pkiWriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// pkiWriteFile creates or truncates path and sets its mode even if it
// existed with a looser one (the open's mode applies only on creation).
func pkiWriteFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return pkiErr(path, nil, err, "", "cannot write %s: %v", path, pkiStripPath(err))
	}
	// Chmod before writing, so a private key is never readable by others.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return pkiErr(path, nil, err, "", "cannot chmod %s: %v", path, pkiStripPath(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return pkiErr(path, nil, err, "", "cannot write %s: %v", path, pkiStripPath(err))
	}
	if err := f.Close(); err != nil {
		return pkiErr(path, nil, err, "", "cannot write %s: %v", path, pkiStripPath(err))
	}
	return nil
}

// LoadCertificate reads the first CERTIFICATE block of a PEM file (a DER
// file is accepted too).
func LoadCertificate(path string) (*x509.Certificate, error) {
	der, err := pkiLoadBlock(path, "certificate", "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, pkiErr(path, nil, err, "", "%s: bad certificate: %v", path, err)
	}
	return c, nil
}

// LoadCSR reads the first CERTIFICATE REQUEST block of a PEM file (a DER
// file is accepted too).
func LoadCSR(path string) (*x509.CertificateRequest, error) {
	der, err := pkiLoadBlock(path, "certificate request", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, pkiErr(path, nil, err, "", "%s: bad certificate request: %v", path, err)
	}
	return c, nil
}

// pkiLoadBlock returns the bytes of the first PEM block of one of types, or
// the whole file if it holds no PEM at all (DER).
func pkiLoadBlock(path, what string, types ...string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, pkiReadErr(path, what, err)
	}
	var seen []string
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		for _, t := range types {
			if b.Type == t {
				return b.Bytes, nil
			}
		}
		seen = append(seen, b.Type)
	}
	if len(seen) == 0 && len(data) > 0 && data[0] == 0x30 { // a DER SEQUENCE
		return data, nil
	}
	if len(seen) == 0 {
		return nil, pkiErr(path, nil, nil, "", "%s holds no PEM %s", path, what)
	}
	hint := ""
	switch {
	case what == "certificate" && strings.Contains(strings.Join(seen, ","), "REQUEST"):
		hint = "this is a CSR; sign it into a certificate with: wiretap pki sign"
	case strings.Contains(strings.Join(seen, ","), "PRIVATE KEY"):
		hint = "this is a private key; see what a file holds with: wiretap pki show FILE"
	}
	return nil, pkiErr(path, nil, nil, hint, "%s holds no %s, only %s", path, what, strings.Join(seen, ", "))
}

// WriteCertificate writes a DER certificate as PEM "CERTIFICATE", mode 0644
// (a certificate is public).
func WriteCertificate(path string, der []byte) error {
	return pkiWriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// WriteCSR writes a DER request as PEM "CERTIFICATE REQUEST", mode 0644.
func WriteCSR(path string, der []byte) error {
	return pkiWriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o644)
}

// PKIFiles are the tutorial's file names inside Dir.
type PKIFiles struct{ Dir, CAKey, CACert, ServerKey, ServerCSR, ServerCert string }

// TutorialFiles names the tutorial's five files inside dir.
func TutorialFiles(dir string) PKIFiles {
	return PKIFiles{
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

// InitOptions tune InitPKI. The zero value is the tutorial's setup, with an
// RSA key, unencrypted keys and names localhost and 127.0.0.1.
type InitOptions struct {
	KeyType   KeyType
	Days      int      // validity of both certificates; 0 means 30
	Pass      []byte   // passphrase for both keys; empty writes them unencrypted
	Hostnames []string // server names; nil means {"localhost", "127.0.0.1"}
}

// InitPKI does the whole tutorial flow in dir: CA key and certificate
// (subject like the tutorial's CA), server key, CSR (SANs = Hostnames, CN =
// the first) and the server certificate signed by the CA. Keys are encrypted
// when Pass is non-empty. dir is created (0700) if missing; existing files
// are overwritten.
func InitPKI(dir string, opts InitOptions) (PKIFiles, error) {
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
		return files, pkiErr(dir, nil, err, "", "cannot create directory %s: %v", dir, pkiStripPath(err))
	}

	caKey, err := GenerateKey(opts.KeyType)
	if err != nil {
		return files, err
	}
	ca, err := NewCA(caKey, TutorialCASubject, opts.Days)
	if err != nil {
		return files, err
	}
	if err := WritePrivateKey(files.CAKey, caKey, opts.Pass); err != nil {
		return files, err
	}
	if err := WriteCertificate(files.CACert, ca.Raw); err != nil {
		return files, err
	}

	srvKey, err := GenerateKey(opts.KeyType)
	if err != nil {
		return files, err
	}
	subj := TutorialServerSubject
	subj.CommonName = opts.Hostnames[0]
	csr, err := NewCSR(srvKey, subj, opts.Hostnames)
	if err != nil {
		return files, err
	}
	if err := WritePrivateKey(files.ServerKey, srvKey, opts.Pass); err != nil {
		return files, err
	}
	if err := WriteCSR(files.ServerCSR, csr.Raw); err != nil {
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

// Describe returns a human-readable description of a PEM file holding
// certificates, CSRs or private keys, one section per block: subject,
// issuer, serial, validity (UTC) and whether valid now, SANs, key type and
// size, CA or not, key usages and SHA-256 fingerprint. An encrypted key is
// described as such, with its scheme, when passphrase is nil; otherwise it
// is decrypted and described.
func Describe(path string, passphrase func() ([]byte, error)) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", pkiReadErr(path, "file", err)
	}
	var blocks []*pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		// A DER certificate or CSR, as some tools write them.
		if c, err := x509.ParseCertificate(data); err == nil {
			blocks = append(blocks, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		} else if r, err := x509.ParseCertificateRequest(data); err == nil {
			blocks = append(blocks, &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: r.Raw})
		} else {
			return "", pkiErr(path, nil, nil, "wiretap pki show reads PEM files: certificates, CSRs and private keys",
				"%s holds no PEM data", path)
		}
	}
	// Ask for the passphrase once even if the file holds several keys.
	if passphrase != nil {
		orig := passphrase
		var pass []byte
		var passErr error
		asked := false
		passphrase = func() ([]byte, error) {
			if !asked {
				pass, passErr = orig()
				asked = true
			}
			return pass, passErr
		}
	}

	var sb strings.Builder
	now := time.Now()
	for i, b := range blocks {
		if len(blocks) > 1 {
			if i > 0 {
				sb.WriteString("\n")
			}
			fmt.Fprintf(&sb, "-- block %d of %d: %s --\n", i+1, len(blocks), b.Type)
		}
		var err error
		switch {
		case b.Type == "CERTIFICATE":
			err = pkiDescribeCert(&sb, b.Bytes, now)
		case b.Type == "CERTIFICATE REQUEST" || b.Type == "NEW CERTIFICATE REQUEST":
			err = pkiDescribeCSR(&sb, b.Bytes)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			err = pkiDescribeKey(&sb, path, b, passphrase)
		default:
			fmt.Fprintf(&sb, "%s block (%d bytes), not described\n", b.Type, len(b.Bytes))
		}
		if err != nil {
			var pe *PKIError
			if errors.As(err, &pe) {
				return "", err
			}
			return "", pkiErr(path, nil, err, "", "%s: bad %s: %v", path, b.Type, err)
		}
	}
	return sb.String(), nil
}

// pkiLine writes one "label: value" line with aligned values.
func pkiLine(sb *strings.Builder, label, format string, args ...any) {
	fmt.Fprintf(sb, "  %-20s %s\n", label+":", fmt.Sprintf(format, args...))
}

// pkiColonHex formats bytes as openssl does: uppercase hex joined by colons.
func pkiColonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	parts := make([]string, 0, len(b))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// pkiFingerprint is the SHA-256 of der, as `openssl x509 -fingerprint -sha256` prints it.
func pkiFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return pkiColonHex(sum[:])
}

// pkiKeyDesc names a public key's type and size: "RSA 2048 bits", "ECDSA P-256".
func pkiKeyDesc(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// pkiSPKIFingerprint is the SHA-256 of the public key (SubjectPublicKeyInfo),
// printed for keys, CSRs and certificates so they can be matched up.
func pkiSPKIFingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	return pkiFingerprint(der)
}

// pkiSANs lists the subject alternative names as "DNS:x, IP:y".
func pkiSANs(dns []string, ips []net.IP, emails []string, uris []string) string {
	var s []string
	for _, d := range dns {
		s = append(s, "DNS:"+d)
	}
	for _, ip := range ips {
		s = append(s, "IP:"+ip.String())
	}
	for _, e := range emails {
		s = append(s, "email:"+e)
	}
	for _, u := range uris {
		s = append(s, "URI:"+u)
	}
	if len(s) == 0 {
		return "none (no client will accept it for any host name)"
	}
	return strings.Join(s, ", ")
}

var pkiKeyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "Digital Signature"},
	{x509.KeyUsageContentCommitment, "Content Commitment"},
	{x509.KeyUsageKeyEncipherment, "Key Encipherment"},
	{x509.KeyUsageDataEncipherment, "Data Encipherment"},
	{x509.KeyUsageKeyAgreement, "Key Agreement"},
	{x509.KeyUsageCertSign, "Certificate Sign"},
	{x509.KeyUsageCRLSign, "CRL Sign"},
	{x509.KeyUsageEncipherOnly, "Encipher Only"},
	{x509.KeyUsageDecipherOnly, "Decipher Only"},
}

var pkiExtKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "Any",
	x509.ExtKeyUsageServerAuth:      "TLS Web Server Authentication",
	x509.ExtKeyUsageClientAuth:      "TLS Web Client Authentication",
	x509.ExtKeyUsageCodeSigning:     "Code Signing",
	x509.ExtKeyUsageEmailProtection: "E-mail Protection",
	x509.ExtKeyUsageTimeStamping:    "Time Stamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSP Signing",
}

func pkiDescribeCert(sb *strings.Builder, der []byte, now time.Time) error {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	selfSigned := bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
	kind := "Certificate"
	if c.IsCA {
		kind = "CA certificate"
	}
	if selfSigned {
		kind += " (self-signed)"
	}
	sb.WriteString(kind + "\n")
	pkiLine(sb, "Subject", "%s", c.Subject)
	issuer := c.Issuer.String()
	if selfSigned {
		issuer += " (itself)"
	}
	pkiLine(sb, "Issuer", "%s", issuer)
	pkiLine(sb, "Serial", "%s", pkiColonHex(c.SerialNumber.Bytes()))
	const layout = "2006-01-02 15:04:05 UTC"
	pkiLine(sb, "Not before", "%s", c.NotBefore.UTC().Format(layout))
	pkiLine(sb, "Not after", "%s", c.NotAfter.UTC().Format(layout))
	switch {
	case now.Before(c.NotBefore):
		pkiLine(sb, "Valid now", "no, not yet valid (starts in %s)", pkiDuration(c.NotBefore.Sub(now)))
	case now.After(c.NotAfter):
		pkiLine(sb, "Valid now", "no, expired %s ago", pkiDuration(now.Sub(c.NotAfter)))
	default:
		pkiLine(sb, "Valid now", "yes, %s left", pkiDuration(c.NotAfter.Sub(now)))
	}
	var uris []string
	for _, u := range c.URIs {
		uris = append(uris, u.String())
	}
	if sans := pkiSANs(c.DNSNames, c.IPAddresses, c.EmailAddresses, uris); !c.IsCA || !strings.HasPrefix(sans, "none") {
		// A CA needs no names; a server certificate without them is useless.
		pkiLine(sb, "Names (SAN)", "%s", sans)
	}
	pkiLine(sb, "Public key", "%s", pkiKeyDesc(c.PublicKey))
	switch {
	case !c.BasicConstraintsValid:
		pkiLine(sb, "CA", "no (no BasicConstraints)")
	case !c.IsCA:
		pkiLine(sb, "CA", "no")
	case c.MaxPathLen > 0 || (c.MaxPathLen == 0 && c.MaxPathLenZero):
		pkiLine(sb, "CA", "yes, path length %d (signs %s)", c.MaxPathLen, pkiPathLenMeaning(c.MaxPathLen))
	default:
		pkiLine(sb, "CA", "yes, no path length limit")
	}
	var ku []string
	for _, u := range pkiKeyUsageNames {
		if c.KeyUsage&u.bit != 0 {
			ku = append(ku, u.name)
		}
	}
	if len(ku) > 0 {
		pkiLine(sb, "Key usage", "%s", strings.Join(ku, ", "))
	}
	var eku []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := pkiExtKeyUsageNames[u]; ok {
			eku = append(eku, n)
		} else {
			eku = append(eku, fmt.Sprintf("ExtKeyUsage(%d)", int(u)))
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		eku = append(eku, oid.String())
	}
	if len(eku) > 0 {
		pkiLine(sb, "Extended key usage", "%s", strings.Join(eku, ", "))
	}
	if len(c.SubjectKeyId) > 0 {
		pkiLine(sb, "Subject key ID", "%s", pkiColonHex(c.SubjectKeyId))
	}
	if len(c.AuthorityKeyId) > 0 {
		pkiLine(sb, "Authority key ID", "%s", pkiColonHex(c.AuthorityKeyId))
	}
	pkiLine(sb, "Signature", "%s", c.SignatureAlgorithm)
	pkiLine(sb, "Public key SHA-256", "%s", pkiSPKIFingerprint(c.PublicKey))
	pkiLine(sb, "SHA-256 fingerprint", "%s", pkiFingerprint(c.Raw))
	return nil
}

func pkiPathLenMeaning(n int) string {
	if n == 0 {
		return "only leaf certificates"
	}
	return fmt.Sprintf("up to %d intermediate CAs below it", n)
}

// pkiDuration prints a duration in days, or hours/minutes when under a day.
func pkiDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

func pkiDescribeCSR(sb *strings.Builder, der []byte) error {
	r, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return err
	}
	sb.WriteString("Certificate signing request\n")
	pkiLine(sb, "Subject", "%s", r.Subject)
	var uris []string
	for _, u := range r.URIs {
		uris = append(uris, u.String())
	}
	pkiLine(sb, "Names (SAN)", "%s", pkiSANs(r.DNSNames, r.IPAddresses, r.EmailAddresses, uris))
	pkiLine(sb, "Public key", "%s", pkiKeyDesc(r.PublicKey))
	if isCA, err := pkiRequestsCA(r); err == nil && isCA {
		pkiLine(sb, "CA", "requested (wiretap pki sign refuses such a CSR)")
	} else {
		pkiLine(sb, "CA", "not requested")
	}
	if err := r.CheckSignature(); err != nil {
		pkiLine(sb, "Signature", "%s, BAD: %v", r.SignatureAlgorithm, err)
	} else {
		pkiLine(sb, "Signature", "%s, valid", r.SignatureAlgorithm)
	}
	pkiLine(sb, "Public key SHA-256", "%s", pkiSPKIFingerprint(r.PublicKey))
	pkiLine(sb, "SHA-256 fingerprint", "%s", pkiFingerprint(r.Raw))
	return nil
}

func pkiDescribeKey(sb *strings.Builder, path string, b *pem.Block, passphrase func() ([]byte, error)) error {
	format := map[string]string{
		"RSA PRIVATE KEY":       "PKCS#1",
		"EC PRIVATE KEY":        "SEC1",
		"PRIVATE KEY":           "PKCS#8",
		"ENCRYPTED PRIVATE KEY": "PKCS#8",
	}[b.Type]
	if format == "" {
		format = b.Type
	}
	scheme := ""
	switch {
	case pkiIsLegacyEncrypted(b):
		scheme = "legacy OpenSSL PEM encryption, " + pkiDEKCipher(b) + " (MD5-based key derivation; weak)"
	case b.Type == "ENCRYPTED PRIVATE KEY":
		scheme = pkiPKCS8Scheme(b.Bytes)
	}
	if scheme != "" && passphrase == nil {
		sb.WriteString("Encrypted private key (" + format + ")\n")
		pkiLine(sb, "Encryption", "%s", scheme)
		pkiLine(sb, "Key type", "unknown until decrypted (give the passphrase)")
		return nil
	}
	key, err := pkiParseKeyBlock(path, b, passphrase)
	if err != nil {
		return err
	}
	if scheme != "" {
		sb.WriteString("Encrypted private key (" + format + ")\n")
		pkiLine(sb, "Encryption", "%s", scheme)
	} else {
		sb.WriteString("Private key (" + format + ", not encrypted)\n")
	}
	pkiLine(sb, "Key type", "%s", pkiKeyDesc(key.Public()))
	pkiLine(sb, "Public key SHA-256", "%s", pkiSPKIFingerprint(key.Public()))
	return nil
}

// pkiDEKCipher is the cipher named in a legacy PEM DEK-Info header.
func pkiDEKCipher(b *pem.Block) string {
	c, _, _ := strings.Cut(b.Headers["DEK-Info"], ",")
	if c == "" {
		return "unknown cipher"
	}
	return c
}

var pkiOIDNames = map[string]string{
	"1.2.840.113549.1.5.13":   "PBES2",
	"1.2.840.113549.1.5.12":   "PBKDF2",
	"1.3.6.1.4.1.11591.4.11":  "scrypt",
	"1.2.840.113549.2.7":      "HMAC-SHA1",
	"1.2.840.113549.2.8":      "HMAC-SHA224",
	"1.2.840.113549.2.9":      "HMAC-SHA256",
	"1.2.840.113549.2.10":     "HMAC-SHA384",
	"1.2.840.113549.2.11":     "HMAC-SHA512",
	"2.16.840.1.101.3.4.1.2":  "AES-128-CBC",
	"2.16.840.1.101.3.4.1.22": "AES-192-CBC",
	"2.16.840.1.101.3.4.1.42": "AES-256-CBC",
	"2.16.840.1.101.3.4.1.6":  "AES-128-GCM",
	"2.16.840.1.101.3.4.1.26": "AES-192-GCM",
	"2.16.840.1.101.3.4.1.46": "AES-256-GCM",
	"1.2.840.113549.3.7":      "DES-EDE3-CBC",
	"1.2.840.113549.1.5.3":    "PBES1 MD5+DES-CBC",
	"1.2.840.113549.1.5.10":   "PBES1 SHA1+DES-CBC",
	"1.2.840.113549.1.12.1.3": "PKCS#12 SHA1+3DES",
	"1.2.840.113549.1.12.1.6": "PKCS#12 SHA1+RC2-40",
}

func pkiOIDName(oid asn1.ObjectIdentifier) string {
	if n, ok := pkiOIDNames[oid.String()]; ok {
		return n
	}
	return "OID " + oid.String()
}

// pkiPKCS8Scheme describes the encryption of an EncryptedPrivateKeyInfo,
// e.g. "PBES2: PBKDF2-HMAC-SHA256 (600000 iterations), AES-256-CBC".
func pkiPKCS8Scheme(der []byte) string {
	var info struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return "unknown scheme (unparsable)"
	}
	if !info.Algo.Algorithm.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}) {
		return pkiOIDName(info.Algo.Algorithm)
	}
	var p struct {
		KDF pkix.AlgorithmIdentifier
		Enc pkix.AlgorithmIdentifier
	}
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &p); err != nil {
		return "PBES2 (unparsable parameters)"
	}
	kdf := pkiOIDName(p.KDF.Algorithm)
	if p.KDF.Algorithm.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}) {
		var kp struct {
			Salt       []byte
			Iterations int
			KeyLength  int                      `asn1:"optional"`
			PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kp); err == nil {
			prf := "HMAC-SHA1" // the default when PRF is absent
			if len(kp.PRF.Algorithm) > 0 {
				prf = pkiOIDName(kp.PRF.Algorithm)
			}
			kdf = fmt.Sprintf("PBKDF2-%s (%d iterations)", prf, kp.Iterations)
		}
	}
	return fmt.Sprintf("PBES2: %s, %s", kdf, pkiOIDName(p.Enc.Algorithm))
}
