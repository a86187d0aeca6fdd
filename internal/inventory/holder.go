package inventory

import "sync/atomic"

// Holder keeps the running inventory and swaps it whole when the
// configuration is reloaded, so that a reader sees either the old
// inventory or the new one.
type Holder struct{ p atomic.Pointer[Inventory] }

// NewHolder starts with inv (nil for none).
func NewHolder(inv *Inventory) *Holder {
	h := &Holder{}
	h.Store(inv)
	return h
}

// Load returns the running inventory, never nil.
func (h *Holder) Load() *Inventory {
	if inv := h.p.Load(); inv != nil {
		return inv
	}
	return &Inventory{}
}

// Store makes inv the running inventory.
func (h *Holder) Store(inv *Inventory) {
	if inv == nil {
		inv = &Inventory{}
	}
	h.p.Store(inv)
}
