package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Config configures the Service.
type Config struct {
	Store  *store.Store
	Hasher *Hasher
	Tokens *Tokens
	Signer *Signer
	Mailer mailer.Sender
	URLs   URLs
	Logger *slog.Logger
	// Now is the clock every expiry and timestamp is read from. Required:
	// the binary passes time.Now, tests a clock they set.
	Now func() time.Time
	// PlatformSessionTTL is the lifetime of a session on the apex host.
	// Defaults to 12h.
	PlatformSessionTTL time.Duration
	// HandoffTTL is the lifetime of a switch handoff. Defaults to 60s, the
	// most the schema allows.
	HandoffTTL time.Duration
	// InvitationTTL is the lifetime of an invitation. Defaults to 7 days.
	InvitationTTL time.Duration
}

// Service is tenantkit's identity: sign-in, sessions, the tenant binding of
// every request, the tenant switch, passwords and memberships.
type Service struct {
	store         *store.Store
	hasher        *Hasher
	tokens        *Tokens
	signer        *Signer
	mailer        mailer.Sender
	urls          URLs
	logger        *slog.Logger
	platformTTL   time.Duration
	handoffTTL    time.Duration
	invitationTTL time.Duration
	now           func() time.Time

	loginByEmail *ratelimit.Limiter
	loginByIP    *ratelimit.Limiter
	resetByEmail *ratelimit.Limiter
	resetByIP    *ratelimit.Limiter
}

// NewService returns a Service.
func NewService(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, hasher: cfg.Hasher, tokens: cfg.Tokens, signer: cfg.Signer, mailer: cfg.Mailer,
		urls: cfg.URLs, logger: cfg.Logger, platformTTL: cfg.PlatformSessionTTL, handoffTTL: cfg.HandoffTTL,
		invitationTTL: cfg.InvitationTTL, now: cfg.Now,
		// Sign-in: 10 tries per account per 10 minutes, 30 per address.
		loginByEmail: ratelimit.New(time.Minute, 10, 100_000),
		loginByIP:    ratelimit.New(20*time.Second, 30, 100_000),
		resetByEmail: ratelimit.New(10*time.Minute, 3, 100_000),
		resetByIP:    ratelimit.New(time.Minute, 10, 100_000),
	}
	if s.now == nil {
		panic("auth: Config.Now is required")
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.platformTTL == 0 {
		s.platformTTL = 12 * time.Hour
	}
	if s.handoffTTL == 0 || s.handoffTTL > 60*time.Second {
		s.handoffTTL = 60 * time.Second
	}
	if s.invitationTTL == 0 {
		s.invitationTTL = 7 * 24 * time.Hour
	}
	return s
}

// URLs builds the public addresses of the apex and of each tenant from the
// configured public URL, never from a request's Host header.
type URLs struct {
	// Scheme is "https" (or "http" in development).
	Scheme string
	// Host is the apex host with its port if not the default, e.g.
	// "example.com" or "localhost:8080".
	Host string
}

// Apex returns the apex URL with path.
func (u URLs) Apex(path string) string { return u.Scheme + "://" + u.Host + path }

// Tenant returns the URL of path on the tenant with slug.
func (u URLs) Tenant(slug, path string) string { return u.Scheme + "://" + slug + "." + u.Host + path }

// ClientMeta describes the client of a request, for limits and records.
type ClientMeta struct {
	IP        string
	UserAgent string
}

// Tenant is a resolved tenant.
type Tenant struct {
	ID     uuid.UUID
	Slug   string
	Name   string
	Status string
}

// Issued is a new session: the token and, for a tenant session, the signed
// tenant cookie, which the client must present together.
type Issued struct {
	Token     string
	TenantSig string
	// IssuedAt and ExpiresAt bound the session's lifetime.
	IssuedAt  time.Time
	ExpiresAt time.Time
	Session   Session
	Email     string
	MemberID  uuid.UUID
}

// Principal is an authenticated request: its verified scope (for a tenant
// host) or account (for the apex host), and the session it came with.
type Principal struct {
	Scope   tenant.Scope
	Session Session
	Email   string
}

// Credentials are what a request presents: the session token (cookie or
// bearer) and the signed tenant cookie.
type Credentials struct {
	Token     string
	TenantSig string
}

