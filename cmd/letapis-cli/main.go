// Command letapis-cli works with a Letapis vault from a terminal: it creates
// and unlocks vaults, adds and edits people, cases, incidents, testimonies
// and notes, imports and exports attachments, and generates synthetic data
// for demos and tests. Run "letapis-cli help" for the list of commands.
//
// It builds without cgo, so that it runs wherever Go cross-compiles.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
