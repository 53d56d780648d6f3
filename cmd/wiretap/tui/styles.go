package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"

	"wiretap/cmd/wiretap/tui/packets"
)

// Colours, after Wireshark's default colouring rules where it has one
// (light backgrounds, black text); tcell maps them to the nearest colour
// on terminals without 24-bit colour.
var (
	black = tcell.ColorBlack
	white = tcell.ColorWhite

	styleNormal   = tcell.StyleDefault
	styleBar      = tcell.StyleDefault.Background(tcell.NewHexColor(0x3a3a3a)).Foreground(white)
	styleBarFocus = tcell.StyleDefault.Background(tcell.NewHexColor(0x1f5fa8)).Foreground(white).Bold(true)
	styleHeader   = tcell.StyleDefault.Background(tcell.NewHexColor(0xd0d0d0)).Foreground(black).Bold(true)
	styleStatus   = tcell.StyleDefault.Background(tcell.NewHexColor(0xd0d0d0)).Foreground(black)
	styleError    = tcell.StyleDefault.Background(tcell.NewHexColor(0xffafaf)).Foreground(black)
	styleValid    = tcell.StyleDefault.Background(tcell.NewHexColor(0xafffaf)).Foreground(black)
	styleDim      = tcell.StyleDefault.Foreground(tcell.ColorGray)

	// styleField marks the selected field's bytes in the bytes pane.
	styleField = tcell.StyleDefault.Background(tcell.NewHexColor(0x1f5fa8)).Foreground(white)
	// styleFound marks a search match.
	styleFound = tcell.StyleDefault.Background(tcell.ColorYellow).Foreground(black)
	// styleSecret marks the secret wherever it is readable.
	styleSecret = tcell.StyleDefault.Background(tcell.ColorRed).Foreground(white).Bold(true)
	styleMark   = tcell.StyleDefault.Foreground(tcell.ColorRed).Bold(true)

	styleVisible = tcell.StyleDefault.Foreground(white).Background(tcell.ColorRed).Bold(true)
	styleHidden  = tcell.StyleDefault.Foreground(black).Background(tcell.NewHexColor(0x5fd75f)).Bold(true)

	// Follow stream: Wireshark's client and server colours.
	styleClient = tcell.StyleDefault.Foreground(tcell.NewHexColor(0x7f0000)).Background(tcell.NewHexColor(0xfbeded))
	styleServer = tcell.StyleDefault.Foreground(tcell.NewHexColor(0x00007f)).Background(tcell.NewHexColor(0xededfb))
)

// rowStyle colours a packet-list row by protocol, as Wireshark's default
// colouring rules do: bad TCP and malformed packets black with red text,
// resets dark red, SYN/FIN grey, HTTP green, TCP lavender, UDP blue; TLS
// and Fernet get colours of their own.
func rowStyle(r packets.Row) tcell.Style {
	bg := func(hex int32) tcell.Style {
		return tcell.StyleDefault.Background(tcell.NewHexColor(hex)).Foreground(black)
	}
	st := styleNormal
	switch {
	case r.Bad || strings.Contains(r.Info, "[Malformed"):
		st = tcell.StyleDefault.Background(black).Foreground(tcell.NewHexColor(0xff5f5f))
	case r.Protocol == "TCP" && strings.Contains(r.Info, "RST"):
		st = tcell.StyleDefault.Background(tcell.NewHexColor(0xa40000)).Foreground(tcell.NewHexColor(0xfffc9c))
	case r.Protocol == "TCP" && (strings.Contains(r.Info, "[SYN") || strings.Contains(r.Info, "[FIN")):
		st = bg(0xa0a0a0)
	case r.Protocol == "HTTP":
		st = bg(0xe4ffc7)
	case strings.HasPrefix(r.Protocol, "Fernet"):
		st = bg(0xffe9a8)
	case strings.HasPrefix(r.Protocol, "TLS") || strings.HasPrefix(r.Protocol, "SSL"):
		st = bg(0xc6e2ff)
	case r.Protocol == "TCP":
		st = bg(0xe7e6ff)
	case r.Protocol == "UDP" || r.Protocol == "DNS":
		st = bg(0xdaeeff)
	case r.Protocol == "ARP":
		st = bg(0xfafab4)
	case strings.HasPrefix(r.Protocol, "ICMP"):
		st = bg(0xfce0ff)
	}
	if !r.Final {
		st = st.Italic(true)
	}
	return st
}