// BindError is a credential that is valid in itself but bound elsewhere:
// another tenant's token, a tenant cookie that names another tenant,
// account or session. Its Reason is for the security log, never the client.
type BindError struct {
	Reason string
}

func (e *BindError) Error() string { return "binding refused: " + e.Reason }

// errForbiddenBinding is what a client sees for every BindError: the same
// message whether or not the other tenant exists.
func forbidden(reason string) error {
	return &tenant.Error{Code: tenant.CodeForbidden, Message: "this session is not valid for this organization", Err: &BindError{Reason: reason}}
}

func unauthorized(cause error) error {
	return &tenant.Error{Code: tenant.CodeUnauthorized, Message: "sign in required", Err: cause}
}

var errBadLogin = &tenant.Error{Code: tenant.CodeUnauthorized, Message: "wrong email or password"}

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// signInAllowed refuses a sign-in attempt while its client address, or its
// email when there is one, has failed too often. Only failures count
// (signInFailed): the people of one office behind one address sign in as
// often as they like, while guessing passwords or tokens is limited. The
// attempts in flight when the limit is reached still finish, a number
// bounded by the hasher's queue.
func (s *Service) signInAllowed(ip, email string) error {
	if blocked, wait := s.loginByIP.Blocked(ip); blocked {
		return &tenant.Error{Code: tenant.CodeRateLimited, Message: "too many attempts, retry later", RetryAfter: wait}
	}
	if email == "" {
		return nil
	}
	if blocked, wait := s.loginByEmail.Blocked(email); blocked {
		return &tenant.Error{Code: tenant.CodeRateLimited, Message: "too many attempts, retry later", RetryAfter: wait}
	}
	return nil
}

// signInFailed counts a failed sign-in attempt against its client address
// and, when there is one, its email.
func (s *Service) signInFailed(ip, email string) {
	s.loginByIP.Allow(ip)
	if email != "" {
		s.loginByEmail.Allow(email)
	}
}

func (s *Service) limit(l *ratelimit.Limiter, key string) error {
	if ok, wait := l.Allow(key); !ok {
		return &tenant.Error{Code: tenant.CodeRateLimited, Message: "too many attempts, retry later", RetryAfter: wait}
	}
	return nil
}

// newToken returns a random single-use token and its SHA-256 hash, which is
// all the database keeps.
func newToken() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok)
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// issue signs the token and the tenant cookie of a new session.
func (s *Service) issue(sess Session, email string, memberID uuid.UUID) (Issued, error) {
	tok, err := s.tokens.Issue(sess)
	if err != nil {
		return Issued{}, fmt.Errorf("sign token: %w", err)
	}
	out := Issued{Token: tok, IssuedAt: s.now(), ExpiresAt: sess.ExpiresAt, Session: sess, Email: email, MemberID: memberID}
	if sess.TenantID != uuid.Nil {
		out.TenantSig = s.signer.Sign(TenantSig{TenantID: sess.TenantID, AccountID: sess.AccountID, SessionID: sess.ID, ExpiresAt: sess.ExpiresAt})
	}
	return out, nil
}

