package decode

import (
	"slices"
	"testing"

	"wiretap/decode/decodetest"
)

// TestDissectForEqualsDissect: fields on demand give every field the
// values the whole tree gives it, on every test capture, whichever
// dissectors the wanted fields let DissectFor leave out.
func TestDissectForEqualsDissect(t *testing.T) {
	names := slices.Sorted(FieldNames())
	var layerNames []string
	for _, n := range names {
		if layerField(n) {
			layerNames = append(layerNames, n)
		}
	}
	if w := WantFields(layerNames); w.app {
		t.Fatal("layer fields want the application dissectors")
	}
	if w := WantFields([]string{"http.request"}); !w.app {
		t.Fatal("http.request does not want the application dissectors")
	}
	files := decodetest.Files(t, decodetest.Oracle, decodetest.TLS)
	compared := 0
	unformatted := labelsUnformatted.Load()
	defer func() {
		// Every label of every whole tree had arguments formatLabel
		// knows (TestLabelFormatMatchesFmt holds it to fmt).
		if n := labelsUnformatted.Load() - unformatted; n != 0 {
			t.Errorf("%d label arguments of a type formatLabel does not know", n)
		}
	}()
	for _, f := range files {
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		a := NewAnalyzer(Options{})
		// layers: a fast pass without the application stage, as a run
		// that wants only the layers' fields makes (Options.LayersOnly).
		layers := NewAnalyzer(Options{LayersOnly: true})
		for i, p := range pkts {
			a.Add(i+1, p.CI, p.LinkType, p.Data)
			layers.Add(i+1, p.CI, p.LinkType, p.Data)
		}
		a.Finish()
		layers.Finish()
		layersWant := WantFields(layerNames)
		for i, pk := range pkts {
			n := i + 1
			whole := a.Dissect(n, pk.CI, pk.LinkType, pk.Data)
			alone := layers.DissectFor(layersWant, n, pk.CI, pk.LinkType, pk.Data)
			for _, name := range layerNames {
				if protoLabelText[name] {
					continue
				}
				if g, w := alone.FieldText(name, ","), whole.FieldText(name, ","); g != w {
					t.Errorf("%s frame %d %s without the application stage: %q, the whole tree has %q", f.Name, n, name, g, w)
				}
				compared++
			}
			alone.Release()
			for _, want := range []struct {
				w     *Want
				names []string
			}{{WantFields(layerNames), layerNames}, {WantFields(names), names}} {
				got := a.DissectFor(want.w, n, pk.CI, pk.LinkType, pk.Data)
				for _, name := range want.names {
					if protoLabelText[name] {
						// Their value is their tree line, which DissectFor
						// does not build: -T fields asks Dissect for them
						// (FieldsFormat.NeedsLabels).
						continue
					}
					if g, w := got.FieldText(name, ","), whole.FieldText(name, ","); g != w {
						t.Errorf("%s frame %d %s: %q, the whole tree has %q", f.Name, n, name, g, w)
					}
					compared++
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("nothing compared")
	}
	t.Logf("%d files, %d field values compared", len(files), compared)
}

// TestDissectForEachField: asked for one field alone, DissectFor makes
// only it (and the protocols and structural nodes) and gives it the whole
// tree's values, for every field of the registry on every test capture.
func TestDissectForEachField(t *testing.T) {
	names := slices.Sorted(FieldNames())
	files := decodetest.Files(t, decodetest.Oracle, decodetest.TLS)
	compared, values := 0, 0
	for _, f := range files {
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		a := NewAnalyzer(httpOracleOpts())
		for i, p := range pkts {
			a.Add(i+1, p.CI, p.LinkType, p.Data)
		}
		a.Finish()
		wants := make([]*Want, len(names))
		for k, name := range names {
			wants[k] = WantFields([]string{name})
		}
		for i, pk := range pkts {
			n := i + 1
			whole := a.Dissect(n, pk.CI, pk.LinkType, pk.Data)
			for k, name := range names {
				if protoLabelText[name] {
					continue
				}
				got := a.DissectFor(wants[k], n, pk.CI, pk.LinkType, pk.Data)
				g, w := got.FieldText(name, ","), whole.FieldText(name, ",")
				got.Release()
				if g != w {
					t.Errorf("%s frame %d %s alone: %q, the whole tree has %q", f.Name, n, name, g, w)
				}
				compared++
				if w != "" {
					values++
				}
			}
		}
	}
	if values == 0 {
		t.Fatal("nothing compared")
	}
	t.Logf("%d files, %d (field, packet) pairs, %d with a value, equal to the whole tree's", len(files), compared, values)
}

// TestDissectForNoAllocs: fields on demand of fixed-size layer fields
// allocate nothing per packet once the pools are warm (the fields path of
// -Y tcp.flags.syn==1 -T fields -e frame.number -e tcp.srcport).
func TestDissectForNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under -race: its pools drop items at random")
	}
	pkts, err := decodetest.ReadFile("testdata/oracle/demo.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	a := NewAnalyzer(Options{LayersOnly: true})
	for i, p := range pkts {
		a.Add(i+1, p.CI, p.LinkType, p.Data)
	}
	a.Finish()
	w := WantFields([]string{"tcp.flags.syn", "frame.number", "tcp.srcport", "tcp.stream", "ip.src", "tcp.len"})
	k := 0
	allocs := testing.AllocsPerRun(len(pkts)*4, func() {
		p := a.DissectFor(w, k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data)
		p.Release()
		k = (k + 1) % len(pkts)
	})
	if allocs != 0 {
		t.Errorf("%v allocations a packet, want 0", allocs)
	}
}
