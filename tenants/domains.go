package tenants

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"net"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Resolver looks up DNS TXT records; *net.Resolver is one, tests give a
// fake.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// TXTPrefix is the label under a custom domain whose TXT record proves the
// firm controls it: _tenantkit.<domain>.
const TXTPrefix = "_tenantkit."

// MaxDomains is how many custom domains, verified or not, one firm holds.
const MaxDomains = 20

// lookupTimeout bounds one verification's DNS lookup.
const lookupTimeout = 5 * time.Second

// Domain is a custom domain a firm registered: it serves the firm once
// Verified.
type Domain struct {
	ID   uuid.UUID
	Name string
	// Token is what the TXT record TXTName must hold.
	Token      string
	TXTName    string
	Verified   bool
	VerifiedAt *time.Time
	CreatedAt  time.Time
}

func domainOf(c store.DomainClaim) Domain {
	return Domain{ID: c.ID, Name: c.Domain, Token: c.Token, TXTName: TXTPrefix + c.Domain, Verified: c.VerifiedAt != nil,
		VerifiedAt: c.VerifiedAt, CreatedAt: c.CreatedAt}
}

// Domains are a firm's custom domains: an admin adds one, publishes its
// token in DNS, verifies it, and removes it. A domain serves the firm only
// once verified (it then enters tenant_domains, which the host resolver
// reads, and whose key makes a domain one firm's only); removing it stops
// that at once, and adding it again takes a new token and a new
// verification. Each method checks the role it needs (admin).
type Domains struct {
	store    *store.Store
	dir      *Directory
	resolver Resolver
	base     string
	now      func() time.Time
}

// DomainsConfig configures Domains.
type DomainsConfig struct {
	Store *store.Store
	// Directory is told of each verification and removal, so the host
	// cache drops the domain at once.
	Directory *Directory
	// Resolver looks up the TXT records. Defaults to net.DefaultResolver.
	Resolver Resolver
	// BaseDomain is the apex: neither it nor a name under it can be a
	// custom domain.
	BaseDomain string
	Now        func() time.Time
}

// NewDomains returns the custom-domain operations.
func NewDomains(cfg DomainsConfig) *Domains {
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	return &Domains{store: cfg.Store, dir: cfg.Directory, resolver: cfg.Resolver, base: strings.ToLower(cfg.BaseDomain), now: cfg.Now}
}

func invalidDomain(why string) error {
	return &tenant.Error{Code: tenant.CodeInvalid, Message: "not a domain this organization can use: " + why,
		Fields: map[string]string{"body.domain": why}}
}

// NormalizeDomain returns name as a custom domain is stored: lower case,
// without a trailing dot, ASCII (an internationalized name in its punycode
// form), at least two labels, not an address, and neither the platform's
// base domain nor a name under it.
func NormalizeDomain(name, base string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if d == "" || len(d) > 253 {
		return "", invalidDomain("1 to 253 characters")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", invalidDomain("a full domain name, such as www.example.com")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", invalidDomain("each label 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", invalidDomain("letters, digits, hyphens and dots only (an international name in its xn-- form)")
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", invalidDomain("a name, not an address")
	}
	base = strings.ToLower(base)
	if base != "" && (d == base || strings.HasSuffix(d, "."+base)) {
		return "", invalidDomain("the platform's own domain and its subdomains are not custom domains")
	}
	if d == "localhost" || strings.HasSuffix(d, ".localhost") {
		return "", invalidDomain("not a public name")
	}
	return d, nil
}

// List returns the firm's custom domains, by name. Admins only.
func (d *Domains) List(ctx context.Context) (out []Domain, err error) {
	defer errs.Wrap(&err, "tenants: list domains")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return nil, err
	}
	err = d.store.ReadTenant(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListDomainClaims(ctx, tx.TenantID())
		for _, r := range rows {
			out = append(out, domainOf(r))
		}
		return err
	})
	return out, err
}

// Get returns the firm's domain id (CodeNotFound for a missing or another
// firm's). Admins only.
func (d *Domains) Get(ctx context.Context, id uuid.UUID) (dom Domain, err error) {
	defer errs.Wrap(&err, "tenants: get domain")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return dom, err
	}
	err = d.store.ReadTenant(ctx, func(tx *store.Tx) error {
		c, err := tx.GetDomainClaim(ctx, store.GetDomainClaimParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return tenant.NotFound("domain")
		}
		dom = domainOf(c)
		return err
	})
	return dom, err
}

// Add registers name for the firm, unverified, with a new token to
// publish as the TXT record _tenantkit.<name>. Invalid names are
// CodeInvalid; a name the firm already holds, or one that serves another
// firm, CodeConflict. Admins only.
func (d *Domains) Add(ctx context.Context, name string) (dom Domain, err error) {
	defer errs.Wrap(&err, "tenants: add domain")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return dom, err
	}
	if name, err = NormalizeDomain(name, d.base); err != nil {
		return dom, err
	}
	token, err := newDomainToken()
	if err != nil {
		return dom, err
	}
	err = d.store.InTenant(ctx, func(tx *store.Tx) error {
		taken, err := tx.DomainOwnedElsewhere(ctx, store.DomainOwnedElsewhereParams{Domain: name, TenantID: tx.TenantID()})
		if err != nil {
			return err
		}
		if taken {
			return errDomainTaken
		}
		list, err := tx.ListDomainClaims(ctx, tx.TenantID())
		if err != nil {
			return err
		}
		if len(list) >= MaxDomains {
			return tenant.Errorf(tenant.CodeConflict, "an organization holds at most %d domains: remove one first", MaxDomains)
		}
		c, err := tx.CreateDomainClaim(ctx, store.CreateDomainClaimParams{TenantID: tx.TenantID(), Domain: name, Token: token, CreatedAt: d.now()})
		if tenant.IsCode(err, tenant.CodeConflict) {
			return tenant.Errorf(tenant.CodeConflict, "this organization already has the domain %s", name)
		}
		if err != nil {
			return err
		}
		dom = domainOf(c)
		return d.audit(ctx, tx, "domain.added", dom)
	})
	return dom, err
}

