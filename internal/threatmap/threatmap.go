// Package threatmap reads docs/THREATS.md, the map from every row of the
// threat catalog to the tests that cover it, and checks it against the
// module: every row names tests or says why it is out of scope, and every
// test it names exists. Its test runs the check on the module itself, so
// a renamed or deleted test fails the build until the map follows.
//
// A row is a Markdown table row whose first cell is a catalog id (DB-01,
// F-21). Its last cell holds the tests, each written `package:Name`
// (the package's directory relative to the module root, and a Test,
// Fuzz or Benchmark function of its _test.go files), or begins with
// "out of scope:" followed by the reason.
package threatmap

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Row is one threat and what covers it.
type Row struct {
	// ID is the catalog's id, such as DB-01.
	ID string
	// Line is the row's line in the file.
	Line int
	// Tests are the tests named, in order.
	Tests []Test
	// OutOfScope is the reason the row is out of scope, or "".
	OutOfScope string
}

// Test names a test function of a package.
type Test struct {
	// Package is the package's directory relative to the module root.
	Package string
	// Name is the function's name.
	Name string
}

func (t Test) String() string { return t.Package + ":" + t.Name }

var (
	idPattern   = regexp.MustCompile(`^[A-Z]+-[0-9]+$`)
	testPattern = regexp.MustCompile("`([a-z0-9_./-]+):((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]*)`")
)

// outOfScope starts the cell of a row no test covers.
const outOfScope = "out of scope:"

// Parse reads the rows of the map. A row whose last cell names no test
// and gives no reason is an error, as is an id given twice.
func Parse(r io.Reader) ([]Row, error) {
	var rows []Row
	var errs []error
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		id := strings.TrimSpace(cells[0])
		if !idPattern.MatchString(id) {
			continue
		}
		if first, ok := seen[id]; ok {
			errs = append(errs, fmt.Errorf("line %d: %s again (first on line %d)", n, id, first))
			continue
		}
		seen[id] = n
		row := Row{ID: id, Line: n}
		last := strings.TrimSpace(cells[len(cells)-1])
		if reason, ok := strings.CutPrefix(last, outOfScope); ok {
			row.OutOfScope = strings.TrimSpace(reason)
			if row.OutOfScope == "" {
				errs = append(errs, fmt.Errorf("line %d: %s is out of scope without a reason", n, id))
			}
		} else {
			for _, m := range testPattern.FindAllStringSubmatch(last, -1) {
				row.Tests = append(row.Tests, Test{Package: m[1], Name: m[2]})
			}
			if len(row.Tests) == 0 {
				errs = append(errs, fmt.Errorf("line %d: %s names no test (`package:TestName`) and is not out of scope", n, id))
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return rows, errors.Join(errs...)
}

// Check reports every test the rows name that the module at root does not
// have: no such package directory, or no such function in its _test.go
// files.
func Check(root string, rows []Row) error {
	funcs := map[string]map[string]bool{}
	var errs []error
	for _, r := range rows {
		for _, t := range r.Tests {
			have, ok := funcs[t.Package]
			if !ok {
				var err error
				if have, err = testFuncs(filepath.Join(root, filepath.FromSlash(t.Package))); err != nil {
					errs = append(errs, fmt.Errorf("%s (line %d): %s: %w", r.ID, r.Line, t, err))
				}
				funcs[t.Package] = have
			}
			if have != nil && !have[t.Name] {
				errs = append(errs, fmt.Errorf("%s (line %d): %s does not exist", r.ID, r.Line, t))
			}
		}
	}
	return errors.Join(errs...)
}

// testFuncs returns the top-level functions of the _test.go files of dir.
func testFuncs(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("no package directory %s", dir)
		}
		return nil, fmt.Errorf("no test files in %s", dir)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				out[fn.Name.Name] = true
			}
		}
	}
	return out, nil
}
