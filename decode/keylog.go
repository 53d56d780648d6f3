package decode

// TLS key logs: the secrets a TLS client or server wrote down, so that a
// capture of its sessions can be decrypted.
//
// The format is the NSS key log format (SSLKEYLOGFILE; described in NSS's
// documentation and in draft-ietf-tls-keylogfile), which Wireshark reads
// as its tls.keylog_file preference and finds embedded in pcapng
// Decryption Secrets Blocks of type "TLSK". Each line is
//
//	LABEL <client random, 64 hex digits> <secret, hex>
//
// where the client random is that of the ClientHello. TLS 1.2 and earlier
// log one CLIENT_RANDOM line, whose secret is the 48-byte master secret;
// TLS 1.3 logs one line per traffic secret, each as long as the cipher
// suite's hash (32 bytes for SHA-256, 48 for SHA-384). Wireshark also reads
// "RSA <first 8 bytes of the encrypted pre-master secret> <48-byte
// pre-master secret>", keyed by the RSA-encrypted pre-master secret of the
// ClientKeyExchange instead of the random. Lines starting with '#' are
// comments; Wireshark passes over lines it does not know, so this reader
// does too.

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// TLSSecrets are the secrets logged for one client random. A secret that
// was not logged is nil. The slices are shared with the KeyLog, which never
// modifies them (a later line replaces a slice, it does not overwrite it):
// do not modify them either.
type TLSSecrets struct {
	MasterSecret []byte // CLIENT_RANDOM: TLS 1.2 and earlier, 48 bytes

	// TLS 1.3 traffic secrets, 32 or 48 bytes.
	ClientHandshake []byte // CLIENT_HANDSHAKE_TRAFFIC_SECRET
	ServerHandshake []byte // SERVER_HANDSHAKE_TRAFFIC_SECRET
	ClientTraffic0  []byte // CLIENT_TRAFFIC_SECRET_0
	ServerTraffic0  []byte // SERVER_TRAFFIC_SECRET_0
	ClientEarly     []byte // CLIENT_EARLY_TRAFFIC_SECRET (0-RTT data)
	Exporter        []byte // EXPORTER_SECRET: kept, though decryption needs none
}

// KeyLogError is a malformed line of a key log: a known label with the
// wrong number of fields, bad hex or a value of the wrong length.
type KeyLogError struct {
	Source string // the key log's name, as given to Read
	Line   int    // counting from 1
	Msg    string
}

