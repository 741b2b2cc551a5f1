//go:build !unix

package main

import "os"

// ownedByMe cannot tell file owners apart here; the directory's mode is
// still checked.
func ownedByMe(os.FileInfo) bool { return true }