// LoginTenant signs in on a tenant's host. Only a live member of that
// tenant can; an unknown email costs one password hash like a wrong
// password, and both read the same.
func (s *Service) LoginTenant(ctx context.Context, t Tenant, email, password string, meta ClientMeta) (Issued, error) {
	email = NormalizeEmail(email)
	if err := s.signInAllowed(meta.IP, email); err != nil {
		return Issued{}, err
	}
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, RequestID: tenant.RequestIDFrom(ctx)})
	var login store.FindLoginByEmailRow
	found := true
	err := s.store.ReadTenant(tctx, func(tx *store.Tx) error {
		var err error
		login, err = tx.FindLoginByEmail(tctx, store.FindLoginByEmailParams{TenantID: t.ID, Email: email})
		if store.IsNotFound(err) {
			found, err = false, nil
		}
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	ok, err := s.hasher.Verify(ctx, password, login.PasswordHash)
	if err != nil && tenant.IsCode(err, tenant.CodeUnavailable) {
		return Issued{}, err
	}
	if !found || !ok || login.Disabled {
		s.signInFailed(meta.IP, email)
		return Issued{}, errBadLogin
	}
	scope := tenant.Scope{TenantID: t.ID, AccountID: login.AccountID, MemberID: login.MemberID, Role: tenant.Role(login.Role), RequestID: tenant.RequestIDFrom(ctx)}
	return s.createTenantSession(tenant.WithScope(ctx, scope), login.SessionVersion, email, meta, "auth.login")
}

// createTenantSession records a session for the scope's member and issues
// its token and cookie. The lifetime is the tenant's security setting.
func (s *Service) createTenantSession(ctx context.Context, version int64, email string, meta ClientMeta, action string) (Issued, error) {
	scope := tenant.MustScope(ctx)
	var row store.Session
	err := s.store.InTenant(ctx, func(tx *store.Tx) error {
		sec, err := tx.GetSecuritySettings(ctx, scope.TenantID)
		if err != nil {
			return err
		}
		now := s.now()
		row, err = tx.CreateSession(ctx, store.CreateSessionParams{
			TenantID: scope.TenantID, MemberID: scope.MemberID, AccountID: scope.AccountID,
			CreatedAt: now, ExpiresAt: now.Add(time.Duration(sec.SessionLifetimeMinutes) * time.Minute),
			UserAgent: truncate(meta.UserAgent, 500),
		})
		if err != nil {
			return err
		}
		return tx.Audit(ctx, action, "session", &row.ID, nil)
	})
	if err != nil {
		return Issued{}, err
	}
	return s.issue(Session{
		ID: row.ID, AccountID: scope.AccountID, TenantID: scope.TenantID, Role: string(scope.Role),
		Version: version, ExpiresAt: row.ExpiresAt,
	}, email, scope.MemberID)
}

// Membership is one of an account's tenants.
type Membership struct {
	TenantID uuid.UUID
	Slug     string
	Name     string
	Role     string
	URL      string
}

// LoginPlatform signs in on the apex host: a platform session that names no
// tenant, and the account's memberships. The attempt is recorded in the
// platform audit log whether or not it succeeds.
func (s *Service) LoginPlatform(ctx context.Context, email, password string, meta ClientMeta) (Issued, []Membership, error) {
	email = NormalizeEmail(email)
	if err := s.signInAllowed(meta.IP, email); err != nil {
		return Issued{}, nil, err
	}
	var acct store.PlatformAccount
	found := true
	err := s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "auth.login_attempt", Reason: "sign-in on the platform host looks up the account by email",
		Detail: map[string]any{"ip": meta.IP},
	}, func(tx *store.PlatformTx) error {
		var err error
		acct, err = tx.FindAccountByEmail(ctx, email)
		if store.IsNotFound(err) {
			found, err = false, nil
		}
		return err
	})
	if err != nil {
		return Issued{}, nil, err
	}
	hash := ""
	if acct.PasswordHash != nil {
		hash = *acct.PasswordHash
	}
	ok, err := s.hasher.Verify(ctx, password, hash)
	if err != nil && tenant.IsCode(err, tenant.CodeUnavailable) {
		return Issued{}, nil, err
	}
	if !found || !ok || acct.DisabledAt != nil {
		s.signInFailed(meta.IP, email)
		return Issued{}, nil, errBadLogin
	}
	var row store.PlatformAccountSession
	var memberships []Membership
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: acct.ID.String(), Action: "auth.login", Reason: "open a platform session after a verified password",
	}, func(tx *store.PlatformTx) error {
		var err error
		row, err = tx.CreateAccountSession(ctx, store.PlatformCreateAccountSessionParams{
			AccountID: acct.ID, CreatedAt: s.now(), ExpiresAt: s.now().Add(s.platformTTL), UserAgent: truncate(meta.UserAgent, 500),
		})
		if err != nil {
			return err
		}
		memberships, err = s.memberships(ctx, tx, acct.ID)
		return err
	})
	if err != nil {
		return Issued{}, nil, err
	}
	is, err := s.issue(Session{ID: row.ID, AccountID: acct.ID, Version: acct.SessionVersion, ExpiresAt: row.ExpiresAt}, email, uuid.Nil)
	return is, memberships, err
}

func (s *Service) memberships(ctx context.Context, tx *store.PlatformTx, accountID uuid.UUID) ([]Membership, error) {
	rows, err := tx.ListAccountMemberships(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]Membership, 0, len(rows))
	for _, r := range rows {
		if r.TenantStatus != "active" {
			continue
		}
		out = append(out, Membership{TenantID: r.TenantID, Slug: r.Slug, Name: r.TenantName, Role: r.Role, URL: s.urls.Tenant(r.Slug, "/")})
	}
	return out, nil
}

