package demo

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"unicode"

	"wiretap/decode"
)

// modeTitle names each mode the way the report and the viewer show it.
var modeTitle = map[Mode]string{
	ModePlain:  "plaintext HTTP",
	ModeFernet: "Fernet over HTTP",
	ModeHTTPS:  "HTTPS",
}

// WriteReport prints the demo's plain-text report.
func WriteReport(w io.Writer, r *ScenarioResult) error {
	rel := func(p string) string { return filepath.Base(p) }
	fmt.Fprintf(w, "wiretap demo: the secret %q sent three ways, as an eavesdropper on lo sees it\n\n", r.Secret)
	fmt.Fprintf(w, "  work dir  %s\n", r.Dir)
	fmt.Fprintf(w, "  capture   %s: %d packets, %d dropped by the kernel\n", rel(r.Capture), r.Packets, r.Stats.Dropped)
	fmt.Fprintf(w, "  keys      %s (Fernet), %s (your CA), %s (TLS session keys)\n\n",
		rel(r.FernetKeyFile), rel(r.Files.CACert), rel(r.KeyLog))

	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  MODE\tPORT\tPACKETS\tBYTES\tSECRET ON THE WIRE\n")
	for _, m := range r.Modes {
		verdict := "hidden"
		if f := m.SecretFrame(); f != 0 {
			verdict = fmt.Sprintf("VISIBLE in frame %d", f)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\n", modeTitle[m.Mode], m.Port, m.Packets(), m.Bytes(), verdict)
	}
	tw.Flush()

	fmt.Fprintf(w, "\n  What an eavesdropper sees of each response body:\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, m := range r.Modes {
		fmt.Fprintf(tw, "  %s\t%s\n", modeTitle[m.Mode], describeBody(m))
	}
	tw.Flush()

	fmt.Fprintf(w, "\n  What each conversation still tells an eavesdropper:\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, m := range r.Modes {
		var leaks []string
		for _, s := range m.Streams {
			leaks = append(leaks, s.Leaks...)
		}
		if len(leaks) == 0 {
			leaks = []string{"(nothing readable)"}
		}
		fmt.Fprintf(tw, "  %s\t%s\n", modeTitle[m.Mode], strings.Join(leaks, "; "))
	}
	tw.Flush()

	fmt.Fprintf(w, "\n  And with the keys (%s, %s), what each response says:\n", rel(r.FernetKeyFile), rel(r.KeyLog))
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, m := range r.Modes {
		fmt.Fprintf(tw, "  %s\t%s\n", modeTitle[m.Mode], describeWithKeys(m, r.Secret))
	}
	tw.Flush()
	fmt.Fprintln(w)
	if r.Passed() {
		fmt.Fprintf(w, "verdict: plaintext HTTP leaks the secret; Fernet and HTTPS hide it.\n")
		if f, h := keysFrame(r, ModeFernet), keysFrame(r, ModeHTTPS); f != 0 && h != 0 {
			fmt.Fprintf(w, "         With the keys both give it back: Fernet in frame %d, HTTPS in frame %d.\n", f, h)
		}
	} else {
		fmt.Fprintf(w, "verdict: UNEXPECTED: the capture does not show what the demo expects (see the table above).\n")
	}
	// The capture carries the TLS keys (a Decryption Secrets Block), so
	// Wireshark needs no key log option.
	_, err := fmt.Fprintf(w, "open it in Wireshark, the TLS keys inside: wireshark -d tcp.port==%d,http -d tcp.port==%d,http %s\n",
		portOf(r, ModePlain), portOf(r, ModeFernet), r.Capture)
	return err
}

// keysFrame is the frame of mode m's conversations where the keys reveal
// the secret, 0 if they do not.
func keysFrame(r *ScenarioResult, m Mode) int {
	for _, x := range r.Modes {
		if x.Mode != m {
			continue
		}
		for _, s := range x.Streams {
			if s.KeysFrame != 0 {
				return s.KeysFrame
			}
		}
	}
	return 0
}

// describeWithKeys shows what the keys make of the mode's response: the
// decrypted body, and the frame where the secret appears in it.
func describeWithKeys(m *ModeResult, secret string) string {
	if m.Mode == ModePlain {
		return "(no keys needed)"
	}
	for _, s := range m.Streams {
		if s.KeysFrame == 0 {
			continue
		}
		body := s.Decrypted
		if _, after, ok := strings.Cut(string(body), "\r\n\r\n"); ok && m.Mode == ModeHTTPS {
			body = []byte(after) // the HTTP response's body
		} else if i := bytes.Index(body, []byte(secret)); i >= 0 && m.Mode == ModeHTTPS {
			body = printableAround(body, i, len(secret)) // in HTTP/2 frames: the text around it
		}
		how := "decrypted with the key"
		if m.Mode == ModeHTTPS {
			how = "decrypted TLS"
		}
		return fmt.Sprintf("%s (%s: the secret, in frame %d)", printable(body, 60), how, s.KeysFrame)
	}
	if m.Mode == ModeHTTPS {
		return "(not decrypted: the key log has no secrets for this session)"
	}
	return "(the token did not decrypt with the key)"
}

// printableAround is the run of printable bytes around b[i:i+n].
func printableAround(b []byte, i, n int) []byte {
	ok := func(c byte) bool { return c >= 0x20 && c < 0x7f }
	start, end := i, i+n
	for start > 0 && i-start < 20 && ok(b[start-1]) {
		start--
	}
	for end < len(b) && end-i < 60 && ok(b[end]) {
		end++
	}
	return b[start:end]
}

func portOf(r *ScenarioResult, m Mode) uint16 {
	for _, x := range r.Modes {
		if x.Mode == m {
			return x.Port
		}
	}
	return 0
}

// describeBody shows the first response body of the mode's conversations.
func describeBody(m *ModeResult) string {
	for _, s := range m.Streams {
		if len(s.Body) == 0 {
			continue
		}
		switch s.Protocol {
		case decode.ProtoTLS:
			return fmt.Sprintf("%s (encrypted TLS records from the server, sizes %s bytes; unreadable without the keys)",
				hexPrefix(s.Body, 8), joinInts(s.ServerRecordSizes))
		case decode.ProtoFernet:
			return fmt.Sprintf("%s (a Fernet token: readable structure, unreadable content without the key)", printable(s.Body, 40))
		default:
			return printable(s.Body, 60)
		}
	}
	return "(no response body captured)"
}

// printable quotes up to n bytes of b, with dots for unprintable bytes.
func printable(b []byte, n int) string {
	more := ""
	if len(b) > n {
		b, more = b[:n], "…"
	}
	var sb strings.Builder
	for _, c := range b {
		if c < 128 && unicode.IsPrint(rune(c)) {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('.')
		}
	}
	return fmt.Sprintf("%q%s", sb.String(), more)
}

func hexPrefix(b []byte, n int) string {
	more := ""
	if len(b) > n {
		b, more = b[:n], " …"
	}
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, " ") + more
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
