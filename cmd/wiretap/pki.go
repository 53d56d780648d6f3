package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"wiretap/demo/pki"
)

func init() {
	register("pki", "make and inspect the tutorial's CA, keys, CSRs and certificates (init|ca|csr|sign|show)", runPKI)
}

const pkiUsage = `init DIR | ca | csr | sign | show FILE

  wiretap pki init DIR [--ecdsa] [--days 30] [--pass-env NAME] [--host NAME]... [--force]
      the whole tutorial at once: CA, server key, CSR and signed server certificate
  wiretap pki ca [--dir D | --key F --cert F] [--ecdsa] [--days 30] [--pass-env NAME] [--force]
                 [--country C --state S --locality L --org O --hostname CN]
      a CA key and its self-signed certificate (ca-private-key.pem, ca-public-key.pem)
  wiretap pki csr --key F --out F [--new-key [--ecdsa] [--pass-env NAME] [--force]] [--san NAME]...
                  [--key-pass-env NAME] [--country C --state S --locality L --org O --hostname CN]
      a certificate signing request for the key in F (made first with --new-key)
  wiretap pki sign --csr F --ca-cert F --ca-key F --out F [--days 30] [--key-pass-env NAME]
      the CA signs a CSR into a server certificate
  wiretap pki show FILE [--key-pass-env NAME]
      what a PEM file holds: certificate, CSR or private key

Passphrases: a key is read with the passphrase in $WIRETAP_KEY_PASS (or the
variable --key-pass-env names), else typed at a terminal prompt. New keys are
encrypted with the passphrase in the variable --pass-env names; without
--pass-env they are written unencrypted (mode 0600).`

func runPKI(args []string, std stdio) error {
	if len(args) == 0 {
		return &usageError{
			msg:  "pki needs a subcommand: init, ca, csr, sign or show",
			hint: "start with 'wiretap pki init DIR'; see 'wiretap pki help'",
		}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "init":
		return runPKIInit(args, std)
	case "ca":
		return runPKICA(args, std)
	case "csr":
		return runPKICSR(args, std)
	case "sign":
		return runPKISign(args, std)
	case "show":
		return runPKIShow(args, std)
	case "-h", "--help", "help":
		fmt.Fprintf(std.out, "Usage: wiretap pki %s\n", pkiUsage)
		return nil
	}
	return &usageError{
		msg:  fmt.Sprintf("unknown pki subcommand %q", sub),
		hint: "the subcommands are init, ca, csr, sign and show; see 'wiretap pki help'",
	}
}

// pkiCmdError is a pki failure with a next step; it unwraps to its cause.
type pkiCmdError struct {
	msg, hint string
	err       error
}

func (e *pkiCmdError) Error() string { return e.msg }
func (e *pkiCmdError) Hint() string  { return e.hint }
func (e *pkiCmdError) Unwrap() error { return e.err }

// pkiErrorText is the text wiretap prints for an error message: a message
// of package pki ("pki: ...") keeps the "demo: " prefix wiretap printed for
// it before the PKI code left package demo, so that what users and their
// scripts see is unchanged. Other messages are returned as they are.
func pkiErrorText(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "pki: "); ok {
		return "demo: " + rest
	}
	return msg
}

// pkiStringList is a repeatable string flag.
type pkiStringList []string

func (l *pkiStringList) String() string { return strings.Join(*l, ",") }
func (l *pkiStringList) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return errors.New("must not be empty")
	}
	*l = append(*l, v)
	return nil
}

// pkiParse parses flags that may come before and after the positional
// arguments (wiretap pki show FILE --key-pass-env X), returning those.
func pkiParse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// After "--" everything is positional.
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// pkiNoArgs refuses positional arguments for a subcommand that takes none.
func pkiNoArgs(sub string, pos []string) error {
	if len(pos) > 0 {
		return &usageError{
			msg:  fmt.Sprintf("pki %s takes no arguments, got %q", sub, pos[0]),
			hint: "see 'wiretap pki help'",
		}
	}
	return nil
}

