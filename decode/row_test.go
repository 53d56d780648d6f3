package decode

import (
	"io/fs"
	"path/filepath"
	"testing"
)

// TestRowEqualsDissect checks the packet-list row Row builds without trees
// against the Summary of the full dissection, on every packet of every
// capture in testdata, with and without ports forced to HTTP.
func TestRowEqualsDissect(t *testing.T) {
	var files []string
	// The capture package's files add odd link types and broken packets.
	for _, root := range []string{"testdata", "../capture/testdata/files"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				switch filepath.Ext(path) {
				case ".pcap", ".pcapng", ".cap", ".gz":
					files = append(files, path)
				}
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Fatal("no captures under testdata")
	}
	rows := 0
	for _, opts := range []Options{{}, httpOracleOpts()} {
		for _, path := range files {
			pkts, err := httpReadCapture(path)
			if err != nil {
				continue
			}
			a := httpAnalyze(pkts, opts, -1)
			for i, p := range pkts {
				want := a.Dissect(i+1, p.ci, p.lt, p.data).Summary
				got := a.Row(i+1, p.ci, p.lt, p.data)
				rows++
				if got != want {
					t.Errorf("%s frame %d:\n row     %+v\n dissect %+v", path, i+1, got, want)
				}
			}
		}
	}
	t.Logf("%d files, %d rows compared", len(files), rows)
}
