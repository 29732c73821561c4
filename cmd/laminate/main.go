// Command laminate issues, prints and checks signed backstage passes.
//
// Run "laminate help" for the commands; README.md documents each of them.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
