package decode

// What the application stages tell their consumers, as Zeek's analyzers
// raise events for its scripts: each stage parses its protocol once, on
// the fast pass, and hands what it found to whoever listens. The exposure
// stage is the first consumer; statistics, flow lists and logs are next.
// A consumer never reassembles, detects a protocol or parses a message
// itself.

// stageEvents receives the stages' findings, in stream order per
// direction (dir 0 is from the conversation's first sender). Arguments
// are valid only during the call.
type stageEvents interface {
	// httpMessage: the HTTP stage framed and parsed a message.
	httpMessage(stream, dir int, m *framedMsg)
	// fernetToken: an HTTP body (of the message just reported) is a
	// Fernet token.
	fernetToken(stream, dir, frame int, tok *FernetToken)
	// tlsRecord: the TLS stage found a record; rec is its header and what
	// there is of its body (length says how long it is).
	tlsRecord(stream, dir, frame int, contentType uint8, length int, rec []byte)
	// tlsClientHello and tlsServerHello: handshake messages in the clear.
	tlsClientHello(stream int, ch *tlsClientHello)
	tlsServerHello(stream int, sh *tlsServerHello)
	// tlsCertificate: the server's certificate chain, sent in the clear
	// (TLS ≤ 1.2), leaf first.
	tlsCertificate(stream int, chain [][]byte)
	// tlsDecrypted: the plaintext of an application data record the TLS
	// stage decrypted with the key log (what only the keys reveal).
	tlsDecrypted(stream, dir, frame int, plain []byte)
}
