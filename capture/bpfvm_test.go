package capture

import (
	"testing"

	"golang.org/x/net/bpf"
)

// TestMatcherAgreesWithVM runs every oracle expression, compiled for each
// link type, through Matcher and x/net/bpf's VM over the oracle corpus:
// with the wire length equal to the captured length they must agree.
func TestMatcherAgreesWithVM(t *testing.T) {
	caps := fcReadCaptures(t)
	compared := 0
	for _, lt := range fcOracleLinkTypes {
		corpus := fcOracleCorpus(t, lt, caps)
		for _, expr := range fcOracleExprs {
			prog, err := CompileFilter(expr, lt, DefaultSnapLen)
			if err != nil {
				continue
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				continue // programs with ancillary loads the VM lacks
			}
			m, err := NewMatcher(prog)
			if err != nil {
				t.Fatalf("%q: %v", expr, err)
			}
			for _, p := range corpus {
				n, err := vm.Run(p.data)
				want := err == nil && n > 0
				if got := m.Match(p.data, len(p.data)); got != want {
					t.Errorf("%q on %s (link type %v): Matcher %v, VM %v", expr, p.name, lt, got, want)
				}
				compared++
			}
		}
	}
	t.Logf("%d (expression, packet) pairs agree", compared)
}
