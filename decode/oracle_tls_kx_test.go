package decode

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// TestOracleTLSDecryptKeyExchange: TLS 1.2 sessions opened without a key
// log — RSA key exchange with the server's private key (tshark's
// uat:rsa_keys), on OpenSSL's AES-GCM, CBC MAC-then-encrypt and CBC
// encrypt-then-MAC suites, and plain PSK (tshark's tls.psk), all with the
// extended master secret: the packet list, the HTTP inside and the TLS
// segment data equal tshark's. (The responses have no length and end with
// close_notify: they never complete, so their records show as TLS segment
// data with an empty Info, as tshark's second pass shows them.)
func TestOracleTLSDecryptKeyExchange(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	const psk = "0102030405060708090a0b0c0d0e0f10"
	rsaDir := oracletest.Testdata("decode", "tlsdecrypt", "rsa")
	keyPath := filepath.Join(rsaDir, "key.pem")
	b, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pskBytes, _ := hex.DecodeString(psk)
	fields := []string{"_ws.col.Protocol", "_ws.col.Info", "tls.handshake.type", "http.request.uri", "http.response.code",
		"tls.app_data_proto", "tls.segment.data", "tls.reassembled_in"}
	for _, tc := range []struct {
		name, file string
		port       uint16
		inputs     []oracletest.Input
		prefs      []string
		opts       Options
		requests   int
	}{
		{"rsa", "tlsdecrypt/rsa/rsa.pcap", 4433, []oracletest.Input{{Name: "tlsdecrypt/rsa/key.pem", Path: keyPath}},
			[]string{"-o", `uat:rsa_keys:"` + keyPath + `",""`}, Options{RSAKeys: []*rsa.PrivateKey{k.(*rsa.PrivateKey)}}, 3},
		{"psk", "tlsdecrypt/psk/psk.pcap", 4435, nil, []string{"-o", "tls.psk:" + psk}, Options{TLSPSK: pskBytes}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			capPath := oracletest.Testdata("decode", strings.Split(tc.file, "/")...)
			in := oracletest.Input{Name: tc.file, Path: capPath}
			pkts, err := decodetest.ReadFile(capPath)
			if err != nil {
				t.Fatal(err)
			}
			opts := tc.opts
			opts.Force, opts.KeyLog = map[uint16]string{tc.port: "tls"}, NewKeyLog()
			a := httpAnalyze(pkts, opts, -1)
			args := append([]string{"-2", "-n", "-d", "tcp.port==" + strconv.Itoa(int(tc.port)) + ",tls"}, tc.prefs...)
			args = append(args, "-r", capPath, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number")
			for _, f := range fields {
				args = append(args, "-e", f)
			}
			res, err := o.RunFiles(append([]oracletest.Input{in}, tc.inputs...), args...)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimRight(string(res.Stdout), "\n"), "\n")
			if len(want) != len(pkts) {
				t.Fatalf("tshark printed %d packets, wiretap read %d", len(want), len(pkts))
			}
			nVals, nHTTP := 0, 0
			for i := range pkts {
				p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
				w := strings.Split(want[i], "\t")
				for k, f := range fields {
					nVals++
					if wv, gv := column(w, k+1), tlsFieldText(p, f); wv != gv {
						t.Errorf("frame %d %s:\n tshark:  %q\n wiretap: %q", i+1, f, trunc(wv), trunc(gv))
					}
				}
				if p.FieldText("http.request.uri", ",") == "/" {
					nHTTP++
				}
			}
			if nHTTP != tc.requests {
				t.Errorf("%d requests decrypted, want %d", nHTTP, tc.requests)
			}
			t.Logf("%s: %d packets, %d values equal to tshark's, %d requests decrypted", tc.name, len(pkts), nVals, nHTTP)
			o.Done(nVals)
		})
	}
}
