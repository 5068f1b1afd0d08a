package auth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Member is a live member of the current tenant.
type Member struct {
	ID          uuid.UUID
	AccountID   uuid.UUID
	Email       string
	Role        tenant.Role
	DisplayName string
	CreatedAt   time.Time
}

// MemberKey is the position of a member in the list order (name, id).
type MemberKey struct {
	Name string    `json:"n"`
	ID   uuid.UUID `json:"i"`
}

// MemberFilter selects members. Nil fields do not filter.
type MemberFilter struct {
	Role *tenant.Role
	Page keyset.Page[MemberKey]
}

// ListMembers returns a page of the live members of the scope's tenant and
// the key the next page starts after (nil on the last page).
func (s *Service) ListMembers(ctx context.Context, f MemberFilter) ([]Member, *MemberKey, error) {
	p := store.ListMembersWithEmailParams{PageSize: f.Page.Fetch()}
	if f.Role != nil {
		r := string(*f.Role)
		p.Role = &r
	}
	if a := f.Page.After; a != nil {
		p.HasAfter, p.AfterName, p.AfterID = true, a.Name, a.ID
	}
	var out []Member
	err := s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		p.TenantID = tx.TenantID()
		rows, err := tx.ListMembersWithEmail(ctx, p)
		for _, r := range rows {
			out = append(out, Member{ID: r.ID, AccountID: r.AccountID, Email: r.Email, Role: tenant.Role(r.Role), DisplayName: r.DisplayName, CreatedAt: r.CreatedAt})
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out, next := keyset.Cut(out, f.Page, func(m Member) MemberKey { return MemberKey{Name: m.DisplayName, ID: m.ID} })
	return out, next, nil
}

// canManage reports whether an actor with role actor may give or take role
// target: owners manage everyone; admins manage everyone but owners, and
// cannot make owners.
func canManage(actor, target tenant.Role) bool {
	if actor == tenant.RoleOwner {
		return true
	}
	return actor == tenant.RoleAdmin && target != tenant.RoleOwner
}

var errMemberNotFound = tenant.NotFound("member")

var errLastOwner = &tenant.Error{Code: tenant.CodeConflict, Message: "the last owner cannot be removed or demoted: make another member owner first"}

// ChangeRole gives member id the role. Only owners touch owners; the last
// owner keeps its role. The member's sessions in this tenant end in the same
// transaction, so the old role dies at its next request; a demoted member's
// open invitations are withdrawn with it.
func (s *Service) ChangeRole(ctx context.Context, id uuid.UUID, role tenant.Role) (Member, error) {
	actor := tenant.MustScope(ctx)
	if !role.Valid() {
		return Member{}, &tenant.Error{Code: tenant.CodeInvalid, Message: "unknown role", Fields: map[string]string{"body.role": "one of owner, admin, staff, client"}}
	}
	var out Member
	err := s.store.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		owners, err := tx.LockOwners(ctx, tid)
		if err != nil {
			return err
		}
		m, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tid, ID: id})
		if store.IsNotFound(err) {
			return errMemberNotFound
		}
		if err != nil {
			return err
		}
		current := tenant.Role(m.Role)
		if !canManage(actor.Role, current) || !canManage(actor.Role, role) {
			return &tenant.Error{Code: tenant.CodeForbidden, Message: "only an owner can change an owner or make one"}
		}
		if current == tenant.RoleOwner && role != tenant.RoleOwner && len(owners) <= 1 {
			return errLastOwner
		}
		if current == role {
			out = memberOf(m, "")
			return nil
		}
		updated, err := tx.SetMemberRole(ctx, store.SetMemberRoleParams{TenantID: tid, ID: id, Role: string(role)})
		if err != nil {
			return err
		}
		if _, err := tx.RevokeMemberSessions(ctx, store.RevokeMemberSessionsParams{TenantID: tid, MemberID: id}); err != nil {
			return err
		}
		if !role.AtLeast(current) {
			if _, err := tx.RevokeInvitationsOfInviter(ctx, store.RevokeInvitationsOfInviterParams{TenantID: tid, MemberID: id, Now: s.now()}); err != nil {
				return err
			}
		}
		detail, _ := json.Marshal(map[string]string{"from": string(current), "to": string(role)})
		out = memberOf(updated, "")
		return tx.Audit(ctx, "member.role_changed", "member", &id, detail)
	})
	return out, err
}