var errDomainTaken = tenant.Errorf(tenant.CodeConflict, "this domain serves another organization")

// ErrDomainNotProven refuses a verification whose TXT record does not hold
// the domain's token.
var ErrDomainNotProven = tenant.Errorf(tenant.CodeConflict,
	"the TXT record does not hold this domain's token yet: publish it, wait for DNS to pass it on, and verify again")

// Verify looks up the TXT record _tenantkit.<domain> of the firm's domain
// id; when one of its values is the domain's token, the domain serves the
// firm from then on. A domain already verified is returned as it is. A
// record without the token is ErrDomainNotProven; a domain another firm
// verified first, CodeConflict; a failed lookup, CodeUnavailable. Admins
// only.
func (d *Domains) Verify(ctx context.Context, id uuid.UUID) (dom Domain, err error) {
	defer errs.Wrap(&err, "tenants: verify domain")
	if dom, err = d.Get(ctx, id); err != nil || dom.Verified {
		return dom, err
	}
	// The lookup runs outside any transaction: DNS may be slow.
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	values, lerr := d.resolver.LookupTXT(lctx, dom.TXTName)
	if dnsErr, ok := lerr.(*net.DNSError); lerr != nil && !(ok && dnsErr.IsNotFound) {
		return dom, &tenant.Error{Code: tenant.CodeUnavailable, Message: "the DNS lookup of " + dom.TXTName + " failed; retry later",
			RetryAfter: time.Minute, Err: lerr}
	}
	proven := false
	for _, v := range values {
		if strings.TrimSpace(v) == dom.Token {
			proven = true
		}
	}
	if !proven {
		return dom, ErrDomainNotProven
	}
	var sc tenant.Scope
	err = d.store.InTenant(ctx, func(tx *store.Tx) error {
		sc = tx.Scope()
		c, err := tx.GetDomainClaim(ctx, store.GetDomainClaimParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return tenant.NotFound("domain")
		}
		if err != nil {
			return err
		}
		if c.Token != dom.Token || c.VerifiedAt != nil {
			dom = domainOf(c) // removed and added again, or verified meanwhile
			if c.VerifiedAt == nil {
				return ErrDomainNotProven
			}
			return nil
		}
		taken, err := tx.DomainOwnedElsewhere(ctx, store.DomainOwnedElsewhereParams{Domain: c.Domain, TenantID: tx.TenantID()})
		if err != nil {
			return err
		}
		if taken {
			return errDomainTaken
		}
		now := d.now()
		err = tx.InsertVerifiedDomain(ctx, store.InsertVerifiedDomainParams{Domain: c.Domain, TenantID: tx.TenantID(), VerificationToken: c.Token, VerifiedAt: &now})
		if tenant.IsCode(err, tenant.CodeConflict) {
			return errDomainTaken
		}
		if err != nil {
			return err
		}
		if c, err = tx.MarkDomainClaimVerified(ctx, store.MarkDomainClaimVerifiedParams{VerifiedAt: &now, TenantID: tx.TenantID(), ID: id}); err != nil {
			return err
		}
		dom = domainOf(c)
		return d.audit(ctx, tx, "domain.verified", dom)
	})
	if err == nil && d.dir != nil {
		d.dir.hostChanged(sc.TenantID, dom.Name)
	}
	return dom, err
}

// Remove removes the firm's domain id: it answers 404 from then on, and
// serves the firm again only after it is added and verified anew. Admins
// only.
func (d *Domains) Remove(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "tenants: remove domain")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	var dom Domain
	var sc tenant.Scope
	err = d.store.InTenant(ctx, func(tx *store.Tx) error {
		sc = tx.Scope()
		c, err := tx.DeleteDomainClaim(ctx, store.DeleteDomainClaimParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return tenant.NotFound("domain")
		}
		if err != nil {
			return err
		}
		dom = domainOf(c)
		if _, err := tx.DeleteVerifiedDomain(ctx, store.DeleteVerifiedDomainParams{TenantID: tx.TenantID(), Domain: c.Domain}); err != nil {
			return err
		}
		return d.audit(ctx, tx, "domain.removed", dom)
	})
	if err == nil && d.dir != nil {
		d.dir.hostChanged(sc.TenantID, dom.Name)
	}
	return err
}

func (d *Domains) audit(ctx context.Context, tx *store.Tx, action string, dom Domain) error {
	b, err := json.Marshal(map[string]string{"domain": dom.Name})
	if err != nil {
		return err
	}
	return tx.Audit(ctx, action, "domain", &dom.ID, b)
}

// newDomainToken returns a fresh verification token: 160 random bits.
func newDomainToken() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "tenantkit-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}
