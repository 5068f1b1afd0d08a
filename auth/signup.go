package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/mailaddr"
	"github.com/tenantkit/tenantkit/internal/onetime"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
)

// Sign-up creates an organization from the apex host in two steps. The
// request names the organization and an email address and stores nothing
// but a pending row; the link mailed to the address opens it, and only
// there does the person choose a password (or, for an address that has an
// account, give its password). The password is asked for after the proof
// of the address, never before: a password typed next to someone else's
// address would otherwise become the credential of that person's account
// the day they click the link (the pre-hijack of THREATS AUTH-14).
const (
	// SignupLifetime is how long a sign-up link works.
	SignupLifetime = 24 * time.Hour
	// MaxSignupFailures is how many wrong passwords of an existing account
	// a sign-up link takes before it dies.
	MaxSignupFailures = 5
	// SignupsPerAddress sign-ups per client address, then one more every
	// SignupAddressRefill; SignupsPerEmail per email, then one more every
	// SignupEmailRefill (each sends mail).
	SignupsPerAddress   = 5
	SignupAddressRefill = 12 * time.Minute
	SignupsPerEmail     = 3
	SignupEmailRefill   = 20 * time.Minute
)

// SignupRequest is what a person fills in to create an organization.
type SignupRequest struct {
	// Name is the organization's name; Slug its address
	// ({slug}.{base domain}).
	Name, Slug string
	Email      string
	// Trap is a field people never see and never fill: a request that
	// fills it is answered like any other, and dropped.
	Trap string
}

var errInvalidSignup = &tenant.Error{Code: tenant.CodeInvalid, Message: "this sign-up link is invalid, used or expired"}

// RequestSignup checks a sign-up and mails its confirmation link to the
// address. The answer is the same whether or not the address has an
// account — the request does not even look — and takes the same time: the
// mail leaves through the queue. A malformed, reserved or taken slug is
// refused (CodeInvalid or CodeConflict with the field body.slug) and
// nothing is stored. Requests are limited per client address and per
// email (CodeRateLimited).
func (s *Service) RequestSignup(ctx context.Context, in SignupRequest, meta ClientMeta) (err error) {
	defer errs.Wrap(&err, "auth: request sign-up")
	in.Email, in.Slug, in.Name = mailaddr.Normalize(in.Email), strings.ToLower(strings.TrimSpace(in.Slug)), strings.TrimSpace(in.Name)
	if err := tenants.CheckSlug(in.Slug); err != nil {
		return err
	}
	if err := tenants.CheckName(in.Name); err != nil {
		return err
	}
	if !mailaddr.Valid(in.Email) {
		return &tenant.Error{Code: tenant.CodeInvalid, Message: "a valid email address is required", Fields: map[string]string{"body.email": "a valid email address"}}
	}
	if ok, wait := s.limits.signupAddress.Allow(meta.IP); !ok {
		return tooMany(wait)
	}
	if ok, wait := s.limits.signupEmail.Allow(in.Email); !ok {
		return tooMany(wait)
	}
	if _, err := s.tenants.Find(ctx, in.Slug); err == nil {
		return &tenant.Error{Code: tenant.CodeConflict, Message: "this address is taken", Fields: map[string]string{"body.slug": "taken"}}
	} else if !tenant.IsCode(err, tenant.CodeNotFound) {
		return err
	}
	if in.Trap != "" {
		s.logger.InfoContext(ctx, "sign-up with the trap field filled: dropped", slog.String("client_ip", meta.IP))
		return nil
	}
	tok, hash := onetime.New()
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "signup.requested", Reason: "a person asks for a new organization; the link goes to the address",
		Detail: map[string]any{"ip": meta.IP, "slug": in.Slug},
	}, func(tx *store.PlatformTx) error {
		now := s.now()
		_, err := tx.CreateSignup(ctx, store.PlatformCreateSignupParams{
			Email: in.Email, Slug: in.Slug, Name: in.Name, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(SignupLifetime),
		})
		return err
	})
	if err != nil {
		return err
	}
	link := s.urls.Apex("/signup/confirm?token=" + url.QueryEscape(tok))
	msg := mailer.Message{To: in.Email, Subject: "Confirm your new organization " + in.Name,
		Text: "Someone asked to create the organization \"" + in.Name + "\" at " + s.urls.Tenant(in.Slug, "/") +
			" with this address as its owner.\n\nTo create it, open:\n" + link +
			"\n\nThe link works once, for 24 hours. If it was not you, ignore this message: nothing is created without it."}
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.logger.ErrorContext(ctx, "send sign-up mail", slog.Any("error", err))
	}
	return nil
}

