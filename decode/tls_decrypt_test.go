package decode

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// decHex decodes hex that may be spread over lines and spaced, as RFCs
// print it.
func decHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// seq0to49 is the application data of RFC 8448 §3: the bytes 00 to 31.
func seq0to49() []byte {
	b := make([]byte, 50)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// TestCCMVectors checks AES-CCM against RFC 3610 §8's 24 packet vectors
// (13-byte nonce, 8- or 10-byte tag) and NIST SP 800-38C appendix C's
// four examples (nonces of 7, 8, 12 and 13 bytes, tags of 4, 6, 8 and 14,
// example 4 with 65536 bytes of additional data, whose length takes
// CCM's 6-byte encoding), both ways.
func TestCCMVectors(t *testing.T) {
	nistAD4 := make([]byte, 65536) // C.4: 00 01 ... ff repeated
	for i := range nistAD4 {
		nistAD4[i] = byte(i)
	}
	const rfcKey1, rfcKey2 = "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF", "D7828D13B2B0BDC325A76236DF93CC6B"
	const nistKey = "404142434445464748494a4b4c4d4e4f"
	tests := []struct {
		name                string
		key, nonce, ad, msg string
		adBytes             []byte // instead of ad
		tagLen              int
		want                string // ciphertext and tag
	}{
		// RFC 3610 §8, packet vectors #1 to #24: the additional data is
		// the packet's first 8 or 12 bytes, the message the rest.
		{"rfc3610#1", rfcKey1, "00000003020100A0A1A2A3A4A5", "0001020304050607", "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E", nil, 8, "588C979A61C663D2F066D0C2C0F989806D5F6B61DAC38417E8D12CFDF926E0"},
		{"rfc3610#2", rfcKey1, "00000004030201A0A1A2A3A4A5", "0001020304050607", "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", nil, 8, "72C91A36E135F8CF291CA894085C87E3CC15C439C9E43A3BA091D56E10400916"},
		{"rfc3610#3", rfcKey1, "00000005040302A0A1A2A3A4A5", "0001020304050607", "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20", nil, 8, "51B1E5F44A197D1DA46B0F8E2D282AE871E838BB64DA8596574ADAA76FBD9FB0C5"},
		{"rfc3610#4", rfcKey1, "00000006050403A0A1A2A3A4A5", "000102030405060708090A0B", "0C0D0E0F101112131415161718191A1B1C1D1E", nil, 8, "A28C6865939A9A79FAAA5C4C2A9D4A91CDAC8C96C861B9C9E61EF1"},
		{"rfc3610#5", rfcKey1, "00000007060504A0A1A2A3A4A5", "000102030405060708090A0B", "0C0D0E0F101112131415161718191A1B1C1D1E1F", nil, 8, "DCF1FB7B5D9E23FB9D4E131253658AD86EBDCA3E51E83F077D9C2D93"},
		{"rfc3610#6", rfcKey1, "00000008070605A0A1A2A3A4A5", "000102030405060708090A0B", "0C0D0E0F101112131415161718191A1B1C1D1E1F20", nil, 8, "6FC1B011F006568B5171A42D953D469B2570A4BD87405A0443AC91CB94"},
		{"rfc3610#7", rfcKey1, "00000009080706A0A1A2A3A4A5", "0001020304050607", "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E", nil, 10, "0135D1B2C95F41D5D1D4FEC185D166B8094E999DFED96C048C56602C97ACBB7490"},
		{"rfc3610#8", rfcKey1, "0000000A090807A0A1A2A3A4A5", "0001020304050607", "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", nil, 10, "7B75399AC0831DD2F0BBD75879A2FD8F6CAE6B6CD9B7DB24C17B4433F434963F34B4"},
		{"rfc3610#9", rfcKey1, "0000000B0A0908A0A1A2A3A4A5", "0001020304050607", "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20", nil, 10, "82531A60CC24945A4B8279181AB5C84DF21CE7F9B73F42E197EA9C07E56B5EB17E5F4E"},
		{"rfc3610#10", rfcKey1, "0000000C0B0A09A0A1A2A3A4A5", "000102030405060708090A0B", "0C0D0E0F101112131415161718191A1B1C1D1E", nil, 10, "07342594157785152B074098330ABB141B947B566AA9406B4D999988DD"},
		{"rfc3610#11", rfcKey1, "0000000D0C0B0AA0A1A2A3A4A5", "000102030405060708090A0B", "0C0D0E0F101112131415161718191A1B1C1D1E1F", nil, 10, "676BB20380B0E301E8AB79590A396DA78B834934F53AA2E9107A8B6C022C"},
		{"rfc3610#12", rfcKey1, "0000000E0D0C0BA0A1A2A3A4A5", "000102030405060708090A0B", "0C0D0E0F101112131415161718191A1B1C1D1E1F20", nil, 10, "C0FFA0D6F05BDB67F24D43A4338D2AA4BED7B20E43CD1AA31662E7AD65D6DB"},
		{"rfc3610#13", rfcKey2, "00412B4EA9CDBE3C9696766CFA", "0BE1A88BACE018B1", "08E8CF97D820EA258460E96AD9CF5289054D895CEAC47C", nil, 8, "4CB97F86A2A4689A877947AB8091EF5386A6FFBDD080F8E78CF7CB0CDDD7B3"},
		{"rfc3610#14", rfcKey2, "0033568EF7B2633C9696766CFA", "63018F76DC8A1BCB", "9020EA6F91BDD85AFA0039BA4BAFF9BFB79C7028949CD0EC", nil, 8, "4CCB1E7CA981BEFAA0726C55D378061298C85C92814ABC33C52EE81D7D77C08A"},
		{"rfc3610#15", rfcKey2, "00103FE41336713C9696766CFA", "AA6CFA36CAE86B40", "B916E0EACC1C00D7DCEC68EC0B3BBB1A02DE8A2D1AA346132E", nil, 8, "B1D23A2220DDC0AC900D9AA03C61FCF4A559A4417767089708A776796EDB723506"},
		{"rfc3610#16", rfcKey2, "00764C63B8058E3C9696766CFA", "D0D0735C531E1BECF049C244", "12DAAC5630EFA5396F770CE1A66B21F7B2101C", nil, 8, "14D253C3967B70609B7CBB7C499160283245269A6F49975BCADEAF"},
		{"rfc3610#17", rfcKey2, "00F8B678094E3B3C9696766CFA", "77B60F011C03E1525899BCAE", "E88B6A46C78D63E52EB8C546EFB5DE6F75E9CC0D", nil, 8, "5545FF1A085EE2EFBF52B2E04BEE1E2336C73E3F762C0C7744FE7E3C"},
		{"rfc3610#18", rfcKey2, "00D560912D3F703C9696766CFA", "CD9044D2B71FDB8120EA60C0", "6435ACBAFB11A82E2F071D7CA4A5EBD93A803BA87F", nil, 8, "009769ECABDF48625594C59251E6035722675E04C847099E5AE0704551"},
		{"rfc3610#19", rfcKey2, "0042FFF8F1951C3C9696766CFA", "D85BC7E69F944FB8", "8A19B950BCF71A018E5E6701C91787659809D67DBEDD18", nil, 10, "BC218DAA947427B6DB386A99AC1AEF23ADE0B52939CB6A637CF9BEC2408897C6BA"},
		{"rfc3610#20", rfcKey2, "00920F40E56CDC3C9696766CFA", "74A0EBC9069F5B37", "1761433C37C5A35FC1F39F406302EB907C6163BE38C98437", nil, 10, "5810E6FD25874022E80361A478E3E9CF484AB04F447EFFF6F0A477CC2FC9BF548944"},
		{"rfc3610#21", rfcKey2, "0027CA0C7120BC3C9696766CFA", "44A3AA3AAE6475CA", "A434A8E58500C6E41530538862D686EA9E81301B5AE4226BFA", nil, 10, "F2BEED7BC5098E83FEB5B31608F8E29C38819A89C8E776F1544D4151A4ED3A8B87B9CE"},
		{"rfc3610#22", rfcKey2, "005B8CCBCD9AF83C9696766CFA", "EC46BB63B02520C33C49FD70", "B96B49E21D621741632875DB7F6C9243D2D7C2", nil, 10, "31D750A09DA3ED7FDDD49A2032AABF17EC8EBF7D22C8088C666BE5C197"},
		{"rfc3610#23", rfcKey2, "003EBE94044B9A3C9696766CFA", "47A65AC78B3D594227E85E71", "E2FCFBB880442C731BF95167C8FFD7895E337076", nil, 10, "E882F1DBD38CE3EDA7C23F04DD65071EB41342ACDF7E00DCCEC7AE52987D"},
		{"rfc3610#24", rfcKey2, "008D493B30AE8B3C9696766CFA", "6E37A6EF546D955D34AB6059", "ABF21C0B02FEB88F856DF4A37381BCE3CC128517D4", nil, 10, "F32905B88A641B04B9C9FFB58CC390900F3DA12AB16DCE9E82EFA16DA62059"},
		// NIST SP 800-38C appendix C, examples 1 to 4.
		{"sp800-38c-C.1", nistKey, "10111213141516", "0001020304050607", "20212223", nil, 4, "7162015b4dac255d"},
		{"sp800-38c-C.2", nistKey, "1011121314151617", "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f", nil, 6, "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd"},
		{"sp800-38c-C.3", nistKey, "101112131415161718191a1b", "000102030405060708090a0b0c0d0e0f10111213", "202122232425262728292a2b2c2d2e2f3031323334353637", nil, 8, "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951"},
		{"sp800-38c-C.4", nistKey, "101112131415161718191a1b1c", "", "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f", nistAD4, 14, "69915dad1e84c6376a68c2967e4dab615ae0fd1faec44cc484828529463ccf72b4ac6bec93e8598e7f0dadbcea5b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := aes.NewCipher(decHex(t, tc.key))
			if err != nil {
				t.Fatal(err)
			}
			nonce := decHex(t, tc.nonce)
			aead, err := newCCM(b, len(nonce), tc.tagLen)
			if err != nil {
				t.Fatal(err)
			}
			ad := decHex(t, tc.ad)
			if tc.adBytes != nil {
				ad = tc.adBytes
			}
			msg, want := decHex(t, tc.msg), decHex(t, tc.want)
			if got := aead.Seal(nil, nonce, msg, ad); !bytes.Equal(got, want) {
				t.Errorf("Seal = %x, want %x", got, want)
			}
			got, err := aead.Open(nil, nonce, want, ad)
			if err != nil || !bytes.Equal(got, msg) {
				t.Errorf("Open = %x, %v; want %x", got, err, msg)
			}
			// In place, as the record decryptor may use it.
			inPlace := bytes.Clone(want)
			if got, err := aead.Open(inPlace[:0], nonce, inPlace, ad); err != nil || !bytes.Equal(got, msg) {
				t.Errorf("Open in place = %x, %v", got, err)
			}
			// Every flipped bit of ciphertext or tag, and of the nonce
			// and additional data, fails; so does every shortening.
			for i := range want {
				bad := bytes.Clone(want)
				bad[i] ^= 0x01
				dst := make([]byte, 0, len(bad))
				if got, err := aead.Open(dst, nonce, bad, ad); err == nil || got != nil {
					t.Errorf("Open with byte %d flipped succeeded", i)
				}
				if slices.ContainsFunc(dst[:cap(dst)], func(c byte) bool { return c != 0 }) {
					t.Errorf("Open with byte %d flipped left plaintext in dst", i)
				}
			}
			for n := range len(want) {
				if _, err := aead.Open(nil, nonce, want[:n], ad); err == nil {
					t.Errorf("Open of the first %d bytes succeeded", n)
				}
			}
			badNonce := bytes.Clone(nonce)
			badNonce[len(badNonce)-1] ^= 0x80
			if _, err := aead.Open(nil, badNonce, want, ad); err == nil {
				t.Error("Open with another nonce succeeded")
			}
			if _, err := aead.Open(nil, nonce[1:], want, ad); err == nil {
				t.Error("Open with a short nonce succeeded")
			}
			if _, err := aead.Open(nil, nonce, want, append(bytes.Clone(ad), 0)); err == nil {
				t.Error("Open with other additional data succeeded")
			}
		})
	}
}

