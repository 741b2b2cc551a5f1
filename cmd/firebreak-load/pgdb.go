package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"net/url"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/store/pgstore"
)

// loadDB is where the scenarios that boot the product keep their
// database: empty for a bbolt file in a temporary directory, or a
// postgres:// URL, in which each run gets a new schema dropped after it,
// so that the same figures are measured on PostgreSQL.
var loadDB = flag.String("db", "", "ack, declare, clicks, ratelimit: a postgres:// URL to run on PostgreSQL (a new schema per run) instead of a bbolt file")

// databaseFor returns FIREBREAK_DB for one run and what removes it.
func databaseFor(dir string) (string, func(), error) {
	if *loadDB == "" || !pgstore.IsURL(*loadDB) {
		return filepath.Join(dir, "firebreak.db"), func() {}, nil
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "fbload_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *loadDB)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(*loadDB)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		c, err := pgx.Connect(ctx, *loadDB)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	return u.String(), drop, nil
}