// pkiSubjectFlags binds --country --state --locality --org --hostname.
func pkiSubjectFlags(fs *flag.FlagSet, def pki.Subject, what string) *pki.Subject {
	s := def
	fs.StringVar(&s.Country, "country", def.Country, "the "+what+"'s country (C)")
	fs.StringVar(&s.State, "state", def.State, "the "+what+"'s state or province (ST)")
	fs.StringVar(&s.Locality, "locality", def.Locality, "the "+what+"'s locality (L)")
	fs.StringVar(&s.Org, "org", def.Org, "the "+what+"'s organization (O)")
	fs.StringVar(&s.CommonName, "hostname", def.CommonName, "the "+what+"'s common name (CN)")
	return &s
}

// pkiDays checks a --days value.
func pkiDays(days int) error {
	if days < 1 {
		return &usageError{msg: fmt.Sprintf("--days must be at least 1, got %d", days), hint: "the tutorial uses --days 30"}
	}
	return nil
}

// pkiNewKeyPass reads the passphrase for new keys from the variable
// --pass-env names; nil (unencrypted) when the flag is not given.
func pkiNewKeyPass(envName string) ([]byte, error) {
	if envName == "" {
		return nil, nil
	}
	v := os.Getenv(envName)
	if v == "" {
		return nil, &usageError{
			msg:  fmt.Sprintf("--pass-env %s: the variable %s is empty or not set", envName, envName),
			hint: fmt.Sprintf("export %s=PASSPHRASE first, or leave out --pass-env to write the key unencrypted", envName),
		}
	}
	return []byte(v), nil
}

// pkiRefuseOverwrite stops a command from replacing existing files (a CA
// key above all: every certificate it signed would be orphaned) unless
// --force.
func pkiRefuseOverwrite(force bool, paths ...string) error {
	if force {
		return nil
	}
	var exist []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			exist = append(exist, p)
		}
	}
	if len(exist) == 0 {
		return nil
	}
	if len(exist) == 1 {
		return &pkiCmdError{
			msg:  fmt.Sprintf("%s already exists; not overwriting it", exist[0]),
			hint: "pass --force to replace it, or choose another place",
		}
	}
	return &pkiCmdError{
		msg:  fmt.Sprintf("%s already exist; not overwriting them", strings.Join(exist, ", ")),
		hint: "pass --force to replace them, or choose another place",
	}
}

// pkiKeyDesc is "RSA 2048" or "ECDSA P-256", plus whether it is encrypted.
func pkiKeyDesc(key crypto.Signer, pass []byte) string {
	d := fmt.Sprintf("%T", key.Public())
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		d = fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		d = "ECDSA " + k.Curve.Params().Name
	}
	if len(pass) > 0 {
		return d + ", encrypted"
	}
	return d + ", not encrypted"
}

// pkiNames lists a certificate's or CSR's SANs.
func pkiNames(dns []string, ips []net.IP) string {
	names := append([]string(nil), dns...)
	for _, ip := range ips {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no names"
	}
	return strings.Join(names, ", ")
}

// pkiLoadKey reads a key the CLI way: passphrase from envName or a prompt,
// and errors that say which variable to set.
func pkiLoadKey(path, envName string, std stdio) (crypto.Signer, error) {
	key, err := pki.LoadPrivateKey(path, keyPassphrase(path, envName, std))
	return key, describeKeyError(err, path, envName)
}

func pkiKeyType(ecdsaFlag bool) pki.KeyType {
	if ecdsaFlag {
		return pki.ECDSAP256
	}
	return pki.RSA2048
}