func TestCCMParameters(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	for _, tc := range []struct {
		nonce, tag int
		ok         bool
	}{
		{12, 16, true}, {12, 8, true}, {7, 4, true}, {13, 16, true},
		{6, 16, false}, {14, 16, false}, {12, 3, false}, {12, 5, false}, {12, 18, false}, {12, 2, false},
	} {
		_, err := newCCM(b, tc.nonce, tc.tag)
		if (err == nil) != tc.ok {
			t.Errorf("newCCM(nonce %d, tag %d): error %v, want ok %v", tc.nonce, tc.tag, err, tc.ok)
		}
	}
	d, _ := aes.NewCipher(make([]byte, 8*3)) // AES-192: still a 16-byte block
	if _, err := newCCM(d, 12, 16); err != nil {
		t.Errorf("newCCM over AES-192: %v", err)
	}
	// A 13-byte nonce leaves 2 bytes of length: 65536 bytes do not fit.
	aead, _ := newCCM(b, 13, 8)
	if _, err := aead.Open(nil, make([]byte, 13), make([]byte, 65536+8), nil); err == nil {
		t.Error("Open of a message too long for L = 2 succeeded")
	}
}

// rfc8448 are the traffic secrets, keys, IVs and records of RFC 8448 §3
// ("Simple 1-RTT Handshake", TLS_AES_128_GCM_SHA256).
var rfc8448 = struct {
	clientHS, serverHS, clientAP, serverAP string               // traffic secrets
	keys                                   map[string][2]string // secret name: key, iv
	serverFlight, clientFinished           string               // records under the handshake secrets
	ticket, serverData, serverAlert        string               // the server's records under its application secret
	clientData, clientAlert                string               // the client's
	serverFinishedVerify                   string
}{
	// {server} derive secret "tls13 s hs traffic", {client} ... "c hs
	// traffic", "c ap traffic", "s ap traffic".
	clientHS: "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
	serverHS: "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
	clientAP: "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5",
	serverAP: "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643",
	// {server} derive write traffic keys for handshake data, ... for
	// application data; {client} the same.
	keys: map[string][2]string{
		"serverHS": {"3fce516009c21727d0f2e4e86ee403bc", "5d313eb2671276ee13000b30"},
		"clientHS": {"dbfaa693d1762c5b666af5d950258d01", "5bd3c71b836e0b76bb73265f"},
		"serverAP": {"9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984"},
		"clientAP": {"17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9"},
	},
	// {server} send handshake record: complete record (EncryptedExtensions,
	// Certificate, CertificateVerify, Finished).
	serverFlight: `17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35e
		df7869fcf40aa40aa2b8ea73f848a7ca07612ef9f945cb960b4068905123ea78
		b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b
		d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9
		d7477609aee6e122a4cf51427325250c7d0e509289444c9b3a648f1d71035d2e
		d65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092
		8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead68694
		5ba246ab66e5edd8044b4c6de3fcf2a89441ac66272fd8fb330ef8190579b368
		4596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f
		4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26
		f59ecaba9acbbb317b66d902f4f292a36ac1b639c637ce343117b65962224531
		7b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e
		1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da
		8c87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7cca71e4599426f7d4
		61e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe
		5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb
		992f2b992f67f8afe67f76913fa388cb5630c8ca01e0c65d11c66a1e2ac4c859
		77b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038
		ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b84
		5e275592c12335ee340bbc4fddd502784016e4b3be7ef04dda49f4b440a30cb5
		d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e
		750edc53370d2b`,
	// {client} send handshake record (Finished).
	clientFinished: `170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc
		44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546`,
	// {server} send handshake record (NewSessionTicket).
	ticket: `17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d4
		1d6af8f6b580dcf3d11d63c758db289a015940252f55713e061dc13e078891a3
		8efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e0
		9c30ba1e62972ac46f75f7b981be63439b2999ce13064615139891d5e4c5b406
		f16e3fc181a77ca475840025db2f0a77f81b5ab05b94c01346755f69232c8651
		9d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca49fe5137121c74
		bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37bf159
		85684f`,
	// {client} and {server} send application_data record, then send
	// alert record (close_notify).
	clientData: `1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f
		2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae6
		3aeebb21694915e4`,
	serverData: `17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36
		e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf33254
		0dd032e167c2955d`,
	clientAlert: "1703030013c9872760655666b74d7ff1153efd6db6d0b0e3",
	serverAlert: "1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9",
	// {server} calculate finished "tls13 finished": verify_data.
	serverFinishedVerify: "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718",
}

func TestTLS13KeysRFC8448(t *testing.T) {
	s, err := tlsCipherSuiteByID(0x1301)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"serverHS": rfc8448.serverHS, "clientHS": rfc8448.clientHS,
		"serverAP": rfc8448.serverAP, "clientAP": rfc8448.clientAP}
	for name, want := range rfc8448.keys {
		key, iv, err := tls13TrafficKeys(s, decHex(t, secrets[name]))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(key) != want[0] || hex.EncodeToString(iv) != want[1] {
			t.Errorf("%s: key %x iv %x, want %s %s (RFC 8448 §3)", name, key, iv, want[0], want[1])
		}
	}
	if _, _, err := tls13TrafficKeys(s, decHex(t, rfc8448.serverHS)[:31]); err == nil {
		t.Error("a 31-byte secret for a SHA-256 suite was accepted")
	}
	s384, _ := tlsCipherSuiteByID(0x1302)
	if _, _, err := tls13TrafficKeys(s384, decHex(t, rfc8448.serverHS)); err == nil {
		t.Error("a 32-byte secret for a SHA-384 suite was accepted")
	}
}

// splitRecord cuts a whole record into its header fields and fragment.
func splitRecord(t testing.TB, rec []byte) (uint8, uint16, []byte) {
	t.Helper()
	if len(rec) < 5 || int(binary.BigEndian.Uint16(rec[3:])) != len(rec)-5 {
		t.Fatalf("not one whole record: %x", rec)
	}
	return rec[0], binary.BigEndian.Uint16(rec[1:]), rec[5:]
}

// handshakeTypes lists the handshake messages in b, failing t unless b
// is whole messages.
func handshakeTypes(t testing.TB, b []byte) (types []uint8, bodies [][]byte) {
	t.Helper()
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("handshake data ends in a partial header: %x", b)
		}
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < 4+n {
			t.Fatalf("handshake message type %d of %d bytes has %d", b[0], n, len(b)-4)
		}
		types, bodies = append(types, b[0]), append(bodies, b[4:4+n])
		b = b[4+n:]
	}
	return types, bodies
}

// TestTLS13DecryptRFC8448 decrypts every protected record of RFC 8448 §3
// with decryptors made from the traffic secrets, in the order each side
// sends them (the sequence numbers count on), to the plaintext the RFC
// gives.
func TestTLS13DecryptRFC8448(t *testing.T) {
	type rec struct {
		record string
		inner  uint8
		check  func(t *testing.T, plain []byte)
	}
	equal := func(want []byte) func(*testing.T, []byte) {
		return func(t *testing.T, plain []byte) {
			if !bytes.Equal(plain, want) {
				t.Errorf("plaintext %x, want %x", plain, want)
			}
		}
	}
	handshake := func(wantTypes ...uint8) func(*testing.T, []byte) {
		return func(t *testing.T, plain []byte) {
			types, bodies := handshakeTypes(t, plain)
			if !slices.Equal(types, wantTypes) {
				t.Errorf("handshake messages %v, want %v", types, wantTypes)
			}
			if slices.Equal(types, []uint8{8, 11, 15, 20}) {
				if got := hex.EncodeToString(bodies[3]); got != rfc8448.serverFinishedVerify {
					t.Errorf("server Finished verify_data %s, want %s", got, rfc8448.serverFinishedVerify)
				}
				if len(plain) != 657 {
					t.Errorf("server flight is %d bytes, the RFC's payload 657", len(plain))
				}
			}
		}
	}
	for _, dir := range []struct {
		name   string
		secret string
		recs   []rec
	}{
		{"server handshake", rfc8448.serverHS, []rec{{rfc8448.serverFlight, tlsHandshake, handshake(8, 11, 15, 20)}}},
		{"client handshake", rfc8448.clientHS, []rec{{rfc8448.clientFinished, tlsHandshake, handshake(20)}}},
		{"server application", rfc8448.serverAP, []rec{
			{rfc8448.ticket, tlsHandshake, handshake(4)},
			{rfc8448.serverData, tlsApplicationData, equal(seq0to49())},
			{rfc8448.serverAlert, tlsAlert, equal([]byte{1, 0})},
		}},
		{"client application", rfc8448.clientAP, []rec{
			{rfc8448.clientData, tlsApplicationData, equal(seq0to49())},
			{rfc8448.clientAlert, tlsAlert, equal([]byte{1, 0})},
		}},
	} {
		t.Run(dir.name, func(t *testing.T) {
			d, err := newTLS13Decryptor(0x1301, decHex(t, dir.secret))
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range dir.recs {
				typ, vers, frag := splitRecord(t, decHex(t, r.record))
				plain, inner, err := d.decrypt(nil, typ, vers, frag)
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				if inner != r.inner {
					t.Errorf("record %d: inner type %d, want %d", i, inner, r.inner)
				}
				r.check(t, plain)
			}
		})
	}
}

