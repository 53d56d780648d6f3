package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
)

// Decryption secrets through read: -w keeps the input's Decryption
// Secrets Blocks, --inject-secrets adds a key log (as editcap
// --inject-secrets tls,FILE), --extract-secrets writes the TLS key logs a
// pcapng file holds.

// checkSecretsFlags checks the secrets flags against the others and reads
// the key log to inject.
func (f *readFlags) checkSecretsFlags() error {
	if f.extractSecrets != "" {
		switch {
		case f.write != "":
			return &usageError{msg: "--extract-secrets writes the key log and exits: it does not go with -w", hint: "run read twice: once with -w, once with --extract-secrets"}
		case f.injectSecrets != "":
			return &usageError{msg: "--extract-secrets and --inject-secrets do not go together"}
		case f.view:
			return &usageError{msg: "--extract-secrets does not go with --view"}
		}
	}
	if f.injectSecrets == "" {
		return nil
	}
	switch {
	case f.write == "":
		return &usageError{msg: "--inject-secrets puts the key log in the file -w writes: it needs -w OUT", hint: "wiretap read -r IN -w OUT.pcapng --inject-secrets " + f.injectSecrets}
	case f.format != "pcapng":
		return &usageError{msg: "--inject-secrets needs -F pcapng: pcap has no place for decryption secrets", hint: "drop -F " + f.format + " (pcapng is the default)"}
	case f.view:
		return &usageError{msg: "--inject-secrets does not go with --view"}
	}
	b, err := os.ReadFile(f.injectSecrets)
	if err != nil {
		return fmt.Errorf("cannot read the key log to inject: %w", err)
	}
	switch {
	case len(bytes.TrimSpace(b)) == 0:
		return &usageError{msg: fmt.Sprintf("--inject-secrets %s is empty: no key log lines to inject", f.injectSecrets)}
	case bytes.IndexByte(b, 0) >= 0:
		return &usageError{msg: fmt.Sprintf("--inject-secrets %s is not a key log: it holds binary data", f.injectSecrets),
			hint: "give the NSS key log file (SSLKEYLOGFILE), lines like CLIENT_RANDOM <hex> <hex>"}
	}
	if b[len(b)-1] != '\n' {
		b = append(b, '\n') // its last line whole, so more may follow it
	}
	f.injected = b
	return nil
}

// secretsCopier carries decryption secrets from the input to -w's file:
// the injected key log first, then each of the input's blocks before the
// packet that followed it there.
type secretsCopier struct {
	rd      *readJob
	written int  // input secrets written (or dropped)
	dropped int  // input secrets a pcap file could not keep
	started bool // the injected key log is written
}

// beforePacket writes what is due before the next packet to sink.
func (c *secretsCopier) beforePacket(sink capture.PacketWriter) error {
	sw, ok := sink.(capture.SecretsWriter)
	if !c.started {
		c.started = true
		if c.rd.f.injected != nil {
			if !ok {
				return errors.New("read: the output format cannot hold decryption secrets") // checked before
			}
			if err := sw.WriteSecrets(capture.SecretsTLSKeyLog, c.rd.f.injected); err != nil {
				return err
			}
		}
	}
	if c.rd.secretsOf == nil {
		return nil
	}
	all := c.rd.secretsOf.Secrets()
	for ; c.written < len(all); c.written++ {
		if !ok {
			c.dropped++
			continue
		}
		if err := sw.WriteSecrets(all[c.written].Type, all[c.written].Data); err != nil {
			return err
		}
	}
	return nil
}

// finish writes the input's secrets that came after its last packet, and
// says what a pcap file dropped.
func (c *secretsCopier) finish(sink capture.PacketWriter) error {
	var err error
	if sink != nil {
		err = c.beforePacket(sink)
	}
	if c.dropped > 0 {
		fmt.Fprintf(c.rd.sio.err, "wiretap: hint: the input's %d decryption secrets blocks are not in %s: pcap has no place for them (-F pcapng keeps them)\n", c.dropped, c.rd.f.write)
	}
	return err
}

// extractSecrets writes the TLS key logs of the input's Decryption
// Secrets Blocks, concatenated, to --extract-secrets (- for stdout).
func (rd *readJob) extractSecrets() error {
	var keylog []byte
	_, readErr := rd.packetLoop(func(int, gopacket.CaptureInfo, layers.LinkType, []byte) error { return nil })
	var other map[string]int
	if rd.secretsOf != nil {
		for _, s := range rd.secretsOf.Secrets() {
			if s.Type != capture.SecretsTLSKeyLog {
				if other == nil {
					other = map[string]int{}
				}
				other[capture.SecretsTypeName(s.Type)]++
				continue
			}
			keylog = append(keylog, s.Data...)
			if len(s.Data) > 0 && s.Data[len(s.Data)-1] != '\n' {
				keylog = append(keylog, '\n') // one block's last line must not run into the next's
			}
		}
	}
	if len(other) > 0 {
		var names []string
		for name, n := range other {
			names = append(names, fmt.Sprintf("%d %s", n, name))
		}
		sort.Strings(names)
		fmt.Fprintf(rd.sio.err, "wiretap: hint: skipped secrets that are not TLS key logs: %s\n", strings.Join(names, ", "))
	}
	if len(keylog) == 0 {
		if readErr != nil {
			return readErr
		}
		what := "no TLS key log (no Decryption Secrets Block of type TLSK)"
		if !rd.pcapng {
			what = "no decryption secrets: it is not a pcapng file, and only pcapng holds them"
		}
		return fmt.Errorf("%s holds %s", rd.f.file, what)
	}
	var err error
	if rd.f.extractSecrets == "-" {
		_, err = rd.sio.out.Write(keylog)
	} else {
		err = writeKeyLogFile(rd.f.extractSecrets, keylog)
	}
	if err != nil {
		return fmt.Errorf("writing the key log: %w", err)
	}
	return readErr // what came before a fault is written; then the fault
}

// writeKeyLogFile writes a key log readable by its owner only, as TLS
// libraries make them: whoever reads it can decrypt the traffic.
func writeKeyLogFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return errors.Join(err, f.Close())
}
