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
	Role  *tenant.Role
	After *MemberKey
	// Limit is the page size, 1 to 100. Defaults to 50.
	Limit int
}

// ListMembers returns a page of the live members of the scope's tenant and
// the key the next page starts after (nil on the last page).
func (s *Service) ListMembers(ctx context.Context, f MemberFilter) ([]Member, *MemberKey, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	p := store.ListMembersWithEmailParams{PageSize: int32(f.Limit + 1)}
	if f.Role != nil {
		r := string(*f.Role)
		p.Role = &r
	}
	if f.After != nil {
		p.HasAfter, p.AfterName, p.AfterID = true, f.After.Name, f.After.ID
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
	var next *MemberKey
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = &MemberKey{Name: last.DisplayName, ID: last.ID}
	}
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
// transaction, so the old role dies at its next request.
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
		detail, _ := json.Marshal(map[string]string{"from": string(current), "to": string(role)})
		out = memberOf(updated, "")
		return tx.Audit(ctx, "member.role_changed", "member", &id, detail)
	})
	return out, err
}

// RemoveMember ends member id's membership and its sessions in this tenant.
// Only owners remove owners; the last owner stays.
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
		return tx.Audit(ctx, "member.removed", "member", &id, nil)
	})
}

func memberOf(m store.Member, email string) Member {
	return Member{ID: m.ID, AccountID: m.AccountID, Email: email, Role: tenant.Role(m.Role), DisplayName: m.DisplayName, CreatedAt: m.CreatedAt}
}

// Invitation is an open invitation. URL is set only when it is created: the
// token is not stored.
type Invitation struct {
	ID          uuid.UUID
	Email       string
	Role        tenant.Role
	DisplayName string
	ExpiresAt   time.Time
	CreatedAt   time.Time
	URL         string
}

// Invite invites email into the scope's tenant with role. The one-time link
// is returned (for the inviter to pass on) and mailed. The email's domain
// must be allowed by the tenant's security settings.
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
		inv, err = tx.CreateInvitation(ctx, store.CreateInvitationParams{
			TenantID: tid, Email: email, Role: string(role), DisplayName: displayName, InvitedByMemberID: actor.MemberID,
			TokenHash: hash, CreatedAt: s.now(), ExpiresAt: s.now().Add(s.invitationTTL),
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
			"\n\nThe link works once and expires on " + inv.ExpiresAt.UTC().Format(time.RFC1123) + ".",
	}); err != nil {
		s.logger.ErrorContext(ctx, "send invitation mail", slog.Any("error", err))
	}
	out := invitationOf(inv)
	out.URL = link
	return out, nil
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

// AcceptInvitation accepts an invitation on the host of tenant t and signs
// the new member in. An account that does not exist yet is created; one
// without a password gets password; one with a password must give it.
func (s *Service) AcceptInvitation(ctx context.Context, t Tenant, token, password string, meta ClientMeta) (Issued, error) {
	invalid := &tenant.Error{Code: tenant.CodeInvalid, Message: "this invitation is invalid, used, withdrawn or expired"}
	if token == "" || len(token) > 100 {
		return Issued{}, invalid
	}
	if err := s.signInAllowed(meta.IP, ""); err != nil {
		return Issued{}, err
	}
	hash := hashToken(token)
	tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: t.ID, RequestID: tenant.RequestIDFrom(ctx)})
	var inv store.Invitation
	err := s.store.ReadTenant(tctx, func(tx *store.Tx) error {
		var err error
		inv, err = tx.PeekOpenInvitation(tctx, store.PeekOpenInvitationParams{TenantID: t.ID, TokenHash: hash, Now: s.now()})
		if store.IsNotFound(err) {
			return invalid
		}
		return err
	})
	if errors.Is(err, invalid) {
		s.signInFailed(meta.IP, "")
	}
	if err != nil {
		return Issued{}, err
	}
	// The account is platform data: find or create it on the audited path.
	var acct store.PlatformAccount
	err = s.store.InPlatform(ctx, store.PlatformOp{
		Actor: "invitation:" + inv.ID.String(), Action: "auth.invitation_account", Reason: "an invited person accepts: find or create the account",
		TargetTenant: &t.ID,
	}, func(tx *store.PlatformTx) error {
		var err error
		acct, err = tx.FindAccountByEmail(ctx, inv.Email)
		if store.IsNotFound(err) {
			acct, err = tx.CreateAccount(ctx, store.PlatformCreateAccountParams{Email: inv.Email})
		}
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	if acct.DisabledAt != nil {
		return Issued{}, invalid
	}
	if acct.PasswordHash == nil {
		if err := ValidatePassword(password, minPasswordLength); err != nil {
			return Issued{}, err
		}
		pw, err := s.hasher.Hash(ctx, password)
		if err != nil {
			return Issued{}, err
		}
		err = s.store.InPlatform(ctx, store.PlatformOp{
			Actor: acct.ID.String(), Action: "auth.invitation_password", Reason: "an invited person sets the first password", TargetTenant: &t.ID,
		}, func(tx *store.PlatformTx) error {
			a, err := tx.SetInitialPassword(ctx, store.PlatformSetInitialPasswordParams{ID: acct.ID, PasswordHash: &pw})
			if err == nil {
				acct = a
			}
			if store.IsNotFound(err) {
				return invalid // set concurrently by someone else
			}
			return err
		})
		if err != nil {
			return Issued{}, err
		}
	} else if ok, err := s.hasher.Verify(ctx, password, *acct.PasswordHash); err != nil || !ok {
		if err == nil {
			s.signInFailed(meta.IP, inv.Email)
		}
		return Issued{}, &tenant.Error{Code: tenant.CodeUnauthorized, Message: "this email already has an account: enter its password to accept"}
	}
	var member store.Member
	scope := tenant.Scope{TenantID: t.ID, AccountID: acct.ID, RequestID: tenant.RequestIDFrom(ctx)}
	actx := tenant.WithScope(ctx, scope)
	err = s.store.InTenant(actx, func(tx *store.Tx) error {
		inv, err := tx.FindOpenInvitation(actx, store.FindOpenInvitationParams{TenantID: t.ID, TokenHash: hash, Now: s.now()})
		if store.IsNotFound(err) {
			return invalid
		}
		if err != nil {
			return err
		}
		existing, err := tx.FindMemberByAccount(actx, store.FindMemberByAccountParams{TenantID: t.ID, AccountID: acct.ID})
		switch {
		case err == nil && existing.RemovedAt == nil:
			return &tenant.Error{Code: tenant.CodeConflict, Message: "you are already a member of this organization"}
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
	return s.createTenantSession(tenant.WithScope(ctx, scope), acct.SessionVersion, acct.Email, meta, "auth.login")
}