func runPKIInit(args []string, std stdio) error {
	fs := newFlags("pki init", "DIR [--ecdsa] [--days 30] [--pass-env NAME] [--host NAME]... [--force]", std)
	ecdsaFlag := fs.Bool("ecdsa", false, "make ECDSA P-256 keys instead of the tutorial's RSA 2048")
	days := fs.Int("days", 30, "validity of both certificates, in days")
	passEnv := fs.String("pass-env", "", "encrypt both keys with the passphrase in this environment variable")
	force := fs.Bool("force", false, "overwrite files that already exist")
	var hosts pkiStringList
	fs.Var(&hosts, "host", "a name the server certificate is for, DNS name or IP; repeatable (default localhost and 127.0.0.1)")
	pos, err := pkiParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{
			msg:  fmt.Sprintf("pki init needs one directory, got %d arguments", len(pos)),
			hint: "for example: wiretap pki init ./pki",
		}
	}
	if err := pkiDays(*days); err != nil {
		return err
	}
	pass, err := pkiNewKeyPass(*passEnv)
	if err != nil {
		return err
	}
	dir := pos[0]
	want := pki.TutorialFiles(dir)
	if err := pkiRefuseOverwrite(*force, want.CAKey, want.CACert, want.ServerKey, want.ServerCSR, want.ServerCert); err != nil {
		return err
	}
	files, err := pki.Init(dir, pki.InitOptions{KeyType: pkiKeyType(*ecdsaFlag), Days: *days, Pass: pass, Hostnames: hosts})
	if err != nil {
		return err
	}
	cert, err := pki.LoadCertificate(files.ServerCert)
	if err != nil {
		return err
	}
	enc := "not encrypted"
	if len(pass) > 0 {
		enc = "encrypted with $" + *passEnv
	}
	kt := pkiKeyType(*ecdsaFlag).String()
	w := std.out
	fmt.Fprintf(w, "wrote %s (CA key, %s, %s)\n", files.CAKey, kt, enc)
	fmt.Fprintf(w, "wrote %s (CA certificate, CN=%s, %d days)\n", files.CACert, pki.TutorialCASubject.CommonName, *days)
	fmt.Fprintf(w, "wrote %s (server key, %s, %s)\n", files.ServerKey, kt, enc)
	fmt.Fprintf(w, "wrote %s (server CSR)\n", files.ServerCSR)
	fmt.Fprintf(w, "wrote %s (server certificate for %s, %d days)\n", files.ServerCert, pkiNames(cert.DNSNames, cert.IPAddresses), *days)
	pkiNextSteps(w, files, *passEnv)
	return nil
}

// pkiNextSteps says how to use the files with wiretap's server and client.
func pkiNextSteps(w io.Writer, files pki.Files, passEnv string) {
	prefix := ""
	if passEnv != "" && passEnv != keyPassEnvDefault {
		prefix = keyPassEnvDefault + "=$" + passEnv + " "
	}
	fmt.Fprintf(w, "next: %swiretap server --mode https --cert %s --key %s\n", prefix, files.ServerCert, files.ServerKey)
	fmt.Fprintf(w, "      wiretap client --mode https --cacert %s\n", files.CACert)
}

func runPKICA(args []string, std stdio) error {
	fs := newFlags("pki ca", "[--dir D | --key F --cert F] [--ecdsa] [--days 30] [--pass-env NAME] [--force] [--country C --state S --locality L --org O --hostname CN]", std)
	dir := fs.String("dir", ".", "directory for ca-private-key.pem and ca-public-key.pem")
	keyFile := fs.String("key", "", "where to write the CA's private key (instead of --dir)")
	certFile := fs.String("cert", "", "where to write the CA's certificate (instead of --dir)")
	ecdsaFlag := fs.Bool("ecdsa", false, "make an ECDSA P-256 key instead of the tutorial's RSA 2048")
	days := fs.Int("days", 30, "validity of the CA certificate, in days")
	passEnv := fs.String("pass-env", "", "encrypt the key with the passphrase in this environment variable")
	force := fs.Bool("force", false, "overwrite files that already exist")
	subj := pkiSubjectFlags(fs, pki.TutorialCASubject, "CA")
	pos, err := pkiParse(fs, args)
	if err != nil {
		return err
	}
	if err := pkiNoArgs("ca", pos); err != nil {
		return err
	}
	dirSet := false
	fs.Visit(func(f *flag.Flag) { dirSet = dirSet || f.Name == "dir" })
	switch {
	case dirSet && (*keyFile != "" || *certFile != ""):
		return &usageError{msg: "--dir and --key/--cert do not go together", hint: "give either --dir, or both --key and --cert"}
	case (*keyFile == "") != (*certFile == ""):
		return &usageError{msg: "--key and --cert go together", hint: "give both, or --dir for the tutorial's names"}
	case *keyFile == "":
		files := pki.TutorialFiles(*dir)
		*keyFile, *certFile = files.CAKey, files.CACert
		if err := os.MkdirAll(*dir, 0o700); err != nil {
			return err
		}
	}
	if err := pkiDays(*days); err != nil {
		return err
	}
	pass, err := pkiNewKeyPass(*passEnv)
	if err != nil {
		return err
	}
	if err := pkiRefuseOverwrite(*force, *keyFile, *certFile); err != nil {
		return err
	}
	key, err := pki.GenerateKey(pkiKeyType(*ecdsaFlag))
	if err != nil {
		return err
	}
	ca, err := pki.NewCA(key, *subj, *days)
	if err != nil {
		return err
	}
	if err := pki.WritePrivateKey(*keyFile, key, pass); err != nil {
		return err
	}
	if err := pki.WriteCertificate(*certFile, ca.Raw); err != nil {
		return err
	}
	fmt.Fprintf(std.out, "wrote %s (CA key, %s)\n", *keyFile, pkiKeyDesc(key, pass))
	fmt.Fprintf(std.out, "wrote %s (CA certificate, %s, %d days)\n", *certFile, ca.Subject, *days)
	return nil
}

