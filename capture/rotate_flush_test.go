package capture

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestRotatingWriterFlush checks that Flush puts the open file's packets on
// disk before the file is closed: a capture killed then keeps them.
func TestRotatingWriterFlush(t *testing.T) {
	dir := t.TempDir()
	w, err := NewRotatingWriter(RotateOptions{
		Path: filepath.Join(dir, "r.pcapng"), MaxBytes: 1 << 20, Files: 2,
		Create: func(path string) (PacketWriter, error) {
			return CreatePcapng(path, PcapngOptions{LinkType: layers.LinkTypeEthernet})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 3 {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)), CaptureLength: 60, Length: 60}
		if err := w.WritePacket(ci, make([]byte, 60)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := OpenFile(w.Files()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	for {
		if _, _, err := src.ReadPacket(); err != nil {
			break
		}
		n++
	}
	if n != 3 {
		t.Errorf("after Flush the open file holds %d of the 3 packets written", n)
	}
}
