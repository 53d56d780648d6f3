package capture

import (
	"bytes"
	"io"
	"os"
	"testing"

	"wiretap/capture/oracletest"
)

// TestPacketOffset checks that the bytes at PacketOffset are the packet's
// bytes, for every packet of pcap and pcapng files of both byte orders and
// with several sections and interfaces: a viewer re-reads packets by offset.
func TestPacketOffset(t *testing.T) {
	for _, name := range []string{"formats/heuristics/microsecs.pcap", "formats/tcpdump/tcp-handshake-nano.pcap",
		"formats/gopacket/test_dns.pcap", "formats/heuristics/pcapng-example.pcapng",
		"formats/heuristics/many_interfaces-1.pcapng", "pcapng-structure/output_be/basic/test001.pcapng"} {
		t.Run(name, func(t *testing.T) {
			path := oracletest.Shared(name)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			src, err := OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			fs := src.(*FileSource)
			for n := 1; ; n++ {
				data, _, err := fs.ReadPacket()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("packet %d: %v", n, err)
				}
				off := fs.PacketOffset()
				if off < 0 || off+int64(len(data)) > int64(len(raw)) || !bytes.Equal(raw[off:off+int64(len(data))], data) {
					t.Fatalf("packet %d: the %d bytes at offset %d are not the packet's", n, len(data), off)
				}
			}
		})
	}
}
