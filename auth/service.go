package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/mailaddr"
	"github.com/tenantkit/tenantkit/internal/onetime"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
)

// Config configures the Service.
type Config struct {
	Store  *store.Store
	Hasher *password.Hasher
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
}

// Service is tenantkit's identity: sign-in, sessions, the tenant binding of
// every request, the tenant switch, passwords and memberships.
type Service struct {
	store       *store.Store
	hasher      *password.Hasher
	tokens      *Tokens
	signer      *Signer
	mailer      mailer.Sender
	urls        URLs
	logger      *slog.Logger
	platformTTL time.Duration
	handoffTTL  time.Duration
	tenants     *tenants.Directory
	now         func() time.Time
	devices     *deviceSigner
	limits      limits
	checked     *lru.Cache[uuid.UUID, checkedSession]
}

// checkedSession is what the last full check of a tenant session found:
// its member, role and email, and when that check ran (and recorded the
// session's use). Within [recheckAfter] of it, a request's session check
// travels with the request's first statement (store.SessionCheck) and
// confirms these, instead of being a round trip of its own.
type checkedSession struct {
	tenantID  uuid.UUID
	accountID uuid.UUID
	version   int64
	memberID  uuid.UUID
	role      string
	email     string
	at        time.Time
}

// recheckAfter is how long a full session check stands in for the
// record of the session's use: CheckSession records it at most once a
// minute, so the idle timeout sees no difference.
const recheckAfter = time.Minute

// checkedSessions caps the remembered session checks (about 0.2 KiB each).
const checkedSessions = 16384

// NewService returns a Service.
func NewService(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, hasher: cfg.Hasher, tokens: cfg.Tokens, signer: cfg.Signer, mailer: cfg.Mailer,
		urls: cfg.URLs, logger: cfg.Logger, platformTTL: cfg.PlatformSessionTTL, handoffTTL: cfg.HandoffTTL,
		tenants: tenants.New(cfg.Store), now: cfg.Now, limits: newLimits(),
	}
	if s.now == nil {
		panic("auth: Config.Now is required")
	}
	s.devices = newDeviceSigner(cfg.Signer.keys, s.now)
	s.checked, _ = lru.New[uuid.UUID, checkedSession](checkedSessions)
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.platformTTL == 0 {
		s.platformTTL = 12 * time.Hour
	}
	if s.handoffTTL == 0 || s.handoffTTL > 60*time.Second {
		s.handoffTTL = 60 * time.Second
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
	// Device is the device cookie the client presented, if any.
	Device string
	// Browser reports that the request carries a browser's fetch metadata
	// (an Origin or Sec-Fetch-Site header); OriginHost is then the host of
	// the page that sent it ("" for a same-origin GET, which carries none).
	Browser    bool
	OriginHost string
}

// Issued is a new session: the token and, for a tenant session, the signed
// tenant cookie, which the client must present together.
type Issued struct {
	Token     string
	TenantSig string
	// IssuedAt and ExpiresAt bound the session's lifetime.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Device, when set, is a new device cookie for the client: it signed
	// in with the password of Email.
	Device   string
	Session  Session
	Email    string
	MemberID uuid.UUID
}

// Principal is an authenticated request: its verified scope (for a tenant
// host) or account (for the apex host), and the session it came with.
type Principal struct {
	Scope   tenant.Scope
	Session Session
	Email   string
	// Check, when set, is the session check still to run: the binding
	// puts it in the request's context, where the store sends it with
	// the request's first statement (see store.SessionCheck).
	Check *store.SessionCheck
}

// Context returns ctx bound to the principal's tenant scope, carrying its
// session check when that is still to run.
func (p Principal) Context(ctx context.Context) context.Context {
	ctx = tenant.WithScope(ctx, p.Scope)
	if p.Check != nil {
		ctx = store.WithSessionCheck(ctx, p.Check)
	}
	return ctx
}

