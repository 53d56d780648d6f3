package decode

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestFormatSecondsLikeSprintf(t *testing.T) {
	for _, d := range []time.Duration{0, 1, -1, 999999999, 1e9, -1e9 - 5, 123456789012, -123456789012, math.MaxInt64, math.MinInt64 + 1} {
		sign := ""
		e := d
		if e < 0 {
			sign, e = "-", -e
		}
		want := fmt.Sprintf("%s%d.%09d", sign, e/time.Second, e%time.Second)
		if got := formatSeconds(d); got != want {
			t.Errorf("%d: %q, want %q", d, got, want)
		}
	}
}