// SignupPreview is what the holder of a sign-up link is shown before
// confirming. Only the address receives the link, so telling its holder
// whether the address has an account tells its owner about their own.
type SignupPreview struct {
	Email, Name, Slug string
	// URL is the organization's address once created.
	URL     string
	Account AccountState
	// MinPasswordLength applies to a new account's password.
	MinPasswordLength int
}

// openSignup reads the open sign-up of token.
func (s *Service) openSignup(ctx context.Context, token string) (store.PlatformSignup, error) {
	var su store.PlatformSignup
	if token == "" || len(token) > 100 {
		return su, errInvalidSignup
	}
	err := s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "signup.opened", Reason: "a sign-up link is checked before its password is",
	}, func(tx *store.PlatformTx) error {
		var err error
		su, err = tx.PeekSignup(ctx, store.PlatformPeekSignupParams{TokenHash: onetime.Hash(token), Now: s.now(), MaxFailures: MaxSignupFailures})
		if store.IsNotFound(err) {
			return errInvalidSignup
		}
		return err
	})
	return su, err
}

// PreviewSignup tells the holder of a sign-up link what confirming it
// involves.
func (s *Service) PreviewSignup(ctx context.Context, token string) (_ SignupPreview, err error) {
	defer errs.Wrap(&err, "auth: preview sign-up")
	su, err := s.openSignup(ctx, token)
	if err != nil {
		return SignupPreview{}, err
	}
	acct, found, err := s.findAccount(ctx, su.Email, store.PlatformOp{
		Actor: "signup:" + su.ID.String(), Action: "signup.preview",
		Reason: "the holder of a sign-up link sees whether its address already has an account",
	})
	if err != nil {
		return SignupPreview{}, err
	}
	p := SignupPreview{Email: su.Email, Name: su.Name, Slug: su.Slug, URL: s.urls.Tenant(su.Slug, "/"), Account: AccountNew, MinPasswordLength: minPasswordLength}
	switch {
	case found && acct.PasswordHash != nil:
		p.Account = AccountWithPassword
	case found:
		p.Account = AccountWithoutPassword
	}
	return p, nil
}

