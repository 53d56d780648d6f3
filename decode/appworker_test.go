package decode

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// TestAppStagePanic: a panic in the application stage's goroutine, at its
// first batch or a later one, must not leave Add waiting for a batch that
// never comes back (it did once all appBatches were queued), and must come
// out of Finish as Err, while the packets can still be dissected.
func TestAppStagePanic(t *testing.T) {
	// Well over appBatches×appBatchSegs segments: the producer runs out
	// of fresh batches and must get them back from the failed worker.
	frames, cis := benchCapture(3 * appBatches * appBatchSegs)
	tests := []struct {
		name    string
		atBatch int
	}{
		{"first batch", 1},
		{"third batch", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batches := 0
			appBatchHook = func() {
				if batches++; batches == tt.atBatch {
					panic("injected app-stage fault")
				}
			}
			defer func() { appBatchHook = nil }()
			a := NewAnalyzer(Options{})
			done := make(chan error, 1)
			go func() {
				for i, f := range frames {
					a.Add(i+1, cis[i], layers.LinkTypeEthernet, f)
				}
				a.Finish()
				done <- a.Err()
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second): // a hang guard, not a speed test
				t.Fatal("Add or Finish hung after the application stage panicked")
			}
			var pe *PanicError
			if !errors.As(err, &pe) || pe.Value != "injected app-stage fault" {
				t.Fatalf("Err() = %v, want the injected panic as a *PanicError", err)
			}
			if !strings.Contains(err.Error(), "application stage") || !strings.Contains(pe.Site, "appworker_test.go") {
				t.Errorf("Err() = %q (site %q): want the stage and the panic's site named", err, pe.Site)
			}
			if p := a.Dissect(1, cis[0], layers.LinkTypeEthernet, frames[0]); p == nil || p.Summary.Protocol != "TCP" {
				t.Errorf("packet 1 after the fault: %+v", p)
			}
		})
	}
}
