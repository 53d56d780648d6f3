package pki

// What `wiretap pki show` prints about a PEM file.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Describe returns a human-readable description of a PEM file holding
// certificates, CSRs or private keys, one section per block: subject,
// issuer, serial, validity (UTC) and whether valid now, SANs, key type and
// size, CA or not, key usages and SHA-256 fingerprint. An encrypted key is
// described as such, with its scheme, when passphrase is nil; otherwise it
// is decrypted and described.
func Describe(path string, passphrase func() ([]byte, error)) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", readErr(path, "file", err)
	}
	blocks := pemBlocks(data)
	if len(blocks) == 0 {
		// A DER certificate or CSR, as some tools write them.
		if c, err := x509.ParseCertificate(data); err == nil {
			blocks = append(blocks, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		} else if r, err := x509.ParseCertificateRequest(data); err == nil {
			blocks = append(blocks, &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: r.Raw})
		} else {
			return "", newErr(path, nil, nil, "wiretap pki show reads PEM files: certificates, CSRs and private keys",
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
			err = describeCert(&sb, b.Bytes, now)
		case b.Type == "CERTIFICATE REQUEST" || b.Type == "NEW CERTIFICATE REQUEST":
			err = describeCSR(&sb, b.Bytes)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			err = describeKey(&sb, path, b, passphrase)
		default:
			fmt.Fprintf(&sb, "%s block (%d bytes), not described\n", b.Type, len(b.Bytes))
		}
		if err != nil {
			var pe *Error
			if errors.As(err, &pe) {
				return "", err
			}
			return "", newErr(path, nil, err, "", "%s: bad %s: %v", path, b.Type, err)
		}
	}
	return sb.String(), nil
}

// row writes one "label: value" line with aligned values.
func row(sb *strings.Builder, label, format string, args ...any) {
	fmt.Fprintf(sb, "  %-20s %s\n", label+":", fmt.Sprintf(format, args...))
}

// colonHex formats bytes as openssl does: uppercase hex joined by colons.
func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	parts := make([]string, 0, len(b))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// fingerprint is the SHA-256 of der, as `openssl x509 -fingerprint -sha256` prints it.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return colonHex(sum[:])
}

// keyDesc names a public key's type and size: "RSA 2048 bits", "ECDSA P-256".
func keyDesc(pub crypto.PublicKey) string {
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

// spkiFingerprint is the SHA-256 of the public key (SubjectPublicKeyInfo),
// printed for keys, CSRs and certificates so they can be matched up.
func spkiFingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	return fingerprint(der)
}

// sanList lists the subject alternative names as "DNS:x, IP:y".
func sanList(dns []string, ips []net.IP, emails []string, uris []string) string {
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

var keyUsageNames = []struct {
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

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "Any",
	x509.ExtKeyUsageServerAuth:      "TLS Web Server Authentication",
	x509.ExtKeyUsageClientAuth:      "TLS Web Client Authentication",
	x509.ExtKeyUsageCodeSigning:     "Code Signing",
	x509.ExtKeyUsageEmailProtection: "E-mail Protection",
	x509.ExtKeyUsageTimeStamping:    "Time Stamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSP Signing",
}

func describeCert(sb *strings.Builder, der []byte, now time.Time) error {
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
	row(sb, "Subject", "%s", c.Subject)
	issuer := c.Issuer.String()
	if selfSigned {
		issuer += " (itself)"
	}
	row(sb, "Issuer", "%s", issuer)
	row(sb, "Serial", "%s", colonHex(c.SerialNumber.Bytes()))
	const layout = "2006-01-02 15:04:05 UTC"
	row(sb, "Not before", "%s", c.NotBefore.UTC().Format(layout))
	row(sb, "Not after", "%s", c.NotAfter.UTC().Format(layout))
	switch {
	case now.Before(c.NotBefore):
		row(sb, "Valid now", "no, not yet valid (starts in %s)", roughDuration(c.NotBefore.Sub(now)))
	case now.After(c.NotAfter):
		row(sb, "Valid now", "no, expired %s ago", roughDuration(now.Sub(c.NotAfter)))
	default:
		row(sb, "Valid now", "yes, %s left", roughDuration(c.NotAfter.Sub(now)))
	}
	var uris []string
	for _, u := range c.URIs {
		uris = append(uris, u.String())
	}
	if sans := sanList(c.DNSNames, c.IPAddresses, c.EmailAddresses, uris); !c.IsCA || !strings.HasPrefix(sans, "none") {
		// A CA needs no names; a server certificate without them is useless.
		row(sb, "Names (SAN)", "%s", sans)
	}
	row(sb, "Public key", "%s", keyDesc(c.PublicKey))
	switch {
	case !c.BasicConstraintsValid:
		row(sb, "CA", "no (no BasicConstraints)")
	case !c.IsCA:
		row(sb, "CA", "no")
	case c.MaxPathLen > 0 || (c.MaxPathLen == 0 && c.MaxPathLenZero):
		row(sb, "CA", "yes, path length %d (signs %s)", c.MaxPathLen, pathLenMeaning(c.MaxPathLen))
	default:
		row(sb, "CA", "yes, no path length limit")
	}
	var ku []string
	for _, u := range keyUsageNames {
		if c.KeyUsage&u.bit != 0 {
			ku = append(ku, u.name)
		}
	}
	if len(ku) > 0 {
		row(sb, "Key usage", "%s", strings.Join(ku, ", "))
	}
	var eku []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := extKeyUsageNames[u]; ok {
			eku = append(eku, n)
		} else {
			eku = append(eku, fmt.Sprintf("ExtKeyUsage(%d)", int(u)))
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		eku = append(eku, oid.String())
	}
	if len(eku) > 0 {
		row(sb, "Extended key usage", "%s", strings.Join(eku, ", "))
	}
	if len(c.SubjectKeyId) > 0 {
		row(sb, "Subject key ID", "%s", colonHex(c.SubjectKeyId))
	}
	if len(c.AuthorityKeyId) > 0 {
		row(sb, "Authority key ID", "%s", colonHex(c.AuthorityKeyId))
	}
	row(sb, "Signature", "%s", c.SignatureAlgorithm)
	row(sb, "Public key SHA-256", "%s", spkiFingerprint(c.PublicKey))
	row(sb, "SHA-256 fingerprint", "%s", fingerprint(c.Raw))
	return nil
}

func pathLenMeaning(n int) string {
	if n == 0 {
		return "only leaf certificates"
	}
	return fmt.Sprintf("up to %d intermediate CAs below it", n)
}

// roughDuration prints a duration in days, or hours/minutes when under a day.
func roughDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

func describeCSR(sb *strings.Builder, der []byte) error {
	r, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return err
	}
	sb.WriteString("Certificate signing request\n")
	row(sb, "Subject", "%s", r.Subject)
	var uris []string
	for _, u := range r.URIs {
		uris = append(uris, u.String())
	}
	row(sb, "Names (SAN)", "%s", sanList(r.DNSNames, r.IPAddresses, r.EmailAddresses, uris))
	row(sb, "Public key", "%s", keyDesc(r.PublicKey))
	if isCA, err := requestsCA(r); err == nil && isCA {
		row(sb, "CA", "requested (wiretap pki sign refuses such a CSR)")
	} else {
		row(sb, "CA", "not requested")
	}
	if err := r.CheckSignature(); err != nil {
		row(sb, "Signature", "%s, BAD: %v", r.SignatureAlgorithm, err)
	} else {
		row(sb, "Signature", "%s, valid", r.SignatureAlgorithm)
	}
	row(sb, "Public key SHA-256", "%s", spkiFingerprint(r.PublicKey))
	row(sb, "SHA-256 fingerprint", "%s", fingerprint(r.Raw))
	return nil
}