// ConfirmSignup creates the organization of a sign-up link and returns the
// one-time handoff that signs its owner in on the organization's host,
// bound to originHost (the apex host the link was opened on). Everything
// is checked before anything is written:
//
//   - an address without an account gets one, with password;
//   - an existing account proves itself with its password, checked against
//     the address's sign-in limits; wrong ones count against the link too
//     (MaxSignupFailures). It gets the new membership, never a second
//     account, and its password stays as it is;
//   - an existing account without a password is refused: it sets one with
//     a password reset first.
//
// Then one platform transaction uses the link up, creates the tenant with
// its settings singletons, the account if new, and the owner membership.
// A slug taken since the request is CodeConflict (field body.slug), and
// the link is not used up.
func (s *Service) ConfirmSignup(ctx context.Context, token, password, originHost string, meta ClientMeta) (_ Handoff, err error) {
	defer errs.Wrap(&err, "auth: confirm sign-up")
	if err := s.guessAllowed(meta, ""); err != nil {
		return Handoff{}, err
	}
	su, err := s.openSignup(ctx, token)
	if errors.Is(err, errInvalidSignup) {
		s.guessFailed(meta, "")
	}
	if err != nil {
		return Handoff{}, err
	}
	acct, found, err := s.findAccount(ctx, su.Email, store.PlatformOp{
		Actor: "signup:" + su.ID.String(), Action: "signup.account",
		Reason: "a person confirms a sign-up: find the account of the address",
	})
	if err != nil {
		return Handoff{}, err
	}
	var newHash string
	switch {
	case found && acct.DisabledAt != nil:
		return Handoff{}, errInvalidSignup
	case found && acct.PasswordHash == nil:
		return Handoff{}, errSetPasswordFirst
	case found:
		if err := s.guessAllowed(meta, su.Email); err != nil {
			return Handoff{}, err
		}
		ok, err := s.hasher.Verify(ctx, password, *acct.PasswordHash)
		if err != nil && tenant.IsCode(err, tenant.CodeUnavailable) {
			return Handoff{}, err
		}
		if !ok {
			s.guessFailed(meta, su.Email)
			if err := s.countSignupFailure(ctx, su); err != nil {
				return Handoff{}, err
			}
			return Handoff{}, &tenant.Error{Code: tenant.CodeUnauthorized, Message: "this address already has an account: enter its password to confirm",
				Fields: map[string]string{"body.password": "the password of the account of " + su.Email}}
		}
	default:
		if err := ValidatePassword(password, minPasswordLength); err != nil {
			var te *tenant.Error
			if errors.As(err, &te) {
				te.Fields = map[string]string{"body.password": te.Fields["body.new_password"]}
			}
			return Handoff{}, err
		}
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return Handoff{}, err
		}
	}
	var t tenant.Tenant
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "signup:" + su.ID.String(), Action: "tenant.signup",
		Reason: "a person who proved their address creates their organization",
		Detail: map[string]any{"slug": su.Slug, "new_account": !found},
	}, func(tx *store.PlatformTx) error {
		if _, err := tx.ConfirmSignup(ctx, store.PlatformConfirmSignupParams{TokenHash: onetime.Hash(token), Now: s.now(), MaxFailures: MaxSignupFailures}); err != nil {
			if store.IsNotFound(err) {
				return errInvalidSignup
			}
			return err
		}
		var err error
		if t, err = tenants.Provision(ctx, tx, su.Slug, su.Name); err != nil {
			return err
		}
		if found {
			// The account as it is now, in this transaction: it must still
			// be the one whose password was checked.
			if acct, err = tx.FindAccountByID(ctx, acct.ID); err != nil {
				return err
			}
		} else if acct, err = tx.CreateAccount(ctx, store.PlatformCreateAccountParams{Email: su.Email, PasswordHash: &newHash}); tenant.IsCode(store.Translate(err), tenant.CodeConflict) {
			return errInvalidSignup // created meanwhile by someone else: open the link again
		} else if err != nil {
			return err
		}
		if acct.DisabledAt != nil {
			return errInvalidSignup
		}
		if _, err := tx.CreateMemberInTenant(ctx, store.PlatformCreateMemberInTenantParams{
			TenantID: t.ID, AccountID: acct.ID, Role: string(tenant.RoleOwner), DisplayName: displayNameOf(su.Email),
		}); err != nil {
			return err
		}
		if acct.DefaultTenantID == nil {
			if err := tx.SetAccountDefaultTenant(ctx, store.PlatformSetAccountDefaultTenantParams{TenantID: &t.ID, AccountID: acct.ID}); err != nil {
				return err
			}
		}
		return tx.SetSignupTenant(ctx, store.PlatformSetSignupTenantParams{ID: su.ID, TenantID: &t.ID})
	})
	if err != nil {
		return Handoff{}, err
	}
	return s.handoff(ctx, t, acct.ID, "/", originHost, "tenant.created")
}

// countSignupFailure records a wrong password given with su.
func (s *Service) countSignupFailure(ctx context.Context, su store.PlatformSignup) error {
	return s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "signup:" + su.ID.String(), Action: "signup.wrong_password",
		Reason: "a wrong password given with a sign-up link counts against it",
	}, func(tx *store.PlatformTx) error {
		_, err := tx.CountSignupFailure(ctx, su.ID)
		if store.IsNotFound(err) {
			return nil
		}
		return err
	})
}

// displayNameOf is a new owner's name until they change it: the local part
// of their address.
func displayNameOf(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return truncate(local, 200)
}
