package decode

import (
	"sync"
	"testing"

	"wiretap/decode/decodetest"
)

// TestLiveEqualsFile: a live fast pass (rows asked for as packets arrive)
// ends with the same rows and trees as the fast pass over the file, on
// every test capture; and a row asked for when its packet arrives is
// already that final row for most packets.
func TestLiveEqualsFile(t *testing.T) {
	files := decodetest.Files(t, decodetest.Oracle, decodetest.TLS)
	compared, early, earlySame := 0, 0, 0
	for _, f := range files {
		pkts, _ := decodetest.ReadFile(f.Path)
		if len(pkts) == 0 {
			continue
		}
		file := NewAnalyzer(httpOracleOpts())
		opts := httpOracleOpts()
		opts.Live = true
		live := NewAnalyzer(opts)
		var atArrival []Summary
		for i, p := range pkts {
			file.Add(i+1, p.CI, p.LinkType, p.Data)
			live.Add(i+1, p.CI, p.LinkType, p.Data)
			atArrival = append(atArrival, live.Row(i+1, p.CI, p.LinkType, p.Data))
		}
		file.Finish()
		live.Finish()
		for i, p := range pkts {
			want := file.Dissect(i+1, p.CI, p.LinkType, p.Data)
			got := live.Dissect(i+1, p.CI, p.LinkType, p.Data)
			if got.Summary != want.Summary {
				t.Errorf("%s frame %d: live row %+v, file row %+v", f.Name, i+1, got.Summary, want.Summary)
			}
			var gw, ww []string
			for _, top := range got.Tree {
				top.Walk(func(x *Field) bool { gw = append(gw, x.Name+"="+x.Text()+" "+x.Label); return true })
			}
			for _, top := range want.Tree {
				top.Walk(func(x *Field) bool { ww = append(ww, x.Name+"="+x.Text()+" "+x.Label); return true })
			}
			if len(gw) != len(ww) {
				t.Errorf("%s frame %d: live tree has %d nodes, file tree %d", f.Name, i+1, len(gw), len(ww))
			} else {
				for k := range gw {
					if gw[k] != ww[k] {
						t.Errorf("%s frame %d node %d: live %q, file %q", f.Name, i+1, k, gw[k], ww[k])
						break
					}
				}
			}
			compared++
			early++
			if atArrival[i] == want.Summary {
				earlySame++
			}
		}
	}
	if compared == 0 {
		t.Fatal("nothing compared")
	}
	t.Logf("%d files, %d packets: live trees equal the file's; %d of %d rows were final when their packet arrived", len(files), compared, earlySame, early)
}

// TestLiveConcurrent: rows and trees asked for beside a live fast pass
// (run with -race).
func TestLiveConcurrent(t *testing.T) {
	pkts, err := decodetest.ReadFile("testdata/oracle/demo.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	opts := httpOracleOpts()
	opts.Live = true
	a := NewAnalyzer(opts)
	var mu sync.Mutex
	added := 0
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 200; k++ {
				mu.Lock()
				n := added
				mu.Unlock()
				if n == 0 {
					continue
				}
				p := pkts[n-1]
				a.Row(n, p.CI, p.LinkType, p.Data)
				a.Dissect(n, p.CI, p.LinkType, p.Data)
				a.DissectFor(WantFields([]string{"http.request.uri"}), n, p.CI, p.LinkType, p.Data).Release()
			}
		}()
	}
	for i, p := range pkts {
		a.Add(i+1, p.CI, p.LinkType, p.Data)
		mu.Lock()
		added = i + 1
		mu.Unlock()
	}
	wg.Wait()
	a.Finish()
}
