package decode

import (
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// tlsOracleFields are the TLS fields compared with tshark -T fields: every
// field of the TLS dissector that tshark 4.0 has and the captures hold,
// with the columns and frame.protocols.
var tlsOracleFields = strings.Fields(`frame.protocols _ws.col.Protocol _ws.col.Info tcp.reassembled_in
tls tls.record tls.record.content_type tls.record.opaque_type tls.record.version tls.record.length
tls.app_data tls.app_data_proto tls.change_cipher_spec tls.alert_message tls.alert_message.level tls.alert_message.desc
tls.handshake tls.handshake.type tls.handshake.length tls.handshake.reassembled_in
tls.handshake.version tls.handshake.random tls.handshake.random_time tls.handshake.random_bytes
tls.handshake.session_id_length tls.handshake.session_id
tls.handshake.cipher_suites_length tls.handshake.ciphersuites tls.handshake.ciphersuite
tls.handshake.comp_methods_length tls.handshake.comp_methods tls.handshake.comp_method
tls.handshake.extensions_length tls.handshake.extension.type tls.handshake.extension.len tls.handshake.extension.data
tls.handshake.extensions_server_name_list_len tls.handshake.extensions_server_name_type
tls.handshake.extensions_server_name_len tls.handshake.extensions_server_name
tls.handshake.extensions_alpn_len tls.handshake.extensions_alpn_list tls.handshake.extensions_alpn_str_len tls.handshake.extensions_alpn_str
tls.handshake.extensions.supported_versions_len tls.handshake.extensions.supported_version
tls.handshake.extensions_supported_groups_length tls.handshake.extensions_supported_groups tls.handshake.extensions_supported_group
tls.handshake.extensions_ec_point_formats_length tls.handshake.extensions_ec_point_formats tls.handshake.extensions_ec_point_format
tls.handshake.sig_hash_alg_len tls.handshake.sig_hash_algs tls.handshake.sig_hash_alg tls.handshake.sig_hash_hash tls.handshake.sig_hash_sig
tls.handshake.extensions_key_share_client_length tls.handshake.extensions_key_share_group
tls.handshake.extensions_key_share_key_exchange_length tls.handshake.extensions_key_share_key_exchange
tls.handshake.extensions_key_share_selected_group
tls.extension.psk_ke_modes_length tls.extension.psk_ke_mode
tls.handshake.extensions.psk.identities.length tls.handshake.extensions.psk.identity.identity_length
tls.handshake.extensions.psk.identity.identity tls.handshake.extensions.psk.identity.obfuscated_ticket_age
tls.handshake.extensions.psk.binders_len tls.handshake.extensions.psk.identity.selected
tls.handshake.extensions.cookie_len tls.handshake.extensions.cookie tls.early_data.max_early_data_size
tls.handshake.extensions_padding_data tls.handshake.extensions_reneg_info_len tls.handshake.extensions_reneg_info
tls.handshake.extensions_status_request_type tls.handshake.extensions_status_request_responder_ids_len
tls.handshake.extensions_status_request_exts_len tls.handshake.extension.heartbeat.mode
tls.compress_certificate.algorithms_length tls.compress_certificate.algorithm tls.record_size_limit
tls.handshake.extensions_npn_str_len tls.handshake.extensions_npn
tls.sct.scts_length tls.sct.sct_length tls.sct.sct_version tls.sct.sct_logid tls.sct.sct_timestamp tls.sct.sct_extensions_length
tls.sct.sct_signature_length tls.sct.sct_signature
tls.handshake.certificates_length tls.handshake.certificates tls.handshake.certificate_length tls.handshake.certificate
tls.handshake.server_curve_type tls.handshake.server_named_curve tls.handshake.server_point_len tls.handshake.server_point
tls.handshake.p_len tls.handshake.p tls.handshake.g_len tls.handshake.g tls.handshake.ys_len tls.handshake.ys
tls.handshake.sig_len tls.handshake.sig
tls.handshake.client_point_len tls.handshake.client_point tls.handshake.epms_len tls.handshake.epms tls.handshake.yc_len tls.handshake.yc
tls.handshake.cert_types_count tls.handshake.cert_types tls.handshake.cert_type
tls.handshake.dnames_len tls.handshake.dnames tls.handshake.dname_len tls.handshake.dname
tls.handshake.client_cert_vrfy.sig_len tls.handshake.client_cert_vrfy.sig
tls.handshake.session_ticket_lifetime_hint tls.handshake.session_ticket_age_add tls.handshake.session_ticket_nonce_length
tls.handshake.session_ticket_nonce tls.handshake.session_ticket_length tls.handshake.session_ticket
tls.handshake.verify_data
tls.handshake.ja3_full tls.handshake.ja3 tls.handshake.ja3s_full tls.handshake.ja3s`)

// tlsOracleArgs: two passes (the session's final state, as Wireshark's
// second pass sees it), no name resolution, the demo's and hotplace's
// TLS ports forced (tshark finds them by its heuristic anyway), and the
// demo's HTTP ports forced as the other oracles do.
var tlsOracleArgs = append([]string{"-2", "-n"}, decodetest.DecodeAs(decodetest.OraclePorts())...)

// tlsOracleOpts is wiretap's equivalent of tlsOracleArgs.
func tlsOracleOpts() Options {
	return Options{Force: decodetest.OraclePorts()}
}

// None at present: every value of every field compared is tshark's. The
// one systematic difference is normalised instead (tlsNormProtocols:
// tshark's X.509 and PKCS #1 layers in frame.protocols).
var tlsOracleDiffs = []oracleDiff{}

// tlsNormProtocols drops from frame.protocols the X.509 and PKIX
// protocols tshark's BER dissector lists for every certificate
// attribute: wiretap summarises certificates with crypto/x509 under
// tls.handshake.certificate instead of dissecting their ASN.1.
func tlsNormProtocols(s string) string {
	parts := strings.Split(s, ":")
	out := parts[:0]
	for _, p := range parts {
		if strings.HasPrefix(p, "x509") || strings.HasPrefix(p, "pkix") || p == "ns_cert_exts" || p == "ocsp" || p == "pkcs-1" {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ":")
}

// tlsFieldText prints a field as tshark -T fields does: FT_NONE fields
// (Kind None in the registry) print "1" per occurrence, absolute times a
// date in UTC (the test runs tshark with TZ=UTC).
func tlsFieldText(p *Packet, name string) string {
	switch name {
	case "_ws.col.Protocol":
		return p.Summary.Protocol
	case "_ws.col.Info":
		return p.Summary.Info
	}
	fs := p.Fields(name)
	parts := make([]string, len(fs))
	for i, f := range fs {
		switch f.Kind {
		case KindNone:
			parts[i] = "1"
			continue
		case KindTime:
			parts[i] = f.T.UTC().Format("Jan _2, 2006 15:04:05.000000000 UTC")
			continue
		}
		parts[i] = f.Text()
	}
	return strings.Join(parts, ",")
}

// TestOracleTLS compares wiretap's TLS fields with tshark's on every
// packet of every capture (tshark's outputs recorded in
// testdata/golden/TestOracleTLS).
func TestOracleTLS(t *testing.T) {
	t.Setenv("TZ", "UTC")
	o := oracletest.New(t, oracletest.Tshark)
	var nFiles, nPkts, nVals, nTLS, nAllowed int
	seen := map[oracleDiff]bool{}
	// testdata/tls, and testdata/oracle, where most streams are not TLS:
	// no TLS must show there either.
	for _, f := range decodetest.Files(t, decodetest.TLS, decodetest.Oracle) {
		rel := f.Name
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil || len(pkts) == 0 {
			continue
		}
		nFiles++
		want := tsharkLines(t, o, f.Input(), tlsOracleArgs, tlsOracleFields)
		a := httpAnalyze(pkts, tlsOracleOpts(), -1)
		if len(want) != len(pkts) {
			t.Errorf("%s: tshark printed %d packets, wiretap read %d", rel, len(want), len(pkts))
			continue
		}
		for i := len(pkts) - 1; i >= 0; i-- {
			p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
			w := strings.Split(want[i], "\t")
			nPkts++
			isTLS := strings.Contains(column(w, 1), ":tls")
			if isTLS {
				nTLS++
			}
			vals, allowed := compareTLSFields(t, rel, i+1, p, w, tlsOracleFields, tlsOracleDiffs, seen)
			nVals += vals
			nAllowed += allowed
		}
	}
	for _, d := range tlsOracleDiffs {
		if !seen[d] {
			t.Errorf("expected difference not seen (remove it from tlsOracleDiffs?): %s frame %d %s", d.file, d.frame, d.field)
		}
	}
	t.Logf("TLS oracle: %d captures, %d packets (%d with TLS), %d fields each, %d values compared, %d allowed differences (%d listed)",
		nFiles, nPkts, nTLS, len(tlsOracleFields), nVals, nAllowed, len(tlsOracleDiffs))
	o.Done(nVals)
}

// compareTLSFields compares frame's fields with tshark's line w (frame
// number first), as the TLS oracles do: frame.protocols and the columns
// only where TLS is; an allowed difference is logged and noted in seen.
// It returns how many values it compared and how many differed as
// allowed.
func compareTLSFields(t *testing.T, file string, frame int, p *Packet, w, fields []string, diffs []oracleDiff, seen map[oracleDiff]bool) (vals, allowed int) {
	t.Helper()
	isTLS := strings.Contains(column(w, 1), ":tls")
	for k, f := range fields {
		wv, gv := column(w, k+1), tlsFieldText(p, f)
		switch f {
		case "frame.protocols":
			if !strings.Contains(wv, ":tls") && !strings.Contains(gv, ":tls") {
				// Other protocols' layers are the other oracles'.
				continue
			}
			wv, gv = tlsNormProtocols(wv), tlsNormProtocols(gv)
		case "_ws.col.Protocol", "_ws.col.Info":
			if !isTLS && !strings.Contains(p.FieldText("frame.protocols", ","), ":tls") {
				// Other protocols' columns are the other oracles'.
				continue
			}
		}
		vals++
		if wv == gv {
			continue
		}
		if d, ok := allowedDiff(diffs, file, frame, f); ok {
			allowed++
			seen[d] = true
			t.Logf("%s frame %d %s: allowed difference (%s)", file, frame, f, d.why)
			continue
		}
		t.Errorf("%s frame %d %s:\n tshark:  %q\n wiretap: %q", file, frame, f, trunc(wv), trunc(gv))
	}
	return vals, allowed
}
