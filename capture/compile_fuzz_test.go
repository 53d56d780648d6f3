package capture

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// FuzzCompileFilter: the compiler never panics; errors are *FilterError with
// a column inside the expression; a compiled program assembles, is accepted
// by x/net/bpf's VM, runs on sample packets and returns 0 or the snap length.
func FuzzCompileFilter(f *testing.F) {
	lts := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL,
		layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeLinuxSLL2, layers.LinkTypeIPv4, layers.LinkTypeIPv6}
	for i, e := range fcOracleExprs {
		f.Add(e, uint8(i))
	}
	for _, e := range []string{"(tcp", "tcp)", "portrange 10-", "tcp[13] & ", "host a or b", "port 80 or (443 or",
		"\\", "ether host zz:00:11:22:33:44", "ip[0] / (0 + 1) = 1", "vlan (10)", "net ::/129"} {
		f.Add(e, uint8(0))
	}
	samples := map[layers.LinkType][][]byte{}
	for _, lt := range lts {
		for _, p := range fcTestPackets(f) {
			samples[lt] = append(samples[lt], fcFrames(lt, p)...)
			if len(samples[lt]) >= 12 {
				break
			}
		}
		samples[lt] = append(samples[lt], nil, []byte{0x45})
	}
	const snap = 1500
	f.Fuzz(func(t *testing.T, expr string, sel uint8) {
		lt := lts[int(sel)%len(lts)]
		prog, err := CompileFilter(expr, lt, snap)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("%q: error %T %v is not a *FilterError", expr, err, err)
			}
			if fe.Column < 1 || fe.Column > len(expr)+1 || fe.Expr != expr {
				t.Fatalf("%q: bad error position %+v", expr, fe)
			}
			if utf8.ValidString(expr) && !utf8.ValidString(err.Error()) {
				t.Fatalf("%q: error message is not UTF-8: %q", expr, err.Error())
			}
			return
		}
		if len(prog) == 0 || len(prog) > fcMaxInstructions {
			t.Fatalf("%q: %d instructions", expr, len(prog))
		}
		if _, err := bpf.Assemble(prog); err != nil {
			t.Fatalf("%q: assemble: %v", expr, err)
		}
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatalf("%q: NewVM: %v", expr, err)
		}
		for _, pkt := range samples[lt] {
			n, err := vm.Run(pkt)
			if err != nil {
				t.Fatalf("%q: run: %v", expr, err)
			}
			if n != 0 && n != snap {
				t.Fatalf("%q: returned %d", expr, n)
			}
		}
	})
}
