package decode

// What a TLS server's certificate tells an eavesdropper before TLS 1.3
// encrypts it: the names it is for and who issued it.

import (
	"crypto/x509"
	"slices"
	"strings"
)

// certificateLeak describes a certificate (DER) as the exposure report
// lists it, "" when it does not parse.
func certificateLeak(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	var names []string
	for _, n := range append([]string{c.Subject.CommonName}, c.DNSNames...) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	issuer := c.Issuer.CommonName
	if issuer == "" {
		issuer = c.Issuer.String()
	}
	return "certificate " + strings.Join(names, ",") + " issued by " + issuer
}
