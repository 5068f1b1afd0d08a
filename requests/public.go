package requests

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// PublicInput is a submission of a tenant's public request form.
type PublicInput struct {
	Email       string
	Name        string
	Title       string
	Details     string
	ServiceSlug string
}

// validEmail is a plain check of an address's shape; the account's own
// constraint is the last word.
func validEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && len(e) <= 254 && strings.Count(e, "@") == 1 &&
		!strings.ContainsFunc(e, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune(`<>,;"()[]\`, r) })
}

func limited(l *ratelimit.Limiter, key string) error {
	if ok, wait := l.Allow(key); !ok {
		return &tenant.Error{Code: tenant.CodeRateLimited, Message: "too many requests from here, retry later", RetryAfter: wait}
	}
	return nil
}

// SubmitPublicRequest files a request from the public form of the scope's
// tenant for the client with in.Email, making the person a client first if
// they are not a member yet. clientAddr is the submitter's network address,
// for the rate limits. It reports nothing about the address: success is
// the same whether it had an account, was a client or was unknown. See the
// package documentation for what it does against abuse.
func (s *Service) SubmitPublicRequest(ctx context.Context, in PublicInput, clientAddr string) error {
	scope, ok := tenant.ScopeFrom(ctx)
	if !ok {
		return tenant.Errorf(tenant.CodeInternal, "public form without a tenant scope")
	}
	tid := scope.TenantID
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	in.Title = strings.TrimSpace(in.Title)
	f := fields{}
	if !validEmail(in.Email) {
		f["body.email"] = "an email address"
	}
	f.text("body.name", in.Name, 1, 200)
	f.request(in.Title, in.Details, PriorityNormal)
	if err := f.err("invalid service request"); err != nil {
		return err
	}
	// The tenant's limit comes last, so that one address hammering the
	// form spends its own budget, not the tenant's.
	if err := limited(s.byAddress, tid.String()+"|"+clientAddr); err != nil {
		return err
	}
	if err := limited(s.byEmail, tid.String()+"|"+in.Email); err != nil {
		return err
	}
	if err := limited(s.byTenant, tid.String()); err != nil {
		return err
	}
	// Checks that depend only on the input and the tenant come before the
	// address is looked up anywhere.
	var serviceID *uuid.UUID
	err := s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		sec, err := tx.GetSecuritySettings(ctx, tid)
		if err != nil {
			return err
		}
		domain := in.Email[strings.LastIndexByte(in.Email, '@')+1:]
		if len(sec.AllowedEmailDomains) > 0 && !slices.Contains(sec.AllowedEmailDomains, domain) {
			return &tenant.Error{Code: tenant.CodeInvalid, Message: "this organization only takes requests from its allowed email domains",
				Fields: map[string]string{"body.email": "domain not allowed"}}
		}
		serviceID, err = activeService(ctx, tx, in.ServiceSlug, "body.service_slug")
		return err
	})
	if err != nil {
		return err
	}
	// Accounts are platform data: find or create this one on the audited
	// platform path, every time, so that a known and an unknown address
	// take the same path.
	var account store.PlatformAccount
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "service_request.public_form_account", TargetTenant: &tid,
		Reason: "the public request form files a request for an email address: find or create its account",
		Detail: map[string]any{"ip": clientAddr},
	}, func(tx *store.PlatformTx) error {
		a, err := tx.CreateAccountIfAbsent(ctx, in.Email)
		if store.IsNotFound(err) {
			a, err = tx.FindAccountByEmail(ctx, in.Email)
		}
		account = a
		return err
	})
	if err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		member, err := tx.CreateClientMemberIfAbsent(ctx, store.CreateClientMemberIfAbsentParams{
			TenantID: tid, AccountID: account.ID, DisplayName: in.Name,
		})
		switch {
		case err == nil:
			if err := tx.Audit(ctx, "member.created_by_public_form", "member", &member.ID, nil); err != nil {
				return err
			}
		case store.IsNotFound(err):
			// Already a member, live or removed: the membership stays as it
			// is, whatever its role and name.
			member, err = tx.FindMemberByAccount(ctx, store.FindMemberByAccountParams{TenantID: tid, AccountID: account.ID})
			if err != nil {
				return err
			}
		default:
			return err
		}
		_, err = s.create(ctx, tx, store.CreateServiceRequestParams{
			ClientMemberID: member.ID, ServiceID: serviceID, Title: in.Title, Details: in.Details,
			Priority: string(PriorityNormal), Source: string(SourcePublic),
		}, "submitted on the public form")
		return err
	})
}
