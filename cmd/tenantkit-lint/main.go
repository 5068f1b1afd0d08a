// Command tenantkit-lint runs tenantkit's isolation rules over Go packages
// (see internal/analysis/tenantlint):
//
//	go run ./cmd/tenantkit-lint ./...
//
// It also works as a vet tool: go vet -vettool=$(which tenantkit-lint) ./...
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/tenantkit/tenantkit/internal/analysis/tenantlint"
)

func main() { singlechecker.Main(tenantlint.Analyzer) }
