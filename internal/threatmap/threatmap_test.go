package threatmap

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the module root, from this package's directory.
var root = filepath.Join("..", "..")

// docs/THREATS.md covers every row of the catalog — 84 attacks and 21
// faults — with tests that exist, or a reason it is out of scope.
func TestThreatMapIsCurrent(t *testing.T) {
	f, err := os.Open(filepath.Join(root, "docs", "THREATS.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(root, rows); err != nil {
		t.Fatal(err)
	}
	faults, attacks, out := 0, 0, 0
	for _, r := range rows {
		if strings.HasPrefix(r.ID, "F-") {
			faults++
		} else {
			attacks++
		}
		if r.OutOfScope != "" {
			out++
		}
	}
	if attacks != 84 || faults != 21 {
		t.Errorf("%d attacks and %d faults, want the catalog's 84 and 21", attacks, faults)
	}
	t.Logf("%d rows: %d covered by tests, %d out of scope", len(rows), len(rows)-out, out)

	// The catalog itself lives beside the repository where the team works
	// on it; a checkout elsewhere has only the map.
	catalog, err := os.ReadFile(filepath.Join(root, "..", "shared", "THREATS.md"))
	if err != nil {
		t.Logf("the shared catalog is not beside this checkout (%v): its ids are not compared", err)
		return
	}
	have := map[string]bool{}
	for _, r := range rows {
		have[r.ID] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^\| ([A-Z]+-[0-9]+) \|`).FindAllStringSubmatch(string(catalog), -1) {
		if !have[m[1]] {
			t.Errorf("%s is in the catalog but not in docs/THREATS.md", m[1])
		}
		delete(have, m[1])
	}
	for id := range have {
		t.Errorf("%s is in docs/THREATS.md but not in the catalog", id)
	}
}

// The check fails on what would let the map rot: a test that does not
// exist, a package that does not exist, a row with neither tests nor a
// reason, a reason left empty, an id twice.
func TestCheckCatchesRot(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"MissingTest", "| DB-01 | x | `internal/threatmap:TestNoSuchTest` |", "does not exist"},
		{"MissingPackage", "| DB-01 | x | `no/such/package:TestX` |", "no package directory"},
		{"NoTestNoReason", "| DB-01 | x | covered somehow |", "names no test"},
		{"EmptyReason", "| DB-01 | x | out of scope: |", "without a reason"},
		{"Twice", "| DB-01 | x | `internal/threatmap:TestCheckCatchesRot` |\n| DB-01 | x | out of scope: y |", "again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := Parse(strings.NewReader(tc.doc))
			if err == nil {
				err = Check(root, rows)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error saying %q, got %v", tc.want, err)
			}
		})
	}
	rows, err := Parse(strings.NewReader("| id | x | covered by |\n|---|---|---|\n| F-01 | x | `internal/threatmap:TestCheckCatchesRot` (a case), `internal/threatmap:TestThreatMapIsCurrent` |"))
	if err != nil || len(rows) != 1 || len(rows[0].Tests) != 2 {
		t.Fatalf("a good row: %+v, %v", rows, err)
	}
	if err := Check(root, rows); err != nil {
		t.Fatal(err)
	}
}
