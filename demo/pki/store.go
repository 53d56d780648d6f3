package pki

// Reading and writing PEM files: keys (encrypted or not), certificates, CSRs.

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/youmark/pkcs8"
)

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
		return nil, readErr(path, "private key", err)
	}
	block, err := findKeyBlock(path, data)
	if err != nil {
		return nil, err
	}
	return parseKeyBlock(path, block, passphrase)
}

// readErr reports a file that could not be read.
func readErr(path, what string, err error) error {
	hint := ""
	if errors.Is(err, os.ErrNotExist) {
		hint = "make the tutorial's files with: wiretap pki init DIR"
	}
	return newErr(path, nil, err, hint, "cannot read %s %s: %v", what, path, stripPath(err))
}

// stripPath drops the path from an *fs.PathError, which the message
// already names.
func stripPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// findKeyBlock returns the first PEM block of data holding a private key.
// OpenSSL's "EC PARAMETERS" and any certificates before it are skipped.
func findKeyBlock(path string, data []byte) (*pem.Block, error) {
	b, seen := firstBlock(data, func(typ string) bool { return strings.HasSuffix(typ, "PRIVATE KEY") })
	if b != nil {
		return b, nil
	}
	if len(seen) == 0 {
		return nil, newErr(path, nil, nil, "a private key file starts with -----BEGIN ... PRIVATE KEY-----",
			"%s holds no PEM data", path)
	}
	hint := "pass the private key file (ca-private-key.pem or server-private-key.pem in the tutorial)"
	return nil, newErr(path, nil, nil, hint, "%s holds no private key, only %s", path, strings.Join(seen, ", "))
}

// pemBlocks is every PEM block in data, in order.
func pemBlocks(data []byte) []*pem.Block {
	var blocks []*pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return blocks
		}
		blocks = append(blocks, b)
	}
}

// firstBlock is the first PEM block in data whose type match accepts, or,
// when there is none, nil and the types of the blocks data holds.
func firstBlock(data []byte, match func(typ string) bool) (*pem.Block, []string) {
	var seen []string
	for _, b := range pemBlocks(data) {
		if match(b.Type) {
			return b, nil
		}
		seen = append(seen, b.Type)
	}
	return nil, seen
}

// isLegacyEncrypted reports whether b carries the legacy OpenSSL
// "Proc-Type: 4,ENCRYPTED" header.
func isLegacyEncrypted(b *pem.Block) bool {
	return strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED")
}

// parseKeyBlock turns one PEM key block into a key, asking for the
// passphrase if it is encrypted.
func parseKeyBlock(path string, b *pem.Block, passphrase func() ([]byte, error)) (crypto.Signer, error) {
	switch {
	case isLegacyEncrypted(b):
		pass, err := askPassphrase(path, passphrase)
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
				return nil, wrongPass(path, err)
			}
			return nil, newErr(path, nil, err, "", "cannot decrypt %s: %v", path, err)
		}
		key, err := parseDER(b.Type, der)
		if err != nil {
			// The padding check passes for about 1 wrong passphrase in
			// 256; the garbage then fails to parse.
			return nil, wrongPass(path, err)
		}
		return key, nil
	case b.Type == "ENCRYPTED PRIVATE KEY":
		pass, err := askPassphrase(path, passphrase)
		if err != nil {
			return nil, err
		}
		key, err := decryptPKCS8(b.Bytes, pass)
		if err != nil {
			if errors.Is(err, ErrWrongPassphrase) {
				return nil, wrongPass(path, err)
			}
			return nil, newErr(path, nil, err,
				"convert it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in OLD -out NEW",
				"cannot decrypt %s: %v", path, err)
		}
		return key, nil
	}
	key, err := parseDER(b.Type, b.Bytes)
	if err != nil {
		return nil, newErr(path, nil, err, "", "%s: bad %s: %v", path, b.Type, err)
	}
	return key, nil
}

// askPassphrase calls passphrase, mapping "none" to ErrPassphraseNeeded.
func askPassphrase(path string, passphrase func() ([]byte, error)) ([]byte, error) {
	hint := "give the key's passphrase"
	if passphrase == nil {
		return nil, newErr(path, ErrPassphraseNeeded, nil, hint, "%s: key is encrypted and no passphrase was given", path)
	}
	pass, err := passphrase()
	if err != nil {
		if errors.Is(err, ErrPassphraseNeeded) {
			return nil, newErr(path, ErrPassphraseNeeded, err, hint, "%s: key is encrypted and no passphrase was given", path)
		}
		return nil, newErr(path, nil, err, "", "%s: key is encrypted and reading the passphrase failed: %v", path, err)
	}
	if len(pass) == 0 {
		return nil, newErr(path, ErrPassphraseNeeded, nil, hint, "%s: key is encrypted and the passphrase given is empty", path)
	}
	return pass, nil
}