// TestTLS13DecryptRFC8448Negative spoils RFC 8448's client application
// record in every way a capture can: each byte flipped, each prefix,
// the wrong sequence number, the wrong key, another header.
func TestTLS13DecryptRFC8448Negative(t *testing.T) {
	typ, vers, frag := splitRecord(t, decHex(t, rfc8448.clientData))
	alertTyp, alertVers, alertFrag := splitRecord(t, decHex(t, rfc8448.clientAlert))
	fresh := func() *tlsDecryptor {
		d, err := newTLS13Decryptor(0x1301, decHex(t, rfc8448.clientAP))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for i := range frag {
		bad := bytes.Clone(frag)
		bad[i] ^= 0x40
		if plain, _, err := fresh().decrypt(nil, typ, vers, bad); !errors.Is(err, errTLSAuthFailed) || plain != nil {
			t.Errorf("byte %d flipped: %x, %v", i, plain, err)
		}
	}
	for n := range len(frag) {
		plain, _, err := fresh().decrypt(nil, typ, vers, frag[:n])
		if err == nil || plain != nil {
			t.Errorf("prefix of %d bytes decrypted", n)
		}
		if n <= 16 && !errors.Is(err, errTLSRecordShort) {
			t.Errorf("prefix of %d bytes: %v, want %v", n, err, errTLSRecordShort)
		}
	}
	// The header is authenticated: another type or version fails.
	if _, _, err := fresh().decrypt(nil, tlsHandshake, vers, frag); err == nil {
		t.Error("decrypted with content type 22 in the header")
	}
	if _, _, err := fresh().decrypt(nil, typ, 0x0301, frag); err == nil {
		t.Error("decrypted with version 0x0301 in the header")
	}
	// Out of step: the alert is record 1; as record 0 it fails, and a
	// failed record still counts, so the data record after it fails too.
	d := fresh()
	if _, _, err := d.decrypt(nil, alertTyp, alertVers, alertFrag); err == nil {
		t.Error("record 1 decrypted as record 0")
	}
	if _, _, err := d.decrypt(nil, typ, vers, frag); err == nil {
		t.Error("record 0 decrypted as record 1")
	}
	if d.seq != 2 {
		t.Errorf("sequence number %d after two records, want 2", d.seq)
	}
	// In step again after a skipped record: 1 then 1.
	d = fresh()
	d.seq = 1
	if plain, inner, err := d.decrypt(nil, alertTyp, alertVers, alertFrag); err != nil || inner != tlsAlert || !bytes.Equal(plain, []byte{1, 0}) {
		t.Errorf("alert as record 1: %x %d %v", plain, inner, err)
	}
	// Wrong key: the server's secret for the client's record.
	w, _ := newTLS13Decryptor(0x1301, decHex(t, rfc8448.serverAP))
	if _, _, err := w.decrypt(nil, typ, vers, frag); !errors.Is(err, errTLSAuthFailed) {
		t.Errorf("wrong key: %v", err)
	}
	// Wrong suite for the secret's length.
	if _, err := newTLS13Decryptor(0x1302, decHex(t, rfc8448.clientAP)); err == nil {
		t.Error("a SHA-256 secret made an AES-256-GCM-SHA384 decryptor")
	}
	if _, err := newTLS13Decryptor(0xc02f, decHex(t, rfc8448.clientAP)); err == nil {
		t.Error("a TLS 1.2 suite made a TLS 1.3 decryptor")
	}
	// dst reused: the plaintext lands in its storage.
	buf := make([]byte, 0, 256)
	plain, _, err := fresh().decrypt(buf, typ, vers, frag)
	if err != nil || &plain[:1][0] != &buf[:1][0] {
		t.Errorf("dst was not reused (%v)", err)
	}
}

// TestTLS13KeyUpdate checks KeyUpdate's secret (RFC 8446 §7.2) by sealing
// with keys derived independently of the decryptor.
func TestTLS13KeyUpdate(t *testing.T) {
	for _, id := range []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305} {
		s, _ := tlsCipherSuiteByID(id)
		secret := bytes.Repeat([]byte{0x5a}, s.hash.Size())
		d, err := newTLS13Decryptor(id, secret)
		if err != nil {
			t.Fatal(err)
		}
		w := newTestSealer13(t, id, secret)
		for round := 0; round < 3; round++ {
			for i := 0; i < 2; i++ {
				msg := []byte(fmt.Sprintf("round %d record %d", round, i))
				plain, inner, err := d.decrypt(nil, tlsApplicationData, versionTLS12, w.seal(tlsApplicationData, msg, sealOpts{}))
				if err != nil || inner != tlsApplicationData || !bytes.Equal(plain, msg) {
					t.Fatalf("%s round %d record %d: %q %d %v", s.name, round, i, plain, inner, err)
				}
			}
			next, err := hkdfExpandLabel(s.hash, w.secret, "traffic upd", nil, s.hash.Size())
			if err != nil {
				t.Fatal(err)
			}
			w = newTestSealer13(t, id, next)
			if err := d.keyUpdate(); err != nil {
				t.Fatal(err)
			}
			if d.seq != 0 {
				t.Errorf("sequence number %d after a key update", d.seq)
			}
		}
	}
	c, _, err := newTLS12Decryptors(versionTLS12, 0xc02f, make([]byte, 48), make([]byte, 32), make([]byte, 32), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.keyUpdate() == nil {
		t.Error("a TLS 1.2 decryptor took a key update")
	}
}

// TestTLSCipherSuiteTable checks the record protection read from suite
// names for the suites of OpenSSL's, Go's and NSS's default lists, the
// RSA key exchange and NULL suites, and the ones that cannot be
// decrypted.
func TestTLSCipherSuiteTable(t *testing.T) {
	tests := []struct {
		id              uint16
		bulk, mac, hash string // "" mac: AEAD
		tls13           bool
	}{
		{0x1301, "AES_128_GCM", "", "SHA-256", true},
		{0x1302, "AES_256_GCM", "", "SHA-384", true},
		{0x1303, "CHACHA20_POLY1305", "", "SHA-256", true},
		{0x1304, "AES_128_CCM", "", "SHA-256", true},
		{0x1305, "AES_128_CCM_8", "", "SHA-256", true},
		{0xc02b, "AES_128_GCM", "", "SHA-256", false}, // ECDHE-ECDSA-AES128-GCM-SHA256
		{0xc02c, "AES_256_GCM", "", "SHA-384", false},
		{0xc02f, "AES_128_GCM", "", "SHA-256", false}, // ECDHE-RSA-AES128-GCM-SHA256
		{0xc030, "AES_256_GCM", "", "SHA-384", false},
		{0x009e, "AES_128_GCM", "", "SHA-256", false}, // DHE-RSA
		{0x009f, "AES_256_GCM", "", "SHA-384", false},
		{0x009c, "AES_128_GCM", "", "SHA-256", false}, // RSA
		{0x009d, "AES_256_GCM", "", "SHA-384", false},
		{0xcca8, "CHACHA20_POLY1305", "", "SHA-256", false},
		{0xcca9, "CHACHA20_POLY1305", "", "SHA-256", false},
		{0xccaa, "CHACHA20_POLY1305", "", "SHA-256", false},
		{0xc009, "AES_128_CBC", "SHA", "SHA-256", false}, // ECDHE-ECDSA-AES128-SHA
		{0xc00a, "AES_256_CBC", "SHA", "SHA-256", false},
		{0xc013, "AES_128_CBC", "SHA", "SHA-256", false}, // ECDHE-RSA-AES128-SHA
		{0xc014, "AES_256_CBC", "SHA", "SHA-256", false},
		{0xc023, "AES_128_CBC", "SHA256", "SHA-256", false},
		{0xc024, "AES_256_CBC", "SHA384", "SHA-384", false},
		{0xc027, "AES_128_CBC", "SHA256", "SHA-256", false},
		{0xc028, "AES_256_CBC", "SHA384", "SHA-384", false},
		{0x0033, "AES_128_CBC", "SHA", "SHA-256", false}, // DHE-RSA-AES128-SHA
		{0x0039, "AES_256_CBC", "SHA", "SHA-256", false},
		{0x0067, "AES_128_CBC", "SHA256", "SHA-256", false},
		{0x006b, "AES_256_CBC", "SHA256", "SHA-256", false},
		{0x002f, "AES_128_CBC", "SHA", "SHA-256", false}, // TLS_RSA_WITH_AES_128_CBC_SHA
		{0x0035, "AES_256_CBC", "SHA", "SHA-256", false},
		{0x003c, "AES_128_CBC", "SHA256", "SHA-256", false},
		{0x003d, "AES_256_CBC", "SHA256", "SHA-256", false},
		{0x000a, "3DES_EDE_CBC", "SHA", "SHA-256", false},
		{0xc012, "3DES_EDE_CBC", "SHA", "SHA-256", false},
		{0x0009, "DES_CBC", "SHA", "SHA-256", false},
		{0x0004, "RC4_128", "MD5", "SHA-256", false},
		{0x0005, "RC4_128", "SHA", "SHA-256", false},
		{0xc011, "RC4_128", "SHA", "SHA-256", false},
		{0x0001, "NULL", "MD5", "SHA-256", false},
		{0x0002, "NULL", "SHA", "SHA-256", false},
		{0x003b, "NULL", "SHA256", "SHA-256", false},
		{0xc006, "NULL", "SHA", "SHA-256", false},
		{0x00b1, "NULL", "SHA384", "SHA-384", false}, // TLS_PSK_WITH_NULL_SHA384
		{0xc09c, "AES_128_CCM", "", "SHA-256", false},
		{0xc09d, "AES_256_CCM", "", "SHA-256", false},
		{0xc0a0, "AES_128_CCM_8", "", "SHA-256", false},
		{0xc0a1, "AES_256_CCM_8", "", "SHA-256", false},
		{0xc0ac, "AES_128_CCM", "", "SHA-256", false},
		{0xc0af, "AES_256_CCM_8", "", "SHA-256", false},
		{0xc0b3, "AES_256_CCM", "", "SHA-384", false}, // TLS_ECCPWD_WITH_AES_256_CCM_SHA384
		{0xd003, "AES_128_CCM_8", "", "SHA-256", false},
	}
	for _, tc := range tests {
		s, err := tlsCipherSuiteByID(tc.id)
		if err != nil {
			t.Errorf("0x%04x: %v", tc.id, err)
			continue
		}
		mac := ""
		if s.mac != nil {
			mac = s.mac.name
		}
		if s.bulk.name != tc.bulk || mac != tc.mac || s.hash.String() != tc.hash || s.tls13 != tc.tls13 {
			t.Errorf("%s: %s %q %s tls13=%v, want %s %q %s %v", s.name, s.bulk.name, mac, s.hash, s.tls13, tc.bulk, tc.mac, tc.hash, tc.tls13)
		}
	}
	for _, id := range []uint16{
		0x0000,         // TLS_NULL_WITH_NULL_NULL: nothing to decrypt
		0x0003, 0x0062, // export
		0x0041, 0xc072, // Camellia
		0xc03c,         // ARIA
		0x0096,         // SEED
		0x0007,         // IDEA
		0x0080, 0xc100, // GOST
		0xcc13, 0xcc14, 0xcc15, // draft ChaCha20-Poly1305
		0x00ff, 0x5600, // signalling values
		0xffe0,         // SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA
		0x00c6, 0x00c7, // TLS 1.3 SM4
		0x1306, 0xfefe, // not assigned
	} {
		if s, err := tlsCipherSuiteByID(id); err == nil {
			t.Errorf("0x%04x %s: decryptable, want not", id, s.name)
		}
	}
	n := 0
	for id := range tlsCipherSuiteNames {
		if _, err := tlsCipherSuiteByID(id); err == nil {
			n++
		}
	}
	t.Logf("%d of the %d named cipher suites can be decrypted", n, len(tlsCipherSuiteNames))
}

// TestTLSPRF checks P_SHA256 against its definition (RFC 5246 §5)
// written out with HMAC, and the TLS 1.0 PRF's split secret; the key
// blocks these make are checked by TestTLS10KeyBlock and the captures.
func TestTLSPRF(t *testing.T) {
	secret, seed := []byte("secret"), []byte("seed")
	got := tlsPRF(versionTLS12, crypto.SHA256, secret, "label", seed, 40)
	// A(1) = HMAC(secret, label+seed), out = HMAC(secret, A(1)+label+seed) || HMAC(secret, A(2)+label+seed)
	h := func(parts ...[]byte) []byte {
		m := hmac.New(crypto.SHA256.New, secret)
		for _, p := range parts {
			m.Write(p)
		}
		return m.Sum(nil)
	}
	ls := []byte("labelseed")
	a1 := h(ls)
	a2 := h(a1)
	want := append(h(a1, ls), h(a2, ls)...)[:40]
	if !bytes.Equal(got, want) {
		t.Errorf("P_SHA256 = %x, want %x", got, want)
	}
	// TLS 1.0: an odd-length secret's halves share the middle byte.
	odd := []byte("abcde")
	got10 := tlsPRF(versionTLS10, crypto.SHA256, odd, "l", []byte("s"), 20)
	md := make([]byte, 20)
	pHash(md, md5.New, odd[:3], []byte("ls"))
	sh := make([]byte, 20)
	pHash(sh, sha1.New, odd[2:], []byte("ls"))
	for i := range md {
		md[i] ^= sh[i]
	}
	if !bytes.Equal(got10, md) {
		t.Errorf("TLS 1.0 PRF = %x, want %x", got10, md)
	}
}

// TestTLS10KeyBlock checks the TLS 1.0 key block (MD5/SHA-1 PRF) of
// TLS_RSA_WITH_RC4_128_SHA sessions against key expansions GnuTLS printed
// (gnutls-cli -d 9), as Go's crypto/tls tests record them.
func TestTLS10KeyBlock(t *testing.T) {
	for _, tc := range []struct {
		clientRandom, serverRandom, master string
		clientMAC, serverMAC               string
		clientKey, serverKey               string
	}{
		{
			"4ae66303755184a3917fcb44880605fcc53baa01912b22ed94473fc69cebd558",
			"4ae663020ec16e6bb5130be918cfcafd4d765979a3136a5d50c593446e4e44db",
			"3d851bab6e5556e959a16bc36d66cfae32f672bfa9ecdef6096cbb1b23472df1da63dbbd9827606413221d149ed08ceb",
			"805aaa19b3d2c0a0759a4b6c9959890e08480119", "2d22f9fe519c075c16448305ceee209fc24ad109",
			"d50b5771244f850cd8117a9ccafe2cf1", "e076e33206b30507a85c32855acd0919",
		},
		{
			"4ae66364b5ea56b20ce4e25555aed2d7e67f42788dd03f3fee4adae0459ab106",
			"4ae66363ab815cbf6a248b87d6b556184e945e9b97fbdf247858b0bdafacfa1c",
			"7d64be7c80c59b740200b4b9c26d0baaa1c5ae56705acbcf2307fe62beb4728c19392c83f20483801cce022c77645460",
			"97742ed60a0554ca13f04f97ee193177b971e3b0", "37068751700400e03a8477a5c7eec0813ab9e0dc",
			"207cddbc600d2a200abac6502053ee5c", "df3f94f6e1eacc753b815fe16055cd43",
		},
		{
			"4ae663b2ee389c0de147c509d8f18f5052afc4aaf9699efe8cb05ece883d3a5e",
			"4ae664d503fd4cff50cfc1fb8fc606580f87b0fcdac9554ba0e01d785bdf278e",
			"1aff2e7a2c4279d0126f57a65a77a8d9d0087cf2733366699bec27eb53d5740705a8574bb1acc2abbe90e44f0dd28d6c",
			"3c7647c93c1379a31a609542aa44e7f117a70085", "0d73102994be74a575a3ead8532590ca32a526d4",
			"ac7581b0b6c10d85bbd905ffbf36c65e", "ff07edde49682b45466bd2e39464b306",
		},
	} {
		s, _ := tlsCipherSuiteByID(0x0005)
		kb, err := tlsExpandKeyBlock(versionTLS10, s, decHex(t, tc.master), decHex(t, tc.clientRandom), decHex(t, tc.serverRandom))
		if err != nil {
			t.Fatal(err)
		}
		got := []string{hex.EncodeToString(kb.clientMAC), hex.EncodeToString(kb.serverMAC), hex.EncodeToString(kb.clientKey), hex.EncodeToString(kb.serverKey)}
		want := []string{tc.clientMAC, tc.serverMAC, tc.clientKey, tc.serverKey}
		if !slices.Equal(got, want) {
			t.Errorf("key block %v, want %v", got, want)
		}
	}
	s, _ := tlsCipherSuiteByID(0x002f)
	for _, bad := range [][3]int{{47, 32, 32}, {48, 31, 32}, {48, 32, 33}, {0, 0, 0}} {
		if _, err := tlsExpandKeyBlock(versionTLS12, s, make([]byte, bad[0]), make([]byte, bad[1]), make([]byte, bad[2])); err == nil {
			t.Errorf("key block from lengths %v made", bad)
		}
	}
}

// sealOpts spoil or shape a test record.
type sealOpts struct {
	pad     int    // TLS 1.3 zero padding; CBC: extra padding blocks
	badPad  bool   // CBC: one padding byte wrong
	badMAC  bool   // MAC flipped before encryption (or, encrypt-then-MAC, after)
	version uint16 // the header's, if not the session's
}

// testSealer encrypts records the way RFC 5246 and RFC 8446 say a sender
// does, written apart from the decryptor (only the key schedule and the
// ciphers are shared), so that round trips check one against the other.
type testSealer struct {
	version uint16
	s       *tlsCipherSuite
	etm     bool
	seq     uint64
	secret  []byte
	aead    cipher.AEAD
	iv      []byte
	block   cipher.Block
	chainIV []byte
	rc4     *rc4.Cipher
	macKey  []byte
}

func newTestSealer13(t testing.TB, id uint16, secret []byte) *testSealer {
	t.Helper()
	s, err := tlsCipherSuiteByID(id)
	if err != nil {
		t.Fatal(err)
	}
	key, iv, err := tls13TrafficKeys(s, secret)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := s.bulk.newAEAD(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testSealer{version: versionTLS13, s: s, secret: secret, aead: aead, iv: iv}
}

func newTestSealers12(t testing.TB, version, id uint16, master, cr, sr []byte, etm bool) (client, server *testSealer) {
	t.Helper()
	s, err := tlsCipherSuiteByID(id)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := tlsExpandKeyBlock(version, s, master, cr, sr)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(macKey, key, iv []byte) *testSealer {
		w := &testSealer{version: version, s: s, etm: etm && s.bulk.kind == tlsBlockCipher, macKey: macKey, iv: iv}
		var err error
		switch s.bulk.kind {
		case tlsAEADCipher:
			w.aead, err = s.bulk.newAEAD(key)
		case tlsBlockCipher:
			w.block, err = s.bulk.newBlock(key)
			w.chainIV = bytes.Clone(iv)
		default:
			if s.bulk.keyLen > 0 {
				w.rc4, err = rc4.NewCipher(key)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	return mk(kb.clientMAC, kb.clientKey, kb.clientIV), mk(kb.serverMAC, kb.serverKey, kb.serverIV)
}

// mac is the record MAC: HMAC over seq_num, type, version, length and
// data (RFC 5246 §6.2.3.1), SSL 3.0's nested hash (RFC 6101 §5.2.3.1).
func (w *testSealer) mac(seq uint64, typ uint8, vers uint16, data []byte) []byte {
	var hdr []byte
	hdr = binary.BigEndian.AppendUint64(hdr, seq)
	hdr = append(hdr, typ)
	if w.version != versionSSL3 {
		hdr = binary.BigEndian.AppendUint16(hdr, vers)
		m := hmac.New(w.s.mac.hash.New, w.macKey)
		m.Write(hdr)
		binary.Write(m, binary.BigEndian, uint16(len(data)))
		m.Write(data)
		return m.Sum(nil)
	}
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(data)))
	n := w.s.mac.ssl3PadLen
	in := w.s.mac.hash.New()
	in.Write(w.macKey)
	in.Write(bytes.Repeat([]byte{0x36}, n))
	in.Write(hdr)
	in.Write(data)
	out := w.s.mac.hash.New()
	out.Write(w.macKey)
	out.Write(bytes.Repeat([]byte{0x5c}, n))
	out.Write(in.Sum(nil))
	return out.Sum(nil)
}

// recordVersion is the header's version: TLS 1.3 records say TLS 1.2
// (RFC 8446 §5.1).
func (w *testSealer) recordVersion() uint16 {
	if w.version == versionTLS13 {
		return versionTLS12
	}
	return w.version
}

// seal returns the fragment of the next record carrying plain as type
// typ (for TLS 1.3, the inner type; the outer is application_data).
func (w *testSealer) seal(typ uint8, plain []byte, o sealOpts) []byte {
	seq := w.seq
	w.seq++
	vers := w.recordVersion()
	if o.version != 0 {
		vers = o.version
	}
	var seqBytes [8]byte
	binary.BigEndian.PutUint64(seqBytes[:], seq)
	xorIV := func() []byte {
		n := bytes.Clone(w.iv)
		for i := range 8 {
			n[len(n)-8+i] ^= seqBytes[i]
		}
		return n
	}
	switch {
	case w.version == versionTLS13:
		inner := append(append(bytes.Clone(plain), typ), make([]byte, o.pad)...)
		aad := []byte{tlsApplicationData, byte(vers >> 8), byte(vers), 0, 0}
		binary.BigEndian.PutUint16(aad[3:], uint16(len(inner)+w.aead.Overhead()))
		return w.aead.Seal(nil, xorIV(), inner, aad)
	case w.s.bulk.kind == tlsAEADCipher:
		aad := append(seqBytes[:], typ, byte(vers>>8), byte(vers), byte(len(plain)>>8), byte(len(plain)))
		if w.s.bulk.explicitNonceLen == 0 {
			return w.aead.Seal(nil, xorIV(), plain, aad)
		}
		// Any explicit nonce will do if it never repeats; not the
		// sequence number itself, so nothing relies on that.
		explicit := binary.BigEndian.AppendUint64(nil, seq^0x0102030405060708)
		return w.aead.Seal(explicit, append(bytes.Clone(w.iv), explicit...), plain, aad)
	case w.s.bulk.kind == tlsBlockCipher:
		bl := w.s.bulk.blockLen
		body := bytes.Clone(plain)
		if !w.etm {
			m := w.mac(seq, typ, vers, plain)
			if o.badMAC {
				m[0] ^= 1
			}
			body = append(body, m...)
		}
		padLen := (bl - (len(body)+1)%bl) % bl
		if w.version != versionSSL3 {
			padLen += o.pad * bl
		}
		if o.badPad && padLen == 0 {
			padLen = bl
		}
		for range padLen + 1 {
			body = append(body, byte(padLen))
		}
		if o.badPad {
			body[len(body)-2] ^= 0x80
		}
		var iv, out []byte
		if w.version >= versionTLS11 {
			iv = make([]byte, bl)
			for i := range iv {
				iv[i] = byte(seq) + byte(i)*7
			}
			out = bytes.Clone(iv)
		} else {
			iv = w.chainIV
		}
		enc := make([]byte, len(body))
		cipher.NewCBCEncrypter(w.block, iv).CryptBlocks(enc, body)
		if w.version < versionTLS11 {
			w.chainIV = bytes.Clone(enc[len(enc)-bl:])
		}
		out = append(out, enc...)
		if w.etm {
			m := w.mac(seq, typ, vers, out)
			if o.badMAC {
				m[0] ^= 1
			}
			out = append(out, m...)
		}
		return out
	default:
		m := w.mac(seq, typ, vers, plain)
		if o.badMAC {
			m[0] ^= 1
		}
		body := append(bytes.Clone(plain), m...)
		if w.rc4 != nil {
			w.rc4.XORKeyStream(body, body)
		}
		return body
	}
}

// tlsVersionsOf are the versions suite s can be used with.
func tlsVersionsOf(s *tlsCipherSuite) []uint16 {
	switch {
	case s.tls13:
		return []uint16{versionTLS13}
	case s.bulk.kind == tlsAEADCipher:
		return []uint16{versionTLS12}
	case s.mac.ssl3PadLen == 0:
		return []uint16{versionTLS10, versionTLS11, versionTLS12}
	}
	return []uint16{versionSSL3, versionTLS10, versionTLS11, versionTLS12}
}

// sessionSpec names a test session: a suite, a version and, for CBC
// suites, whether encrypt-then-MAC was negotiated.
type sessionSpec struct {
	version, id uint16
	etm         bool
}

func (sp sessionSpec) String() string {
	name := fmt.Sprintf("%s/%04x", tlsCipherSuiteNames[sp.id], sp.version)
	if sp.etm {
		name += "/etm"
	}
	return name
}

// decryptableSpecs are a session for every decryptable suite and every
// version it can be used with, and for CBC suites from TLS 1.0 on with
// and without encrypt-then-MAC (which SSL 3.0, having no extensions,
// cannot negotiate).
func decryptableSpecs() []sessionSpec {
	var ids []uint16
	for id := range tlsCipherSuiteNames {
		if _, err := tlsCipherSuiteByID(id); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []sessionSpec
	for _, id := range ids {
		s, _ := tlsCipherSuiteByID(id)
		for _, v := range tlsVersionsOf(s) {
			out = append(out, sessionSpec{v, id, false})
			if s.bulk.kind == tlsBlockCipher && v != versionSSL3 {
				out = append(out, sessionSpec{v, id, true})
			}
		}
	}
	return out
}

// testSession is one connection's sealers and decryptors, client's then
// server's.
type testSession struct {
	sealers [2]*testSealer
	decs    [2]*tlsDecryptor
}

// makeSession makes session sp from fixed secrets.
func makeSession(t testing.TB, sp sessionSpec) testSession {
	t.Helper()
	var ts testSession
	if sp.version == versionTLS13 {
		s, _ := tlsCipherSuiteByID(sp.id)
		secrets := [2][]byte{bytes.Repeat([]byte{0xcc}, s.hash.Size()), bytes.Repeat([]byte{0x55}, s.hash.Size())}
		for dir := range 2 {
			ts.sealers[dir] = newTestSealer13(t, sp.id, secrets[dir])
			d, err := newTLS13Decryptor(sp.id, secrets[dir])
			if err != nil {
				t.Fatalf("%s: %v", sp, err)
			}
			ts.decs[dir] = d
		}
		return ts
	}
	master := bytes.Repeat([]byte{0x4d}, 48)
	cr, sr := bytes.Repeat([]byte{0xc1}, 32), bytes.Repeat([]byte{0x5e}, 32)
	ts.sealers[0], ts.sealers[1] = newTestSealers12(t, sp.version, sp.id, master, cr, sr, sp.etm)
	c, s, err := newTLS12Decryptors(sp.version, sp.id, master, cr, sr, sp.etm)
	if err != nil {
		t.Fatalf("%s: %v", sp, err)
	}
	ts.decs = [2]*tlsDecryptor{c, s}
	return ts
}

// TestTLSDecryptRoundTrip seals records of several sizes and types with
// every decryptable suite and version, both directions, and decrypts
// them: the plaintext and type come back, and the stream and chained-IV
// state carries across records.
func TestTLSDecryptRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 15, 16, 17, 100, 1000, tlsMaxPlaintext}
	n, suites := 0, map[uint16]bool{}
	for _, sp := range decryptableSpecs() {
		ts := makeSession(t, sp)
		suites[sp.id] = true
		for dir := range 2 {
			var buf []byte
			w := ts.sealers[dir]
			for i, size := range sizes {
				msg := bytes.Repeat([]byte{byte(i + 1)}, size)
				typ := []uint8{tlsApplicationData, tlsHandshake, tlsAlert}[i%3]
				frag := w.seal(typ, msg, sealOpts{pad: i % 3})
				outer := typ
				if w.version == versionTLS13 {
					outer = tlsApplicationData
				}
				plain, inner, err := ts.decs[dir].decrypt(buf, outer, w.recordVersion(), frag)
				if err != nil || inner != typ || !bytes.Equal(plain, msg) {
					t.Fatalf("%s dir %d record %d (%d bytes): %d bytes, type %d, %v", sp, dir, i, size, len(plain), inner, err)
				}
				if len(plain) > len(frag) {
					t.Fatalf("%s: plaintext longer than the fragment", sp)
				}
				buf = plain
				n++
			}
		}
	}
	t.Logf("%d records of %d suites round-tripped", n, len(suites))
}

// TestTLSDecryptNegative spoils sealed records of every session: each
// byte flipped (no plaintext comes out), each prefix, bad padding, a bad
// MAC, the sequence number out of step, the other direction's key.
func TestTLSDecryptNegative(t *testing.T) {
	msg := []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
	for _, sp := range decryptableSpecs() {
		ts := makeSession(t, sp)
		w := ts.sealers[0]
		vers := w.recordVersion()
		const outer = tlsApplicationData
		frag := w.seal(tlsApplicationData, msg, sealOpts{})
		// Each case on a fresh session: RC4 and chained IVs carry state.
		for i := range frag {
			bad := bytes.Clone(frag)
			bad[i] ^= 0x10
			if plain, _, err := makeSession(t, sp).decs[0].decrypt(nil, outer, vers, bad); err == nil || plain != nil {
				t.Errorf("%s: byte %d flipped decrypted (%q)", sp, i, plain)
			}
		}
		for n := range len(frag) {
			if plain, _, err := makeSession(t, sp).decs[0].decrypt(nil, outer, vers, frag[:n]); err == nil || plain != nil {
				t.Errorf("%s: prefix of %d bytes decrypted (%q)", sp, n, plain)
			}
		}
		if plain, _, err := makeSession(t, sp).decs[1].decrypt(nil, outer, vers, frag); err == nil {
			t.Errorf("%s: the server's decryptor opened the client's record (%q)", sp, plain)
		}
		if sp.version != versionTLS13 {
			if plain, _, err := makeSession(t, sp).decs[0].decrypt(nil, tlsHandshake, vers, frag); err == nil {
				t.Errorf("%s: opened as another content type (%q)", sp, plain)
			}
		}
		// Out of step: record 1 opened as record 0, then record 0 as 1.
		s2 := makeSession(t, sp)
		frag0 := s2.sealers[0].seal(tlsApplicationData, msg, sealOpts{})
		frag1 := s2.sealers[0].seal(tlsApplicationData, msg, sealOpts{})
		if _, _, err := s2.decs[0].decrypt(nil, outer, vers, frag1); err == nil {
			t.Errorf("%s: record 1 decrypted as record 0", sp)
		}
		if _, _, err := s2.decs[0].decrypt(nil, outer, vers, frag0); err == nil {
			t.Errorf("%s: record 0 decrypted as record 1", sp)
		}
		s := w.s
		type spoil struct {
			o    sealOpts
			want error // nil: decrypts all the same
		}
		var spoils []spoil
		switch {
		case s.bulk.kind == tlsBlockCipher && sp.version == versionSSL3:
			// SSL 3.0's padding bytes are arbitrary (RFC 6101 §5.2.3.2).
			spoils = []spoil{{sealOpts{badPad: true}, nil}, {sealOpts{badMAC: true}, errTLSBadMAC}}
		case s.bulk.kind == tlsBlockCipher:
			spoils = []spoil{{sealOpts{badPad: true}, errTLSBadPadding}, {sealOpts{badMAC: true}, errTLSBadMAC}}
		case s.bulk.kind == tlsStreamCipher:
			spoils = []spoil{{sealOpts{badMAC: true}, errTLSBadMAC}}
		}
		for _, sc := range spoils {
			s3 := makeSession(t, sp)
			plain, _, err := s3.decs[0].decrypt(nil, outer, vers, s3.sealers[0].seal(tlsApplicationData, msg, sc.o))
			if !errors.Is(err, sc.want) || (sc.want == nil) != bytes.Equal(plain, msg) {
				t.Errorf("%s %+v: %q, %v; want %v", sp, sc.o, plain, err, sc.want)
			}
		}
	}
}

// A captured connection, cut into records and decrypted as a key log
// allows: the test's own minimal TCP reassembly, hello parsing and key
// log reading (the real ones are elsewhere), so that the decryptor is
// checked against real traffic.

// readTCPStreams reassembles the first TCP connection of a capture:
// the client's bytes (the SYN's sender) and the server's, in sequence
// order, retransmissions dropped; and the client's port.
func readTCPStreams(t testing.TB, path string) ([2][]byte, uint16) {
	t.Helper()
	pkts, err := decodetest.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	type seg struct {
		seq  uint32
		data []byte
	}
	var client, server gopacket.Endpoint
	var clientPort layers.TCPPort
	var isn [2]uint32
	var haveISN [2]bool
	var segs [2][]seg
	for _, p := range pkts {
		pk := gopacket.NewPacket(p.Data, p.LinkType, gopacket.NoCopy)
		tcp, _ := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil || pk.NetworkLayer() == nil {
			continue
		}
		src, dst := pk.NetworkLayer().NetworkFlow().Endpoints()
		if client == (gopacket.Endpoint{}) {
			client, server, clientPort = src, dst, tcp.SrcPort
			if tcp.SYN && tcp.ACK { // the capture began with the server's answer
				client, server, clientPort = dst, src, tcp.DstPort
			}
		}
		var dir int
		switch {
		case src == client && dst == server && tcp.SrcPort == clientPort:
			dir = 0
		case src == server && dst == client && tcp.DstPort == clientPort:
			dir = 1
		default:
			continue // another connection
		}
		if tcp.SYN {
			isn[dir], haveISN[dir] = tcp.Seq+1, true
			continue
		}
		if len(tcp.Payload) > 0 {
			segs[dir] = append(segs[dir], seg{tcp.Seq, bytes.Clone(tcp.Payload)})
		}
	}
	var out [2][]byte
	for dir := range 2 {
		if len(segs[dir]) == 0 {
			continue
		}
		base := isn[dir]
		if !haveISN[dir] {
			base = segs[dir][0].seq
		}
		slices.SortStableFunc(segs[dir], func(a, b seg) int { return int(int32(a.seq-base)) - int(int32(b.seq-base)) })
		for _, s := range segs[dir] {
			off := int(int32(s.seq - base))
			switch {
			case off > len(out[dir]):
				t.Fatalf("%s: direction %d has a gap at byte %d", path, dir, len(out[dir]))
			case off+len(s.data) > len(out[dir]):
				out[dir] = append(out[dir], s.data[len(out[dir])-off:]...)
			}
		}
	}
	return out, uint16(clientPort)
}

// capRecord is one record as on the wire.
type capRecord struct {
	typ  uint8
	vers uint16
	frag []byte
}

// splitRecords cuts a stream into records (RFC 5246 §6.2.1: type,
// version, uint16 length, fragment); a partial record at the end fails t.
func splitRecords(t testing.TB, b []byte) []capRecord {
	t.Helper()
	var out []capRecord
	for len(b) > 0 {
		if len(b) < 5 || len(b) < 5+int(binary.BigEndian.Uint16(b[3:])) {
			t.Fatalf("stream ends in a partial record (%d bytes left)", len(b))
		}
		n := int(binary.BigEndian.Uint16(b[3:]))
		out = append(out, capRecord{b[0], binary.BigEndian.Uint16(b[1:]), b[5 : 5+n]})
		b = b[5+n:]
	}
	return out
}

// helloInfo is what decryption needs from the hellos (RFC 5246
// §7.4.1.2–3, RFC 8446 §4.1.2–3): the randoms, the suite, the version
// (supported_versions, RFC 8446 §4.2.1, over ServerHello.version) and
// whether encrypt-then-MAC was agreed (RFC 7366 §2, extension 22).
type helloInfo struct {
	clientRandom, serverRandom []byte
	suite, version             uint16
	etm                        bool
}

// plainHandshake is the handshake messages of the records before the
// first record that is neither handshake nor alert.
func plainHandshake(recs []capRecord) []byte {
	var hs []byte
	for _, r := range recs {
		if r.typ != tlsHandshake {
			break
		}
		hs = append(hs, r.frag...)
	}
	return hs
}

func parseHellos(t testing.TB, client, server []capRecord) helloInfo {
	t.Helper()
	var h helloInfo
	first := func(hs []byte, want uint8) []byte {
		types, bodies := handshakeTypesPrefix(hs)
		for i, typ := range types {
			if typ == want {
				return bodies[i]
			}
		}
		t.Fatalf("no handshake message %d in the plaintext handshake", want)
		return nil
	}
	ch := first(plainHandshake(client), hsClientHello)
	sh := first(plainHandshake(server), hsServerHello)
	if len(ch) < 34 || len(sh) < 38 {
		t.Fatal("short hello")
	}
	h.clientRandom, h.serverRandom = ch[2:34], sh[2:34]
	h.version = binary.BigEndian.Uint16(sh)
	rest := sh[34:]
	sid := int(rest[0])
	rest = rest[1+sid:]
	h.suite = binary.BigEndian.Uint16(rest)
	rest = rest[3:] // suite, compression method
	if len(rest) >= 2 {
		exts := rest[2:]
		for len(exts) >= 4 {
			typ, n := binary.BigEndian.Uint16(exts), int(binary.BigEndian.Uint16(exts[2:]))
			data := exts[4 : 4+n]
			switch typ {
			case 43: // supported_versions: the selected version
				h.version = binary.BigEndian.Uint16(data)
			case 22: // encrypt_then_mac
				h.etm = true
			}
			exts = exts[4+n:]
		}
	}
	return h
}

// handshakeTypesPrefix lists the whole handshake messages at the start
// of b.
func handshakeTypesPrefix(b []byte) (types []uint8, bodies [][]byte) {
	for len(b) >= 4 {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < 4+n {
			break
		}
		types, bodies = append(types, b[0]), append(bodies, b[4:4+n])
		b = b[4+n:]
	}
	return types, bodies
}

// testKeyLog is a key log read by KeyLog (keylog.go), looked up by label.
type testKeyLog struct{ k *KeyLog }

func parseKeyLog(t testing.TB, text string) testKeyLog {
	t.Helper()
	k := NewKeyLog()
	if bad, err := k.Read(strings.NewReader(text), "test"); err != nil || len(bad) > 0 {
		t.Fatalf("key log: %v %v", err, bad)
	}
	return testKeyLog{k}
}

func (kl testKeyLog) secret(t testing.TB, label string, clientRandom []byte) []byte {
	t.Helper()
	s, _ := kl.k.Lookup(clientRandom)
	v := map[string][]byte{
		"CLIENT_RANDOM":                   s.MasterSecret,
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET": s.ClientHandshake,
		"SERVER_HANDSHAKE_TRAFFIC_SECRET": s.ServerHandshake,
		"CLIENT_TRAFFIC_SECRET_0":         s.ClientTraffic0,
		"SERVER_TRAFFIC_SECRET_0":         s.ServerTraffic0,
		"CLIENT_EARLY_TRAFFIC_SECRET":     s.ClientEarly,
	}[label]
	if v == nil {
		t.Fatalf("key log has no %s for client random %x", label, clientRandom)
	}
	return v
}

// decRecord is a decrypted record.
type decRecord struct {
	inner uint8
	plain []byte
}

// decSession is a connection decrypted: each direction's records, the
// failures, and the application data.
type decSession struct {
	hello    helloInfo
	records  [2][]decRecord
	failures [2]int
	app      [2][]byte
	// keyUpdates counts the TLS 1.3 KeyUpdates each side sent.
	keyUpdates [2]int
}

// decryptStreams decrypts a connection's two byte streams with a key
// log, switching keys where the protocol does: TLS 1.2 after each
// side's ChangeCipherSpec, TLS 1.3 from the handshake secrets to the
// application ones after each side's Finished, and at a KeyUpdate.
func decryptStreams(t testing.TB, streams [2][]byte, keylog string) *decSession {
	t.Helper()
	kl := parseKeyLog(t, keylog)
	recs := [2][]capRecord{splitRecords(t, streams[0]), splitRecords(t, streams[1])}
	ds := &decSession{hello: parseHellos(t, recs[0], recs[1])}
	h := ds.hello
	var decs [2]*tlsDecryptor
	tls13 := h.version == versionTLS13
	labels := [2][2]string{
		{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"},
		{"SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"},
	}
	if tls13 {
		for dir := range 2 {
			d, err := newTLS13Decryptor(h.suite, kl.secret(t, labels[dir][0], h.clientRandom))
			if err != nil {
				t.Fatal(err)
			}
			decs[dir] = d
		}
	} else {
		c, s, err := newTLS12Decryptors(h.version, h.suite, kl.secret(t, "CLIENT_RANDOM", h.clientRandom), h.clientRandom, h.serverRandom, h.etm)
		if err != nil {
			t.Fatal(err)
		}
		decs = [2]*tlsDecryptor{c, s}
	}
	for dir := range 2 {
		encrypted, appKeys := false, false
		var hs []byte
		var buf []byte
		for _, r := range recs[dir] {
			switch {
			case r.typ == tlsChangeCipherSpec:
				encrypted = !tls13 // TLS 1.3's is a compatibility no-op (RFC 8446 §5)
				continue
			case tls13 && r.typ == tlsApplicationData:
				encrypted = true
			case !encrypted:
				continue
			}
			plain, inner, err := decs[dir].decrypt(buf, r.typ, r.vers, r.frag)
			if err != nil {
				ds.failures[dir]++
				t.Errorf("direction %d record %d: %v", dir, len(ds.records[dir]), err)
				continue
			}
			buf = nil // keep this record's plaintext
			ds.records[dir] = append(ds.records[dir], decRecord{inner, plain})
			switch inner {
			case tlsApplicationData:
				ds.app[dir] = append(ds.app[dir], plain...)
			case tlsHandshake:
				if !tls13 {
					break
				}
				hs = append(hs, plain...)
				types, bodies := handshakeTypesPrefix(hs)
				used := 0
				for i, typ := range types {
					used += 4 + len(bodies[i])
					switch {
					case typ == hsFinished && !appKeys:
						d, err := newTLS13Decryptor(h.suite, kl.secret(t, labels[dir][1], h.clientRandom))
						if err != nil {
							t.Fatal(err)
						}
						decs[dir], appKeys = d, true
					case typ == hsKeyUpdate && appKeys:
						if err := decs[dir].keyUpdate(); err != nil {
							t.Fatal(err)
						}
						ds.keyUpdates[dir]++
					}
				}
				hs = hs[used:]
			}
		}
	}
	return ds
}

// tlsDecryptCaptures are the test captures with key logs, and what their
// decrypted application data must be.
var tlsDecryptCaptures = []struct {
	capture, keylog string // under testdata/tls
	suite, version  uint16
	check           func(t *testing.T, ds *decSession)
}{
	{"illustrated-tls13/capture.pcap", "illustrated-tls13/keylog.txt", 0x1302, versionTLS13, func(t *testing.T, ds *decSession) {
		wantApp(t, ds, "ping", "pong")
	}},
	{"illustrated-tls12/capture.pcap", "illustrated-tls12/keylog.txt", 0xc013, versionTLS12, func(t *testing.T, ds *decSession) {
		wantApp(t, ds, "ping", "pong")
		for dir := range 2 {
			// The first encrypted record is the side's Finished: type 20,
			// 12 bytes of verify_data (RFC 5246 §7.4.9).
			if r := ds.records[dir]; len(r) == 0 || r[0].inner != tlsHandshake || !bytes.HasPrefix(r[0].plain, []byte{20, 0, 0, 12}) || len(r[0].plain) != 16 {
				t.Errorf("direction %d: first encrypted record is not a Finished: %+v", dir, r)
			}
		}
	}},
	{"hotplace-tls13/tls13_TLS_AES_128_GCM_SHA256.pcapng", "hotplace-tls13/sslkeylog", 0x1301, versionTLS13, hotplaceCheck("test\r\n")},
	{"hotplace-tls13/tls13_TLS_AES_256_GCM_SHA384.pcapng", "hotplace-tls13/sslkeylog", 0x1302, versionTLS13, hotplaceCheck("hello\r\n")},
	{"hotplace-tls13/tls13_TLS_CHACHA20_POLY1305_SHA256.pcapng", "hotplace-tls13/sslkeylog", 0x1303, versionTLS13, hotplaceCheck("test\r\n")},
	{"snet/TLS1_3_TLS_AES_128_GCM_SHA256.pcap", "snet/TLS1_3_TLS_AES_128_GCM_SHA256.txt", 0x1301, versionTLS13, snetCheck},
	{"snet/TLS1_2_ECDHE-RSA-AES128-GCM-SHA256_auth.pcap", "snet/TLS1_2_ECDHE-RSA-AES128-GCM-SHA256_auth.txt", 0xc02f, versionTLS12, snetCheck},
	{"snet/TLS1_2_ECDHE-ECDSA-CHACHA20-POLY1305_auth.pcap", "snet/TLS1_2_ECDHE-ECDSA-CHACHA20-POLY1305_auth.txt", 0xcca9, versionTLS12, snetCheck},
	{"zeek/tls12-decryption.pcap", "zeek/tls12-decryption.keylog.derived.txt", 0, versionTLS12, func(t *testing.T, ds *decSession) {
		if !bytes.HasPrefix(ds.app[0], []byte("GET / ")) {
			t.Errorf("client data begins %q, want an HTTP GET /", trunc(string(ds.app[0])))
		}
		if !bytes.HasPrefix(ds.app[1], []byte("HTTP/1.1 301 ")) {
			t.Errorf("server data begins %q, want a 301 status line", trunc(string(ds.app[1])))
		}
	}},
}

// hotplaceCheck: the hotplace client sends one line and closes; the
// server sends only its handshake (two NewSessionTickets after Finished,
// under the application keys) and a close_notify.
func hotplaceCheck(line string) func(*testing.T, *decSession) {
	return func(t *testing.T, ds *decSession) {
		wantApp(t, ds, line, "")
		for dir := range 2 {
			r := ds.records[dir]
			if last := r[len(r)-1]; last.inner != tlsAlert || !bytes.Equal(last.plain, []byte{1, 0}) {
				t.Errorf("direction %d does not end in close_notify: %+v", dir, last)
			}
		}
	}
}

// snetCheck: the snet client sends ten lines of 256 "A"s, 2,570 bytes;
// the server sends no application data.
func snetCheck(t *testing.T, ds *decSession) {
	wantApp(t, ds, strings.Repeat(strings.Repeat("A", 256)+"\n", 10), "")
}

func wantApp(t *testing.T, ds *decSession, client, server string) {
	t.Helper()
	if string(ds.app[0]) != client || string(ds.app[1]) != server {
		t.Errorf("application data %q and %q, want %q and %q", ds.app[0], ds.app[1], client, server)
	}
}

func decryptCapture(t *testing.T, capture, keylog string) *decSession {
	t.Helper()
	streams, _ := readTCPStreams(t, filepath.Join("testdata", "tls", capture))
	return decryptStreams(t, streams, string(mustRead(t, filepath.Join("testdata", "tls", keylog))))
}

// TestTLSDecryptCaptures decrypts every record of the test captures that
// come with key logs, both directions.
func TestTLSDecryptCaptures(t *testing.T) {
	for _, tc := range tlsDecryptCaptures {
		t.Run(tc.capture, func(t *testing.T) {
			ds := decryptCapture(t, tc.capture, tc.keylog)
			if tc.suite != 0 && ds.hello.suite != tc.suite || ds.hello.version != tc.version {
				t.Errorf("suite 0x%04x version 0x%04x, want 0x%04x 0x%04x", ds.hello.suite, ds.hello.version, tc.suite, tc.version)
			}
			for dir := range 2 {
				if len(ds.records[dir]) == 0 || ds.failures[dir] > 0 {
					t.Errorf("direction %d: %d records decrypted, %d failed", dir, len(ds.records[dir]), ds.failures[dir])
				}
				t.Logf("direction %d: %d records, %d bytes of application data: %q", dir, len(ds.records[dir]), len(ds.app[dir]), trunc(string(ds.app[dir])))
			}
			if tc.check != nil {
				tc.check(t, ds)
			}
		})
	}
}

// tsharkFollowTLS runs tshark's "follow,tls,raw,0" on a capture with its
// key log and returns the decrypted application data of each direction,
// the client's first: tshark names the side that sent the first data
// "Node 0" and prints the other's lines indented.
func tsharkFollowTLS(t *testing.T, o *oracletest.Oracle, capture, keylog string, clientPort uint16) (app [2][]byte, chunks int) {
	t.Helper()
	in := []oracletest.Input{
		{Name: "tls/" + capture, Path: filepath.Join("testdata", "tls", capture)},
		{Name: "tls/" + keylog, Path: filepath.Join("testdata", "tls", keylog)},
	}
	args := []string{"-n", "-r", in[0].Path, "-o", "tls.keylog_file:" + in[1].Path}
	args = append(args, decodetest.DecodeAs(map[uint16]string{9000: "tls"})...)
	args = append(args, "-q", "-z", "follow,tls,raw,0")
	res, err := o.RunFiles(in, args...)
	if err == nil && res.Exit != 0 {
		err = fmt.Errorf("exit status %d: %s", res.Exit, res.Stderr)
	}
	if err != nil {
		t.Fatalf("tshark follow,tls %s: %v", capture, err)
	}
	node0Client := true
	started := false
	for _, l := range strings.Split(string(res.Stdout), "\n") {
		switch {
		case strings.HasPrefix(l, "Node 0: "):
			node0Client = strings.HasSuffix(l, fmt.Sprintf(":%d", clientPort))
		case strings.HasPrefix(l, "Node 1:"):
			started = true
		case !started || l == "" || strings.HasPrefix(l, "===="):
		default:
			dir := 0
			if strings.HasPrefix(l, "\t") != !node0Client {
				dir = 1
			}
			app[dir] = append(app[dir], decHex(t, l)...)
			chunks++
		}
	}
	return app, chunks
}

// TestTLSDecryptOracle compares each capture's decrypted application
// data with tshark's (recorded in testdata/golden/TestTLSDecryptOracle).
func TestTLSDecryptOracle(t *testing.T) {
	if _, _, err := oracletest.Tshark.Installed(); err != nil {
		if _, e1 := os.Stat("testdata/golden/TestTLSDecryptOracle/tshark.txt"); e1 != nil {
			if _, e2 := os.Stat("testdata/golden/TestTLSDecryptOracle/tshark.txt.gz"); e2 != nil {
				t.Skipf("neither tshark (%v) nor its recording is here", err)
			}
		}
	}
	o := oracletest.New(t, oracletest.Tshark)
	compared := 0
	for _, tc := range tlsDecryptCaptures {
		streams, clientPort := readTCPStreams(t, filepath.Join("testdata", "tls", tc.capture))
		ds := decryptStreams(t, streams, string(mustRead(t, filepath.Join("testdata", "tls", tc.keylog))))
		want, chunks := tsharkFollowTLS(t, o, tc.capture, tc.keylog, clientPort)
		for dir := range 2 {
			if !bytes.Equal(ds.app[dir], want[dir]) {
				t.Errorf("%s direction %d: decrypted %q, tshark %q", tc.capture, dir, trunc(string(ds.app[dir])), trunc(string(want[dir])))
			}
			compared += len(want[dir])
		}
		t.Logf("%s: tshark's %d chunks, %d and %d bytes", tc.capture, chunks, len(want[0]), len(want[1]))
	}
	o.Done(compared)
}

// recordingConn keeps a copy of everything written to its connection:
// one side's bytes on the wire.
type recordingConn struct {
	net.Conn
	wire *bytes.Buffer
}

func (c recordingConn) Write(p []byte) (int, error) {
	c.wire.Write(p)
	return c.Conn.Write(p)
}

// goTLSCerts are a self-signed RSA and an ECDSA certificate, made once:
// a server with both can take RSA and ECDSA suites.
var goTLSCerts = sync.OnceValues(func() ([]tls.Certificate, error) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	var certs []tls.Certificate
	for _, key := range []crypto.Signer{rsaKey, ecKey} {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wiretap test"},
			DNSNames: []string{"wiretap.test"}, NotBefore: layerEpoch, NotAfter: layerEpoch.AddDate(100, 0, 0),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			return nil, err
		}
		certs = append(certs, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key})
	}
	return certs, nil
})

