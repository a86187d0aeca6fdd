package main

import (
	"strings"
	"testing"
)

// A client refused for its own fields leaves no service behind: the
// service a new client gets is created in the client's transaction.
func TestClientAddInvalidLeavesNoService(t *testing.T) {
	p := newPelote(t)
	p.fails(exitFail, "redirect", "", "client", "add", "wiki", "--redirect-uri", "not a uri")
	if out := p.ok("", "service", "list"); strings.Contains(out, "wiki") {
		t.Fatalf("a refused client left its service: %q", out)
	}
	p.ok("", "client", "add", "wiki", "--redirect-uri", "https://wiki.example.org/cb")
	if out := p.ok("", "service", "list"); !strings.Contains(out, "wiki") {
		t.Fatalf("a new client without --service gets its own: %q", out)
	}
	// A taken client id leaves no second service either.
	p.fails(exitFail, "", "", "client", "add", "WIKI", "--service", "", "--redirect-uri", "https://wiki.example.org/cb")
	p.fails(exitFail, "not found", "", "client", "add", "pad", "--service", "nope", "--redirect-uri", "https://pad.example.org/cb")
	if out := p.ok("", "service", "list"); strings.Contains(out, "nope") || strings.Contains(out, "pad") {
		t.Fatalf("a named service is never created: %q", out)
	}
}
