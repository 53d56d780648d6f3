package decode

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"wiretap/decode/decodetest"
)

// Tests of the field registry (fieldnames.go) the display filter
// (package decode/dfilter) checks its names and literals against.

func TestDFRegistry(t *testing.T) {
	for _, n := range strings.Fields(`frame eth ip ipv6 tcp udp http tls fernet secret frame.number tcp.port ip.addr
		tcp.flags.syn http.request.method tls.record.content_type tls.record.version tls.record.length tls.handshake.type
		tls.handshake.version tls.handshake.random tls.handshake.session_id tls.handshake.ciphersuite
		tls.handshake.extension.type tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str
		tls.handshake.extensions.supported_version tls.handshake.ja3 tls.handshake.ja3_full tls.handshake.ja3s
		tls.handshake.ja4 tls.handshake.certificate tls.alert_message.level tls.alert_message.desc tls.app_data
		fernet.token fernet.timestamp fernet.iv fernet.ciphertext_len fernet.hmac secret.found`) {
		if _, ok := knownFields[n]; !ok {
			t.Errorf("%s is missing from knownFields", n)
		}
	}
	for n, info := range knownFields {
		if (info.Kind == KindUint || info.Kind == KindInt) && info.Bits == 0 {
			t.Errorf("%s: an integer field without a width", n)
		}
	}
}

// TestDFRegistryCoversDissectors dissects every oracle capture and checks
// that every field name the dissectors produce is in knownFields with
// the kind they give it, so filters can name every field wiretap shows.
func TestDFRegistryCoversDissectors(t *testing.T) {
	type miss struct {
		kind Kind
		bits uint8
	}
	missing := map[string]miss{}
	wrong := map[string]Kind{}
	for _, f := range decodetest.Files(t, decodetest.Oracle) {
		pkts, _ := decodetest.ReadFile(f.Path)
		for _, p := range decodetest.Analyze(NewAnalyzer(Options{Force: decodetest.OraclePorts()}), pkts) {
			for _, top := range p.Tree {
				top.Walk(func(f *Field) bool {
					if f.Name == "" {
						return true
					}
					info, ok := knownFields[f.Name]
					switch {
					case !ok:
						missing[f.Name] = miss{f.Kind, f.Bits}
					case info.Kind != f.Kind && !(f.Name == "frame.time" && f.Kind == KindString):
						wrong[f.Name] = f.Kind
					}
					return true
				})
			}
		}
	}
	for _, n := range dfSortedKeys(missing) {
		m := missing[n]
		t.Errorf("field %q (%s) is produced but missing from knownFields (fieldnames.go): add %q: {Kind: %s},",
			n, dfKindName(m.kind), n, dfKindGoName(m.kind))
	}
	for _, n := range dfSortedKeys(wrong) {
		t.Errorf("field %q is produced as %s but knownFields says %s", n, dfKindGoName(wrong[n]), dfKindGoName(knownFields[n].Kind))
	}
}

func dfSortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func dfKindGoName(k Kind) string {
	names := []string{"KindNone", "KindUint", "KindInt", "KindBool", "KindString", "KindBytes", "KindIPv4", "KindIPv6",
		"KindMAC", "KindTime", "KindDuration", "KindFloat", "KindFrameNum", "KindProtocol"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// dfKindName is the display filter's name for a kind (Wireshark's ftype
// name), for the messages above.
func dfKindName(k Kind) string {
	switch k {
	case KindNone:
		return "Label"
	case KindUint:
		return "Unsigned integer"
	case KindInt:
		return "Signed integer"
	case KindBool:
		return "Boolean"
	case KindString:
		return "Character string"
	case KindBytes:
		return "Byte sequence"
	case KindIPv4:
		return "IPv4 address"
	case KindIPv6:
		return "IPv6 address"
	case KindMAC:
		return "Ethernet or other MAC address"
	case KindTime:
		return "Date and time"
	case KindDuration:
		return "Time offset"
	case KindFloat:
		return "Floating point"
	case KindFrameNum:
		return "Frame number"
	case KindProtocol:
		return "Protocol"
	}
	return "unknown"
}
