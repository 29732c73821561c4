package main

import "github.com/laminate/laminate/node"

// Names the process tests use for the data folder's database and for
// opening a node's store, which live in package node.
const (
	dbFile     = node.DBFile
	sharedKeys = node.SharedKeys
)

var openStore = node.OpenStore
