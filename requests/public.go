package requests

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/mailaddr"
	"github.com/tenantkit/tenantkit/internal/onetime"
	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/mailer/tenantmail"
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

func limited(l *ratelimit.Limiter, key string) error {
	if ok, wait := l.Allow(key); !ok {
		return &tenant.Error{Code: tenant.CodeRateLimited, Message: "too many requests from here, retry later", RetryAfter: wait}
	}
	return nil
}

// PublicConfirmationTTL is how long the link that confirms a public
// form's request works.
const PublicConfirmationTTL = 48 * time.Hour

// SubmitPublicRequest takes a request from the public form of the scope's
// tenant for the person with in.Email, and mails that address a link that
// confirms it. Nothing reaches an account until the link is opened: the
// request is held apart, naming no account and no member, so typing
// someone's address into the form attaches nothing to them. clientAddr is
// the submitter's network address, for the rate limits. The answer is the
// same whatever the address is; see the package documentation for what it
// does against abuse.
func (s *Service) SubmitPublicRequest(ctx context.Context, in PublicInput, clientAddr string) (err error) {
	defer errs.Wrap(&err, "requests: submit public request")
	scope, ok := tenant.ScopeFrom(ctx)
	if !ok {
		return tenant.Errorf(tenant.CodeInternal, "public form without a tenant scope")
	}
	tid := scope.TenantID
	in.Email = mailaddr.Normalize(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	in.Title = strings.TrimSpace(in.Title)
	f := fields{}
	if !mailaddr.Valid(in.Email) {
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
	tok, hash := onetime.New()
	var msg mailer.Message
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		sec, err := tx.GetSecuritySettings(ctx, tid)
		if err != nil {
			return err
		}
		domain := in.Email[strings.LastIndexByte(in.Email, '@')+1:]
		if len(sec.AllowedEmailDomains) > 0 && !slices.Contains(sec.AllowedEmailDomains, domain) {
			return &tenant.Error{Code: tenant.CodeInvalid, Message: "this organization only takes requests from its allowed email domains",
				Fields: map[string]string{"body.email": "domain not allowed"}}
		}
		serviceID, err := activeService(ctx, tx, in.ServiceSlug, "body.service_slug")
		if err != nil {
			return err
		}
		tn, err := tx.GetTenant(ctx, tid)
		if err != nil {
			return err
		}
		now := s.now()
		sub, err := tx.CreatePublicSubmission(ctx, store.CreatePublicSubmissionParams{
			TenantID: tid, Email: in.Email, Name: in.Name, Title: in.Title, Details: in.Details, ServiceID: serviceID,
			TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(PublicConfirmationTTL),
		})
		if err != nil {
			return err
		}
		// The message says nothing the submitter wrote: a form that mails
		// any address must not carry a stranger's words in the firm's name.
		link := s.link(tn.Slug, "/requests/confirm?token="+url.QueryEscape(tok))
		if msg, err = tenantmail.LinkMail(ctx, tx, mailer.KindRequestReceived, in.Email, link, "Send the request", sub.ExpiresAt, nil); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"ip": clientAddr})
		return tx.Audit(ctx, "service_request.public_submitted", "public_submission", &sub.ID, detail)
	})
	if err != nil {
		return err
	}
	// Sent once the submission is committed, through the queue: the
	// answer does not wait on the mail server, and the delivery log
	// records the result.
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.logger.ErrorContext(ctx, "send public request confirmation", slog.Any("error", err))
	}
	return nil
}

var errConfirmation = &tenant.Error{Code: tenant.CodeInvalid, Message: "this confirmation link is invalid, used or expired"}

// ConfirmPublicRequest files the public form's request whose mailed link
// carried token, for the address it was sent to: the person becomes a
// client of the scope's tenant if they were not a member yet (an account
// without a password is made for an unknown address), and the request is
// filed under their membership. An existing membership keeps its role and
// name. The answer tells the person nothing beyond that the request went
// through.
func (s *Service) ConfirmPublicRequest(ctx context.Context, token string) (err error) {
	defer errs.Wrap(&err, "requests: confirm public request")
	scope, ok := tenant.ScopeFrom(ctx)
	if !ok {
		return tenant.Errorf(tenant.CodeInternal, "public form without a tenant scope")
	}
	tid := scope.TenantID
	if token == "" || len(token) > 100 {
		return errConfirmation
	}
	hash := onetime.Hash(token)
	var sub store.PublicSubmission
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		var err error
		sub, err = tx.LockOpenPublicSubmission(ctx, store.LockOpenPublicSubmissionParams{TenantID: tid, TokenHash: hash, Now: s.now()})
		if store.IsNotFound(err) {
			return errConfirmation
		}
		return err
	})
	if err != nil {
		return err
	}
	// Accounts are platform data: find or create this one on the audited
	// platform path. The mailed link is the proof of the address.
	var account store.PlatformAccount
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "public_submission:" + sub.ID.String(), Action: "service_request.public_confirmed_account", TargetTenant: &tid,
		Reason: "a public form's request confirmed by the link mailed to its address: find or create the address's account",
	}, func(tx *store.PlatformTx) error {
		a, err := tx.CreateAccountIfAbsent(ctx, sub.Email)
		if store.IsNotFound(err) {
			a, err = tx.FindAccountByEmail(ctx, sub.Email)
		}
		account = a
		return err
	})
	if err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		sub, err := tx.LockOpenPublicSubmission(ctx, store.LockOpenPublicSubmissionParams{TenantID: tid, TokenHash: hash, Now: s.now()})
		if store.IsNotFound(err) {
			return errConfirmation // confirmed meanwhile
		}
		if err != nil {
			return err
		}
		member, err := tx.CreateClientMemberIfAbsent(ctx, store.CreateClientMemberIfAbsentParams{
			TenantID: tid, AccountID: account.ID, DisplayName: sub.Name,
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
		r, err := s.create(ctx, tx, store.CreateServiceRequestParams{
			ClientMemberID: member.ID, ServiceID: sub.ServiceID, Title: sub.Title, Details: sub.Details,
			Priority: string(PriorityNormal), Source: string(SourcePublic),
		}, "submitted on the public form, confirmed by email")
		if err != nil {
			return err
		}
		if err := notifyStaff(ctx, tx, r.ID, uuid.Nil); err != nil {
			return err
		}
		return tx.ConfirmPublicSubmission(ctx, store.ConfirmPublicSubmissionParams{TenantID: tid, ID: sub.ID, Now: s.now(), ServiceRequestID: r.ID})
	})
}
