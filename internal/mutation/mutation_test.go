package mutation

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// Every code mutant still applies to the source, and the mutated files
// still parse: a stale mutant would report nothing about the code as it is.
// (Schema mutants are applied to real databases in store/mutants_test.go.)
func TestMutantsApply(t *testing.T) {
	root := filepath.Join("..", "..")
	names := map[string]bool{}
	for _, m := range Mutants {
		if names[m.Name] || m.Name == "" || m.Breaks == "" || len(m.Packages) == 0 {
			t.Errorf("mutant %q: a unique name, what it breaks and the packages that should kill it are required", m.Name)
		}
		names[m.Name] = true
		if m.Schema() {
			if len(m.Edits) > 0 || len(m.Tables) == 0 {
				t.Errorf("schema mutant %s: no edits, and the tables it changes", m.Name)
			}
			continue
		}
		dir := t.TempDir()
		for _, e := range m.Edits {
			b, err := os.ReadFile(filepath.Join(root, e.File))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, e.File)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, e.File), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := Apply(dir, m); err != nil {
			t.Errorf("mutant %s: %v", m.Name, err)
			continue
		}
		for _, e := range m.Edits {
			if filepath.Ext(e.File) != ".go" {
				continue
			}
			if _, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.File), nil, parser.SkipObjectResolution); err != nil {
				t.Errorf("mutant %s: %s does not parse: %v", m.Name, e.File, err)
			}
		}
	}
}