func runPKICSR(args []string, std stdio) error {
	fs := newFlags("pki csr", "--key F --out F [--new-key [--ecdsa] [--pass-env NAME] [--force]] [--san NAME]... [--key-pass-env NAME] [--country C --state S --locality L --org O --hostname CN]", std)
	keyFile := fs.String("key", "", "the server's private key (server-private-key.pem in the tutorial)")
	out := fs.String("out", "", "where to write the CSR (server-csr.pem in the tutorial)")
	newKey := fs.Bool("new-key", false, "generate the key into --key first")
	ecdsaFlag := fs.Bool("ecdsa", false, "with --new-key: an ECDSA P-256 key instead of RSA 2048")
	passEnv := fs.String("pass-env", "", "with --new-key: encrypt the key with the passphrase in this environment variable")
	keyPassEnv := fs.String("key-pass-env", keyPassEnvDefault, "environment variable holding the passphrase of an existing --key")
	force := fs.Bool("force", false, "with --new-key: overwrite an existing --key")
	var sans pkiStringList
	fs.Var(&sans, "san", "a name the certificate should be for, DNS name or IP; repeatable (default localhost, as in the tutorial)")
	subj := pkiSubjectFlags(fs, pki.TutorialServerSubject, "server")
	pos, err := pkiParse(fs, args)
	if err != nil {
		return err
	}
	if err := pkiNoArgs("csr", pos); err != nil {
		return err
	}
	if *keyFile == "" || *out == "" {
		return &usageError{
			msg:  "pki csr needs --key and --out",
			hint: "for example: wiretap pki csr --new-key --key server-private-key.pem --out server-csr.pem --san localhost",
		}
	}
	if !*newKey && (*ecdsaFlag || *passEnv != "" || *force) {
		return &usageError{msg: "--ecdsa, --pass-env and --force are for --new-key", hint: "add --new-key to make the key first"}
	}
	if len(sans) == 0 {
		sans = pkiStringList{"localhost"} // the tutorial's alt_names
	}

	var key crypto.Signer
	var pass []byte
	if *newKey {
		if pass, err = pkiNewKeyPass(*passEnv); err != nil {
			return err
		}
		if err := pkiRefuseOverwrite(*force, *keyFile); err != nil {
			return err
		}
		if key, err = pki.GenerateKey(pkiKeyType(*ecdsaFlag)); err != nil {
			return err
		}
		if err := pki.WritePrivateKey(*keyFile, key, pass); err != nil {
			return err
		}
		fmt.Fprintf(std.out, "wrote %s (key, %s)\n", *keyFile, pkiKeyDesc(key, pass))
	} else if key, err = pkiLoadKey(*keyFile, *keyPassEnv, std); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &pkiCmdError{
				msg:  fmt.Sprintf("key %s does not exist", *keyFile),
				hint: "add --new-key to generate it",
				err:  err,
			}
		}
		return err
	}
	csr, err := pki.NewCSR(key, *subj, sans)
	if err != nil {
		return err
	}
	if err := pki.WriteCSR(*out, csr.Raw); err != nil {
		return err
	}
	fmt.Fprintf(std.out, "wrote %s (CSR for %s: %s)\n", *out, csr.Subject, pkiNames(csr.DNSNames, csr.IPAddresses))
	dir := filepath.Dir(*out)
	fmt.Fprintf(std.out, "next: wiretap pki sign --csr %s --ca-cert %s --ca-key %s --out %s\n", *out,
		filepath.Join(dir, "ca-public-key.pem"), filepath.Join(dir, "ca-private-key.pem"), filepath.Join(dir, "server-public-key.pem"))
	return nil
}

