package pki

// Interop with the tutorial's own Python PKI code: what Python writes, Go
// reads and signs; what Go writes, Python reads and verifies.

import (
	"crypto"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pkitDriver runs the tutorial's steps and the checks, one subcommand each.
const pkitDriver = `import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

import pki_helpers as h


def load_key(path, password):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password.encode() if password else None)


def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def load_csr(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_csr(f.read())


def issued_by(cert, ca):
    # verify_directly_issued_by came in cryptography 40; do it by hand before
    # (PKIT_OLD_VERIFY=1 takes that path on a new version too).
    if hasattr(cert, "verify_directly_issued_by") and not os.environ.get("PKIT_OLD_VERIFY"):
        cert.verify_directly_issued_by(ca)
        return
    if cert.issuer != ca.subject:
        raise ValueError("issuer is not the CA's subject")
    pub = ca.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    else:
        pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))


def sans(cert):
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n) for n in ext.get_values_for_type(x509.DNSName)] + [
        str(ip) for ip in ext.get_values_for_type(x509.IPAddress)
    ]


def same_key(priv, cert):
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return priv.public_key().public_bytes(der, fmt) == cert.public_key().public_bytes(der, fmt)


def main(cmd, *args):
    if cmd == "tutorial":
        # The tutorial's steps: the CA, then the server's key and CSR.
        ca_key = h.generate_private_key("ca-private-key.pem", "secret_password")
        h.generate_public_key(ca_key, filename="ca-public-key.pem", country="US", state="Maryland",
                              locality="Baltimore", org="My CA Company", hostname="my-ca.com")
        server_key = h.generate_private_key("server-private-key.pem", "serverpassword")
        h.generate_csr(server_key, filename="server-csr.pem", country="US", state="Maryland",
                       locality="Baltimore", org="My Company", alt_names=["localhost"], hostname="my-site.com")
    elif cmd == "verify":
        # verify CA CERT NAME...: CERT is issued by CA and names every NAME.
        ca, cert = load_cert(args[0]), load_cert(args[1])
        issued_by(cert, ca)
        names = sans(cert)
        for n in args[2:]:
            if n not in names:
                raise SystemExit("SAN %s missing from %s" % (n, names))
        print("verified", ",".join(names))
    elif cmd == "key":
        # key FILE PASSWORD CERT: the key loads and belongs to CERT.
        priv = load_key(args[0], args[1])
        if not same_key(priv, load_cert(args[2])):
            raise SystemExit("key %s does not match %s" % (args[0], args[2]))
        print("key ok", type(priv).__name__)
    elif cmd == "wrongpass":
        try:
            load_key(args[0], "not-the-passphrase")
        except (ValueError, TypeError) as e:
            print("refused:", e)
        else:
            raise SystemExit("loaded with a wrong passphrase")
    elif cmd == "sign":
        # sign CSR CACERT CAKEY PASSWORD OUT: the tutorial's sign_csr.
        h.sign_csr(load_csr(args[0]), load_cert(args[1]), load_key(args[2], args[3]), args[4])
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(*sys.argv[1:])
`

// pkitPython returns the python3 to use, or skips the test.
func pkitPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skipf("python3 with cryptography not found: %v", err)
	}
	if out, err := exec.Command(py, "-c", "import cryptography").CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Skipf("python3 with cryptography not found: %s: %v: %s", py, err, lines[len(lines)-1])
	}
	return py
}

