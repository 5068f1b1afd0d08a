//go:build !tenantkit_bench

package main

import (
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
)

// floorHandler is unavailable without the tag: the floor trusts the
// tenant its caller names, so only a bench build (-tags tenantkit_bench,
// as make bench builds) carries it.
func floorHandler(*pgxpool.Pool) (http.Handler, error) {
	return nil, errors.New("variant c needs a build with -tags tenantkit_bench (make bench builds one)")
}
