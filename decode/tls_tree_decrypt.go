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
	ctName := tlsContentTypeNames[h.contentType]
	tls13 := d.sess.version == versionTLS13
	if tls13 {
		rn.Add(v.uint("tls.record.opaque_type", 0, 1, uint64(h.contentType), 8, "Opaque Type: %s (%d)", ctName, h.contentType))
	} else {
		rn.Add(v.uint("tls.record.content_type", 0, 1, uint64(h.contentType), 8, "Content Type: %s (%d)", ctName, h.contentType))
	}
	rn.Add(v.hex("tls.record.version", 1, 2, uint64(h.version), 16, "Version: %s (0x%04x)", tlsVersionName(h.version), h.version))
	rn.Add(v.uint("tls.record.length", 3, 2, uint64(h.length), 16, "Length: %d", h.length))
	if tls13 {
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
		d.appendInfo("Change Cipher Spec")
		rn.Label = short + " Record Layer: Change Cipher Spec Protocol: Change Cipher Spec"
		rn.Add(pv.none("tls.change_cipher_spec", 0, min(1, len(plain)), "Change Cipher Spec Message"))
	case tlsApplicationData:
		d.appendInfo("Application Data")
		app := d.appName()
		label := app
		if label == "" {
			label = "Application Data"
		}
		rn.Label = short + " Record Layer: Application Data Protocol: " + label
		rn.Add(v.from(5).bytesOf("tls.app_data", 0, body, "Encrypted Application Data: %s", hexLabelOf(body)))
		if app != "" {
			rn.Add(d.p.tree.newNode(Field{Name: "tls.app_data_proto", Kind: KindString, S: app}, "[Application Data Protocol: %s]", app))
		}
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