// AuthenticateTenant binds a request on the host of tenant t: the token must
// verify and name t, the signed tenant cookie must verify and name t, the
// token's account and its session, and the session, the membership and the
// account must be live, with the account's current session version. The
// scope it returns carries the member's role as the database has it now.
//
// A missing, malformed or dead credential is CodeUnauthorized; a valid
// credential bound to another tenant, account or session is CodeForbidden
// (with a *BindError cause for the security log).
func (s *Service) AuthenticateTenant(ctx context.Context, t Tenant, c Credentials) (Principal, error) {
	if c.Token == "" {
		return Principal{}, unauthorized(errors.New("no session token"))
	}
	sess, err := s.tokens.Verify(c.Token)
	if err != nil {
		return Principal{}, unauthorized(err)
	}
	if sess.TenantID != t.ID {
		if sess.TenantID == uuid.Nil {
			return Principal{}, forbidden("platform session on a tenant host")
		}
		return Principal{}, forbidden("token names another tenant")
	}
	if c.TenantSig == "" {
		return Principal{}, forbidden("no tenant signature")
	}
	sig, err := s.signer.Verify(c.TenantSig)
	if err != nil {
		return Principal{}, forbidden("tenant signature does not verify")
	}
	switch {
	case sig.TenantID != t.ID:
		return Principal{}, forbidden("tenant signature names another tenant")
	case sig.AccountID != sess.AccountID:
		return Principal{}, forbidden("tenant signature names another account")
	case sig.SessionID != sess.ID:
		return Principal{}, forbidden("tenant signature names another session")
	}
	scope := tenant.Scope{TenantID: t.ID, AccountID: sess.AccountID, RequestID: tenant.RequestIDFrom(ctx)}
	sctx := tenant.WithScope(ctx, scope)
	var row store.CheckSessionRow
	err = s.store.ReadTenant(sctx, func(tx *store.Tx) error {
		var err error
		row, err = tx.CheckSession(sctx, store.CheckSessionParams{
			TenantID: t.ID, SessionID: sess.ID, AccountID: sess.AccountID, SessionVersion: sess.Version, Now: s.now(),
		})
		return err
	})
	if store.IsNotFound(err) {
		return Principal{}, unauthorized(errors.New("session revoked, expired, or membership ended"))
	}
	if err != nil {
		return Principal{}, err
	}
	scope.MemberID, scope.Role = row.MemberID, tenant.Role(row.Role)
	return Principal{Scope: scope, Session: sess, Email: row.Email}, nil
}

// AuthenticatePlatform binds a request on the apex host: the token must
// verify, name no tenant, and its account session must be live.
func (s *Service) AuthenticatePlatform(ctx context.Context, c Credentials) (Principal, error) {
	if c.Token == "" {
		return Principal{}, unauthorized(errors.New("no session token"))
	}
	sess, err := s.tokens.Verify(c.Token)
	if err != nil {
		return Principal{}, unauthorized(err)
	}
	if sess.TenantID != uuid.Nil {
		return Principal{}, forbidden("tenant session on the platform host")
	}
	var row store.CheckAccountSessionRow
	err = s.store.ReadAccount(ctx, sess.AccountID, func(tx *store.Tx) error {
		var err error
		row, err = tx.CheckAccountSession(ctx, store.CheckAccountSessionParams{
			SessionID: sess.ID, AccountID: sess.AccountID, SessionVersion: sess.Version, Now: s.now(),
		})
		return err
	})
	if store.IsNotFound(err) {
		return Principal{}, unauthorized(errors.New("session revoked or expired"))
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{Scope: tenant.Scope{AccountID: sess.AccountID, RequestID: tenant.RequestIDFrom(ctx)}, Session: sess, Email: row.Email}, nil
}

// Logout ends the principal's session.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.Session.TenantID == uuid.Nil {
		return s.store.InAccount(ctx, p.Session.AccountID, func(tx *store.Tx) error {
			_, err := tx.RevokeAccountSession(ctx, store.RevokeAccountSessionParams{ID: p.Session.ID, AccountID: p.Session.AccountID})
			return err
		})
	}
	ctx = tenant.WithScope(ctx, p.Scope)
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		if _, err := tx.RevokeSession(ctx, store.RevokeSessionParams{TenantID: p.Scope.TenantID, ID: p.Session.ID, AccountID: p.Session.AccountID}); err != nil {
			return err
		}
		return tx.Audit(ctx, "auth.logout", "session", &p.Session.ID, nil)
	})
}

