package adopt

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// derivation says where one table's tenant comes from.
type derivation struct {
	t *table
	// own: the table already has the tenant column; its values are kept
	// and only NULLs are filled from the source below.
	own bool
	// direct: a foreign key to the root whose column holds the tenant.
	direct *foreignKey
	// parent: the one foreign key through which the tenant is copied
	// from the parent row, when there is no direct key.
	parent *foreignKey
	col    string // the tenant column
}

func (d *derivation) String() string {
	switch {
	case d.direct != nil && d.own && d.direct.cols[0] == d.col:
		return fmt.Sprintf("its own %s, a foreign key to %s", displayName(d.direct.cols[0]), d.direct.to)
	case d.direct != nil:
		return fmt.Sprintf("copied from %s, a foreign key to %s", displayName(d.direct.cols[0]), d.direct.to)
	case d.parent != nil && d.own:
		return fmt.Sprintf("its own column; NULLs from the parent through %s", d.parent)
	case d.parent != nil:
		return fmt.Sprintf("from the parent through %s", d.parent)
	default:
		return "its own column (no foreign key to the root yet)"
	}
}

// planner derives each table's tenant.
type planner struct {
	cfg    Config
	root   *table
	tables map[string]*table
	col    string
}

// RefusalError lists why adopt will not plan or apply: it does not guess
// a tenant, and it does not move data it cannot account for.
type RefusalError struct {
	Problems []string
}

func (e *RefusalError) Error() string {
	return "adopt refuses:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// reaches reports whether t can name its tenant without passing through
// the tables of without: it has the tenant column, a foreign key to the
// root, or a foreign key to a table that reaches the root without t.
func (p *planner) reaches(t *table, without map[*table]bool) bool {
	if _, ok := t.columns[p.col]; ok {
		return true
	}
	next := map[*table]bool{t: true}
	for k := range without {
		next[k] = true
	}
	for _, fk := range t.fks {
		if fk.to == p.root {
			return true
		}
		if !next[fk.to] && p.reaches(fk.to, next) {
			return true
		}
	}
	return false
}

// candidates are t's foreign keys to tables (other than t and the root)
// that reach the root without t: the keys t's tenant could come through.
func (p *planner) candidates(t *table) []*foreignKey {
	var out []*foreignKey
	for _, fk := range t.fks {
		if fk.to != t && fk.to != p.root && p.reaches(fk.to, map[*table]bool{t: true}) {
			out = append(out, fk)
		}
	}
	return out
}

var viaPattern = regexp.MustCompile(`^(.+)\.([^.]+)$`)

// derive returns the derivation of every table that belongs to a tenant,
// parents before children, and the tables left global.
func (p *planner) derive() ([]*derivation, []*table, error) {
	var problems []string
	byTable := map[*table]*derivation{}
	via := map[string]string{}
	for _, v := range p.cfg.Via {
		m := viaPattern.FindStringSubmatch(v)
		if m == nil {
			problems = append(problems, fmt.Sprintf("--via %q is not TABLE.COLUMN", v))
			continue
		}
		via[m[1]] = m[2]
	}
	names := make([]string, 0, len(p.tables))
	for n := range p.tables {
		names = append(names, n)
	}
	slices.Sort(names)
	var global []*table
	for _, n := range names {
		t := p.tables[n]
		if t == p.root || n == QuarantineTable {
			continue
		}
		for _, fk := range t.fks {
			if fk.to != p.root && fk.from == p.root {
				problems = append(problems, fmt.Sprintf("the root %s references %s: adopt cannot rekey a table the root depends on", p.root, fk.to))
			}
		}
		d := &derivation{t: t, col: p.col}
		_, d.own = t.columns[p.col]
		var direct []*foreignKey
		for _, fk := range t.fks {
			if fk.to == p.root && len(fk.cols) == 1 && slices.Equal(fk.refCols, p.root.pk) {
				direct = append(direct, fk)
			}
		}
		cands := p.candidates(t)
		chosen, choice := via[t.name], (*foreignKey)(nil)
		if chosen != "" {
			for _, fk := range append(slices.Clone(direct), cands...) {
				if slices.Contains(fk.cols, chosen) || fk.name == chosen {
					choice = fk
				}
			}
			if choice == nil {
				problems = append(problems, fmt.Sprintf("--via %s.%s: %s has no foreign key on %s that leads to %s", t.name, chosen, t, displayName(chosen), p.root))
				continue
			}
		}
		switch {
		case choice != nil && choice.to == p.root:
			d.direct = choice
		case choice != nil:
			d.parent = choice
		case len(direct) > 0:
			d.direct = direct[0]
			for _, fk := range direct {
				if fk.cols[0] == p.col {
					d.direct = fk
				}
			}
			if len(direct) > 1 && d.direct.cols[0] != p.col {
				problems = append(problems, fmt.Sprintf("%s has %d foreign keys to %s (%s): name the tenant's with --via %s.COLUMN",
					t, len(direct), p.root, fkList(direct), t.name))
			}
		default:
			d.parent = p.choose(t, cands, &problems)
		}
		if !d.own && d.direct == nil && d.parent == nil {
			if len(cands) == 0 {
				global = append(global, t)
			}
			continue
		}
		if len(t.pk) == 0 {
			problems = append(problems, fmt.Sprintf("%s has no primary key: adopt keys each tenant's rows by (%s, primary key)", t, displayName(p.col)))
		}
		for _, u := range t.uniques {
			if u.cols == nil {
				problems = append(problems, fmt.Sprintf("%s has the unique expression index %s: rewrite it with %s first", t, displayName(u.name), displayName(p.col)))
			}
		}
		byTable[t] = d
	}
	problems = append(problems, p.cycles(global)...)
	order, err := p.order(byTable)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, nil, &RefusalError{Problems: problems}
	}
	return order, global, nil
}