func wrongPass(path string, cause error) error {
	return newErr(path, ErrWrongPassphrase, cause, "check the passphrase; it is the one given when the key was written",
		"%s: wrong passphrase", path)
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo; a failure that a wrong
// passphrase causes wraps ErrWrongPassphrase.
func decryptPKCS8(der, pass []byte) (key crypto.Signer, err error) {
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

// parseDER parses an unencrypted key by its PEM type.
func parseDER(typ string, der []byte) (crypto.Signer, error) {
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

// pbkdf2Iterations is the PBKDF2-HMAC-SHA256 work factor for keys this
// package encrypts: OWASP's 2023 figure for PBKDF2-SHA256, about a quarter
// of a second per try here. Tests lower it.
var pbkdf2Iterations = 600_000

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
			IterationCount: pbkdf2Iterations,
			HMACHash:       crypto.SHA256,
		},
	})
	if err != nil {
		return fmt.Errorf("pki: encode private key for %s: %w", path, err)
	}
	typ := "PRIVATE KEY"
	if len(pass) > 0 {
		typ = "ENCRYPTED PRIVATE KEY"
	}
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// writeFile creates or truncates path and sets its mode even if it
// existed with a looser one (the open's mode applies only on creation).
func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return newErr(path, nil, err, "", "cannot write %s: %v", path, stripPath(err))
	}
	// Chmod before writing, so a private key is never readable by others.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return newErr(path, nil, err, "", "cannot chmod %s: %v", path, stripPath(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return newErr(path, nil, err, "", "cannot write %s: %v", path, stripPath(err))
	}
	if err := f.Close(); err != nil {
		return newErr(path, nil, err, "", "cannot write %s: %v", path, stripPath(err))
	}
	return nil
}

// LoadCertificate reads the first CERTIFICATE block of a PEM file (a DER
// file is accepted too).
func LoadCertificate(path string) (*x509.Certificate, error) {
	return loadParsed(path, "certificate", x509.ParseCertificate, "CERTIFICATE")
}

// LoadCSR reads the first CERTIFICATE REQUEST block of a PEM file (a DER
// file is accepted too).
func LoadCSR(path string) (*x509.CertificateRequest, error) {
	return loadParsed(path, "certificate request", x509.ParseCertificateRequest, "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")
}

// loadParsed parses, with parse, what loadBlock finds in path: what a
// parse error says is "PATH: bad WHAT: ...".
func loadParsed[T any](path, what string, parse func([]byte) (T, error), types ...string) (T, error) {
	var zero T
	der, err := loadBlock(path, what, types...)
	if err != nil {
		return zero, err
	}
	v, err := parse(der)
	if err != nil {
		return zero, newErr(path, nil, err, "", "%s: bad %s: %v", path, what, err)
	}
	return v, nil
}

// loadBlock returns the bytes of the first PEM block of one of types, or
// the whole file if it holds no PEM at all (DER).
func loadBlock(path, what string, types ...string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, readErr(path, what, err)
	}
	b, seen := firstBlock(data, func(typ string) bool { return slices.Contains(types, typ) })
	if b != nil {
		return b.Bytes, nil
	}
	if len(seen) == 0 && len(data) > 0 && data[0] == 0x30 { // a DER SEQUENCE
		return data, nil
	}
	if len(seen) == 0 {
		return nil, newErr(path, nil, nil, "", "%s holds no PEM %s", path, what)
	}
	hint := ""
	switch {
	case what == "certificate" && strings.Contains(strings.Join(seen, ","), "REQUEST"):
		hint = "this is a CSR; sign it into a certificate with: wiretap pki sign"
	case strings.Contains(strings.Join(seen, ","), "PRIVATE KEY"):
		hint = "this is a private key; see what a file holds with: wiretap pki show FILE"
	}
	return nil, newErr(path, nil, nil, hint, "%s holds no %s, only %s", path, what, strings.Join(seen, ", "))
}

// WriteCertificate writes a DER certificate as PEM "CERTIFICATE", mode 0644
// (a certificate is public).
func WriteCertificate(path string, der []byte) error {
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// WriteCSR writes a DER request as PEM "CERTIFICATE REQUEST", mode 0644.
func WriteCSR(path string, der []byte) error {
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o644)
}
