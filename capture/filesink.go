package capture

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileSink is the file under a capture writer. It buffers writes and
// remembers where each whole packet ends, so that when a write fails (a full
// disk, a quota) the file can be cut back to the last whole packet: what is
// on disk then stays a valid capture that every reader accepts.
type fileSink struct {
	f         *os.File
	buf       *bufio.Writer
	onDisk    int64      // bytes the file has accepted
	handed    int64      // bytes handed to the sink, buffered or not
	headerEnd int64      // end of the file header; marked by markHeader
	ends      []blockEnd // ends of whole blocks not yet known to be on disk
	kept      int        // whole packets known to be on disk
	lastKept  int64      // where the last whole block on disk ends
	broken    bool       // a write failed; the buffer is no longer trusted
}

func createFileSink(path string) (*fileSink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, &WriteError{
			Op:    "create",
			Path:  path,
			Cause: err,
			msg:   fmt.Sprintf("capture: cannot write %s: %s", path, errnoText(err)),
		}
	}
	s := &fileSink{f: f}
	s.buf = bufio.NewWriterSize(fileCounter{s}, 1<<20)
	return s, nil
}

// fileCounter counts what the file accepts, even from a short write.
type fileCounter struct{ s *fileSink }

func (c fileCounter) Write(p []byte) (int, error) {
	n, err := c.s.f.Write(p)
	c.s.onDisk += int64(n)
	return n, err
}

func (s *fileSink) Write(p []byte) (int, error) {
	if s.broken {
		return 0, errors.New("capture: write after a failed write")
	}
	n, err := s.buf.Write(p)
	s.handed += int64(n)
	if err != nil {
		s.broken = true
	}
	return n, err
}

// markHeader records that the file header ends here.
func (s *fileSink) markHeader() { s.headerEnd = s.handed }

// blockEnd is where a whole block ends, and whether it is a packet.
type blockEnd struct {
	at     int64
	packet bool
}

// markPacket records that a whole packet ends here.
func (s *fileSink) markPacket() {
	s.ends = append(s.ends, blockEnd{s.handed, true})
	s.settle()
}

// markBlock records that a whole block other than a packet (decryption
// secrets) ends here: a cut may keep it, but it is not counted as a packet.
func (s *fileSink) markBlock() {
	s.ends = append(s.ends, blockEnd{s.handed, false})
	s.settle()
}

// settle counts the packets the file now holds whole.
func (s *fileSink) settle() {
	i := 0
	for i < len(s.ends) && s.ends[i].at <= s.onDisk {
		s.lastKept = s.ends[i].at
		if s.ends[i].packet {
			s.kept++
		}
		i++
	}
	if i > 0 {
		s.ends = append(s.ends[:0], s.ends[i:]...)
	}
}

func (s *fileSink) Flush() error {
	if s.broken {
		return nil
	}
	err := s.buf.Flush()
	if err != nil {
		s.broken = true
	}
	s.settle()
	return err
}

// salvage cuts the file after the last whole packet it holds, drops what is
// still buffered, and returns how many packets the file keeps.
func (s *fileSink) salvage() int {
	s.broken = true
	s.settle()
	cut := max(s.headerEnd, s.lastKept)
	if s.onDisk < s.headerEnd {
		cut = 0 // not even the header made it
	}
	s.f.Truncate(cut)
	return s.kept
}

func (s *fileSink) Close() error {
	errSync := s.f.Sync()
	errClose := s.f.Close()
	return errors.Join(errSync, errClose)
}

// describeWriteError explains a failed write and what the file still holds.
func (s *fileSink) describeWriteError(err error) error {
	kept := s.salvage()
	what := "writing"
	if errors.Is(err, syscall.ENOSPC) {
		what = "disk full writing"
	}
	return &WriteError{
		Op:    "write",
		Path:  s.f.Name(),
		Kept:  kept,
		Cause: err,
		msg:   fmt.Sprintf("capture: %s %s: %v; it holds the first %d packets, cut after the last whole one", what, s.f.Name(), errnoText(err), kept),
	}
}

// errnoText is the system's words for err ("no space left on device")
// without the path the message already names.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