// Memberships returns the principal's account's memberships. Reading them
// crosses tenants, so it goes through the audited platform path.
func (s *Service) Memberships(ctx context.Context, p Principal) ([]Membership, error) {
	var out []Membership
	err := s.store.InPlatform(ctx, store.PlatformOp{
		Actor: p.Session.AccountID.String(), Action: "auth.memberships", Reason: "an account lists its own memberships",
	}, func(tx *store.PlatformTx) error {
		var err error
		out, err = s.memberships(ctx, tx, p.Session.AccountID)
		return err
	})
	return out, err
}

// errNotMember is what a switch to a tenant the account cannot enter reads
// like, whether the tenant exists or not.
var errNotMember = &tenant.Error{Code: tenant.CodeForbidden, Message: "you are not a member of that organization"}

// Switch moves the principal to the tenant with slug: it checks the
// membership and records a one-time handoff in the target tenant in one
// transaction, ends the current session, and returns the handoff URL on
// the target's host, which signs the browser in there. next is a relative
// path to land on.
func (s *Service) Switch(ctx context.Context, p Principal, slug, next string) (string, error) {
	target, err := s.FindTenant(ctx, strings.ToLower(strings.TrimSpace(slug)))
	if tenant.IsCode(err, tenant.CodeNotFound) || (err == nil && target.Status != "active") {
		return "", errNotMember
	}
	if err != nil {
		return "", err
	}
	tok, hash := newToken()
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: target.ID, AccountID: p.Session.AccountID, RequestID: tenant.RequestIDFrom(ctx)})
	err = s.store.InTenant(tctx, func(tx *store.Tx) error {
		m, err := tx.FindLiveMemberByAccount(tctx, store.FindLiveMemberByAccountParams{TenantID: target.ID, AccountID: p.Session.AccountID})
		if store.IsNotFound(err) {
			return errNotMember
		}
		if err != nil {
			return err
		}
		now := s.now()
		h, err := tx.CreateHandoff(tctx, store.CreateHandoffParams{
			TenantID: target.ID, MemberID: m.ID, AccountID: m.AccountID, TokenHash: hash,
			RedirectPath: SafeRedirect(next), CreatedAt: now, ExpiresAt: now.Add(s.handoffTTL),
		})
		if err != nil {
			return err
		}
		return tx.Audit(tctx, "auth.switch_requested", "handoff", &h.ID, nil)
	})
	if err != nil {
		return "", err
	}
	// The session being left ends now: its token cannot be replayed.
	if err := s.Logout(ctx, p); err != nil {
		return "", err
	}
	return s.urls.Tenant(target.Slug, "/auth/handoff?token="+url.QueryEscape(tok)), nil
}

// RedeemHandoff signs the browser in on the host of tenant t with a switch
// handoff: once, within its lifetime, and only while the membership is live
// (checked in the transaction that creates the session).
func (s *Service) RedeemHandoff(ctx context.Context, t Tenant, token string, meta ClientMeta) (Issued, string, error) {
	invalid := &tenant.Error{Code: tenant.CodeUnauthorized, Message: "this sign-in link is invalid, used or expired"}
	if token == "" || len(token) > 100 {
		return Issued{}, "", invalid
	}
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, RequestID: tenant.RequestIDFrom(ctx)})
	var h store.AuthHandoff
	var m store.FindLiveMemberByAccountRow
	var row store.Session
	err := s.store.InTenant(tctx, func(tx *store.Tx) error {
		var err error
		if h, err = tx.RedeemHandoff(tctx, store.RedeemHandoffParams{TenantID: t.ID, TokenHash: hashToken(token), Now: s.now()}); store.IsNotFound(err) {
			return invalid
		} else if err != nil {
			return err
		}
		if m, err = tx.FindLiveMemberByAccount(tctx, store.FindLiveMemberByAccountParams{TenantID: t.ID, AccountID: h.AccountID}); store.IsNotFound(err) {
			return invalid
		} else if err != nil {
			return err
		}
		sec, err := tx.GetSecuritySettings(tctx, t.ID)
		if err != nil {
			return err
		}
		now := s.now()
		if row, err = tx.CreateSession(tctx, store.CreateSessionParams{
			TenantID: t.ID, MemberID: m.ID, AccountID: m.AccountID, CreatedAt: now,
			ExpiresAt: now.Add(time.Duration(sec.SessionLifetimeMinutes) * time.Minute), UserAgent: truncate(meta.UserAgent, 500),
		}); err != nil {
			return err
		}
		return tx.Audit(tctx, "auth.switch", "session", &row.ID, nil)
	})
	if err != nil {
		return Issued{}, "", err
	}
	var email string
	err = s.store.ReadAccount(ctx, m.AccountID, func(tx *store.Tx) error {
		a, err := tx.GetAccount(ctx, m.AccountID)
		email = a.Email
		return err
	})
	if err != nil {
		return Issued{}, "", err
	}
	is, err := s.issue(Session{
		ID: row.ID, AccountID: m.AccountID, TenantID: t.ID, Role: m.Role, Version: m.AccountSessionVersion, ExpiresAt: row.ExpiresAt,
	}, email, m.ID)
	return is, h.RedirectPath, err
}

