package probe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"sync"
)

// values derives request values from JSON Schemas: the first example, else
// the default, else the first enum value, else a value built from the
// constraints (a string matching the pattern within the length bounds, the
// minimum of a number). Strings are random where the schema allows, so two
// derived bodies rarely collide on a unique key (a slug, a name).
//
// Two field names carry a meaning no schema states, by the API's
// conventions: "email" gets a fresh address in the tenant's test domain,
// and a field ending in "password" the probe's fixture password.
type values struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

func newValues(seed uint64) *values {
	return &values{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (v *values) intn(n int) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.rnd.IntN(n)
}

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// word returns n random lower-case letters and digits.
func (v *values) word(n int) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[v.rnd.IntN(len(alnum))]
	}
	return string(b)
}

// hints are what a derived value may depend on besides its schema.
type hints struct {
	emailDomain string
	password    string
}

// scalar derives a value for a non-object, non-id schema under name.
func (v *values) scalar(s *schema, name string, h hints) (any, error) {
	if s == nil {
		return "probe-" + v.word(8), nil
	}
	if len(s.Examples) > 0 {
		return s.Examples[0], nil
	}
	if s.Default != nil {
		return s.Default, nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0], nil
	}
	switch s.kind() {
	case "boolean":
		return false, nil
	case "integer", "number":
		n := 1.0
		if s.Minimum != nil {
			n = math.Max(n, *s.Minimum)
			if *s.Minimum <= 0 {
				n = *s.Minimum
			}
		}
		if s.Maximum != nil {
			n = math.Min(n, *s.Maximum)
		}
		if s.kind() == "integer" {
			return int64(n), nil
		}
		return n, nil
	case "string", "":
		return v.str(s, name, h)
	}
	return nil, fmt.Errorf("no value for a %q under %q", s.kind(), name)
}

func (v *values) str(s *schema, name string, h hints) (string, error) {
	lower := strings.ToLower(name)
	switch {
	case lower == "email":
		return "probe-" + v.word(10) + "@" + h.emailDomain, nil
	case strings.HasSuffix(lower, "password"):
		return h.password, nil
	}
	switch s.Format {
	case "date-time":
		return "2031-01-02T10:00:00Z", nil
	case "date":
		return "2031-01-02", nil
	case "email":
		return "probe-" + v.word(10) + "@" + h.emailDomain, nil
	}
	minLen, maxLen := 0, 64
	if s.MinLength != nil {
		minLen = *s.MinLength
	}
	if s.MaxLength != nil {
		maxLen = *s.MaxLength
	}
	if s.Pattern != "" {
		for range 50 {
			out, err := v.match(s.Pattern)
			if err != nil {
				return "", fmt.Errorf("%s: pattern %q: %w", name, s.Pattern, err)
			}
			if n := len([]rune(out)); n >= minLen && n <= maxLen {
				return out, nil
			}
		}
		return "", fmt.Errorf("%s: no string of %d to %d characters matches %q", name, minLen, maxLen, s.Pattern)
	}
	out := "probe-" + v.word(10)
	if len(out) > maxLen {
		out = out[:maxLen]
	}
	for len(out) < minLen {
		out += "x"
	}
	return out, nil
}

// match returns a random string matching the regular expression pattern.
func (v *values) match(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := v.gen(&b, re.Simplify(), 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (v *values) gen(b *strings.Builder, re *syntax.Regexp, depth int) error {
	if depth > 50 {
		return fmt.Errorf("pattern nests too deeply")
	}
	repeat := func(min, max int) error {
		n := min
		if max > min {
			n += v.intn(max - min + 1)
		}
		for range n {
			if err := v.gen(b, re.Sub[0], depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return fmt.Errorf("empty character class")
		}
		// Prefer printable ASCII ranges: they are what patterns mean.
		var pick []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo > '~' || hi < '!' {
				continue
			}
			lo, hi = max(lo, '!'), min(hi, '~')
			for r := lo; r <= hi; r++ {
				pick = append(pick, r)
			}
		}
		if len(pick) == 0 {
			pick = []rune{re.Rune[0]}
		}
		b.WriteRune(pick[v.intn(len(pick))])
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteByte(alnum[v.intn(26)])
	case syntax.OpCapture:
		return v.gen(b, re.Sub[0], depth+1)
	case syntax.OpStar:
		return repeat(0, 2)
	case syntax.OpPlus:
		return repeat(4, 9)
	case syntax.OpQuest:
		return repeat(0, 1)
	case syntax.OpRepeat:
		hi := re.Max
		if hi < 0 {
			hi = re.Min + 3
		}
		return repeat(re.Min, min(hi, re.Min+6))
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if err := v.gen(b, sub, depth+1); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		return v.gen(b, re.Sub[v.intn(len(re.Sub))], depth+1)
	default:
		return fmt.Errorf("unsupported pattern element %v", re.Op)
	}
	return nil
}
