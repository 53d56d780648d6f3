package capture

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestRotatingWriter(t *testing.T) {
	tests := []struct {
		name      string
		maxBytes  int64
		every     time.Duration
		files     int
		packets   int
		step      time.Duration // clock advance per packet
		wantFiles int           // files kept at the end
		wantSeq   int           // files made in all
	}{
		{name: "by size", maxBytes: 10_000, packets: 50, wantFiles: 6, wantSeq: 6},
		{name: "by size, ring of 2", maxBytes: 10_000, files: 2, packets: 50, wantFiles: 2, wantSeq: 6},
		{name: "by time", every: 10 * time.Second, packets: 30, step: time.Second, wantFiles: 4, wantSeq: 4}, // new files at 10 s, 20 s, 30 s,
		{name: "no limits", packets: 30, wantFiles: 1, wantSeq: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
			w, err := NewRotatingWriter(RotateOptions{
				Path: filepath.Join(dir, "cap.pcapng"), MaxBytes: tt.maxBytes, Every: tt.every, Files: tt.files,
				Now: func() time.Time { return now },
				Create: func(path string) (PacketWriter, error) {
					return CreatePcapng(path, PcapngOptions{LinkType: layers.LinkTypeEthernet, Interface: "lo"})
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			pkt := make([]byte, 1000)
			for i := 0; i < tt.packets; i++ {
				now = now.Add(tt.step)
				if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: now, CaptureLength: 1000, Length: 1000}, pkt); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files := w.Files()
			entries, _ := os.ReadDir(dir)
			if len(files) != tt.wantFiles || len(entries) != tt.wantFiles || w.seq != tt.wantSeq {
				t.Fatalf("kept %d files (%d on disk), made %d; want %d kept, %d made", len(files), len(entries), w.seq, tt.wantFiles, tt.wantSeq)
			}
			if base := filepath.Base(files[0]); len(base) != len("cap_00001_20261128120000.pcapng") || base[:4] != "cap_" {
				t.Errorf("file name %q does not follow PREFIX_NNNNN_YYYYmmddHHMMSS.EXT", base)
			}
			total := 0
			for _, f := range files {
				src, err := OpenFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for {
					if _, _, err := src.ReadPacket(); err != nil {
						break
					}
					total++
				}
				src.Close()
			}
			if tt.files == 0 && total != tt.packets {
				t.Errorf("files hold %d packets, want %d", total, tt.packets)
			}
		})
	}
}