// FindTenant resolves a tenant by slug.
func (s *Service) FindTenant(ctx context.Context, slug string) (Tenant, error) {
	var t Tenant
	err := s.store.ReadGlobal(ctx, func(tx *store.Tx) error {
		row, err := tx.FindTenantBySlug(ctx, slug)
		t = Tenant{ID: row.ID, Slug: row.Slug, Name: row.Name, Status: row.Status}
		return err
	})
	return t, err
}

// FindTenantByDomain resolves a tenant by a verified custom domain.
func (s *Service) FindTenantByDomain(ctx context.Context, domain string) (Tenant, error) {
	var t Tenant
	err := s.store.ReadGlobal(ctx, func(tx *store.Tx) error {
		row, err := tx.FindDomainTenant(ctx, domain)
		t = Tenant{ID: row.ID, Slug: row.Slug, Name: row.Name, Status: row.Status}
		return err
	})
	return t, err
}

// RecordSecurityEvent appends a security event (a refused binding, for
// instance) to the audit log of the tenant whose host was addressed.
func (s *Service) RecordSecurityEvent(ctx context.Context, tenantID uuid.UUID, action string, detail map[string]string) error {
	b, _ := json.Marshal(detail)
	ctx = tenant.WithScope(ctx, tenant.Scope{TenantID: tenantID, RequestID: tenant.RequestIDFrom(ctx)})
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, action, "request", nil, b)
	})
}

// minPasswordLength applies when a tenant has no setting of its own.
const minPasswordLength = 12

// ValidatePassword checks a new password against the minimum length.
func ValidatePassword(pw string, min int) error {
	if min < minPasswordLength {
		min = minPasswordLength
	}
	if n := utf8.RuneCountInString(pw); n < min || len(pw) > 1024 {
		return &tenant.Error{Code: tenant.CodeInvalid, Message: fmt.Sprintf("the password needs at least %d characters", min),
			Fields: map[string]string{"body.new_password": fmt.Sprintf("at least %d characters", min)}}
	}
	return nil
}