// ConfirmSession runs the session check ctx carries if no statement of
// the request has carried it yet, and returns CodeUnauthorized for a
// session that is no longer live. A tenant request calls it before it
// answers (see store.Store.ConfirmSession).
func (s *Service) ConfirmSession(ctx context.Context) error { return s.store.ConfirmSession(ctx) }

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
func (s *Service) LoginTenant(ctx context.Context, t tenant.Tenant, email, password string, meta ClientMeta) (_ Issued, err error) {
	defer errs.Wrap(&err, "auth: login tenant")
	email = mailaddr.Normalize(email)
	if err := s.guessAllowed(meta, email); err != nil {
		return Issued{}, err
	}
	turn, err := s.passwordTurn(ctx, meta, email)
	if err != nil {
		return Issued{}, err
	}
	defer turn.Done()
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, RequestID: tenant.RequestIDFrom(ctx)})
	var login store.FindLoginByEmailRow
	found := true
	err = s.store.ReadTenant(tctx, func(tx *store.Tx) error {
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
	ok, _ := turn.Verify(password, login.PasswordHash) // a malformed hash matches nothing
	turn.Done()
	if !found || !ok || login.Disabled {
		s.guessFailed(meta, email)
		return Issued{}, errBadLogin
	}
	scope := tenant.Scope{TenantID: t.ID, AccountID: login.AccountID, MemberID: login.MemberID, Role: tenant.Role(login.Role), RequestID: tenant.RequestIDFrom(ctx)}
	is, err := s.createTenantSession(tenant.WithScope(ctx, scope), login.SessionVersion, email, meta, "auth.login")
	is.Device = s.devices.sign(email)
	return is, err
}

// createTenantSession records a session for the scope's member and issues
// its token and cookie. The lifetime is the tenant's security setting. The
// transaction is one round trip (see holdSession).
func (s *Service) createTenantSession(ctx context.Context, version int64, email string, meta ClientMeta, action string) (Issued, error) {
	scope := tenant.MustScope(ctx)
	var id uuid.UUID
	var expires time.Time
	err := s.store.InTenant(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.holdSession(ctx, tx, scope.MemberID, scope.AccountID, meta, action, &expires)
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	return s.issue(Session{
		ID: id, AccountID: scope.AccountID, TenantID: scope.TenantID, Role: string(scope.Role),
		Version: version, ExpiresAt: expires,
	}, email, scope.MemberID)
}

// errSessionNotStarted is what a sign-in gets when the membership ended
// between its check and the session's insert.
var errSessionNotStarted = &tenant.Error{Code: tenant.CodeUnauthorized, Message: "sign in required"}

// holdSession records, with tx's COMMIT, a session of the member in tx's
// tenant, audited as action, and returns its id; *expires is its expiry
// (the tenant's session lifetime), read back with COMMIT. It sends
// nothing before COMMIT. A membership that ended (or an account disabled)
// since the caller checked it gets no session: the transaction's error is
// then errSessionNotStarted, and the audit entry stays, recording the
// attempt.
func (s *Service) holdSession(ctx context.Context, tx *store.Tx, memberID, accountID uuid.UUID, meta ClientMeta, action string, expires *time.Time) (uuid.UUID, error) {
	id := uuid.New()
	err := tx.Later().StartSession(ctx, store.StartSessionParams{
		TenantID: tx.TenantID(), ID: id, MemberID: memberID, AccountID: accountID, CreatedAt: s.now(),
		UserAgent: truncate(meta.UserAgent, 500), ClientAddress: truncate(meta.IP, 64),
	})
	if err != nil {
		return uuid.Nil, err
	}
	if err := tx.Audit(ctx, action, "session", &id, nil); err != nil {
		return uuid.Nil, err
	}
	err = tx.Finally(ctx, func(tx *store.Tx) error {
		var err error
		*expires, err = tx.GetSessionExpiry(ctx, store.GetSessionExpiryParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errSessionNotStarted
		}
		return err
	})
	return id, err
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
func (s *Service) LoginPlatform(ctx context.Context, email, password string, meta ClientMeta) (_ Issued, _ []Membership, err error) {
	defer errs.Wrap(&err, "auth: login platform")
	email = mailaddr.Normalize(email)
	if err := s.guessAllowed(meta, email); err != nil {
		return Issued{}, nil, err
	}
	turn, err := s.passwordTurn(ctx, meta, email)
	if err != nil {
		return Issued{}, nil, err
	}
	defer turn.Done()
	var acct store.PlatformAccount
	found := true
	err = s.store.InPlatform(ctx, store.PlatformOp{
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
	ok, _ := turn.Verify(password, hash) // a malformed hash matches nothing
	turn.Done()
	if !found || !ok || acct.DisabledAt != nil {
		s.guessFailed(meta, email)
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
	is.Device = s.devices.sign(email)
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
func (s *Service) AuthenticateTenant(ctx context.Context, t tenant.Tenant, c Credentials) (_ Principal, err error) {
	defer errs.Wrap(&err, "auth: authenticate tenant")
	sess, err := s.verifyTenant(t, c)
	if err != nil {
		return Principal{}, err
	}
	// sess.TenantID is t.ID: verifyTenant refuses any other.
	scope := tenant.Scope{TenantID: sess.TenantID, AccountID: sess.AccountID, RequestID: tenant.RequestIDFrom(ctx)}
	now := s.now()
	if c, ok := s.checked.Get(sess.ID); ok && c.tenantID == sess.TenantID && c.accountID == sess.AccountID && c.version == sess.Version &&
		!now.Before(c.at) && now.Sub(c.at) < recheckAfter {
		// Checked in full a moment ago: the check goes with the
		// request's first statement and confirms what it found.
		scope.MemberID, scope.Role = c.memberID, tenant.Role(c.role)
		check := &store.SessionCheck{TenantID: sess.TenantID, SessionID: sess.ID, AccountID: sess.AccountID,
			MemberID: c.memberID, Role: c.role, Version: sess.Version, Now: now}
		return Principal{Scope: scope, Session: sess, Email: c.email, Check: check}, nil
	}
	sctx := tenant.WithScope(ctx, scope)
	var row store.CheckSessionRow
	arg := store.CheckSessionParams{TenantID: sess.TenantID, SessionID: sess.ID, AccountID: sess.AccountID, SessionVersion: sess.Version, Now: now}
	err = s.store.WriteTenant(sctx, func(tx *store.Tx) error {
		var err error
		row, err = tx.CheckSession(sctx, arg)
		return err
	})
	if store.IsReadOnly(err) {
		// The database accepts no writes: check without recording the
		// use, so members keep reading (a second round trip, only then).
		err = s.store.ReadTenant(sctx, func(tx *store.Tx) error {
			r, err := tx.CheckSessionReadOnly(sctx, store.CheckSessionReadOnlyParams(arg))
			row = store.CheckSessionRow(r)
			return err
		})
	}
	if store.IsNotFound(err) {
		s.checked.Remove(sess.ID)
		return Principal{}, unauthorized(store.ErrSessionEnded)
	}
	if err != nil {
		return Principal{}, err
	}
	s.checked.Add(sess.ID, checkedSession{tenantID: sess.TenantID, accountID: sess.AccountID, version: sess.Version,
		memberID: row.MemberID, role: row.Role, email: row.Email, at: now})
	scope.MemberID, scope.Role = row.MemberID, tenant.Role(row.Role)
	return Principal{Scope: scope, Session: sess, Email: row.Email}, nil
}

// SignedForTenant reports whether c holds a session token and a signed
// tenant cookie that verify, have not expired and name tenant t and the
// same account and session: what [Service.AuthenticateTenant] checks
// before it asks the database. It costs no I/O. A session ended since is
// still reported signed; the request's binding refuses it. The HTTP layer
// uses it to count a request against the tenant's members' capacity
// rather than the anonymous one: only a member of t holds such a pair.
func (s *Service) SignedForTenant(t tenant.Tenant, c Credentials) bool {
	_, err := s.verifyTenant(t, c)
	return err == nil
}

// verifyTenant checks the signatures and bindings of c for tenant t.
func (s *Service) verifyTenant(t tenant.Tenant, c Credentials) (Session, error) {
	if c.Token == "" {
		return Session{}, unauthorized(errors.New("no session token"))
	}
	sess, err := s.tokens.Verify(c.Token)
	if err != nil {
		return Session{}, unauthorized(err)
	}
	if sess.TenantID != t.ID {
		if sess.TenantID == uuid.Nil {
			return Session{}, forbidden("platform session on a tenant host")
		}
		return Session{}, forbidden("token names another tenant")
	}
	if c.TenantSig == "" {
		return Session{}, forbidden("no tenant signature")
	}
	sig, err := s.signer.Verify(c.TenantSig)
	if err != nil {
		return Session{}, forbidden("tenant signature does not verify")
	}
	switch {
	case sig.TenantID != t.ID:
		return Session{}, forbidden("tenant signature names another tenant")
	case sig.AccountID != sess.AccountID:
		return Session{}, forbidden("tenant signature names another account")
	case sig.SessionID != sess.ID:
		return Session{}, forbidden("tenant signature names another session")
	}
	return sess, nil
}

// AuthenticatePlatform binds a request on the apex host: the token must
// verify, name no tenant, and its account session must be live.
func (s *Service) AuthenticatePlatform(ctx context.Context, c Credentials) (_ Principal, err error) {
	defer errs.Wrap(&err, "auth: authenticate platform")
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
func (s *Service) Logout(ctx context.Context, p Principal) (err error) {
	defer errs.Wrap(&err, "auth: logout")
	if p.Session.TenantID == uuid.Nil {
		return s.store.InAccount(ctx, p.Session.AccountID, func(tx *store.Tx) error {
			_, err := tx.RevokeAccountSession(ctx, store.RevokeAccountSessionParams{ID: p.Session.ID, AccountID: p.Session.AccountID})
			return err
		})
	}
	ctx = tenant.WithScope(ctx, p.Scope)
	// Both statements go with COMMIT, after the session check: one round
	// trip.
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		if _, err := tx.Later().RevokeSession(ctx, store.RevokeSessionParams{TenantID: p.Scope.TenantID, ID: p.Session.ID, AccountID: p.Session.AccountID}); err != nil {
			return err
		}
		return tx.Audit(ctx, "auth.logout", "session", &p.Session.ID, nil)
	})
}

// Memberships returns the principal's account's memberships. Reading them
// crosses tenants, so it goes through the audited platform path.
func (s *Service) Memberships(ctx context.Context, p Principal) (_ []Membership, err error) {
	defer errs.Wrap(&err, "auth: memberships")
	var out []Membership
	err = s.store.InPlatform(ctx, store.PlatformOp{
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

// Handoff is a switch's one-time sign-in on the target tenant's host:
// whoever presents Token there, within its lifetime, is signed in as the
// member. A browser may present it only from a page of the host that asked
// for the switch (see [Service.RedeemHandoff]).
type Handoff struct {
	// Tenant is the target.
	Tenant tenant.Tenant
	// Token is the one-time token, valid until ExpiresAt.
	Token     string
	ExpiresAt time.Time
	// PageURL is the target's page that redeems the token from a form
	// post; APIURL the operation that redeems it for an API client.
	PageURL, APIURL string
}

// Switch moves the principal to the tenant with slug: it checks the
// membership and records a one-time handoff in the target tenant in one
// transaction, bound to originHost (the host the switch was asked on), and
// ends the current session. next is a relative path to land on.
func (s *Service) Switch(ctx context.Context, p Principal, slug, next, originHost string) (_ Handoff, err error) {
	defer errs.Wrap(&err, "auth: switch")
	// From a tenant's host the target is read in the tenant being left,
	// so the session check travels with the lookup.
	target, err := s.tenants.FindFrom(tenant.WithScope(ctx, p.Scope), strings.ToLower(strings.TrimSpace(slug)))
	if tenant.IsCode(err, tenant.CodeNotFound) || (err == nil && !target.Active()) {
		return Handoff{}, errNotMember
	}
	if err != nil {
		return Handoff{}, err
	}
	out, err := s.handoff(ctx, target, p.Session.AccountID, next, originHost, "auth.switch_requested")
	if err != nil {
		return Handoff{}, err
	}
	// The session being left ends now: its token cannot be replayed.
	if err := s.Logout(ctx, p); err != nil {
		return Handoff{}, err
	}
	return out, nil
}

// handoff records a one-time handoff into target for the account's live
// membership there (errNotMember without one), bound to originHost, and
// audits it as action in target's audit log.
func (s *Service) handoff(ctx context.Context, target tenant.Tenant, accountID uuid.UUID, next, originHost, action string) (Handoff, error) {
	out := Handoff{Tenant: target, PageURL: s.urls.Tenant(target.Slug, "/auth/handoff"), APIURL: s.urls.Tenant(target.Slug, "/api/auth/handoff")}
	tok, hash := onetime.New()
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: target.ID, AccountID: accountID, RequestID: tenant.RequestIDFrom(ctx)})
	// The membership check and the insert are one statement; the audit
	// entry goes with COMMIT.
	err := s.store.InTenant(tctx, func(tx *store.Tx) error {
		now := s.now()
		h, err := tx.CreateMemberHandoff(tctx, store.CreateMemberHandoffParams{
			TenantID: target.ID, AccountID: accountID, TokenHash: hash,
			RedirectPath: SafeRedirect(next), OriginHost: originHost, CreatedAt: now, ExpiresAt: now.Add(s.handoffTTL),
		})
		if store.IsNotFound(err) {
			return errNotMember
		}
		if err != nil {
			return err
		}
		out.ExpiresAt = h.ExpiresAt
		return tx.Audit(tctx, action, "handoff", &h.ID, nil)
	})
	if err != nil {
		return Handoff{}, err
	}
	out.Token = tok
	return out, nil
}

// RedeemHandoff signs the client in on the host of tenant t with a switch
// handoff: once, within its lifetime, and only while the membership is live
// (checked in the transaction that creates the session). A browser must
// post it from a page of the host the switch was asked on: a handoff sent
// to someone else as a link, or posted by another site, signs nobody in
// (login CSRF), and is not used up. Clients that are not browsers send no
// Origin and cannot be made to post on someone's behalf.
func (s *Service) RedeemHandoff(ctx context.Context, t tenant.Tenant, token string, meta ClientMeta) (_ Issued, _ string, err error) {
	defer errs.Wrap(&err, "auth: redeem handoff")
	invalid := &tenant.Error{Code: tenant.CodeUnauthorized, Message: "this sign-in link is invalid, used or expired"}
	if token == "" || len(token) > 100 {
		return Issued{}, "", invalid
	}
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, RequestID: tenant.RequestIDFrom(ctx)})
	var h store.AuthHandoff
	var m store.FindLiveMemberByAccountRow
	var id uuid.UUID
	var expires time.Time
	err = s.store.InTenant(tctx, func(tx *store.Tx) error {
		var err error
		if h, err = tx.RedeemHandoff(tctx, store.RedeemHandoffParams{TenantID: t.ID, TokenHash: onetime.Hash(token), Now: s.now()}); store.IsNotFound(err) {
			return invalid
		} else if err != nil {
			return err
		}
		if meta.Browser && (h.OriginHost == "" || meta.OriginHost != h.OriginHost) {
			return &tenant.Error{Code: tenant.CodeForbidden, Message: "this sign-in must be finished from the page that started it",
				Err: &BindError{Reason: "handoff posted from another origin"}}
		}
		if m, err = tx.FindLiveMemberByAccount(tctx, store.FindLiveMemberByAccountParams{TenantID: t.ID, AccountID: h.AccountID}); store.IsNotFound(err) {
			return invalid
		} else if err != nil {
			return err
		}
		id, err = s.holdSession(tctx, tx, m.ID, m.AccountID, meta, "auth.switch", &expires)
		return err
	})
	if err != nil {
		return Issued{}, "", err
	}
	is, err := s.issue(Session{
		ID: id, AccountID: m.AccountID, TenantID: t.ID, Role: m.Role, Version: m.AccountSessionVersion, ExpiresAt: expires,
	}, m.AccountEmail, m.ID)
	return is, h.RedirectPath, err
}

// minPasswordLength is the platform's minimum password length.
const minPasswordLength = 12

// ValidatePassword checks a new password against a minimum length (never
// below the platform's).
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

// passwordMinimum returns the minimum length of the account's password:
// the strictest of the tenants it is a live member of (a password is the
// account's, so it must satisfy every one of them), and never below the
// platform's.
func (s *Service) passwordMinimum(ctx context.Context, accountID uuid.UUID) (int, error) {
	min := minPasswordLength
	err := s.store.InPlatform(ctx, store.PlatformOp{
		Actor: accountID.String(), Action: "auth.password_policy",
		Reason: "a new password meets the strictest minimum of the account's organizations",
	}, func(tx *store.PlatformTx) error {
		n, err := tx.AccountPasswordMinimum(ctx, accountID)
		min = max(min, int(n))
		return err
	})
	return min, err
}

// wrongPassword is the answer to a wrong current password.
var wrongPassword = &tenant.Error{Code: tenant.CodeInvalid, Message: "the current password is wrong",
	Fields: map[string]string{"body.current_password": "wrong password"}}

// ChangePassword replaces the principal's password after checking the
// current one, which counts toward the sign-in limits of the account's
// email like any password check. Every session of the account, in every
// tenant, ends at its next request (the session version moves on), every
// open reset link is void, and the caller gets a fresh session in place of
// its own.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string, meta ClientMeta) (_ Issued, err error) {
	defer errs.Wrap(&err, "auth: change password")
	email := mailaddr.Normalize(p.Email)
	if err := s.guessAllowed(meta, email); err != nil {
		return Issued{}, err
	}
	min, err := s.passwordMinimum(ctx, p.Session.AccountID)
	if err != nil {
		return Issued{}, err
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
	turn, err := s.passwordTurn(ctx, meta, email)
	if err != nil {
		return Issued{}, err
	}
	ok, _ := turn.Verify(current, acct.PasswordHash) // a malformed hash matches nothing
	turn.Done()
	if !ok {
		s.guessFailed(meta, email)
		return Issued{}, wrongPassword
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
	var row store.PlatformAccountSession
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: p.Session.AccountID.String(), Action: "auth.password_changed", Reason: "a password change voids the open reset links (and opens a platform session)",
	}, func(tx *store.PlatformTx) error {
		if err := tx.VoidPasswordResets(ctx, store.PlatformVoidPasswordResetsParams{AccountID: p.Session.AccountID, Now: s.now()}); err != nil {
			return err
		}
		if p.Scope.TenantID != uuid.Nil {
			return nil
		}
		row, err = tx.CreateAccountSession(ctx, store.PlatformCreateAccountSessionParams{
			AccountID: p.Session.AccountID, CreatedAt: s.now(), ExpiresAt: s.now().Add(s.platformTTL), UserAgent: truncate(meta.UserAgent, 500),
		})
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	var is Issued
	if p.Scope.TenantID != uuid.Nil {
		is, err = s.createTenantSession(tenant.WithScope(ctx, p.Scope), version, p.Email, meta, "auth.password_changed")
	} else {
		is, err = s.issue(Session{ID: row.ID, AccountID: p.Session.AccountID, Version: version, ExpiresAt: row.ExpiresAt}, p.Email, uuid.Nil)
	}
	is.Device = s.devices.sign(email)
	return is, err
}

// RequestPasswordReset mails a one-time reset link to email if it names an
// account. It reports the same to the caller either way, and takes the
// same time: the mail goes out through the mailer's queue, off the
// request's path. On a tenant host (t non-nil) the link points there, and
// works there only; asked on the apex (t nil), only on the apex.
func (s *Service) RequestPasswordReset(ctx context.Context, t *tenant.Tenant, email string, meta ClientMeta) (err error) {
	defer errs.Wrap(&err, "auth: request password reset")
	email = mailaddr.Normalize(email)
	if err := s.resetAllowed(meta, email); err != nil {
		return err
	}
	tok, hash := onetime.New()
	now := s.now()
	expires := now.Add(time.Hour)
	// The mail is rendered whether or not the account exists: the answer
	// takes the same time either way.
	msg, err := s.resetMail(t, email, tok, expires)
	if err != nil {
		return err
	}
	var acct store.PlatformAccount
	found := false
	err = s.store.InPlatform(ctx, store.PlatformOp{
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
			AccountID: acct.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: expires, AskedOnTenantID: hostTenantID(t),
		})
		return err
	})
	if err != nil || !found {
		return err
	}
	msg.To = acct.Email
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.logger.ErrorContext(ctx, "send password reset mail", slog.Any("error", err))
	}
	return nil
}

// resetMail renders the password reset mail to email whose one-time link
// carries tok and works until expires. Asked on a tenant's host (t
// non-nil) it bears the tenant's name and its link points there; on the
// apex, the apex. It is account mail: no tenant's delivery log records it,
// and it reads nothing of the tenant's (the answer must not wait on it).
func (s *Service) resetMail(t *tenant.Tenant, email, tok string, expires time.Time) (mailer.Message, error) {
	d := mailer.Data{Link: &mailer.LinkData{
		URL:   s.urls.Apex("/password-reset?token=" + url.QueryEscape(tok)),
		Label: "Choose a new password", Expires: expires.UTC().Format(mailer.ExpiryFormat),
	}}
	var tenantID uuid.UUID
	if t != nil {
		d.Firm, tenantID = t.Name, t.ID
		d.Link.URL = s.urls.Tenant(t.Slug, "/password-reset?token="+url.QueryEscape(tok))
	}
	m, err := mailer.Render(mailer.KindPasswordReset, email, d)
	m.TenantID = tenantID
	return m, err
}

// hostTenantID is the tenant a host serves (t), or nil for the apex.
func hostTenantID(t *tenant.Tenant) *uuid.UUID {
	if t == nil {
		return nil
	}
	return &t.ID
}

// ResetPassword sets a new password with a reset token, voids every other
// reset link of the account and ends every session of the account. The
// password meets the strictest minimum of the account's organizations.
//
// The token works only on the host it was asked on: t is the tenant whose
// host the link was opened on, nil for the apex. Anywhere else it reads as
// invalid and stays unused.
func (s *Service) ResetPassword(ctx context.Context, t *tenant.Tenant, token, password string) (err error) {
	defer errs.Wrap(&err, "auth: reset password")
	invalid := &tenant.Error{Code: tenant.CodeInvalid, Message: "this reset link is invalid, used or expired"}
	if token == "" || len(token) > 100 {
		return invalid
	}
	var reset store.PlatformPasswordReset
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "auth.password_reset_opened", Reason: "a reset link is checked before its new password is",
	}, func(tx *store.PlatformTx) error {
		var err error
		reset, err = tx.PeekPasswordReset(ctx, store.PlatformPeekPasswordResetParams{TokenHash: onetime.Hash(token), Now: s.now(), AskedOnTenantID: hostTenantID(t)})
		if store.IsNotFound(err) {
			return invalid
		}
		return err
	})
	if err != nil {
		return err
	}
	min, err := s.passwordMinimum(ctx, reset.AccountID)
	if err != nil {
		return err
	}
	if err := ValidatePassword(password, min); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "anonymous", Action: "auth.password_reset", Reason: "password reset with an emailed one-time link",
	}, func(tx *store.PlatformTx) error {
		r, err := tx.RedeemPasswordReset(ctx, store.PlatformRedeemPasswordResetParams{TokenHash: onetime.Hash(token), Now: s.now(), AskedOnTenantID: hostTenantID(t)})
		if store.IsNotFound(err) {
			return invalid
		}
		if err != nil {
			return err
		}
		if _, err := tx.ResetPassword(ctx, store.PlatformResetPasswordParams{ID: r.AccountID, PasswordHash: &hash}); err != nil {
			return err
		}
		if err := tx.VoidPasswordResets(ctx, store.PlatformVoidPasswordResetsParams{AccountID: r.AccountID, Now: s.now()}); err != nil {
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