// RemoveMember ends member id's membership, its sessions and its open
// invitations in this tenant. Only owners remove owners; the last owner
// stays.
func (s *Service) RemoveMember(ctx context.Context, id uuid.UUID) error {
	actor := tenant.MustScope(ctx)
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		owners, err := tx.LockOwners(ctx, tid)
		if err != nil {
			return err
		}
		m, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tid, ID: id})
		if store.IsNotFound(err) {
			return errMemberNotFound
		}
		if err != nil {
			return err
		}
		if !canManage(actor.Role, tenant.Role(m.Role)) {
			return &tenant.Error{Code: tenant.CodeForbidden, Message: "only an owner can remove an owner"}
		}
		if m.Role == string(tenant.RoleOwner) && len(owners) <= 1 {
			return errLastOwner
		}
		if _, err := tx.RemoveMember(ctx, store.RemoveMemberParams{TenantID: tid, ID: id}); err != nil {
			return err
		}
		if _, err := tx.RevokeMemberSessions(ctx, store.RevokeMemberSessionsParams{TenantID: tid, MemberID: id}); err != nil {
			return err
		}
		if _, err := tx.RevokeInvitationsOfInviter(ctx, store.RevokeInvitationsOfInviterParams{TenantID: tid, MemberID: id, Now: s.now()}); err != nil {
			return err
		}
		return tx.Audit(ctx, "member.removed", "member", &id, nil)
	})
}

func memberOf(m store.Member, email string) Member {
	return Member{ID: m.ID, AccountID: m.AccountID, Email: email, Role: tenant.Role(m.Role), DisplayName: m.DisplayName, CreatedAt: m.CreatedAt}
}

// Invitation is an open invitation.
type Invitation struct {
	ID          uuid.UUID
	Email       string
	Role        tenant.Role
	DisplayName string
	ExpiresAt   time.Time
	CreatedAt   time.Time
}

// MaxInvitationFailures is how many wrong passwords an invitation takes
// before it is revoked: a token is not kept alive by guessing.
const MaxInvitationFailures = 5

// Invite invites email into the scope's tenant with role. The one-time link
// is mailed to the address and to no one else: the inviter never sees it,
// so whoever accepts has shown they read that address's mail. The email's
// domain must be allowed by the tenant's security settings.
func (s *Service) Invite(ctx context.Context, email string, role tenant.Role, displayName string) (Invitation, error) {
	actor := tenant.MustScope(ctx)
	email = NormalizeEmail(email)
	displayName = strings.TrimSpace(displayName)
	fields := map[string]string{}
	if !emailPattern(email) {
		fields["body.email"] = "not an email address"
	}
	if !role.Valid() {
		fields["body.role"] = "one of owner, admin, staff, client"
	}
	if displayName == "" || len(displayName) > 200 {
		fields["body.display_name"] = "1 to 200 characters"
	}
	if len(fields) > 0 {
		return Invitation{}, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid invitation", Fields: fields}
	}
	if !canManage(actor.Role, role) {
		return Invitation{}, &tenant.Error{Code: tenant.CodeForbidden, Message: "only an owner can invite an owner"}
	}
	tok, hash := newToken()
	var inv store.Invitation
	var tn store.GetTenantRow
	err := s.store.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		sec, err := tx.GetSecuritySettings(ctx, tid)
		if err != nil {
			return err
		}
		domain := email[strings.LastIndexByte(email, '@')+1:]
		if len(sec.AllowedEmailDomains) > 0 && !slices.Contains(sec.AllowedEmailDomains, domain) {
			return &tenant.Error{Code: tenant.CodeInvalid, Message: "this organization only admits email addresses of its allowed domains",
				Fields: map[string]string{"body.email": "domain not allowed"}}
		}
		if tn, err = tx.GetTenant(ctx, tid); err != nil {
			return err
		}
		now := s.now()
		inv, err = tx.CreateInvitation(ctx, store.CreateInvitationParams{
			TenantID: tid, Email: email, Role: string(role), DisplayName: displayName, InvitedByMemberID: actor.MemberID,
			TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(s.invitationTTL),
		})
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"email": email, "role": string(role)})
		return tx.Audit(ctx, "member.invited", "invitation", &inv.ID, detail)
	})
	if err != nil {
		return Invitation{}, err
	}
	link := s.urls.Tenant(tn.Slug, "/invitations/accept?token="+url.QueryEscape(tok))
	if err := s.mailer.Send(ctx, mailer.Message{
		TenantID: actor.TenantID, To: email, Subject: "You are invited to " + tn.Name,
		Text: "You are invited to join " + tn.Name + " as " + string(role) + ".\n\nTo accept, open:\n" + link +
			"\n\nThe link works once and expires on " + inv.ExpiresAt.UTC().Format(time.RFC1123) + "." +
			"\nIf this address already has an account, you accept by signing in with its password.",
	}); err != nil {
		s.logger.ErrorContext(ctx, "send invitation mail", slog.Any("error", err))
	}
	return invitationOf(inv), nil
}