func (e *KeyLogError) Error() string {
	return "decode: key log " + e.Source + " line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// KeyLog holds the TLS secrets of NSS key log files and pcapng Decryption
// Secrets Blocks, keyed by the ClientHello's random (and, for RSA entries,
// by the start of the encrypted pre-master secret). Lookups may run
// concurrently with each other and with Read, so a live capture can add
// the lines of a key log that is still growing. The zero KeyLog is empty
// and ready to use.
type KeyLog struct {
	mu  sync.RWMutex
	tls map[[clientRandomLen]byte]TLSSecrets
	rsa map[[rsaPrefixLen]byte][]byte
}

const (
	clientRandomLen = 32
	rsaPrefixLen    = 8  // bytes of the encrypted pre-master secret that key an RSA entry
	masterLen       = 48 // TLS 1.2 master secret, and the RSA pre-master secret
)

// keyLogLineLimit bounds a line: the longest valid one has under 200
// bytes, so anything longer than 64 KiB is reported, not buffered without
// bound. keyLogBufSize is Read's buffer; longer lines are collected in a
// slice. (Variables so that FuzzKeyLog can make both small.)
var keyLogLineLimit, keyLogBufSize = 64 << 10, 4096

// keyLabel is what a known label stores.
type keyLabel uint8

const (
	labelUnknown keyLabel = iota
	labelClientRandom
	labelClientHandshake
	labelServerHandshake
	labelClientTraffic0
	labelServerTraffic0
	labelClientEarly
	labelExporter
	labelRSA
)

func parseLabel(b []byte) keyLabel {
	// string(b) in a switch does not allocate.
	switch string(b) {
	case "CLIENT_RANDOM":
		return labelClientRandom
	case "CLIENT_HANDSHAKE_TRAFFIC_SECRET":
		return labelClientHandshake
	case "SERVER_HANDSHAKE_TRAFFIC_SECRET":
		return labelServerHandshake
	case "CLIENT_TRAFFIC_SECRET_0":
		return labelClientTraffic0
	case "SERVER_TRAFFIC_SECRET_0":
		return labelServerTraffic0
	case "CLIENT_EARLY_TRAFFIC_SECRET":
		return labelClientEarly
	case "EXPORTER_SECRET":
		return labelExporter
	case "RSA":
		return labelRSA
	}
	return labelUnknown
}

// slot is where s keeps the secret of a TLS label.
func (s *TLSSecrets) slot(l keyLabel) *[]byte {
	switch l {
	case labelClientRandom:
		return &s.MasterSecret
	case labelClientHandshake:
		return &s.ClientHandshake
	case labelServerHandshake:
		return &s.ServerHandshake
	case labelClientTraffic0:
		return &s.ClientTraffic0
	case labelServerTraffic0:
		return &s.ServerTraffic0
	case labelClientEarly:
		return &s.ClientEarly
	case labelExporter:
		return &s.Exporter
	}
	return nil
}

// NewKeyLog returns an empty KeyLog.
func NewKeyLog() *KeyLog {
	return &KeyLog{
		tls: make(map[[clientRandomLen]byte]TLSSecrets),
		rsa: make(map[[rsaPrefixLen]byte][]byte),
	}
}

// ReadFile adds the entries of the key log file at path; see Read.
func (k *KeyLog) ReadFile(path string) (bad []error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	defer f.Close()
	return k.Read(f, path)
}

// Read adds the entries of one key log; name says where it came from in
// messages (a file's path, "x.pcapng decryption secrets block at byte
// 1234"). Malformed lines are skipped, and returned, each as a
// *KeyLogError; comments, blank lines and lines of unknown labels are
// skipped silently. An entry that is already known is replaced: the last
// one read wins. err is the reader's error, if it failed; the entries
// before the failure are kept.
//
// Read may be called again, with more lines (the new end of a growing
// file, another file, another block); line numbers count from 1 in each
// call.
func (k *KeyLog) Read(r io.Reader, name string) (bad []error, err error) {
	br := bufio.NewReaderSize(r, keyLogBufSize)
	var long []byte // a line longer than br's buffer, being collected
	line := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Collect up to just past the limit; the rest of an
			// over-long line is only counted as part of it.
			if len(long) <= keyLogLineLimit {
				long = append(long, chunk...)
			}
			continue
		}
		if len(chunk) == 0 && len(long) == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				return bad, nil
			}
			return bad, fmt.Errorf("decode: key log %s: after line %d: %w", name, line, err)
		}
		line++
		text := chunk
		if len(long) > 0 {
			if len(long) <= keyLogLineLimit {
				long = append(long, chunk...)
			}
			text = long
		}
		if n := len(text); n > 0 && text[n-1] == '\n' {
			text = text[:n-1]
		}
		if len(text) > keyLogLineLimit {
			bad = append(bad, &KeyLogError{name, line, fmt.Sprintf("line is longer than %d bytes", keyLogLineLimit)})
		} else if msg := k.addLine(text); msg != "" {
			bad = append(bad, &KeyLogError{name, line, msg})
		}
		long = long[:0]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return bad, nil
			}
			return bad, fmt.Errorf("decode: key log %s: after line %d: %w", name, line, err)
		}
	}
}

// addLine parses one line and stores its entry. It returns what is wrong
// with a malformed line, "" otherwise.
func (k *KeyLog) addLine(text []byte) string {
	var f [4][]byte // up to one field more than a valid line has
	n := splitFields(text, f[:])
	if n == 0 || f[0][0] == '#' {
		return ""
	}
	label := parseLabel(f[0])
	if label == labelUnknown {
		return ""
	}
	if n != 3 {
		more := ""
		if n > 3 {
			more = " or more"
		}
		return fmt.Sprintf("%s line has %d%s fields, want 3", f[0], n, more)
	}
	key, value := f[1], f[2]
	if label == labelRSA {
		var prefix [rsaPrefixLen]byte
		if msg := decodeKey(prefix[:], key, "encrypted pre-master secret prefix"); msg != "" {
			return "RSA line: " + msg
		}
		secret, msg := decodeSecret(value, "pre-master secret", masterLen, masterLen)
		if msg != "" {
			return "RSA line: " + msg
		}
		k.mu.Lock()
		if k.rsa == nil {
			k.rsa = make(map[[rsaPrefixLen]byte][]byte)
		}
		k.rsa[prefix] = secret
		k.mu.Unlock()
		return ""
	}
	var random [clientRandomLen]byte
	if msg := decodeKey(random[:], key, "client random"); msg != "" {
		return fmt.Sprintf("%s line: %s", f[0], msg)
	}
	var secret []byte
	var msg string
	if label == labelClientRandom {
		secret, msg = decodeSecret(value, "master secret", masterLen, masterLen)
	} else {
		// A TLS 1.3 secret is as long as the hash of the cipher suite:
		// SHA-256 or SHA-384.
		secret, msg = decodeSecret(value, "secret", 32, 48)
	}
	if msg != "" {
		return fmt.Sprintf("%s line: %s", f[0], msg)
	}
	k.mu.Lock()
	if k.tls == nil {
		k.tls = make(map[[clientRandomLen]byte]TLSSecrets)
	}
	s := k.tls[random]
	*s.slot(label) = secret
	k.tls[random] = s
	k.mu.Unlock()
	return ""
}

