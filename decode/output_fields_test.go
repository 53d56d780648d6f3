package decode

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// TestFieldText: each kind of value as tshark 4.0's -T fields prints it
// (what TestOracleFields in cmd/wiretap checks on the corpus, here on
// values the corpus may lack).
func TestFieldText(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("CET", 3600)
	ts := time.Date(2014, 12, 9, 17, 16, 9, 924505488, time.UTC)
	for _, c := range []struct {
		f    Field
		want string
	}{
		{Field{Name: "tcp.analysis", Kind: KindNone}, "1"},
		{Field{Name: "tls.handshake", Kind: KindNone, Label: "Handshake Protocol: Client Hello"}, "1"},
		{Field{Name: "tls", Kind: KindProtocol, Label: "Transport Layer Security"}, "tls"},
		{Field{Name: "tcp", Kind: KindProtocol, Label: "Transmission Control Protocol, Src Port: 1, Dst Port: 2, Len: 0"},
			"Transmission Control Protocol, Src Port: 1, Dst Port: 2, Len: 0"},
		{Field{Name: "tcp", Kind: KindProtocol}, "tcp"}, // no label built
		{Field{Name: "_ws.expert", Label: "[Expert Info (Note/Sequence): This frame is a (suspected) retransmission]"},
			"Expert Info (Note/Sequence): This frame is a (suspected) retransmission"},
		{Field{Name: "_ws.malformed", Kind: KindProtocol, Label: "[Malformed Packet: TLS]"}, "[Malformed Packet: TLS]"},
		{Field{Name: "tcp.flags.syn", Kind: KindBool, U: 1}, "1"},
		{Field{Name: "tcp.flags.ack", Kind: KindBool}, "0"},
		{Field{Name: "tcp.flags", Kind: KindUint, Base: BaseHex, Bits: 16, U: 2}, "0x0002"},
		{Field{Name: "ipv6.flow", Kind: KindUint, Base: BaseHex, Bits: 24, U: 0xabc}, "0x000abc"},
		{Field{Name: "tcp.srcport", Kind: KindUint, Bits: 16, U: 443}, "443"},
		{Field{Name: "frame.encap_type", Kind: KindInt, I: -1}, "-1"},
		{Field{Name: "http.response_in", Kind: KindFrameNum, U: 6}, "6"},
		{Field{Name: "tcp.payload", Kind: KindBytes, B: []byte{0x47, 0x45, 0x54}}, "474554"},
		{Field{Name: "tcp.payload", Kind: KindBytes}, "<MISSING>"},
		{Field{Name: "eth.src", Kind: KindMAC, B: []byte{0x78, 0x31, 0xc1, 0xc6, 0x3f, 0xc2}}, "78:31:c1:c6:3f:c2"},
		{Field{Name: "ip.src", Kind: KindIPv4, IP: netip.MustParseAddr("192.168.17.58")}, "192.168.17.58"},
		{Field{Name: "ipv6.src", Kind: KindIPv6, IP: netip.MustParseAddr("2001:618:1:8000::5")}, "2001:618:1:8000::5"},
		{Field{Name: "frame.time_epoch", Kind: KindTime, T: ts}, "1418145369.924505488"},
		{Field{Name: "tls.handshake.random_time", Kind: KindTime, T: ts}, "Dec  9, 2014 18:16:09.924505488 CET"},
		{Field{Name: "tls.sct.sct_timestamp", Kind: KindTime, T: ts}, "Dec  9, 2014 17:16:09.924505488 UTC"},
		{Field{Name: "frame.time_delta", Kind: KindDuration, D: 87895}, "0.000087895"},
		{Field{Name: "frame.time_relative", Kind: KindDuration, D: -1000}, "-0.000001000"},
		{Field{Name: "http.request.line", Kind: KindString, S: `Host: a\r\n`}, `Host: a\r\n`},
	} {
		if got := c.f.Text(); got != c.want {
			t.Errorf("%s (kind %d): %q, want %q", c.f.Name, c.f.Kind, got, c.want)
		}
	}
}

