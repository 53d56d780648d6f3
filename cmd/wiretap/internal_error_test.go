package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"wiretap/capture/oracletest"
	"wiretap/decode"
)

// TestReadInternalError: a panic in one of read's goroutines (the fast
// pass's application stage, the second pass's dissect workers) ends the
// run as one `wiretap: internal error:` line naming the panic and where,
// exit 3, no Go stack trace, and (for the application stage) every packet
// still printed.
func TestReadInternalError(t *testing.T) {
	demo := oracletest.Testdata("decode", "oracle", "demo.pcapng")
	var want bytes.Buffer
	if code := run([]string{"read", "-r", demo}, stdio{strings.NewReader(""), &want, new(bytes.Buffer)}); code != 0 {
		t.Fatalf("plain read: exit %d", code)
	}
	tests := []struct {
		name     string
		args     []string
		inject   func() (restore func())
		allLines bool // every packet's line is still printed
	}{
		{"application stage", []string{"read", "-r", demo}, func() func() {
			return decode.SetAppStageHook(func() { panic("injected app fault") })
		}, true},
		{"application stage, -w", []string{"read", "-r", demo, "-Y", "tcp", "-w", "OUT"}, func() func() {
			return decode.SetAppStageHook(func() { panic("injected app fault") })
		}, false},
		{"dissect worker, rows", []string{"read", "-r", demo}, func() func() {
			dissectHook = func(n int) {
				if n == 3 {
					panic("injected dissect fault")
				}
			}
			return func() { dissectHook = nil }
		}, false},
		{"dissect worker, trees", []string{"read", "-r", demo, "-V"}, func() func() {
			dissectHook = func(n int) { panic("injected dissect fault") }
			return func() { dissectHook = nil }
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer tt.inject()()
			for i, a := range tt.args {
				if a == "OUT" {
					tt.args[i] = t.TempDir() + "/out.pcapng"
				}
			}
			var out, errb bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- run(tt.args, stdio{strings.NewReader(""), &out, &errb}) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(30 * time.Second): // a hang guard, not a speed test
				t.Fatal("read hung after the injected panic")
			}
			stderr := errb.String()
			if code != 3 || !strings.HasPrefix(stderr, "wiretap: internal error: ") || !strings.Contains(stderr, "injected") ||
				!strings.Contains(stderr, "(internal_error_test.go:") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 3 and one internal error line naming the panic and its site", code, stderr)
			}
			if n := strings.Count(stderr, "\n"); n > 2 {
				t.Errorf("stderr has %d lines, want the error and its hint", n)
			}
			// (Their Info may differ: the packets after the fault have no
			// HTTP records.)
			if tt.allLines && strings.Count(out.String(), "\n") != strings.Count(want.String(), "\n") {
				t.Errorf("stdout has %d lines, want every packet's %d", strings.Count(out.String(), "\n"), strings.Count(want.String(), "\n"))
			}
		})
	}
}
