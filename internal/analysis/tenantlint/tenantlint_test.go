package tenantlint_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/tenantkit/tenantkit/internal/analysis/tenantlint"
)

// Each rule has fixtures that break it (each "want" comment is a
// diagnostic that must be reported) and code it must accept.
func TestRules(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), tenantlint.Analyzer,
		"github.com/tenantkit/tenantkit/services",
		"github.com/tenantkit/tenantkit/store",
		"github.com/tenantkit/tenantkit/adopt",
		"github.com/tenantkit/tenantkit/internal/pgtest",
		"github.com/tenantkit/tenantkit/cmd/app",
		"github.com/tenantkit/tenantkit/web",
	)
}
