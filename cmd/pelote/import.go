package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"pelote/internal/identity"
	"pelote/internal/importer"
)

// importFile is `pelote import FILE`: accounts and groups from a CSV or an
// OpenLDAP LDIF export, all or nothing (or all but the entries skipped).
func (c *cli) importFile(args []string) error {
	f := c.flags("import", true)
	dry := f.Bool("dry-run", false, "check and report, write nothing")
	skip := f.Bool("skip-invalid", false, "leave out the entries with a problem (each reported with its line) and import the rest")
	allowAdmin := f.Bool("allow-admin", false, "let the import add members to the admin group (administrators of Pelote)")
	return c.with(f, args, 1, "one file (CSV or LDIF)", func(pos []string, ids *identity.Store) error {
		file, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer file.Close()
		// The accounts are checked and written while the rest of the file
		// is decoded; a problem in the file still means nothing is written.
		src := importer.Stream(file)
		rep, err := ids.ImportFrom(c.ctx, src, identity.ImportOptions{DryRun: *dry, SkipInvalid: *skip, AllowAdmin: *allowAdmin})
		src.Close()
		if ferr := src.Err(); ferr != nil {
			return fmt.Errorf("%s: %w", pos[0], ferr)
		}
		if err != nil && !errors.Is(err, identity.ErrImportRefused) {
			return err
		}
		if *f.json {
			if perr := c.printJSON(rep); perr != nil {
				return perr
			}
		} else {
			c.printImport(pos[0], rep, *dry || err != nil)
		}
		if err != nil {
			if len(rep.AdminRefused) > 0 {
				fmt.Fprintf(c.stderr, "%s would join the admin group: add --allow-admin if they are to administer Pelote\n", strings.Join(rep.AdminRefused, ", "))
			}
			if !*skip && len(rep.Problems) > len(rep.AdminRefused) {
				fmt.Fprintln(c.stderr, "--skip-invalid leaves out the entries with a problem and imports the rest")
			}
			return fmt.Errorf("%d problems: nothing was imported", len(rep.Problems))
		}
		return nil
	})
}

// printImport writes the report: problems and skipped entries on standard
// error as FILE:LINE: message, what was done on standard output.
func (c *cli) printImport(file string, rep identity.ImportReport, notDone bool) {
	for _, p := range rep.Problems {
		fmt.Fprintf(c.stderr, "%s:%d: %s\n", file, p.Line, p.Message)
	}
	for _, p := range rep.Skipped {
		fmt.Fprintf(c.stderr, "%s:%d: skipped: %s\n", file, p.Line, p.Message)
	}
	verb, admins := "imported", "made administrators (group admin)"
	if notDone {
		verb, admins = "would import", "would make administrators (group admin)"
	}
	line := fmt.Sprintf("%s %d accounts, %d new groups, %d memberships", verb, rep.Accounts, rep.Groups, rep.Memberships)
	if len(rep.Skipped) > 0 {
		line += fmt.Sprintf("; %d entries skipped", len(rep.Skipped))
	}
	fmt.Fprintln(c.stdout, line)
	if len(rep.Administrators) > 0 {
		fmt.Fprintf(c.stdout, "%s: %s\n", admins, strings.Join(rep.Administrators, ", "))
	}
}
