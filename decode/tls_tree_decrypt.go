package decode

// The tree of a record the fast pass decrypted (tls_session.go), as
// Wireshark shows one with keys: the record as sent, the content type
// found inside (TLS 1.3), and what it held, dissected from a "Decrypted
// TLS" data source. A record that could not be decrypted says why.

import "fmt"

// decryptedSourcePrefix starts the names of data sources of decrypted
// bytes (a record's plaintext, or a message reassembled from several).
const decryptedSourcePrefix = "Decrypted TLS"

// decryptedRecord adds record rec (bytes b, the header included) from its
// plaintext pl.
func (d *tlsDissector) decryptedRecord(parent *Field, h tlsRecordHeader, b []byte, v place, rec int32, r *tlsRecDec, plain []byte) {
	version := d.recordVersion(h)
	short := tlsVersionShort(version)
	inner := r.inner
	innerName := tlsContentTypeNames[inner]
	rn := parent.Add(v.none("tls.record", 0, len(b), short+" Record Layer: "+innerName+" Protocol"))
	d.recordHeader(rn, h, v)
	if d.sess.version == versionTLS13 {
		rn.Add(d.p.tree.newNode(Field{Name: "tls.record.content_type", Kind: KindUint, U: uint64(inner), Bits: 8}, "[Content Type: %s (%d)]", innerName, inner))
	}
	body := b[5:]
	if plain == nil {
		rn.Add(d.p.tree.newNode(Field{Name: "_ws.expert"}, "[Decrypted record not kept (memory budget)]"))
		d.appendInfo(innerName)
		return
	}
	d.p.Sources = append(d.p.Sources, DataSource{Name: fmt.Sprintf(decryptedSourcePrefix+" (%d bytes)", len(plain)), Data: plain})
	pv := d.p.tree.at(len(d.p.Sources)-1, 0)
	switch inner {
	case tlsHandshake:
		d.clear = true
		d.handshake(rn, plain, pv, rec, version)
		d.clear = false
	case tlsAlert:
		d.alert(rn, plain, pv)
	case tlsChangeCipherSpec:
		d.changeCipherSpec(rn, short, plain, pv)
	case tlsApplicationData:
		d.appData(rn, short, body, v.from(5))
		if len(plain) > 0 {
			// The frame's decrypted payload, for HTTP and HTTP/2.
			d.appPlain = append(d.appPlain, plain)
			d.appSrc = len(d.p.Sources) - 1
		}
		if !d.s.carriesApp(d.stream) && len(plain) > 0 {
			// No protocol takes it: Wireshark's "data".
			hd := httpDissector{p: d.p}
			d.extra = append(d.extra, hd.dataProto(plain, len(d.p.Sources)-1, 0))
			d.extraProtos = append(d.extraProtos, "data")
		}
	case tlsHeartbeat:
		d.heartbeat(rn, plain, pv)
	}
}

// undecrypted adds, to a protected record of a session being decrypted,
// why it is shown encrypted.
func (d *tlsDissector) undecrypted(r *Field, rec int32) {
	why := d.s.decryptStatus(d.s.calls[d.call].sess, d.s.recDec(d.call, rec))
	r.Add(d.p.tree.newNode(Field{Name: "tls.decrypt.status", Kind: KindString, S: why}, "[Not decrypted: %s]", why))
}

// carriesApp says whether a protocol the fast pass frames (HTTP/1.x,
// HTTP/2) took tcp.stream's decrypted application data.
func (s *tlsStage) carriesApp(stream int) bool {
	return s.appTaken != nil && s.appTaken(stream)
}

// setDecryptedPayload gives p the frame's decrypted payload (the
// application data of its records, back to back, as the fast pass handed
// them on): one record's plaintext, or a data source joining several.
func (d *tlsDissector) setDecryptedPayload() {
	switch len(d.appPlain) {
	case 0:
		return
	case 1:
		d.p.tlsApp, d.p.tlsAppSrc = d.appPlain[0], d.appSrc
		return
	}
	var all []byte
	for _, b := range d.appPlain {
		all = append(all, b...)
	}
	d.p.Sources = append(d.p.Sources, DataSource{Name: fmt.Sprintf(decryptedSourcePrefix+" (%d bytes)", len(all)), Data: all})
	d.p.tlsApp, d.p.tlsAppSrc = all, len(d.p.Sources)-1
}

// tlsSegmentData is a frame whose decrypted application data went into a
// PDU (an HTTP message) completed in frame in, or never (in 0): as
// Wireshark's TLS desegmentation shows it on its second pass, the data
// as "TLS segment data", where it was reassembled, and the Info column
// cleared (col_clear for a segment that does not end its PDU).
func tlsSegmentData(p *Packet, n, in int) {
	var tls *Field
	for _, f := range p.Tree {
		if f.Name == "tls" {
			tls = f
		}
	}
	if tls == nil {
		return
	}
	if in > n {
		tls.Add(p.tree.newNode(Field{Name: "tls.reassembled_in", Kind: KindFrameNum, U: uint64(in)}, "[Reassembled PDU in frame: %d]", in))
	}
	b := p.tlsApp
	tls.Add(p.tree.newNode(Field{Name: "tls.segment.data", Kind: KindBytes, B: b, Source: p.tlsAppSrc, Len: len(b)}, "TLS segment data (%d bytes)", len(b)))
	p.Summary.Info = ""
}
