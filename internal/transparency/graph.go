package transparency

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"unicode/utf8"

	"pelote/internal/inventory"
)

// Layout of the services graph, in SVG user units.
const (
	boxW, boxH = 190, 24
	rowH       = 32
	colGap     = 110
	margin     = 12
)

type node struct{ col, row int }

// Graph draws machines and the services they run as an SVG document:
// machines of their own on the left, the machines that run on them in
// the middle, services on the right, a line for each "runs on". It uses
// presentation attributes only (no style element), so that it shows
// under the strictest CSP, and escapes every name.
func Graph(inv *inventory.Inventory) []byte {
	cols := [3][]string{}
	pos := map[string]node{}
	hasGuests := false
	for _, m := range inv.Machines {
		if m.On == "" {
			pos["m:"+m.Name] = node{0, len(cols[0])}
			cols[0] = append(cols[0], m.Name)
		}
	}
	for _, m := range inv.Machines {
		if m.On != "" {
			hasGuests = true
			pos["m:"+m.Name] = node{1, len(cols[1])}
			cols[1] = append(cols[1], m.Name)
		}
	}
	svcCol := 1
	if hasGuests {
		svcCol = 2
	}
	for _, s := range inv.Services {
		pos["s:"+s.Name] = node{svcCol, len(cols[svcCol])}
		cols[svcCol] = append(cols[svcCol], s.Name)
	}
	rows := max(len(cols[0]), len(cols[1]), len(cols[2]), 1)
	width := margin*2 + (svcCol+1)*boxW + svcCol*colGap
	height := margin*2 + rows*rowH
	x := func(col int) int { return margin + col*(boxW+colGap) }
	y := func(row int) int { return margin + row*rowH }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="graph-title">`, width, height, width, height)
	b.WriteString(`<title id="graph-title">`)
	esc(&b, inv.Organization.Name)
	b.WriteString(`: machines → services</title>`)
	edge := func(from, to node) {
		x1, y1 := x(from.col)+boxW, y(from.row)+boxH/2
		x2, y2 := x(to.col), y(to.row)+boxH/2
		fmt.Fprintf(&b, `<path d="M%d %d C%d %d %d %d %d %d" fill="none" stroke="#8a8a8a" stroke-width="1.2"/>`,
			x1, y1, x1+colGap/2, y1, x2-colGap/2, y2, x2, y2)
	}
	for _, m := range inv.Machines {
		if m.On != "" {
			if p, ok := pos["m:"+m.On]; ok {
				edge(p, pos["m:"+m.Name])
			}
		}
	}
	for _, s := range inv.Services {
		for _, on := range s.Machines {
			if p, ok := pos["m:"+on]; ok {
				edge(p, pos["s:"+s.Name])
			}
		}
	}
	box := func(n node, label, fill string) {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" stroke="#333333"/>`, x(n.col), y(n.row), boxW, boxH, fill)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-family="sans-serif" font-size="13" fill="#111111">`, x(n.col)+8, y(n.row)+16)
		esc(&b, shorten(label, 26))
		b.WriteString(`</text>`)
	}
	for _, m := range inv.Machines {
		fill := "#f9cc01"
		if m.On != "" {
			fill = "#fbe27a"
		}
		label := m.Name
		if m.Role != "" {
			label += " · " + m.Role
		}
		box(pos["m:"+m.Name], label, fill)
	}
	for _, s := range inv.Services {
		label := s.Name
		if s.Software != "" {
			label += " · " + s.Software
		}
		box(pos["s:"+s.Name], label, "#e8f0fb")
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

func esc(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }

// shorten cuts a label that would overflow its box.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
