package main

import (
	"errors"
	"fmt"
	"os"

	"pelote/internal/identity"
	"pelote/internal/importer"
)

// importFile is `pelote import FILE`: accounts and groups from a CSV or an
// OpenLDAP LDIF export, all or nothing.
func (c *cli) importFile(args []string) error {
	f := c.flags("import", true)
	dry := f.Bool("dry-run", false, "check and report, write nothing")
	return c.with(f, args, 1, "one file (CSV or LDIF)", func(pos []string, ids *identity.Store) error {
		file, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer file.Close()
		accounts, groups, err := importer.Read(file)
		if err != nil {
			return err
		}
		rep, err := ids.Import(c.ctx, accounts, groups, *dry)
		if err != nil && !errors.Is(err, identity.ErrImportRefused) {
			return err
		}
		if *f.json {
			if perr := c.printJSON(rep); perr != nil {
				return perr
			}
		} else {
			for _, p := range rep.Problems {
				fmt.Fprintf(c.stderr, "%s:%d: %s\n", pos[0], p.Line, p.Message)
			}
			verb := "imported"
			if *dry || err != nil {
				verb = "would import"
			}
			fmt.Fprintf(c.stdout, "%s %d accounts, %d new groups, %d memberships\n", verb, rep.Accounts, rep.Groups, rep.Memberships)
		}
		if err != nil {
			return fmt.Errorf("%d problems: nothing was imported", len(rep.Problems))
		}
		return nil
	})
}