// ChangePassword replaces the principal's password after checking the
// current one. Every session of the account, in every tenant, ends at its
// next request (the session version moves on); the caller gets a fresh
// session in place of its own.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string, meta ClientMeta) (Issued, error) {
	min := minPasswordLength
	if p.Scope.TenantID != uuid.Nil {
		sctx := tenant.WithScope(ctx, p.Scope)
		err := s.store.ReadTenant(sctx, func(tx *store.Tx) error {
			sec, err := tx.GetSecuritySettings(sctx, p.Scope.TenantID)
			min = int(sec.PasswordMinLength)
			return err
		})
		if err != nil {
			return Issued{}, err
		}
	}
	if err := ValidatePassword(next, min); err != nil {
		return Issued{}, err
	}
	var acct store.GetAccountRow
	if err := s.store.ReadAccount(ctx, p.Session.AccountID, func(tx *store.Tx) (err error) {
		acct, err = tx.GetAccount(ctx, p.Session.AccountID)
		return err
	}); err != nil {
		return Issued{}, err
	}
	ok, err := s.hasher.Verify(ctx, current, acct.PasswordHash)
	if err != nil || !ok {
		return Issued{}, &tenant.Error{Code: tenant.CodeInvalid, Message: "the current password is wrong",
			Fields: map[string]string{"body.current_password": "wrong password"}}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return Issued{}, err
	}
	var version int64
	err = s.store.InAccount(ctx, p.Session.AccountID, func(tx *store.Tx) error {
		version, err = tx.SetPassword(ctx, store.SetPasswordParams{ID: p.Session.AccountID, PasswordHash: &hash})
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	if p.Scope.TenantID != uuid.Nil {
		return s.createTenantSession(tenant.WithScope(ctx, p.Scope), version, p.Email, meta, "auth.password_changed")
	}
	var row store.PlatformAccountSession
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: p.Session.AccountID.String(), Action: "auth.password_changed", Reason: "a new platform session after a password change",
	}, func(tx *store.PlatformTx) error {
		row, err = tx.CreateAccountSession(ctx, store.PlatformCreateAccountSessionParams{
			AccountID: p.Session.AccountID, CreatedAt: s.now(), ExpiresAt: s.now().Add(s.platformTTL), UserAgent: truncate(meta.UserAgent, 500),
		})
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	return s.issue(Session{ID: row.ID, AccountID: p.Session.AccountID, Version: version, ExpiresAt: row.ExpiresAt}, p.Email, uuid.Nil)
}

// RequestPasswordReset mails a one-time reset link to email if it names an
// account. It reports the same to the caller either way. On a tenant host
// (t non-nil) the link points there.
func (s *Service) RequestPasswordReset(ctx context.Context, t *Tenant, email string, meta ClientMeta) error {
	email = NormalizeEmail(email)
	if err := s.limit(s.resetByIP, meta.IP); err != nil {
		return err
	}
	if err := s.limit(s.resetByEmail, email); err != nil {
		return err
	}
	tok, hash := newToken()
	var acct store.PlatformAccount
	found := false
	err := s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "auth.password_reset_requested", Reason: "password reset by email",
		Detail: map[string]any{"ip": meta.IP},
	}, func(tx *store.PlatformTx) error {
		var err error
		acct, err = tx.FindAccountByEmail(ctx, email)
		if store.IsNotFound(err) || (err == nil && acct.DisabledAt != nil) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		_, err = tx.CreatePasswordReset(ctx, store.PlatformCreatePasswordResetParams{
			AccountID: acct.ID, TokenHash: hash, CreatedAt: s.now(), ExpiresAt: s.now().Add(time.Hour),
		})
		return err
	})
	if err != nil || !found {
		return err
	}
	link := s.urls.Apex("/password-reset?token=" + url.QueryEscape(tok))
	msg := mailer.Message{To: acct.Email, Subject: "Reset your password"}
	if t != nil {
		link = s.urls.Tenant(t.Slug, "/password-reset?token="+url.QueryEscape(tok))
		msg.TenantID = t.ID
		msg.Subject = "Reset your password for " + t.Name
	}
	msg.Text = "Someone asked to reset the password of this account.\n\nTo choose a new password, open:\n" + link +
		"\n\nThe link works once, for one hour. If it was not you, ignore this message."
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.logger.ErrorContext(ctx, "send password reset mail", slog.Any("error", err))
	}
	return nil
}

// ResetPassword sets a new password with a reset token and ends every
// session of the account.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if err := ValidatePassword(password, minPasswordLength); err != nil {
		return err
	}
	invalid := &tenant.Error{Code: tenant.CodeInvalid, Message: "this reset link is invalid, used or expired"}
	if token == "" || len(token) > 100 {
		return invalid
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "auth.password_reset", Reason: "password reset with an emailed one-time link",
	}, func(tx *store.PlatformTx) error {
		r, err := tx.RedeemPasswordReset(ctx, store.PlatformRedeemPasswordResetParams{TokenHash: hashToken(token), Now: s.now()})
		if store.IsNotFound(err) {
			return invalid
		}
		if err != nil {
			return err
		}
		if _, err := tx.ResetPassword(ctx, store.PlatformResetPasswordParams{ID: r.AccountID, PasswordHash: &hash}); err != nil {
			return err
		}
		if err := tx.RevokeAllAccountSessions(ctx, r.AccountID); err != nil {
			return err
		}
		return tx.RevokeAllTenantSessionsOfAccount(ctx, r.AccountID)
	})
}

// SafeRedirect returns next if it is a path on the same host ("/…", not
// "//…" or "/\…", no scheme, no control characters), and "/" otherwise.
func SafeRedirect(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
