package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeyLogFollow: view -i follows its key logs as clients append to
// them, whole lines only.
func TestKeyLogFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.log")
	line := func(b byte) string {
		return "CLIENT_RANDOM " + strings.Repeat(string([]byte{'a' + b%6}), 64) + " " + strings.Repeat("b", 96) + "\n"
	}
	if err := os.WriteFile(path, []byte(line(0)), 0o600); err != nil {
		t.Fatal(err)
	}
	k := keyLogFlags{files: multiFlag{path}}
	kl, err := k.load(io.Discard)
	if err != nil || kl.Len() != 1 {
		t.Fatalf("load: %v, %d entries", err, kl.Len())
	}
	stop := make(chan struct{})
	defer close(stop)
	go k.follow(kl, stop)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := line(1)
	f.WriteString(l + l[:20]) // a whole line, and the start of one
	waitFor(t, func() bool { return kl.Len() == 2 })
	f.WriteString(line(2)[20:])
	waitFor(t, func() bool { return kl.Len() == 3 })
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 50; i++ {
		if ok() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("timed out")
}
