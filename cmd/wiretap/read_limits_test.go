package main

import (
	"bytes"
	"testing"

	"wiretap/decode"
)

func TestNoteLimitsHit(t *testing.T) {
	for _, tc := range []struct {
		hit  decode.LimitsHit
		want string
	}{
		{decode.LimitsHit{}, ""},
		{decode.LimitsHit{HTTPCut: 1}, "wiretap: warning: 1 HTTP message was longer than wiretap keeps of one while it arrives (its memory bound): the tree shows the first part\n"},
		{decode.LimitsHit{HTTP2Cut: 2, TLSCut: 3}, "wiretap: warning: 2 HTTP/2 frames were longer than wiretap keeps of one while it arrives (its memory bound): the tree shows the first part\n" +
			"wiretap: warning: 3 TLS records were longer than wiretap keeps of one while it arrives (its memory bound): the tree shows the first part\n"},
	} {
		var b bytes.Buffer
		noteLimitsHit(&b, tc.hit)
		if b.String() != tc.want {
			t.Errorf("noteLimitsHit(%+v):\n%s\nwant:\n%s", tc.hit, b.String(), tc.want)
		}
	}
}
