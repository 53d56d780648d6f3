package decode

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// TestOracleTLSDecryptRSA: sessions with RSA key exchange, opened with the
// server's private key (tshark's uat:rsa_keys), on OpenSSL's three suites
// (AES-GCM; CBC with MAC-then-encrypt; CBC with encrypt-then-MAC), all
// with the extended master secret: the packet list and the HTTP inside
// equal tshark's. One difference is recorded: the server's response has
// no length and ends with the TLS close_notify, so it never completes;
// tshark's second pass leaves its record's Info empty (its first pass
// says "[TLS segment of a reassembled PDU]"), wiretap says "Application
// Data".
func TestOracleTLSDecryptRSA(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	dir := oracletest.Testdata("decode", "tlsdecrypt", "rsa")
	capPath, keyPath := filepath.Join(dir, "rsa.pcap"), filepath.Join(dir, "key.pem")
	in := oracletest.Input{Name: "tlsdecrypt/rsa/rsa.pcap", Path: capPath}
	kin := oracletest.Input{Name: "tlsdecrypt/rsa/key.pem", Path: keyPath}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := decodetest.ReadFile(capPath)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Force: map[uint16]string{4433: "tls"}, KeyLog: NewKeyLog(), RSAKeys: []*rsa.PrivateKey{k.(*rsa.PrivateKey)}}
	a := httpAnalyze(pkts, opts, -1)
	fields := []string{"_ws.col.Protocol", "_ws.col.Info", "tls.handshake.type", "http.request.uri", "http.response.code", "tls.app_data_proto"}
	args := []string{"-2", "-n", "-d", "tcp.port==4433,tls", "-o", `uat:rsa_keys:"` + keyPath + `",""`, "-r", capPath, "-T", "fields",
		"-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	res, err := o.RunFiles([]oracletest.Input{in, kin}, args...)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimRight(string(res.Stdout), "\n"), "\n")
	if len(want) != len(pkts) {
		t.Fatalf("tshark printed %d packets, wiretap read %d", len(want), len(pkts))
	}
	untilClose := map[int]bool{11: true, 28: true, 45: true}
	nVals, nHTTP := 0, 0
	for i := range pkts {
		p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
		w := strings.Split(want[i], "\t")
		for k, f := range fields {
			wv, gv := column(w, k+1), tlsFieldText(p, f)
			if f == "_ws.col.Info" && untilClose[i+1] && wv == "" && gv == "Application Data" {
				continue
			}
			nVals++
			if wv != gv {
				t.Errorf("frame %d %s:\n tshark:  %q\n wiretap: %q", i+1, f, wv, gv)
			}
		}
		if p.FieldText("http.request.uri", ",") == "/" {
			nHTTP++
		}
	}
	if nHTTP != 3 {
		t.Errorf("%d requests decrypted, want 3", nHTTP)
	}
	t.Logf("RSA key exchange oracle: %d packets, %d values equal to tshark's, %d requests decrypted", len(pkts), nVals, nHTTP)
	o.Done(nVals)
}
