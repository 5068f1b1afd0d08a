package probe

import "testing"

func TestContainsWord(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{`{"name":"Acme Tax Review"}`, true},
		{"Acme", true},
		{"<td>Acme</td>", true},
		{"Acme's books", true},
		{"token=feoIwHAcmeq2q4", false},
		{"token=x-Acme_y", false},
		{"Acmex Acme.", true},
		{"acme", false},
		{"", false},
	} {
		if got := containsWord([]byte(tc.text), "Acme"); got != tc.want {
			t.Errorf("containsWord(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}
