package decode

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/decode/decodetest"
)

// seg describes one test segment: direction (0 client→server) and payload at
// a sequence offset from the direction's first data byte.
type seg struct {
	dir     int
	off     uint32
	syn     bool
	ack     bool
	payload string
}

// fakeSource serves packets built in memory.
type fakeSource struct {
	pkts [][]byte
	i    int
}

func (f *fakeSource) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	if f.i >= len(f.pkts) {
		return nil, gopacket.CaptureInfo{}, io.EOF
	}
	p := f.pkts[f.i]
	f.i++
	return p, gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(f.i)), CaptureLength: len(p), Length: len(p)}, nil
}

func (f *fakeSource) LinkType(gopacket.CaptureInfo) layers.LinkType { return layers.LinkTypeEthernet }

// build serialises segments as Ethernet/IPv4/TCP between 127.0.0.1:40000
// (client) and 127.0.0.1:port (server).
func build(t *testing.T, port uint16, segs []seg) *fakeSource {
	t.Helper()
	isn := [2]uint32{1000, 5000}
	src := &fakeSource{}
	for _, s := range segs {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 1)}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(port), Seq: isn[s.dir] + 1 + s.off, SYN: s.syn, ACK: s.ack, Window: 65535}
		if s.syn {
			tcp.Seq = isn[s.dir]
		}
		if s.dir == 1 {
			tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
		}
		tcp.SetNetworkLayerForChecksum(ip)
		eth := &layers.Ethernet{SrcMAC: make(net.HardwareAddr, 6), DstMAC: make(net.HardwareAddr, 6), EthernetType: layers.EthernetTypeIPv4}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, tcp, gopacket.Payload(s.payload)); err != nil {
			t.Fatal(err)
		}
		src.pkts = append(src.pkts, buf.Bytes())
	}
	return src
}

func handshake() []seg {
	return []seg{{dir: 0, syn: true}, {dir: 1, syn: true, ack: true}, {dir: 0, ack: true}}
}

const fernetToken = "gAAAAABrCrrmmn4leQhBdZJjjoZImVF7Hd8831ZL9bVM2iOHFU7LsjUm40CFJUemBX9P964O9kesh2iGFqjyncf_RSF716Hy6g=="

func TestAnalyzeExposure(t *testing.T) {
	req := "GET / HTTP/1.1\r\nHost: localhost:5683\r\n\r\n"
	resp := func(body string) string {
		return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	tests := []struct {
		name              string
		segs              []seg
		protocol          string
		secretFrame       int
		secretStreamFrame int
		body              string
	}{
		{
			name:     "plaintext response in one segment",
			segs:     append(handshake(), seg{dir: 0, ack: true, payload: req}, seg{dir: 1, ack: true, payload: resp("fluffy tail")}),
			protocol: ProtoHTTP, secretFrame: 5, secretStreamFrame: 5, body: "fluffy tail",
		},
		{
			name: "secret split across two segments: only the reassembled stream shows it",
			segs: append(handshake(), seg{dir: 0, ack: true, payload: req},
				seg{dir: 1, ack: true, payload: resp("fluffy tail")[:len(resp("fluffy tail"))-5]},
				seg{dir: 1, ack: true, off: uint32(len(resp("fluffy tail")) - 5), payload: " tail"}),
			protocol: ProtoHTTP, secretFrame: 0, secretStreamFrame: 6, body: "fluffy tail",
		},
		{
			name: "retransmission is not appended twice",
			segs: append(handshake(), seg{dir: 0, ack: true, payload: req}, seg{dir: 0, ack: true, payload: req},
				seg{dir: 1, ack: true, payload: resp("ok")}),
			protocol: ProtoHTTP, body: "ok",
		},
		{
			name:     "fernet token body",
			segs:     append(handshake(), seg{dir: 0, ack: true, payload: req}, seg{dir: 1, ack: true, payload: resp(fernetToken)}),
			protocol: ProtoFernet, body: fernetToken,
		},
		{
			name: "tls records",
			segs: append(handshake(), seg{dir: 0, ack: true, payload: "\x16\x03\x01\x00\x04\x01\x00\x00\x00"},
				seg{dir: 1, ack: true, payload: "\x16\x03\x03\x00\x01\x02\x17\x03\x03\x00\x03abc"}),
			protocol: ProtoTLS, body: "\x17\x03\x03\x00\x03abc",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := AnalyzeExposure(build(t, 5683, tt.segs), []byte("fluffy tail"))
			if err != nil {
				t.Fatal(err)
			}
			if len(ex.Streams) != 1 {
				t.Fatalf("streams = %d, want 1", len(ex.Streams))
			}
			s := ex.Streams[0]
			if s.Protocol != tt.protocol {
				t.Errorf("protocol = %q, want %q", s.Protocol, tt.protocol)
			}
			if s.SecretFrame != tt.secretFrame || s.SecretStreamFrame != tt.secretStreamFrame {
				t.Errorf("secret frames = %d/%d, want %d/%d", s.SecretFrame, s.SecretStreamFrame, tt.secretFrame, tt.secretStreamFrame)
			}
			if string(s.Body) != tt.body {
				t.Errorf("body = %q, want %q", s.Body, tt.body)
			}
			if s.Client.Port != 40000 || s.Server.Port != 5683 {
				t.Errorf("client/server = %v/%v", s.Client, s.Server)
			}
			if got := strings.Count(string(s.Seen[0].Payload), "GET /"); s.Protocol != ProtoTLS && got != 1 {
				t.Errorf("request appears %d times in the reassembled stream, want 1", got)
			}
		})
	}
}

// TestExposureTLSLeaks: what a TLS stream still tells an eavesdropper, from
// real captures.
func TestExposureTLSLeaks(t *testing.T) {
	for _, tt := range []struct {
		file string
		want []string
	}{
		{"testdata/tls/zeek/tls12-decryption.pcap", []string{"SNI heise.de", "ALPN h2,http/1.1",
			"TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "certificate heise.de issued by R3"}},
		{"testdata/oracle/demo.pcapng", []string{"SNI localhost", "TLS 1.3 TLS_AES_128_GCM_SHA256"}},
	} {
		pkts, err := decodetest.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		a := NewAnalyzer(Options{Secrets: [][]byte{[]byte("fluffy tail")}})
		for i, p := range pkts {
			a.Add(i+1, p.CI, p.LinkType, p.Data)
		}
		var got []string
		for _, s := range a.Exposures()[0].Streams {
			if s.Protocol == ProtoTLS {
				got = s.Leaks
			}
		}
		if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
			t.Errorf("%s: leaks %q, want %q", tt.file, got, tt.want)
		}
	}
}