// choose picks the parent key among cands: the only one, or the only
// mandatory (NOT NULL) one; otherwise it records a refusal.
func (p *planner) choose(t *table, cands []*foreignKey, problems *[]string) *foreignKey {
	if len(cands) == 1 {
		return cands[0]
	}
	var mandatory []*foreignKey
	for _, fk := range cands {
		if fk.mandatory() {
			mandatory = append(mandatory, fk)
		}
	}
	if len(mandatory) == 1 {
		return mandatory[0]
	}
	if len(cands) > 1 {
		*problems = append(*problems, fmt.Sprintf("%s reaches %s through %d foreign keys (%s) and %d of them are NOT NULL: choose one with --via %s.COLUMN",
			t, p.root, len(cands), fkList(cands), len(mandatory), t.name))
	}
	return nil
}

// cycles refuses tables that reach no tenant only because they reference
// each other: a cycle of foreign keys with no way to the root.
func (p *planner) cycles(global []*table) []string {
	in := map[*table]bool{}
	for _, t := range global {
		in[t] = true
	}
	var problems []string
	seen := map[*table]bool{}
	for _, start := range global {
		if seen[start] {
			continue
		}
		// Follow the keys between global tables from start; a path back to
		// start is a cycle.
		var path []*table
		var walk func(t *table) bool
		walk = func(t *table) bool {
			if t == start && len(path) > 0 {
				return true
			}
			if slices.Contains(path, t) {
				return false
			}
			path = append(path, t)
			for _, fk := range t.fks {
				if fk.to != fk.from && in[fk.to] && walk(fk.to) {
					return true
				}
			}
			path = path[:len(path)-1]
			return false
		}
		if walk(start) {
			names := make([]string, 0, len(path)+1)
			for _, t := range path {
				seen[t] = true
				names = append(names, t.String())
			}
			names = append(names, start.String())
			problems = append(problems, fmt.Sprintf("cycle %s: these tables reference each other and none reaches %s, so their tenant would be a guess; give one of them a %s column or a foreign key to %s",
				strings.Join(names, " → "), p.root, displayName(p.col), p.root))
		}
	}
	return problems
}

// order sorts the derivations so that a parent comes before its children.
func (p *planner) order(byTable map[*table]*derivation) ([]*derivation, error) {
	var out []*derivation
	state := map[*table]int{} // 1 visiting, 2 done
	var visit func(d *derivation) error
	visit = func(d *derivation) error {
		switch state[d.t] {
		case 1:
			return fmt.Errorf("the chosen keys form a cycle through %s: choose another with --via", d.t)
		case 2:
			return nil
		}
		state[d.t] = 1
		if d.parent != nil {
			pd, ok := byTable[d.parent.to]
			if !ok {
				return fmt.Errorf("%s's parent %s has no tenant", d.t, d.parent.to)
			}
			if err := visit(pd); err != nil {
				return err
			}
		}
		state[d.t] = 2
		out = append(out, d)
		return nil
	}
	keys := make([]*table, 0, len(byTable))
	for t := range byTable {
		keys = append(keys, t)
	}
	slices.SortFunc(keys, func(a, b *table) int { return strings.Compare(a.name, b.name) })
	for _, t := range keys {
		if err := visit(byTable[t]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fkList(fks []*foreignKey) string {
	parts := make([]string, len(fks))
	for i, fk := range fks {
		parts[i] = fmt.Sprintf("%s → %s", displayList(fk.cols), fk.to)
	}
	return strings.Join(parts, ", ")
}

var plainName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// displayName quotes a name only where SQL would need it.
func displayName(s string) string {
	if plainName.MatchString(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func displayList(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = displayName(c)
	}
	return strings.Join(parts, ", ")
}
