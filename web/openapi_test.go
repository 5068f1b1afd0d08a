package web_test

import (
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
)

// Each host's OpenAPI document is valid OpenAPI 3.1: checked against the
// specification's own schema by an independent validator.
func TestOpenAPIDocumentsValidate(t *testing.T) {
	// Control: the validator refuses a document without info.
	bad, err := libopenapi.NewDocument([]byte(`{"openapi":"3.1.0","paths":{"/x":{"get":{"responses":{"200":{"description":"ok"}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := schema_validation.ValidateOpenAPIDocument(bad); ok {
		t.Fatal("the validator accepts a document without info: it proves nothing")
	}
	e := newEnv(t)
	for _, host := range []string{"acme", ""} {
		r := e.do(req{method: "GET", host: host, path: "/api/openapi.json"})
		expectStatus(t, r, 200)
		doc, err := libopenapi.NewDocument(r.Body)
		if err != nil {
			t.Fatalf("host %q: parse: %v", host, err)
		}
		ok, errs := schema_validation.ValidateOpenAPIDocument(doc)
		for _, e := range errs {
			t.Errorf("host %q: %s (%s)", host, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("    at %s: %s", se.FieldPath, se.Reason)
			}
		}
		if !ok {
			t.Fatalf("host %q: the OpenAPI document does not validate", host)
		}
	}
}