func emailPattern(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && len(e) <= 254 && !strings.ContainsAny(e, " \t\r\n<>,;\"") && strings.Count(e, "@") == 1
}

func invitationOf(i store.Invitation) Invitation {
	return Invitation{ID: i.ID, Email: i.Email, Role: tenant.Role(i.Role), DisplayName: i.DisplayName, ExpiresAt: i.ExpiresAt, CreatedAt: i.CreatedAt}
}

// ListInvitations returns the scope's tenant's open invitations.
func (s *Service) ListInvitations(ctx context.Context) ([]Invitation, error) {
	var out []Invitation
	err := s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListInvitations(ctx, store.ListInvitationsParams{TenantID: tx.TenantID(), Now: s.now()})
		for _, r := range rows {
			out = append(out, invitationOf(r))
		}
		return err
	})
	return out, err
}

// RevokeInvitation withdraws an open invitation.
func (s *Service) RevokeInvitation(ctx context.Context, id uuid.UUID) error {
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		if _, err := tx.RevokeInvitation(ctx, store.RevokeInvitationParams{TenantID: tx.TenantID(), ID: id}); store.IsNotFound(err) {
			return tenant.NotFound("invitation")
		} else if err != nil {
			return err
		}
		return tx.Audit(ctx, "member.invitation_revoked", "invitation", &id, nil)
	})
}

// AccountState is what the address of an invitation already has.
type AccountState string

// The states of an invitation's address.
const (
	// AccountNew: no account yet; accepting creates it with the password
	// given.
	AccountNew AccountState = "new"
	// AccountWithPassword: accepting means signing in with its password.
	AccountWithPassword AccountState = "password"
	// AccountWithoutPassword: an account that has never had a password
	// (made by a public form); its owner sets one with a password reset
	// first, then accepts by signing in.
	AccountWithoutPassword AccountState = "no_password"
)

// InvitationPreview is what the holder of an invitation's token is shown
// before accepting. Only the invited address receives the token, so
// telling its holder whether the address has an account tells the address's
// owner about their own account.
type InvitationPreview struct {
	Email       string
	Role        tenant.Role
	DisplayName string
	TenantName  string
	Account     AccountState
	// MinPasswordLength applies to a new account's password.
	MinPasswordLength int
}

var errInvalidInvitation = &tenant.Error{Code: tenant.CodeInvalid, Message: "this invitation is invalid, used, withdrawn or expired"}

// openInvitation reads the open invitation of token in tenant t, and
// checks that its inviter may still grant its role: an invitation dies
// with its inviter's power (errInvalidInvitation otherwise).
func (s *Service) openInvitation(ctx context.Context, t Tenant, hash []byte) (store.Invitation, int, error) {
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, RequestID: tenant.RequestIDFrom(ctx)})
	var inv store.Invitation
	var min int
	err := s.store.ReadTenant(tctx, func(tx *store.Tx) error {
		var err error
		inv, err = tx.PeekOpenInvitation(tctx, store.PeekOpenInvitationParams{TenantID: t.ID, TokenHash: hash, Now: s.now()})
		if store.IsNotFound(err) {
			return errInvalidInvitation
		}
		if err != nil {
			return err
		}
		if err := inviterMayGrant(tctx, tx, inv); err != nil {
			return err
		}
		sec, err := tx.GetSecuritySettings(tctx, t.ID)
		min = max(minPasswordLength, int(sec.PasswordMinLength))
		return err
	})
	return inv, min, err
}

// inviterMayGrant checks that the member who sent inv is still a live
// member whose role may grant inv's role.
func inviterMayGrant(ctx context.Context, tx *store.Tx, inv store.Invitation) error {
	inviter, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: inv.TenantID, ID: inv.InvitedByMemberID})
	if store.IsNotFound(err) {
		return errInvalidInvitation
	}
	if err != nil {
		return err
	}
	if !canManage(tenant.Role(inviter.Role), tenant.Role(inv.Role)) {
		return errInvalidInvitation
	}
	return nil
}

