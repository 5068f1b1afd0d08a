// Package pgxpool is a stub.
package pgxpool

import "context"

type Pool struct{}

func New(ctx context.Context, s string) (*Pool, error) { return nil, nil }

func (p *Pool) Close() {}
