package decode

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	"wiretap/decode/decodetest"
)

// TestRowEqualsDissect checks the packet-list row Row builds without trees
// against the Summary of the full dissection, on every packet of every
// capture in testdata, with and without ports forced to HTTP; and the
// lines RowWriter writes against Row's.
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
	// The HTTP messages whose rows come from their records, by what the
	// body adds (every kind must be met), and the Fernet tokens among
	// them.
	byMedia := map[rowMedia]int{}
	fernets, fast := 0, 0
	for _, opts := range []Options{{}, httpOracleOpts()} {
		for _, path := range files {
			pkts, _ := decodetest.ReadFile(path) // up to a broken record
			if len(pkts) == 0 {
				continue
			}
			a := httpAnalyze(pkts, opts, -1)
			for i := 0; i < a.app.http.msgs.len(); i++ {
				m := a.app.http.msgs.at(int32(i))
				byMedia[m.row]++
				if m.fernet > 0 {
					fernets++
				}
			}
			w := a.NewRowWriter()
			for i, p := range pkts {
				want := a.Dissect(i+1, p.CI, p.LinkType, p.Data).Summary
				got := a.Row(i+1, p.CI, p.LinkType, p.Data)
				rows++
				if got != want {
					t.Errorf("%s frame %d:\n row     %+v\n dissect %+v", path, i+1, got, want)
				}
				if line, ok := w.appendFast(nil, i+1, p.CI, p.LinkType, p.Data); ok {
					fast++
					if want := string(got.AppendTo(nil)); string(line) != want {
						t.Errorf("%s frame %d: RowWriter wrote\n %q, Row\n %q", path, i+1, line, want)
					}
				}
			}
			// Asked for out of order (the viewer's), its searches start
			// afresh.
			for i := len(pkts) - 1; i >= 0; i -= 3 {
				p := pkts[i]
				if got, want := string(w.Append(nil, i+1, p.CI, p.LinkType, p.Data)), string(a.Row(i+1, p.CI, p.LinkType, p.Data).AppendTo(nil)); got != want {
					t.Errorf("%s frame %d backwards: RowWriter wrote\n %q, Row\n %q", path, i+1, got, want)
				}
			}
		}
	}
	t.Logf("%d files, %d rows compared (%d written by RowWriter's own path); HTTP messages by row media %v, %d Fernet tokens", len(files), rows, fast, byMedia, fernets)
	if fast == 0 {
		t.Error("RowWriter wrote no row itself: its rows are not compared")
	}
	for m := rowParse; m <= rowXML; m++ {
		if byMedia[m] == 0 {
			t.Errorf("no HTTP message of row media %d: the rows from records are not all compared", m)
		}
	}
	if fernets == 0 {
		t.Error("no Fernet token in a row from records")
	}
}

// TestDissectConcurrent: after Finish, Dissect and Row only read the fast
// pass's records, so goroutines may call them at once (run with -race).
func TestDissectConcurrent(t *testing.T) {
	pkts, err := decodetest.ReadFile("testdata/oracle/demo.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	a := httpAnalyze(pkts, httpOracleOpts(), -1)
	want := make([]string, len(pkts))
	for i, p := range pkts {
		want[i] = a.Dissect(i+1, p.CI, p.LinkType, p.Data).FieldText("frame.protocols", ",")
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			for i := len(pkts) - 1; i >= 0; i-- {
				p := pkts[i]
				if got := a.Dissect(i+1, p.CI, p.LinkType, p.Data).FieldText("frame.protocols", ","); got != want[i] {
					done <- fmt.Errorf("frame %d: %q, want %q", i+1, got, want[i])
					return
				}
				a.Row(i+1, p.CI, p.LinkType, p.Data)
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
