//go:build tenantkit_bench

package main

import "github.com/tenantkit/tenantkit/app"

func baselineOption() (app.Option, error) { return app.WithoutRowSecurityForBench(), nil }
