package capture

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestDiskFull fills a tiny tmpfs and checks that the writer stops with an
// error naming the count it kept, and that the file is valid up to the last
// whole packet.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })

	path := filepath.Join(dir, "full.pcapng")
	w, err := CreatePcapng(path, PcapngOptions{LinkType: layers.LinkTypeEthernet, SnapLen: 262144, Interface: "lo", Application: "test"})
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, 1000)
	for i := range pkt {
		pkt[i] = byte(i)
	}
	var werr error
	n := 0
	for ; n < 10000; n++ {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(n)), CaptureLength: len(pkt), Length: len(pkt)}
		if werr = w.WritePacket(ci, pkt); werr != nil {
			break
		}
	}
	cerr := w.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		t.Fatal("writing 10 MB to a 64 KiB tmpfs did not fail")
	}
	if !errors.Is(werr, ErrWrite) || !strings.Contains(werr.Error(), "disk full") || !strings.Contains(werr.Error(), "it holds the first") {
		t.Errorf("error = %q", werr)
	}
	src, err := OpenFile(path)
	if err != nil {
		t.Fatalf("the file left behind does not open: %v", err)
	}
	defer src.Close()
	got := 0
	for {
		_, _, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the file left behind is broken after %d packets: %v", got, err)
		}
		got++
	}
	if got == 0 || !strings.Contains(werr.Error(), "the first "+strconv.Itoa(got)+" packets") {
		t.Errorf("file holds %d packets; error says %q", got, werr)
	}
	t.Logf("%v (file holds %d packets)", werr, got)
}
