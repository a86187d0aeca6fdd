// Command pelote runs a community hoster's identity provider and cockpit
// (`pelote serve`) and administers it from the shell.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}
