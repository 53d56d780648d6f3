package decode

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// tlsKeyLogs names, for the TLS test captures that came with one, their
// key log (beside them in the same folder).
var tlsKeyLogs = map[string]string{
	"tls/hotplace-http1/http1.pcapng":                              "sslkeylog",
	"tls/hotplace-http1/http2.pcapng":                              "sslkeylog",
	"tls/hotplace-tls13/handshake_failure.pcapng":                  "sslkeylog",
	"tls/hotplace-tls13/tls13_TLS_AES_128_GCM_SHA256.pcapng":       "sslkeylog",
	"tls/hotplace-tls13/tls13_TLS_AES_256_GCM_SHA384.pcapng":       "sslkeylog",
	"tls/hotplace-tls13/tls13_TLS_CHACHA20_POLY1305_SHA256.pcapng": "sslkeylog",
	"tls/illustrated-tls12/capture.pcap":                           "keylog.txt",
	"tls/illustrated-tls13/capture.pcap":                           "keylog.txt",
	"tls/snet/TLS1_2_ECDHE-ECDSA-CHACHA20-POLY1305_auth.pcap":      "TLS1_2_ECDHE-ECDSA-CHACHA20-POLY1305_auth.txt",
	"tls/snet/TLS1_2_ECDHE-RSA-AES128-GCM-SHA256_auth.pcap":        "TLS1_2_ECDHE-RSA-AES128-GCM-SHA256_auth.txt",
	"tls/snet/TLS1_3_TLS_AES_128_GCM_SHA256.pcap":                  "TLS1_3_TLS_AES_128_GCM_SHA256.txt",
	"tls/zeek/tls12-decryption.pcap":                               "tls12-decryption.keylog.derived.txt",
	"tlsdecrypt/demo/demo.pcapng":                                  "keys.log",
	"tlsdecrypt/zerortt/zrtt.pcap":                                 "keys.log",
	"tlsdecrypt/keyupdate/ku.pcap":                                 "keys.log",
	"tlsdecrypt/reneg/reneg.pcap":                                  "keys.log",
	"tlsdecrypt/hrr/hrr.pcap":                                      "keys.log",
}

// tlsDecryptOracleFields are tlsOracleFields and what decryption adds:
// the HTTP the records carry, and the data no protocol takes.
var tlsDecryptOracleFields = append(append([]string{}, tlsOracleFields...), strings.Fields(`
http.request http.response http.request.method http.request.uri http.request.version http.host
http.response.code http.response.phrase http.content_type http.content_length_header http.file_data
http.request.full_uri http.response_for.uri http.request_in http.response_in data.data data.len
http2 http2.stream http2.type http2.length http2.flags http2.streamid http2.header.name http2.header.value
http2.headers.method http2.headers.path http2.headers.authority http2.headers.scheme http2.headers.status
http2.headers.content_type http2.data.data http2.settings.id http2.window_update.window_size_increment
http2.body.reassembled.in http2.request.full_uri`)...)

// tlsDecryptOracleDiffs: none (every value compared is tshark's).
var tlsDecryptOracleDiffs = []oracleDiff{}

// TestOracleTLSDecrypt compares, on every TLS test capture that has its
// key log, wiretap's fields with the key log against tshark's with
// -o tls.keylog_file: the decrypted handshake, the application data and
// the HTTP inside (recorded in testdata/golden/TestOracleTLSDecrypt).
func TestOracleTLSDecrypt(t *testing.T) {
	t.Setenv("TZ", "UTC")
	o := oracletest.New(t, oracletest.Tshark)
	var nFiles, nPkts, nVals, nAllowed, nDecrypted, nHTTP int
	seen := map[oracleDiff]bool{}
	// The TLS corpus, a capture of the demo (whose HTTPS server is on a
	// port tshark is told is TLS: tlsOracleArgs), OpenSSL's 0-RTT, KeyUpdates, a renegotiation and a HelloRetryRequest.
	files := decodetest.Files(t, decodetest.TLS)
	for _, name := range []string{"tlsdecrypt/demo/demo.pcapng", "tlsdecrypt/zerortt/zrtt.pcap", "tlsdecrypt/keyupdate/ku.pcap",
		"tlsdecrypt/reneg/reneg.pcap", "tlsdecrypt/hrr/hrr.pcap"} {
		files = append(files, decodetest.File{Name: name, Path: oracletest.Testdata("decode", strings.Split(name, "/")...)})
	}
	for _, f := range files {
		klName, ok := tlsKeyLogs[f.Name]
		if !ok {
			continue
		}
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil || len(pkts) == 0 {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		klPath := filepath.Join(filepath.Dir(f.Path), klName)
		kin := oracletest.Input{Name: path.Join(path.Dir(f.Name), klName), Path: klPath}
		nFiles++
		args := append([]string{}, tlsOracleArgs...)
		args = append(args, "-o", "tls.keylog_file:"+klPath, "-r", f.Input().Path, "-T", "fields",
			"-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number")
		for _, name := range tlsDecryptOracleFields {
			args = append(args, "-e", name)
		}
		res, err := o.RunFiles([]oracletest.Input{f.Input(), kin}, args...)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Split(strings.TrimRight(string(res.Stdout), "\n"), "\n")
		kl := NewKeyLog()
		if _, err := kl.ReadFile(klPath); err != nil {
			t.Fatal(err)
		}
		opts := tlsOracleOpts()
		opts.KeyLog = kl
		a := httpAnalyze(pkts, opts, -1)
		if len(want) != len(pkts) {
			t.Errorf("%s: tshark printed %d packets, wiretap read %d", f.Name, len(want), len(pkts))
			continue
		}
		for i := len(pkts) - 1; i >= 0; i-- {
			p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
			w := strings.Split(want[i], "\t")
			nPkts++
			if len(p.Sources) > 1 && strings.HasPrefix(p.Sources[len(p.Sources)-1].Name, "Decrypted TLS") {
				nDecrypted++
			}
			if len(p.Fields("http")) > 0 {
				nHTTP++
			}
			vals, allowed := compareTLSFields(t, f.Name, i+1, p, w, tlsDecryptOracleFields, tlsDecryptOracleDiffs, seen)
			nVals += vals
			nAllowed += allowed
		}
	}
	for _, d := range tlsDecryptOracleDiffs {
		if !seen[d] {
			t.Errorf("expected difference not seen (remove it from tlsDecryptOracleDiffs?): %s frame %d %s", d.file, d.frame, d.field)
		}
	}
	if nDecrypted == 0 || nHTTP == 0 {
		t.Errorf("nothing decrypted (%d frames with decrypted records, %d with HTTP inside)", nDecrypted, nHTTP)
	}
	t.Logf("TLS decryption oracle: %d captures with key logs, %d packets (%d with decrypted records, %d with HTTP inside), %d fields each, %d values compared, %d allowed differences",
		nFiles, nPkts, nDecrypted, nHTTP, len(tlsDecryptOracleFields), nVals, nAllowed)
	o.Done(nVals)
}
