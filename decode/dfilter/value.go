package dfilter

import (
	"net/netip"

	"wiretap/decode"
)

// Values: what the checker makes of literals and the evaluator of fields.

// valueClass is the comparison class of a value: kinds whose values compare
// with each other share one.
type valueClass uint8

const (
	vcNone     valueClass = iota
	vcInt                 // unsigned and signed integers, booleans, frame numbers
	vcFloat               // floating point
	vcString              // character strings
	vcBytes               // byte sequences, MAC addresses, protocols, slices
	vcIP                  // IPv4 and IPv6 addresses, with a prefix length
	vcTime                // absolute times (ns since the epoch)
	vcDuration            // relative times (ns)
)

func kindClass(k decode.Kind) valueClass {
	switch k {
	case decode.KindUint, decode.KindInt, decode.KindBool, decode.KindFrameNum:
		return vcInt
	case decode.KindFloat:
		return vcFloat
	case decode.KindString:
		return vcString
	case decode.KindBytes, decode.KindMAC, decode.KindProtocol:
		return vcBytes
	case decode.KindIPv4, decode.KindIPv6:
		return vcIP
	case decode.KindTime:
		return vcTime
	case decode.KindDuration:
		return vcDuration
	}
	return vcNone
}

// value is one value of an operand.
type value struct {
	cls  valueClass
	neg  bool   // vcInt: the value is -u
	u    uint64 // vcInt: magnitude
	f    float64
	s    string
	b    []byte
	tvb  []byte // a protocol's data to its dissector's end, for contains and matches
	ip   netip.Addr
	bits int   // vcIP: prefix length
	t    int64 // vcTime, vcDuration: nanoseconds
}
