package packets

import (
	"fmt"
	"os"

	"wiretap/decode"
)

// analyseFile runs the fast pass over the file as the index grows: it
// reads each packet by its offset (never parsing the file format again)
// and waits for the indexer when it catches up. When it is done every
// packet can be fully dissected, and (with secrets to look for) the fast
// pass has searched every TCP stream for them.
func (s *Store) analyseFile() {
	f, err := os.Open(s.path)
	if err != nil {
		s.setReadErr(fmt.Errorf("packets: %w", err))
		return
	}
	defer f.Close()
	sr := newSeqReader(f)
	an := decode.NewAnalyzer(s.decodeOptions())
	s.mu.Lock()
	s.analysing = true
	s.mu.Unlock()
	i := 0
	for {
		avail := s.idx.Len()
		if i >= avail {
			s.mu.Lock()
			for i >= s.idx.Len() && !s.indexed && !s.stopped() {
				s.cond.Wait()
			}
			done := s.indexed && i >= s.idx.Len()
			s.mu.Unlock()
			if s.stopped() {
				return
			}
			if done {
				break
			}
			continue
		}
		for ; i < avail; i++ {
			e := s.idx.At(i)
			data, err := sr.read(e.Offset, e.CapLen)
			if err != nil {
				s.setReadErr(err)
				avail = -1
				break
			}
			an.Add(i+1, e.captureInfo(), s.linkType(e.Iface), data)
			if i%65536 == 0 {
				s.passDone.Store(int64(i))
				if s.stopped() {
					return
				}
			}
		}
		s.passDone.Store(int64(i))
		if avail < 0 {
			break
		}
	}
	s.install(an, i)
	if s.opts.Trace != nil {
		s.opts.Trace("analysed", i)
	}
}

// decodeOptions are the fast pass's options: -d, and the secrets, which
// it searches every frame and TCP stream for.
func (s *Store) decodeOptions() decode.Options {
	opts := s.opts.Decode
	opts.Secrets = s.opts.Secrets
	return opts
}

// install finishes an (a fast pass over the first n packets) and makes it
// the one rows and trees come from.
func (s *Store) install(an *decode.Analyzer, n int) {
	an.Finish()
	if err := an.Err(); err != nil {
		panic(err) // a bug in the fast pass: the viewer reports it (goSafe, RunOn)
	}
	s.mu.Lock()
	if s.pcapng {
		// A pcapng file's frames name their interfaces, as read's do.
		for i, ifc := range s.ifaces {
			an.SetInterface(i, decode.Interface{Name: ifc.Name, Description: ifc.Description, Section: ifc.Section})
		}
	}
	s.mu.Unlock()
	var exposures []*decode.Exposure
	frames := map[int]bool{}
	if len(s.opts.Secrets) > 0 {
		// The frames that complete a secret in the reassembled stream:
		// what MarkSecrets cannot see in one packet.
		exposures = an.Exposures()
		for _, ex := range exposures {
			for _, st := range ex.Streams {
				if st.SecretStreamFrame != 0 {
					frames[st.SecretStreamFrame] = true
				}
			}
		}
	}
	s.mu.Lock()
	s.an, s.analysed, s.analysing = an, n, false
	s.exposures, s.secretFrames = exposures, frames
	s.invalidate()
	s.mu.Unlock()
	s.notify()
}

func (s *Store) setReadErr(err error) {
	s.mu.Lock()
	if s.readErr == nil {
		s.readErr = err
	}
	s.mu.Unlock()
	s.notify()
}
