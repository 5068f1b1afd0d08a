package tenants

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// ReservedSlugs are the slugs no tenant may take: host names the platform
// uses or may use itself, and names a visitor would trust as the
// platform's own (admin.example.com, status.example.com).
var ReservedSlugs = []string{
	"abuse", "account", "accounts", "admin", "administrator", "api", "app", "apps", "assets", "auth", "autoconfig",
	"autodiscover", "billing", "blog", "cdn", "dashboard", "dev", "dns", "docs", "email", "ftp", "help", "hostmaster",
	"imap", "info", "login", "mail", "mx", "ns", "ns1", "ns2", "ns3", "ns4", "platform", "pop", "pop3", "portal",
	"postmaster", "root", "security", "signin", "signup", "smtp", "staging", "static", "status", "support", "system",
	"tenantkit", "test", "webmail", "webmaster", "www",
}

// slugPattern is the shape of a slug: one DNS label of lower-case letters,
// digits and inner hyphens (the CHECK of tenants.slug).
var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CheckSlug returns nil if slug may name a new tenant, and a CodeInvalid
// error naming the field body.slug otherwise: malformed, reserved, or an
// internationalized label's ASCII form ("xn--…"), which could spell
// another tenant's name in look-alike letters.
func CheckSlug(slug string) error {
	bad := func(why string) error {
		return &tenant.Error{Code: tenant.CodeInvalid, Message: "this address cannot be used: " + why,
			Fields: map[string]string{"body.slug": why}}
	}
	switch {
	case len(slug) < 2:
		return bad("at least 2 characters")
	case !slugPattern.MatchString(slug):
		return bad("lower-case letters, digits and inner hyphens only, at most 63")
	case len(slug) >= 4 && slug[2:4] == "--":
		return bad("no hyphens in the third and fourth places")
	case slices.Contains(ReservedSlugs, slug):
		return bad("reserved")
	}
	return nil
}

// CheckName returns nil if name may name a tenant (1 to 200 characters,
// after trimming), and a CodeInvalid error naming body.name otherwise.
func CheckName(name string) error {
	if n := len([]rune(strings.TrimSpace(name))); n < 1 || n > 200 {
		return &tenant.Error{Code: tenant.CodeInvalid, Message: "the organization's name needs 1 to 200 characters",
			Fields: map[string]string{"body.name": "1 to 200 characters"}}
	}
	return nil
}

// errSlugTaken is a slug another tenant holds. Slugs are public (every
// tenant's host name carries one), so saying so reveals nothing.
var errSlugTaken = &tenant.Error{Code: tenant.CodeConflict, Message: "this address is taken",
	Fields: map[string]string{"body.slug": "taken"}}

// Provision creates a tenant in tx, with its settings singletons: one row
// of each settings kind, every value the platform default. The slug and
// name are checked first (CheckSlug, CheckName); a slug another tenant
// holds is CodeConflict. The tenant starts active.
func Provision(ctx context.Context, tx *store.PlatformTx, slug, name string) (tenant.Tenant, error) {
	if err := CheckSlug(slug); err != nil {
		return tenant.Tenant{}, err
	}
	if err := CheckName(name); err != nil {
		return tenant.Tenant{}, err
	}
	row, err := tx.CreateTenant(ctx, store.PlatformCreateTenantParams{Slug: slug, Name: strings.TrimSpace(name)})
	if tenant.IsCode(store.Translate(err), tenant.CodeConflict) {
		return tenant.Tenant{}, errSlugTaken
	}
	if err != nil {
		return tenant.Tenant{}, err
	}
	if err := tx.CreateSettingsSingletons(ctx, row.ID); err != nil {
		return tenant.Tenant{}, err
	}
	return Of(row), nil
}

// Of returns the tenant of a platform row.
func Of(r store.PlatformTenant) tenant.Tenant {
	return tenant.Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Status: tenant.Status(r.Status)}
}