func describeKey(sb *strings.Builder, path string, b *pem.Block, passphrase func() ([]byte, error)) error {
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
	case isLegacyEncrypted(b):
		scheme = "legacy OpenSSL PEM encryption, " + dekCipher(b) + " (MD5-based key derivation; weak)"
	case b.Type == "ENCRYPTED PRIVATE KEY":
		scheme = pkcs8Scheme(b.Bytes)
	}
	if scheme != "" && passphrase == nil {
		sb.WriteString("Encrypted private key (" + format + ")\n")
		row(sb, "Encryption", "%s", scheme)
		row(sb, "Key type", "unknown until decrypted (give the passphrase)")
		return nil
	}
	key, err := parseKeyBlock(path, b, passphrase)
	if err != nil {
		return err
	}
	if scheme != "" {
		sb.WriteString("Encrypted private key (" + format + ")\n")
		row(sb, "Encryption", "%s", scheme)
	} else {
		sb.WriteString("Private key (" + format + ", not encrypted)\n")
	}
	row(sb, "Key type", "%s", keyDesc(key.Public()))
	row(sb, "Public key SHA-256", "%s", spkiFingerprint(key.Public()))
	return nil
}

// dekCipher is the cipher named in a legacy PEM DEK-Info header.
func dekCipher(b *pem.Block) string {
	c, _, _ := strings.Cut(b.Headers["DEK-Info"], ",")
	if c == "" {
		return "unknown cipher"
	}
	return c
}

var oidNames = map[string]string{
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

func oidName(oid asn1.ObjectIdentifier) string {
	if n, ok := oidNames[oid.String()]; ok {
		return n
	}
	return "OID " + oid.String()
}

// pkcs8Scheme describes the encryption of an EncryptedPrivateKeyInfo,
// e.g. "PBES2: PBKDF2-HMAC-SHA256 (600000 iterations), AES-256-CBC".
func pkcs8Scheme(der []byte) string {
	var info struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return "unknown scheme (unparsable)"
	}
	if !info.Algo.Algorithm.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}) {
		return oidName(info.Algo.Algorithm)
	}
	var p struct {
		KDF pkix.AlgorithmIdentifier
		Enc pkix.AlgorithmIdentifier
	}
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &p); err != nil {
		return "PBES2 (unparsable parameters)"
	}
	kdf := oidName(p.KDF.Algorithm)
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
				prf = oidName(kp.PRF.Algorithm)
			}
			kdf = fmt.Sprintf("PBKDF2-%s (%d iterations)", prf, kp.Iterations)
		}
	}
	return fmt.Sprintf("PBES2: %s, %s", kdf, oidName(p.Enc.Algorithm))
}
