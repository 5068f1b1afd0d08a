package probe

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Operation is one operation of a host's OpenAPI document, as the probe
// needs it.
type Operation struct {
	// ID is the operationId.
	ID string `json:"id"`
	// Method and Path are as documented: Path is a template ("/api/services/{id}").
	Method string `json:"method"`
	Path   string `json:"path"`
	// Host is "tenant" for the document of tenant hosts, "apex" for the
	// platform host's.
	Host string `json:"host"`
	// Tenancy and MinRole are the x-tenancy and x-min-role extensions.
	Tenancy string `json:"tenancy"`
	MinRole string `json:"min_role"`
	// Page: an HTML page of the app (x-page), attacked like an
	// operation but not read back: it shows what operations read.
	Page bool `json:"page,omitempty"`

	params  []param
	body    *schema
	success int
	// listsIDs: a 200 JSON answer {"items": [{"id": …}]}: a collection.
	listsIDs bool
	// createsID: a 2xx JSON answer with an "id": a creating operation.
	createsID bool
}

// Key names the operation by host, method and path.
func (o *Operation) Key() string { return o.Host + " " + o.Method + " " + o.Path }

func (o *Operation) safe() bool { return o.Method == "GET" || o.Method == "HEAD" }

type param struct {
	name, in string
	required bool
	schema   *schema
}

// schema is the subset of JSON Schema the probe reads, with references
// resolved.
type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 json.RawMessage    `json:"type"`
	Format               string             `json:"format"`
	Enum                 []any              `json:"enum"`
	Pattern              string             `json:"pattern"`
	MinLength            *int               `json:"minLength"`
	MaxLength            *int               `json:"maxLength"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
	Default              any                `json:"default"`
	Examples             []any              `json:"examples"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	Items                *schema            `json:"items"`
	MinItems             *int               `json:"minItems"`
	AdditionalProperties any                `json:"additionalProperties"`
}

// kind returns the schema's type, ignoring "null" in a type list.
func (s *schema) kind() string {
	if s == nil || len(s.Type) == 0 {
		if s != nil && len(s.Properties) > 0 {
			return "object"
		}
		return ""
	}
	var one string
	if json.Unmarshal(s.Type, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(s.Type, &many) == nil {
		for _, t := range many {
			if t != "null" {
				return t
			}
		}
	}
	return ""
}

func (s *schema) requires(name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

// propertyNames returns the properties in a stable order.
func (s *schema) propertyNames() []string {
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type rawDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type rawOp struct {
	OperationID string `json:"operationId"`
	Tenancy     string `json:"x-tenancy"`
	MinRole     string `json:"x-min-role"`
	Page        bool   `json:"x-page"`
	Parameters  []struct {
		Name     string  `json:"name"`
		In       string  `json:"in"`
		Required bool    `json:"required"`
		Schema   *schema `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

var httpMethods = map[string]string{"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE", "head": "HEAD"}

// parseDocument reads an OpenAPI 3.1 document served on a host of kind
// host ("tenant" or "apex"). Every operation must carry x-tenancy and
// x-min-role.
func parseDocument(b []byte, host string) ([]*Operation, error) {
	var doc rawDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi document of the %s host: %w", host, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		return nil, fmt.Errorf("openapi document of the %s host: version %q", host, doc.OpenAPI)
	}
	r := resolver{schemas: doc.Components.Schemas}
	var ops []*Operation
	for path, methods := range doc.Paths {
		for m, raw := range methods {
			method, ok := httpMethods[m]
			if !ok {
				continue
			}
			var ro rawOp
			if err := json.Unmarshal(raw, &ro); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			op := &Operation{ID: ro.OperationID, Method: method, Path: path, Host: host, Tenancy: ro.Tenancy, MinRole: ro.MinRole, Page: ro.Page}
			if op.Tenancy == "" || op.MinRole == "" {
				return nil, fmt.Errorf("%s %s on the %s host: no x-tenancy or x-min-role", method, path, host)
			}
			for _, p := range ro.Parameters {
				op.params = append(op.params, param{name: p.Name, in: p.In, required: p.Required || p.In == "path", schema: r.resolve(p.Schema, 0)})
			}
			if ro.RequestBody != nil {
				if c, ok := ro.RequestBody.Content["application/json"]; ok {
					op.body = r.resolve(c.Schema, 0)
				}
			}
			op.success = 0
			for code, resp := range ro.Responses {
				n, err := strconv.Atoi(code)
				if err != nil || n < 200 || n > 299 {
					continue
				}
				if op.success == 0 || n < op.success {
					op.success = n
				}
				c, ok := resp.Content["application/json"]
				if !ok {
					continue
				}
				s := r.resolve(c.Schema, 0)
				if s == nil {
					continue
				}
				if items := s.Properties["items"]; n == 200 && items != nil && items.Items != nil && items.Items.Properties["id"] != nil {
					op.listsIDs = true
				}
				if s.Properties["id"] != nil {
					op.createsID = true
				}
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops, nil
}

type resolver struct {
	schemas map[string]*schema
}

// resolve replaces references by the schemas they name, recursively (to a
// bounded depth: the probe never needs deeper ones).
func (r resolver) resolve(s *schema, depth int) *schema {
	if s == nil || depth > 8 {
		return s
	}
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		target := r.schemas[name]
		if target == nil {
			return nil
		}
		s = target
	}
	out := *s
	out.Ref = ""
	if len(s.Properties) > 0 {
		out.Properties = make(map[string]*schema, len(s.Properties))
		for k, v := range s.Properties {
			out.Properties[k] = r.resolve(v, depth+1)
		}
	}
	out.Items = r.resolve(s.Items, depth+1)
	return &out
}

// segments splits a path template into its segments.
func segments(path string) []string {
	return strings.Split(strings.Trim(path, "/"), "/")
}

// paramName returns the name of a template segment ("{id}" → "id").
func paramName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// isIDName reports whether a parameter or field name names a resource by
// id, by the API's conventions: "id", "x_id", or (lists) "ids", "x_ids".
func isIDName(name string) bool {
	return name == "id" || strings.HasSuffix(name, "_id") || name == "ids" || strings.HasSuffix(name, "_ids")
}