// findAccount looks up the account of email on the audited platform path.
func (s *Service) findAccount(ctx context.Context, email string, op store.PlatformOp) (store.PlatformAccount, bool, error) {
	var acct store.PlatformAccount
	found := true
	err := s.store.InPlatform(ctx, op, func(tx *store.PlatformTx) error {
		var err error
		acct, err = tx.FindAccountByEmail(ctx, email)
		if store.IsNotFound(err) {
			found, err = false, nil
		}
		return err
	})
	return acct, found, err
}

// PreviewInvitation tells the holder of an invitation's token what
// accepting it involves.
func (s *Service) PreviewInvitation(ctx context.Context, t Tenant, token string) (InvitationPreview, error) {
	if token == "" || len(token) > 100 {
		return InvitationPreview{}, errInvalidInvitation
	}
	inv, min, err := s.openInvitation(ctx, t, hashToken(token))
	if err != nil {
		return InvitationPreview{}, err
	}
	acct, found, err := s.findAccount(ctx, inv.Email, store.PlatformOp{
		Actor: "invitation:" + inv.ID.String(), Action: "auth.invitation_preview", TargetTenant: &t.ID,
		Reason: "the holder of an invitation sees whether its address already has an account",
	})
	if err != nil {
		return InvitationPreview{}, err
	}
	p := InvitationPreview{Email: inv.Email, Role: tenant.Role(inv.Role), DisplayName: inv.DisplayName, TenantName: t.Name,
		Account: AccountNew, MinPasswordLength: min}
	switch {
	case found && acct.PasswordHash != nil:
		p.Account = AccountWithPassword
	case found:
		p.Account = AccountWithoutPassword
	}
	return p, nil
}

// errSetPasswordFirst answers an invitation of an account that has no
// password yet: nothing sets a password on an existing account but a reset
// mailed to its address.
var errSetPasswordFirst = &tenant.Error{Code: tenant.CodeConflict,
	Message: "this address already has an account without a password: set one with a password reset, then accept by signing in"}