// runGoTLS runs a crypto/tls client and server over net.Pipe with one
// version and suite (TLS 1.3 suites are not configurable: Go picks one),
// and returns the bytes each side put on the wire, the client's key log
// and the application data each side wrote.
func runGoTLS(t *testing.T, version, suite uint16) (streams [2][]byte, keylog string, sent [2][]byte) {
	t.Helper()
	certs, err := goTLSCerts()
	if err != nil {
		t.Fatal(err)
	}
	var wire [2]bytes.Buffer
	var kl bytes.Buffer
	cc, sc := net.Pipe()
	var suites []uint16
	if version != tls.VersionTLS13 {
		suites = []uint16{suite}
	}
	client := tls.Client(recordingConn{cc, &wire[0]}, &tls.Config{InsecureSkipVerify: true, ServerName: "wiretap.test",
		MinVersion: version, MaxVersion: version, CipherSuites: suites, KeyLogWriter: &kl})
	server := tls.Server(recordingConn{sc, &wire[1]}, &tls.Config{Certificates: certs,
		MinVersion: version, MaxVersion: version, CipherSuites: suites})
	// Several writes, one longer than a record (2^14), a short one last.
	long := make([]byte, 20000)
	for i := range long {
		long[i] = byte(i * 7)
	}
	msgs := [][]byte{[]byte("GET / HTTP/1.1\r\nHost: wiretap.test\r\n\r\n"), long, []byte("x")}
	sent[0] = bytes.Join(msgs, nil)
	sent[1] = append([]byte("HTTP/1.1 200 OK\r\n\r\n"), bytes.Repeat([]byte("pong "), 5000)...)
	done := make(chan error, 1)
	go func() {
		got := make([]byte, len(sent[0]))
		_, err := io.ReadFull(server, got)
		if err == nil && !bytes.Equal(got, sent[0]) {
			err = errors.New("the server read other bytes than the client wrote")
		}
		if err == nil {
			_, err = server.Write(sent[1])
		}
		server.Close()
		done <- err
	}()
	for _, m := range msgs {
		if _, err := client.Write(m); err != nil {
			t.Fatalf("client write: %v", err)
		}
	}
	got, err := io.ReadAll(client)
	if err != nil || !bytes.Equal(got, sent[1]) {
		t.Fatalf("client read %d bytes, %v", len(got), err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
	client.Close() // its close_notify goes nowhere, but is on the wire
	return [2][]byte{wire[0].Bytes(), wire[1].Bytes()}, kl.String(), sent
}

// TestTLSDecryptGoTLS decrypts real sessions of every suite and version
// Go's crypto/tls speaks (its insecure RC4 and 3DES suites too), both
// directions, to what the applications wrote.
func TestTLSDecryptGoTLS(t *testing.T) {
	versions := map[uint16]uint16{tls.VersionTLS10: versionTLS10, tls.VersionTLS11: versionTLS11, tls.VersionTLS12: versionTLS12}
	n := 0
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		for _, v := range cs.SupportedVersions {
			if v == tls.VersionTLS13 {
				continue // below, once
			}
			name := fmt.Sprintf("%s/%s", cs.Name, tls.VersionName(v))
			t.Run(name, func(t *testing.T) {
				streams, keylog, sent := runGoTLS(t, v, cs.ID)
				ds := decryptStreams(t, streams, keylog)
				if ds.hello.suite != cs.ID || ds.hello.version != versions[v] {
					t.Errorf("suite 0x%04x version 0x%04x", ds.hello.suite, ds.hello.version)
				}
				if !bytes.Equal(ds.app[0], sent[0]) || !bytes.Equal(ds.app[1], sent[1]) {
					t.Errorf("decrypted %d and %d bytes of application data, want the %d and %d written", len(ds.app[0]), len(ds.app[1]), len(sent[0]), len(sent[1]))
				}
			})
			n++
		}
	}
	t.Run("TLS 1.3", func(t *testing.T) {
		streams, keylog, sent := runGoTLS(t, tls.VersionTLS13, 0)
		ds := decryptStreams(t, streams, keylog)
		if ds.hello.version != versionTLS13 || !bytes.Equal(ds.app[0], sent[0]) || !bytes.Equal(ds.app[1], sent[1]) {
			t.Errorf("0x%04x: decrypted %d and %d bytes, want %d and %d", ds.hello.suite, len(ds.app[0]), len(ds.app[1]), len(sent[0]), len(sent[1]))
		}
		t.Logf("Go chose %s", tlsCipherSuiteNames[ds.hello.suite])
	})
	t.Logf("%d TLS 1.0–1.2 sessions and one TLS 1.3", n)
}

// readTranscript reads an OpenSSL session recorded by a relay
// (testdata/tlsdecrypt/openssl, see SOURCES there): key log lines, and
// lines "> hex" (client to server) and "< hex" (server to client).
func readTranscript(t *testing.T, path string) (streams [2][]byte, keylog string) {
	t.Helper()
	var kl strings.Builder
	for _, line := range strings.Split(string(mustRead(t, path)), "\n") {
		switch {
		case strings.HasPrefix(line, "> "):
			streams[0] = append(streams[0], decHex(t, line[2:])...)
		case strings.HasPrefix(line, "< "):
			streams[1] = append(streams[1], decHex(t, line[2:])...)
		default:
			kl.WriteString(line + "\n")
		}
	}
	return streams, kl.String()
}

// TestTLSDecryptOpenSSL decrypts OpenSSL 3.0 sessions of what neither the
// captures nor Go's crypto/tls have: the CCM suites (TLS 1.3 and 1.2,
// CCM_8 too), encrypt-then-MAC (which OpenSSL negotiates for CBC suites
// by default; TLS 1.2 and 1.0), a NULL suite and a CBC-SHA384 suite.
// s_server -rev sends each line back reversed.
func TestTLSDecryptOpenSSL(t *testing.T) {
	const sent = "hello wiretap\nsecond line\n"
	// s_client's "k" line should have been its KeyUpdate command, but
	// with stdin not a terminal OpenSSL 3.0 sent it as data.
	const sentK = "hello wiretap\nk\nafter the key update\n"
	reversed := func(text string) string {
		var b strings.Builder
		for _, line := range strings.SplitAfter(text, "\n") {
			if line == "" {
				continue
			}
			r := []byte(strings.TrimSuffix(line, "\n"))
			slices.Reverse(r)
			b.WriteString(string(r) + "\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		file           string
		suite, version uint16
		etm            bool
		text           string
		keyUpdates     int
	}{
		{"tls13-aes128-ccm", 0x1304, versionTLS13, false, sent, 0},
		{"tls13-aes128-ccm8", 0x1305, versionTLS13, false, sentK, 0},
		{"tls12-ecdhe-ecdsa-aes128-ccm", 0xc0ac, versionTLS12, false, sent, 0},
		{"tls12-ecdhe-ecdsa-aes256-ccm8", 0xc0af, versionTLS12, false, sent, 0},
		{"tls12-ecdhe-rsa-aes256-sha384-etm", 0xc028, versionTLS12, true, sent, 0},
		{"tls10-ecdhe-rsa-aes128-sha-etm", 0xc013, versionTLS10, true, sent, 0},
		{"tls12-aes128-sha-no-etm", 0x002f, versionTLS12, false, sent, 0},
		// OpenSSL agrees to encrypt-then-MAC for a NULL suite, though RFC
		// 7366 §3 says not to for a stream cipher: it has no effect.
		{"tls12-null-sha256", 0x003b, versionTLS12, true, sent, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			streams, keylog := readTranscript(t, filepath.Join("testdata", "tlsdecrypt", "openssl", tc.file+".txt"))
			ds := decryptStreams(t, streams, keylog)
			h := ds.hello
			if h.suite != tc.suite || h.version != tc.version || h.etm != tc.etm {
				t.Errorf("suite 0x%04x version 0x%04x etm %v, want 0x%04x 0x%04x %v", h.suite, h.version, h.etm, tc.suite, tc.version, tc.etm)
			}
			wantApp(t, ds, tc.text, reversed(tc.text))
			if ds.keyUpdates[0] != tc.keyUpdates {
				t.Errorf("client sent %d key updates, want %d", ds.keyUpdates[0], tc.keyUpdates)
			}
			t.Logf("%d and %d records; key updates %v", len(ds.records[0]), len(ds.records[1]), ds.keyUpdates)
		})
	}
}
