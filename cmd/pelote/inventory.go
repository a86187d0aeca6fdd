package main

import (
	"fmt"

	"pelote/internal/inventory"
)

func (c *cli) inventoryCheck(args []string) error {
	f := c.flags("inventory check", true)
	if _, err := f.parse(args, 0, "no argument"); err != nil {
		return err
	}
	// The configuration's validation reads the inventory: every problem,
	// with its file and line, comes back in one error.
	cfg, err := f.conf.Load(c.env)
	if err != nil {
		return err
	}
	inv, err := cfg.LoadInventory()
	if err != nil {
		return err
	}
	sum := summarize(inv)
	if *f.json {
		return c.printJSON(sum)
	}
	if inv.Empty() {
		fmt.Fprintln(c.stdout, "no inventory: set the inventory section or inventory_dir")
		return nil
	}
	fmt.Fprintf(c.stdout, "inventory valid: %d machines, %d services, %d watched upstreams\n", sum.Machines, sum.Services, sum.Upstreams)
	return nil
}

type inventorySummary struct {
	Valid     bool `json:"valid"`
	Machines  int  `json:"machines"`
	Services  int  `json:"services"`
	Upstreams int  `json:"upstreams"`
}

func summarize(inv *inventory.Inventory) inventorySummary {
	s := inventorySummary{Valid: true, Machines: len(inv.Machines), Services: len(inv.Services)}
	for _, sv := range inv.Services {
		if sv.Upstream != nil {
			s.Upstreams++
		}
	}
	return s
}