func TestPKIPython(t *testing.T) {
	pyExe := pkitPython(t)
	dir := t.TempDir()
	// testdata/pki_helpers.py is the tutorial's pki_helpers.py, with the
	// tutorial's function names and arguments, so the files it writes are
	// the tutorial's.
	helpers, err := os.ReadFile(filepath.Join("testdata", "pki_helpers.py"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"pki_helpers.py": string(helpers), "driver.py": pkitDriver} {
		pkitWrite(t, dir, name, []byte(text))
	}
	var extraEnv []string
	python := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(pyExe, append([]string{filepath.Join(dir, "driver.py")}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONPATH="+dir)
		cmd.Env = append(cmd.Env, extraEnv...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python3 driver.py %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	python(t, "tutorial")
	py := TutorialFiles(dir)

	// (a) Python's legacy-encrypted keys load with their passphrases.
	var pyCAKey, pySrvKey crypto.Signer
	t.Run("load python keys", func(t *testing.T) {
		for _, k := range []struct {
			path, pass string
			dst        *crypto.Signer
		}{{py.CAKey, "secret_password", &pyCAKey}, {py.ServerKey, "serverpassword", &pySrvKey}} {
			data, err := os.ReadFile(k.path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "Proc-Type: 4,ENCRYPTED") || !strings.Contains(string(data), "DEK-Info: AES-256-CBC") {
				t.Errorf("%s is not the tutorial's legacy-encrypted PEM:\n%.200s", k.path, data)
			}
			key, err := LoadPrivateKey(k.path, func() ([]byte, error) { return []byte(k.pass), nil })
			if err != nil {
				t.Fatal(err)
			}
			*k.dst = key
			if _, err := LoadPrivateKey(k.path, func() ([]byte, error) { return []byte("wrong"), nil }); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("%s with a wrong passphrase: %v", k.path, err)
			}
		}
	})
	if pyCAKey == nil || pySrvKey == nil {
		t.Fatal("cannot go on without the Python keys")
	}

	// (b) Python's CA certificate and CSR load.
	ca, err := LoadCertificate(py.CACert)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := LoadCSR(py.ServerCSR)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("load python certificate and csr", func(t *testing.T) {
		if !ca.IsCA || ca.Subject.CommonName != "my-ca.com" || !sameKey(pyCAKey.Public(), ca.PublicKey) {
			t.Errorf("CA certificate: IsCA=%v CN=%q", ca.IsCA, ca.Subject.CommonName)
		}
		if csr.Subject.CommonName != "my-site.com" || !slices.Equal(csr.DNSNames, []string{"localhost"}) {
			t.Errorf("CSR: CN=%q DNS=%q", csr.Subject.CommonName, csr.DNSNames)
		}
		if err := csr.CheckSignature(); err != nil {
			t.Errorf("CSR signature: %v", err)
		}
		out, err := Describe(py.CAKey, nil)
		if err != nil || !strings.Contains(out, "legacy OpenSSL PEM encryption, AES-256-CBC") {
			t.Errorf("Describe(python CA key) = %q, %v", out, err)
		}
	})

	// (c) Go signs Python's CSR with Python's CA; Python verifies.
	t.Run("go signs python csr", func(t *testing.T) {
		cert, err := SignCSR(csr, ca, pyCAKey, 30)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteCertificate(py.ServerCert, cert.Raw); err != nil {
			t.Fatal(err)
		}
		out := python(t, "verify", py.CACert, py.ServerCert, "localhost")
		if !strings.Contains(out, "verified localhost") {
			t.Errorf("python: %s", out)
		}
		python(t, "key", py.ServerKey, "serverpassword", py.ServerCert)
		roots := x509.NewCertPool()
		roots.AddCert(ca)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost"}); err != nil {
			t.Errorf("go verify: %v", err)
		}
	})

	// (d) Python reads what Go writes: encrypted PKCS#8 keys, Init's
	// certificates; and the tutorial's sign_csr signs Go's CSR.
	for _, tc := range pkitKeyTypes {
		t.Run("python reads go/"+tc.name, func(t *testing.T) {
			gdir := filepath.Join(dir, "go-"+tc.name)
			files, err := Init(gdir, InitOptions{KeyType: tc.kt, Pass: []byte("pw")})
			if err != nil {
				t.Fatal(err)
			}
			out := python(t, "key", files.CAKey, "pw", files.CACert)
			python(t, "key", files.ServerKey, "pw", files.ServerCert)
			python(t, "wrongpass", files.ServerKey)
			out += python(t, "verify", files.CACert, files.ServerCert, "localhost", "127.0.0.1")
			if !strings.Contains(out, "verified localhost,127.0.0.1") {
				t.Errorf("python: %s", out)
			}
			// The hand-made check for cryptography < 40, on RSA and ECDSA.
			extraEnv = []string{"PKIT_OLD_VERIFY=1"}
			python(t, "verify", files.CACert, files.ServerCert, "localhost")
			extraEnv = nil

			// A key from WritePrivateKey, unencrypted too.
			plain := filepath.Join(gdir, "plain-key.pem")
			caKey, err := LoadPrivateKey(files.CAKey, func() ([]byte, error) { return []byte("pw"), nil })
			if err != nil {
				t.Fatal(err)
			}
			if err := WritePrivateKey(plain, caKey, nil); err != nil {
				t.Fatal(err)
			}
			python(t, "key", plain, "", files.CACert)

			pyCert := filepath.Join(gdir, "python-signed.pem")
			python(t, "sign", files.ServerCSR, files.CACert, files.CAKey, "pw", pyCert)
			cert, err := LoadCertificate(pyCert)
			if err != nil {
				t.Fatal(err)
			}
			caCert, err := LoadCertificate(files.CACert)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(caCert)
			for _, n := range []string{"localhost", "127.0.0.1"} {
				if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: n}); err != nil {
					t.Errorf("go verify of python-signed certificate for %s: %v", n, err)
				}
			}
		})
	}
}