// AcceptInvitation accepts an invitation on the host of tenant t and signs
// the new member in. Everything is checked before anything is written: the
// invitation is open, its inviter may still grant its role, and then
//
//   - an address without an account gets one, with password (the mailed
//     link is its owner's proof of the address);
//   - an existing account joins by signing in: password must be its
//     password, checked against the sign-in limits of the address, and
//     every wrong one counts against the invitation too
//     (MaxInvitationFailures);
//   - an existing account without a password is refused: a password is
//     never set on an existing account here.
func (s *Service) AcceptInvitation(ctx context.Context, t Tenant, token, password string, meta ClientMeta) (Issued, error) {
	if err := s.guessAllowed(meta, ""); err != nil {
		return Issued{}, err
	}
	if token == "" || len(token) > 100 {
		s.guessFailed(meta, "")
		return Issued{}, errInvalidInvitation
	}
	hash := hashToken(token)
	inv, min, err := s.openInvitation(ctx, t, hash)
	if errors.Is(err, errInvalidInvitation) {
		s.guessFailed(meta, "")
	}
	if err != nil {
		return Issued{}, err
	}
	acct, found, err := s.findAccount(ctx, inv.Email, store.PlatformOp{
		Actor: "invitation:" + inv.ID.String(), Action: "auth.invitation_account", TargetTenant: &t.ID,
		Reason: "an invited person accepts: find the account of the address",
	})
	if err != nil {
		return Issued{}, err
	}
	var newHash string
	switch {
	case found && acct.DisabledAt != nil:
		return Issued{}, errInvalidInvitation
	case found && acct.PasswordHash == nil:
		return Issued{}, errSetPasswordFirst
	case found:
		if err := s.guessAllowed(meta, inv.Email); err != nil {
			return Issued{}, err
		}
		ok, err := s.hasher.Verify(ctx, password, *acct.PasswordHash)
		if err != nil && tenant.IsCode(err, tenant.CodeUnavailable) {
			return Issued{}, err
		}
		if !ok {
			s.guessFailed(meta, inv.Email)
			if err := s.countInvitationFailure(ctx, t, inv); err != nil {
				return Issued{}, err
			}
			return Issued{}, &tenant.Error{Code: tenant.CodeUnauthorized, Message: "this address already has an account: enter its password to accept",
				Fields: map[string]string{"body.password": "the password of the account of " + inv.Email}}
		}
	default:
		if err := ValidatePassword(password, min); err != nil {
			var te *tenant.Error
			if errors.As(err, &te) {
				te.Fields = map[string]string{"body.password": te.Fields["body.new_password"]}
			}
			return Issued{}, err
		}
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return Issued{}, err
		}
	}
	if found {
		if err := s.checkNotMember(ctx, t, acct.ID); err != nil {
			return Issued{}, err
		}
	} else {
		// Every check passed: the first write. The link's holder has shown
		// they read the address's mail, so the account is theirs.
		err = s.store.InPlatform(ctx, store.PlatformOp{
			Actor: "invitation:" + inv.ID.String(), Action: "auth.invitation_account_created", TargetTenant: &t.ID,
			Reason: "an invited person without an account accepts with the link mailed to the address",
		}, func(tx *store.PlatformTx) error {
			var err error
			acct, err = tx.CreateAccount(ctx, store.PlatformCreateAccountParams{Email: inv.Email, PasswordHash: &newHash})
			if tenant.IsCode(err, tenant.CodeConflict) {
				return errInvalidInvitation // created meanwhile by someone else: open the link again
			}
			return err
		})
		if err != nil {
			return Issued{}, err
		}
	}
	var member store.Member
	scope := tenant.Scope{TenantID: t.ID, AccountID: acct.ID, RequestID: tenant.RequestIDFrom(ctx)}
	actx := tenant.WithScope(ctx, scope)
	err = s.store.InTenant(actx, func(tx *store.Tx) error {
		inv, err := tx.FindOpenInvitation(actx, store.FindOpenInvitationParams{TenantID: t.ID, TokenHash: hash, Now: s.now()})
		if store.IsNotFound(err) {
			return errInvalidInvitation
		}
		if err != nil {
			return err
		}
		if err := inviterMayGrant(actx, tx, inv); err != nil {
			return err
		}
		existing, err := tx.FindMemberByAccount(actx, store.FindMemberByAccountParams{TenantID: t.ID, AccountID: acct.ID})
		switch {
		case err == nil && existing.RemovedAt == nil:
			return errAlreadyMember
		case err == nil:
			member, err = tx.ReactivateMember(actx, store.ReactivateMemberParams{TenantID: t.ID, AccountID: acct.ID, Role: inv.Role, DisplayName: inv.DisplayName})
		case store.IsNotFound(err):
			member, err = tx.CreateMember(actx, store.CreateMemberParams{TenantID: t.ID, AccountID: acct.ID, Role: inv.Role, DisplayName: inv.DisplayName})
		}
		if err != nil {
			return err
		}
		if err := tx.MarkInvitationAccepted(actx, store.MarkInvitationAcceptedParams{TenantID: t.ID, ID: inv.ID}); err != nil {
			return err
		}
		return tx.Audit(actx, "member.joined", "member", &member.ID, nil)
	})
	if err != nil {
		return Issued{}, err
	}
	scope.MemberID, scope.Role = member.ID, tenant.Role(member.Role)
	is, err := s.createTenantSession(tenant.WithScope(ctx, scope), acct.SessionVersion, acct.Email, meta, "auth.login")
	is.Device = s.devices.sign(acct.Email)
	return is, err
}

var errAlreadyMember = &tenant.Error{Code: tenant.CodeConflict, Message: "you are already a member of this organization"}

// checkNotMember refuses an account that is already a live member of t.
func (s *Service) checkNotMember(ctx context.Context, t Tenant, accountID uuid.UUID) error {
	actx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, AccountID: accountID, RequestID: tenant.RequestIDFrom(ctx)})
	return s.store.ReadTenant(actx, func(tx *store.Tx) error {
		existing, err := tx.FindMemberByAccount(actx, store.FindMemberByAccountParams{TenantID: t.ID, AccountID: accountID})
		switch {
		case store.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case existing.RemovedAt == nil:
			return errAlreadyMember
		}
		return nil
	})
}

// countInvitationFailure records a wrong password given with inv, which
// revokes it at MaxInvitationFailures.
func (s *Service) countInvitationFailure(ctx context.Context, t Tenant, inv store.Invitation) error {
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, RequestID: tenant.RequestIDFrom(ctx)})
	return s.store.InTenant(tctx, func(tx *store.Tx) error {
		n, err := tx.CountInvitationFailure(tctx, store.CountInvitationFailureParams{
			TenantID: t.ID, ID: inv.ID, MaxFailures: MaxInvitationFailures, Now: s.now(),
		})
		if store.IsNotFound(err) {
			return nil // revoked or accepted meanwhile
		}
		if err != nil {
			return err
		}
		if n >= MaxInvitationFailures {
			return tx.Audit(tctx, "member.invitation_revoked_after_failures", "invitation", &inv.ID, nil)
		}
		return nil
	})
}