// splitFields puts the whitespace-separated fields of text into f (in
// place, no copy) and returns how many there are, counting at most
// len(f).
func splitFields(text []byte, f [][]byte) int {
	n := 0
	for i := 0; i < len(text) && n < len(f); {
		for i < len(text) && isKeyLogSpace(text[i]) {
			i++
		}
		start := i
		for i < len(text) && !isKeyLogSpace(text[i]) {
			i++
		}
		if i > start {
			f[n] = text[start:i]
			n++
		}
	}
	return n
}

// isKeyLogSpace: the separators NSS writes (a space), and what editors
// and other platforms add (tabs, CR of CRLF, other ASCII white space).
func isKeyLogSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// decodeKey decodes hex into dst, which it must fill exactly.
func decodeKey(dst, h []byte, what string) string {
	if len(h) != 2*len(dst) {
		return fmt.Sprintf("%s has %d hex digits, want %d", what, len(h), 2*len(dst))
	}
	if _, err := hex.Decode(dst, h); err != nil {
		return fmt.Sprintf("%s is not hex: %s", what, hexError(err))
	}
	return ""
}

// decodeSecret decodes a secret of short or long bytes (the lengths a
// label allows: one, or the two hash lengths of TLS 1.3).
func decodeSecret(h []byte, what string, short, long int) ([]byte, string) {
	if len(h) != 2*short && len(h) != 2*long {
		want := strconv.Itoa(2 * short)
		if long != short {
			want += " or " + strconv.Itoa(2*long)
		}
		return nil, fmt.Sprintf("%s has %d hex digits, want %s", what, len(h), want)
	}
	b := make([]byte, len(h)/2)
	if _, err := hex.Decode(b, h); err != nil {
		return nil, fmt.Sprintf("%s is not hex: %s", what, hexError(err))
	}
	return b, ""
}

// hexError is encoding/hex's complaint without its package prefix.
func hexError(err error) string {
	var inv hex.InvalidByteError
	if errors.As(err, &inv) {
		return fmt.Sprintf("invalid byte %q", byte(inv))
	}
	return err.Error()
}

// Lookup returns the secrets logged for a ClientHello's random (32
// bytes); false if none were.
func (k *KeyLog) Lookup(clientRandom []byte) (TLSSecrets, bool) {
	if len(clientRandom) != clientRandomLen {
		return TLSSecrets{}, false
	}
	k.mu.RLock()
	s, ok := k.tls[[clientRandomLen]byte(clientRandom)]
	k.mu.RUnlock()
	return s, ok
}

// LookupRSA returns the 48-byte pre-master secret logged for an RSA
// ClientKeyExchange, given (at least) the first 8 bytes of its encrypted
// pre-master secret; false if none was. The slice is shared: do not modify
// it.
func (k *KeyLog) LookupRSA(encryptedPremaster []byte) ([]byte, bool) {
	if len(encryptedPremaster) < rsaPrefixLen {
		return nil, false
	}
	k.mu.RLock()
	s, ok := k.rsa[[rsaPrefixLen]byte(encryptedPremaster[:rsaPrefixLen])]
	k.mu.RUnlock()
	return s, ok
}

// hasRSA reports whether the key log has RSA lines (pre-master secrets by
// encrypted pre-master secret).
func (k *KeyLog) hasRSA() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.rsa) > 0
}

// Len is the number of client randoms with secrets plus the number of RSA
// entries.
func (k *KeyLog) Len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.tls) + len(k.rsa)
}
