package decode

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// MarkSecrets adds a "secret" node to p for each secret found in the
// packet: in the frame's own bytes, in a decoded data source (reassembled
// TCP, an uncompressed body), or — from streamFrames, which the exposure
// pass fills — completed in this frame across segment boundaries.
func MarkSecrets(p *Packet, secrets [][]byte, streamFrames map[int]bool) {
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		for i, src := range p.Sources {
			if at := bytes.Index(src.Data, s); at >= 0 {
				where := "in " + strings.ToLower(src.Name)
				if strings.HasPrefix(src.Name, decryptedSourcePrefix) {
					// Not to an eavesdropper: to whoever holds the keys.
					where = "with the keys, " + where
				}
				addSecret(p, s, i, at, where)
				goto next
			}
		}
		if streamFrames[p.Number] {
			addSecret(p, s, 0, 0, "in the TCP stream, across segments")
		}
	next:
	}
}

func addSecret(p *Packet, s []byte, src, at int, where string) {
	text := printableSecret(s)
	node := p.tree.newNode(Field{Name: "secret", Kind: KindProtocol, Source: src, Start: at, Len: len(s)}, "Secret visible "+where+": "+text)
	if where == "in the TCP stream, across segments" {
		node.Len = 0
	}
	node.Add(p.tree.newNode(Field{Name: "secret.found", Kind: KindString, S: string(s), Source: src, Start: node.Start, Len: node.Len}, "Secret: "+text))
	p.Tree = append(p.Tree, node)
}

func printableSecret(s []byte) string {
	return fmt.Sprintf("%q", s)
}

// WriteExposure prints -z exposure: per TCP stream, whether the secret is
// visible to an eavesdropper, where first, and what else still leaks.
func WriteExposure(w io.Writer, ex *Exposure) {
	fmt.Fprintf(w, "\n%s", followRule)
	fmt.Fprintf(w, "Secret exposure: %s\n", printableSecret(ex.Secret))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	// With a key log, a column for what the keys reveal.
	keysHead := ""
	if ex.Keys {
		keysHead = "With the keys\t"
	}
	fmt.Fprintf(tw, "Stream\tClient\tServer\tProtocol\tSecret\t%sStill leaks\n", keysHead)
	for _, s := range ex.Streams {
		verdict := "hidden"
		if s.SecretVisible() {
			f := s.SecretFrame
			if f == 0 || (s.SecretStreamFrame != 0 && s.SecretStreamFrame < f) {
				f = s.SecretStreamFrame
			}
			verdict = fmt.Sprintf("VISIBLE in frame %d", f)
		}
		keys := ""
		if ex.Keys {
			switch {
			case s.KeysFrame != 0:
				keys = fmt.Sprintf("found in frame %d\t", s.KeysFrame)
			case s.Protocol == ProtoTLS && s.Decrypted != nil:
				keys = "decrypted, not found\t"
			case s.Protocol == ProtoTLS:
				keys = "not decrypted\t"
			default:
				keys = "-\t"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s%s\n", s.Index, s.Client, s.Server, s.Protocol, verdict, keys, leaks(s))
	}
	tw.Flush()
	fmt.Fprint(w, followRule)
}

// runLengths lists sizes with runs of one size written once, "150×12".
func runLengths(sizes []int) string {
	var parts []string
	for i := 0; i < len(sizes); {
		j := i
		for j < len(sizes) && sizes[j] == sizes[i] {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%d×%d", sizes[i], j-i))
		} else {
			parts = append(parts, fmt.Sprint(sizes[i]))
		}
		i = j
	}
	return strings.Join(parts, ",")
}

// leaks says what the stream shows an eavesdropper besides its payload.
func leaks(s *StreamExposure) string {
	parts := append([]string(nil), s.Leaks...)
	if s.Protocol == ProtoTLS {
		parts = append(parts, "encrypted record sizes "+runLengths(s.ServerRecordSizes))
	}
	parts = append(parts, fmt.Sprintf("%d packets, %d bytes, %s", s.TotalPackets(), s.TotalBytes(), s.End.Sub(s.Start).Round(1000)))
	return strings.Join(parts, "; ")
}
