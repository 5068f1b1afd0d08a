package mailaddr

import "testing"

func TestValid(t *testing.T) {
	for e, want := range map[string]bool{
		"ana@acme.test": true, "a.b+c@sub.acme.test": true,
		"": false, "acme.test": false, "@acme.test": false, "ana@": false, "a@b@c": false,
		"ana @acme.test": false, "ana@acme.test\r\nBcc: x@y": false, "Ana <ana@acme.test>": false, "a,b@acme.test": false,
		string(make([]byte, 250)) + "@a.test": false,
	} {
		if got := Valid(e); got != want {
			t.Errorf("Valid(%q) = %v, want %v", e, got, want)
		}
	}
	if got := Normalize("  Ana@ACME.test\t"); got != "ana@acme.test" {
		t.Errorf("Normalize: %q", got)
	}
}