func runPKISign(args []string, std stdio) error {
	fs := newFlags("pki sign", "--csr F --ca-cert F --ca-key F --out F [--days 30] [--key-pass-env NAME]", std)
	csrFile := fs.String("csr", "", "the certificate signing request (server-csr.pem in the tutorial)")
	caCertFile := fs.String("ca-cert", "", "the CA's certificate (ca-public-key.pem)")
	caKeyFile := fs.String("ca-key", "", "the CA's private key (ca-private-key.pem)")
	out := fs.String("out", "", "where to write the signed certificate (server-public-key.pem)")
	days := fs.Int("days", 30, "validity of the certificate, in days")
	keyPassEnv := fs.String("key-pass-env", keyPassEnvDefault, "environment variable holding the --ca-key passphrase")
	pos, err := pkiParse(fs, args)
	if err != nil {
		return err
	}
	if err := pkiNoArgs("sign", pos); err != nil {
		return err
	}
	if *csrFile == "" || *caCertFile == "" || *caKeyFile == "" || *out == "" {
		return &usageError{
			msg:  "pki sign needs --csr, --ca-cert, --ca-key and --out",
			hint: "for example: wiretap pki sign --csr server-csr.pem --ca-cert ca-public-key.pem --ca-key ca-private-key.pem --out server-public-key.pem",
		}
	}
	if err := pkiDays(*days); err != nil {
		return err
	}
	csr, err := pki.LoadCSR(*csrFile)
	if err != nil {
		return err
	}
	caCert, err := pki.LoadCertificate(*caCertFile)
	if err != nil {
		return err
	}
	caKey, err := pkiLoadKey(*caKeyFile, *keyPassEnv, std)
	if err != nil {
		return err
	}
	cert, err := pki.SignCSR(csr, caCert, caKey, *days)
	if err != nil {
		// Name the CSR: SignCSR only knows the request, not its file.
		var h interface{ Hint() string }
		hint := ""
		if errors.As(err, &h) {
			hint = h.Hint()
		}
		return &pkiCmdError{
			msg:  fmt.Sprintf("cannot sign %s: %s", *csrFile, strings.TrimPrefix(err.Error(), "pki: ")),
			hint: hint,
			err:  err,
		}
	}
	if err := pki.WriteCertificate(*out, cert.Raw); err != nil {
		return err
	}
	fmt.Fprintf(std.out, "wrote %s (certificate for %s: %s, %d days, issued by %s)\n", *out,
		cert.Subject, pkiNames(cert.DNSNames, cert.IPAddresses), *days, pkiCN(caCert))
	return nil
}

// pkiCN is a certificate's common name, or its whole subject without one.
func pkiCN(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

func runPKIShow(args []string, std stdio) error {
	fs := newFlags("pki show", "FILE [--key-pass-env NAME]", std)
	keyPassEnv := fs.String("key-pass-env", keyPassEnvDefault, "environment variable holding an encrypted key's passphrase")
	pos, err := pkiParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{
			msg:  fmt.Sprintf("pki show needs one file, got %d arguments", len(pos)),
			hint: "for example: wiretap pki show server-public-key.pem",
		}
	}
	path := pos[0]
	text, err := pki.Describe(path, keyPassphrase(path, *keyPassEnv, std))
	if err != nil {
		return describeKeyError(err, path, *keyPassEnv)
	}
	fmt.Fprint(std.out, text)
	return nil
}
