package dfilter

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"wiretap/decode"
	"wiretap/decode/decodetest"
)

// FuzzDisplayFilter compiles arbitrary filters and runs those that
// compile on hand-built and dissected packets: no panic, errors are
// *Error with a column inside the filter, and Fields names
// only registry names. Seeds are the unit and oracle tables.
func FuzzDisplayFilter(f *testing.F) {
	for _, s := range dfOracleFilters {
		f.Add(s)
	}
	for _, tc := range dfMatchCases {
		f.Add(tc.filter)
	}
	for _, tc := range dfErrorCases {
		f.Add(tc.filter)
	}
	pkts := []*decode.Packet{dfPacketHTTP(), dfPacketUDP6(), dfPacketICMPError(), {}}
	for _, file := range decodetest.Files(f, decodetest.Oracle) {
		if !strings.Contains(file.Name, "get.pcap") && !strings.Contains(file.Name, "one_ipv6") {
			continue
		}
		raw, _ := decodetest.ReadFile(file.Path)
		pkts = append(pkts, dfAnalyze(raw)...)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		df, err := Compile(expr)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("%q: error %T", expr, err)
			}
			if de.Column < 1 || de.Column > utf8.RuneCountInString(expr)+1 {
				t.Fatalf("%q: column %d out of range (%v)", expr, de.Column, err)
			}
			if !strings.HasPrefix(err.Error(), "decode: filter: ") {
				t.Fatalf("%q: message %q", expr, err)
			}
			return
		}
		for _, n := range df.Fields() {
			if _, _, ok := decode.LookupField(n); !ok {
				t.Fatalf("%q: Fields() has %q, not in the registry", expr, n)
			}
		}
		for _, p := range pkts {
			df.Match(p)
		}
	})
}