// TestFieldsSetOption: -E as tshark 4.0 reads it (TestOracleFieldsOptions
// in cmd/wiretap compares the output of each with tshark's).
func TestFieldsSetOption(t *testing.T) {
	for _, c := range []struct {
		opt  string
		want FieldsFormat
	}{
		{"header=y", FieldsFormat{Header: true}},
		{"header=yes", FieldsFormat{Header: true}},
		{"header=n", FieldsFormat{}},
		{"bom=y", FieldsFormat{BOM: true}},
		{"separator=/t", FieldsFormat{Separator: '\t'}},
		{"separator=/tab", FieldsFormat{Separator: '\t'}},
		{"separator=/s", FieldsFormat{Separator: ' '}},
		{"separator=/x", FieldsFormat{Separator: '\\'}},
		{"separator=;;", FieldsFormat{Separator: ';'}},
		{"aggregator=/s", FieldsFormat{Aggregator: ' '}},
		{"aggregator=/t", FieldsFormat{Aggregator: '\\'}},
		{"aggregator=;", FieldsFormat{Aggregator: ';'}},
		{"quote=d", FieldsFormat{Quote: '"'}},
		{"quote=s", FieldsFormat{Quote: '\''}},
		{"quote=n", FieldsFormat{}},
		{"occurrence=first", FieldsFormat{Occurrence: 'f'}},
		{"occurrence=l", FieldsFormat{Occurrence: 'l'}},
	} {
		var f FieldsFormat
		if err := f.SetOption(c.opt); err != nil {
			t.Errorf("%s: %v", c.opt, err)
		} else if f.Header != c.want.Header || f.BOM != c.want.BOM || f.Separator != c.want.Separator ||
			f.Aggregator != c.want.Aggregator || f.Quote != c.want.Quote || f.Occurrence != c.want.Occurrence {
			t.Errorf("%s: %+v, want %+v", c.opt, f, c.want)
		}
	}
	for _, bad := range []string{"header", "header=", "header=Y", "header=x", "quote=x", "occurrence=2", "occurrence=-1",
		"separator=", "aggregator=", "bom=x", "foo=y", "=y"} {
		var f FieldsFormat
		if err := f.SetOption(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// TestWriteFields: the line layout, with occurrences, quotes, a field
// named twice and the columns.
func TestWriteFields(t *testing.T) {
	p := &Packet{Number: 11, Summary: Summary{Number: 11, Time: 62966123 * time.Microsecond / 1000, TimeRes: time.Microsecond,
		Src: "1.2.3.4", Dst: "5.6.7.8", Protocol: "TLSv1.1", Length: 285, Info: "Server Hello\tDone"}}
	top := &Field{Name: "tls", Kind: KindProtocol}
	top.Add(&Field{Name: "tls.record.length", Kind: KindUint, U: 331})
	top.Add(&Field{Name: "tls.record.length", Kind: KindUint, U: 4})
	top.Add(&Field{Name: "http.file_data", Kind: KindString, S: "a\r\nb"})
	p.Tree = []*Field{top}
	for _, c := range []struct {
		opts   []string
		fields []string
		want   string
	}{
		{nil, []string{"tls.record.length", "ip.src", "tls"}, "331,4\t\ttls\n"},
		{[]string{"occurrence=f"}, []string{"tls.record.length"}, "331\n"},
		{[]string{"occurrence=l"}, []string{"tls.record.length"}, "4\n"},
		{[]string{"aggregator=/s", "separator=,", "quote=d"}, []string{"tls.record.length", "ip.src", "tls"}, `"331 4",,"tls"` + "\n"},
		{nil, []string{"tls", "tls.record.length", "tls"}, "\t331,4\ttls\n"},
		{nil, []string{"http.file_data"}, `a\r\nb` + "\n"},
		{nil, []string{"_ws.col.No.", "_ws.col.Time", "_ws.col.Source", "_ws.col.Destination", "_ws.col.Protocol",
			"_ws.col.Length", "_ws.col.Info", "_ws.col.info"}, "11\t0.062966\t1.2.3.4\t5.6.7.8\tTLSv1.1\t285\tServer Hello\\tDone\t\n"},
	} {
		f := FieldsFormat{Fields: c.fields}
		for _, o := range c.opts {
			if err := f.SetOption(o); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := f.WriteFields(&b, p); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%v %v: %q, want %q", c.opts, c.fields, b.String(), c.want)
		}
	}
	f := FieldsFormat{Fields: []string{"a", "b"}, Header: true, BOM: true, Separator: ',', Quote: '"'}
	var b bytes.Buffer
	f.WriteHeader(&b)
	if want := "\xef\xbb\xbfa,b\n"; b.String() != want {
		t.Errorf("header %q, want %q", b.String(), want)
	}
}

// TestAppendRelTime: the Time column at each precision.
func TestAppendRelTime(t *testing.T) {
	for _, c := range []struct {
		d, res time.Duration
		want   string
	}{{127521774, 0, "0.127521774"}, {127521774, time.Nanosecond, "0.127521774"}, {127521774, time.Microsecond, "0.127521"},
		{-1000, time.Microsecond, "-0.000001"}, {2*time.Second + 5, time.Second, "2"}} {
		if got := string(appendRelTime(nil, c.d, c.res)); got != c.want {
			t.Errorf("%v at %v: %q, want %q", c.d, c.res, got, c.want)
		}
	}
}

// TestUnknownFields: what -e refuses.
func TestUnknownFields(t *testing.T) {
	got := UnknownFields([]string{"tcp.srcport", "nosuch.field", "_ws.col.Info", "_ws.col.whatever", "_ws.col", "tcp"})
	if len(got) != 2 || got[0] != "nosuch.field" || got[1] != "_ws.col" {
		t.Errorf("%q", got)
	}
}
