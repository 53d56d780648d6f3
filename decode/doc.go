// Package decode dissects captured packets in two tiers, as tshark -2 does.
//
// The fast pass (Analyzer.Add, then Finish) sees every packet once, in
// capture order, allocating nothing per packet on its hot path, and keeps
// compact records:
//
//	packet.go          Decoder: link, IP and transport headers, in place
//	layer_frame.go     timestamps, IPv4 fragments (layerState)
//	tcpanalysis.go     conversations (Stream, tcp.stream) and tcp.analysis
//	appworker.go       the application stage on a goroutine of its own
//	app.go             the application stage: routing of every TCP stream
//	reassembly.go      the one reassembler (seqasm.go: its in-order mode;
//	seqasm.go            gopacket's reordering mode only for -z follow)
//	tcp_framer.go      the one desegmentation framer (tcp_dissect_pdus):
//	                     every protocol over TCP supplies only its call and
//	                     what it still needs; records which frames went
//	                     into which PDU
//	tls_fast.go        TLS: which streams, where the records are, session
//	                     facts (tls_parse.go: the handshake parsers)
//	http_fast.go       HTTP/1.x: which streams, the messages, pairing
//	                     (http_parse.go: the message parser and scanner)
//	http2_fast.go      HTTP/2: which streams (preface, -d), the frames,
//	                     HPACK per direction, DATA bodies per stream
//	events.go          what the stages tell their consumers (Zeek-style)
//	exposure.go        a consumer: where a secret is visible, what leaks
//	stats.go           -z statistics over the records
//
// The tree tier (Analyzer.Dissect, or Analyzer.Row for a packet-list row)
// builds one packet's tree on demand, from its bytes and those records, in
// any order and from several goroutines at once:
//
//	tree.go            the one node builder every dissector uses
//	dissect.go         Options, Analyzer, the order of the dissectors
//	layers.go          layer_*.go: frame, link, IP, ICMP, UDP, TCP trees
//	tls_tree.go        TLS records and handshake messages; ja.go JA3/JA4
//	http_tree.go       HTTP messages, bodies, media
//	http2_tree.go      HTTP/2 frames, header fields, bodies
//	fernet.go          Fernet tokens in HTTP bodies
//	secret.go          the secret marks
//	field.go           Field, Packet, the values tshark -T fields prints
//	fieldnames.go      the field registry (names and types), which the
//	                     display filter (decode/dfilter) checks against
//	summary.go         output.go, follow_out.go: what read prints
//	row_fast.go        RowWriter: the commonest rows (TCP, HTTP from its
//	                     records) written from the bytes with no tree
//
// TLS decryption (Options.KeyLog, RSAKeys, TLSPSK; FernetKeys for Fernet):
//
//	keylog.go          KeyLog: NSS key log files (SSLKEYLOGFILE) and the
//	                     text of pcapng Decryption Secrets Blocks
//	tls_keys.go        the key schedules: TLS 1.3 HKDF-Expand-Label, the
//	                     TLS 1.0–1.2 PRF and SSL 3.0 key blocks, by suite
//	tls_decrypt.go     a record decryptor per direction (AEAD, CBC with
//	                     either MAC order, RC4, NULL); tls_ccm.go AES-CCM
//	tls_session.go     the fast pass's side: each session's keys from its
//	                     hellos and the key log (or an RSA key, a PSK;
//	                     0-RTT), every protected record opened in order and
//	                     recorded compactly (its key epoch and sequence
//	                     number: the tree tier opens it again on demand),
//	                     application data handed on (HTTP/1.x, HTTP/2)
//	                     through the one framer; FollowTLS
//	tls_tree_decrypt.go  a decrypted record's tree, or why it is not; the
//	                     frame's decrypted payload; TLS segment data
//
// Data flows one way: capture → decode → (the viewer | text and JSON
// output). Test captures: see the testdata helper named in the test files.
package decode
