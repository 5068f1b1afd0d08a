// Package members is a tenant's member administration: its members and
// their roles, and the invitations that bring new ones in. Accepting an
// invitation is identity's (package auth): it signs the invited person in.
//
// Every operation runs in the caller's tenant scope and checks the role it
// needs itself: reading the members takes staff, changing them an admin,
// and only an owner gives, changes or takes the owner role
// ([tenant.Role.Manages]). A tenant always keeps one owner. A member who
// loses a role loses it at their next request: their sessions in the
// tenant end in the same transaction, and so do the open invitations they
// sent, since an invitation is only as good as its inviter's power.
package members

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
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/internal/mailaddr"
	"github.com/tenantkit/tenantkit/internal/onetime"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/mailer/tenantmail"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Config is what a Service needs.
type Config struct {
	Store  *store.Store
	Mailer mailer.Sender
	// Link returns the public URL of path on the tenant with slug; the
	// invitation link is built from it, never from a request's Host.
	Link func(slug, path string) string
	// Now is the clock of every timestamp and expiry. Required.
	Now    func() time.Time
	Logger *slog.Logger
	// InvitationTTL is the lifetime of an invitation. Defaults to 7 days.
	InvitationTTL time.Duration
}

// Service administers the members of the scope's tenant.
type Service struct {
	store         *store.Store
	mailer        mailer.Sender
	link          func(slug, path string) string
	now           func() time.Time
	logger        *slog.Logger
	invitationTTL time.Duration
}

// New returns a Service; it panics without the store, mailer, link or
// clock.
func New(cfg Config) *Service {
	if cfg.Store == nil || cfg.Mailer == nil || cfg.Link == nil || cfg.Now == nil {
		panic("members: Config.Store, Mailer, Link and Now are required")
	}
	s := &Service{store: cfg.Store, mailer: cfg.Mailer, link: cfg.Link, now: cfg.Now, logger: cfg.Logger, invitationTTL: cfg.InvitationTTL}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.invitationTTL == 0 {
		s.invitationTTL = 7 * 24 * time.Hour
	}
	return s
}

// Member is a live member of the current tenant.
type Member struct {
	ID          uuid.UUID
	AccountID   uuid.UUID
	Email       string
	Role        tenant.Role
	DisplayName string
	CreatedAt   time.Time
}

// Key is the position of a member in the list order (name, id).
type Key struct {
	Name string    `json:"n"`
	ID   uuid.UUID `json:"i"`
}

// Filter selects members. Nil fields do not filter.
type Filter struct {
	Role *tenant.Role
	Page keyset.Page[Key]
}

// List returns a page of the live members of the scope's tenant and
// the key the next page starts after (nil on the last page).
func (s *Service) List(ctx context.Context, f Filter) (_ []Member, _ *Key, err error) {
	defer errs.Wrap(&err, "members: list")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, nil, err
	}
	p := store.ListMembersWithEmailParams{PageSize: f.Page.Fetch()}
	if f.Role != nil {
		r := string(*f.Role)
		p.Role = &r
	}
	if a := f.Page.After; a != nil {
		p.HasAfter, p.AfterName, p.AfterID = true, a.Name, a.ID
	}
	var out []Member
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
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
	out, next := keyset.Cut(out, f.Page, func(m Member) Key { return Key{Name: m.DisplayName, ID: m.ID} })
	return out, next, nil
}

var errMemberNotFound = tenant.NotFound("member")

var errLastOwner = &tenant.Error{Code: tenant.CodeConflict, Message: "the last owner cannot be removed or demoted: make another member owner first"}

// ChangeRole gives member id the role. Only owners touch owners; the last
// owner keeps its role. The member's sessions in this tenant end in the same
// transaction, so the old role dies at its next request; a demoted member's
// open invitations are withdrawn with it.
func (s *Service) ChangeRole(ctx context.Context, id uuid.UUID, role tenant.Role) (_ Member, err error) {
	defer errs.Wrap(&err, "members: change role of %s", id)
	actor, err := tenant.Require(ctx, tenant.RoleAdmin)
	if err != nil {
		return Member{}, err
	}
	if !role.Valid() {
		return Member{}, &tenant.Error{Code: tenant.CodeInvalid, Message: "unknown role", Fields: map[string]string{"body.role": "one of owner, admin, staff, client"}}
	}
	var out Member
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		owners, m, err := lockMember(ctx, tx, id)
		if err != nil {
			return err
		}
		current := tenant.Role(m.Role)
		if !actor.Role.Manages(current) || !actor.Role.Manages(role) {
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

// Remove ends member id's membership, its sessions and its open
// invitations in this tenant. Only owners remove owners; the last owner
// stays.
func (s *Service) Remove(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "members: remove %s", id)
	actor, err := tenant.Require(ctx, tenant.RoleAdmin)
	if err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		owners, m, err := lockMember(ctx, tx, id)
		if err != nil {
			return err
		}
		if !actor.Role.Manages(tenant.Role(m.Role)) {
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

// EndSessions ends every session of member id in the tenant: each of its
// tokens is refused at its next request. It takes an admin, who may end
// the sessions of the members whose role they manage (an owner's only an
// owner); it returns how many sessions ended.
func (s *Service) EndSessions(ctx context.Context, id uuid.UUID) (n int64, err error) {
	defer errs.Wrap(&err, "members: end sessions of %s", id)
	actor, err := tenant.Require(ctx, tenant.RoleAdmin)
	if err != nil {
		return 0, err
	}
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		m, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errMemberNotFound
		}
		if err != nil {
			return err
		}
		if !actor.Role.Manages(tenant.Role(m.Role)) {
			return &tenant.Error{Code: tenant.CodeForbidden, Message: "only an owner can end an owner's sessions"}
		}
		if n, err = tx.RevokeMemberSessions(ctx, store.RevokeMemberSessionsParams{TenantID: tx.TenantID(), MemberID: id}); err != nil {
			return err
		}
		return tx.Audit(ctx, "member.sessions_ended", "member", &id, nil)
	})
	return n, err
}

// lockMember locks the tenant's owners (so two changes cannot both take
// the last one) and reads live member id.
func lockMember(ctx context.Context, tx *store.Tx, id uuid.UUID) (owners []uuid.UUID, m store.Member, err error) {
	if owners, err = tx.LockOwners(ctx, tx.TenantID()); err != nil {
		return nil, m, err
	}
	m, err = tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) {
		return nil, m, errMemberNotFound
	}
	return owners, m, err
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

// Invite invites email into the scope's tenant with role. The one-time link
// is mailed to the address and to no one else: the inviter never sees it,
// so whoever accepts has shown they read that address's mail. The email's
// domain must be allowed by the tenant's security settings.
func (s *Service) Invite(ctx context.Context, email string, role tenant.Role, displayName string) (_ Invitation, err error) {
	defer errs.Wrap(&err, "members: invite")
	actor, err := tenant.Require(ctx, tenant.RoleAdmin)
	if err != nil {
		return Invitation{}, err
	}
	email = mailaddr.Normalize(email)
	displayName = strings.TrimSpace(displayName)
	fields := map[string]string{}
	if !mailaddr.Valid(email) {
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
	if !actor.Role.Manages(role) {
		return Invitation{}, &tenant.Error{Code: tenant.CodeForbidden, Message: "only an owner can invite an owner"}
	}
	tok, hash := onetime.New()
	var inv store.Invitation
	var msg mailer.Message
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
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
		tn, err := tx.GetTenant(ctx, tid)
		if err != nil {
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
		link := s.link(tn.Slug, "/invitations/accept?token="+url.QueryEscape(tok))
		msg, err = tenantmail.LinkMail(ctx, tx, mailer.KindInvitation, email, link, "Accept the invitation", inv.ExpiresAt,
			func(d *mailer.Data) { d.Recipient, d.Role = inv.DisplayName, inv.Role })
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"email": email, "role": string(role)})
		return tx.Audit(ctx, "member.invited", "invitation", &inv.ID, detail)
	})
	if err != nil {
		return Invitation{}, err
	}
	// Sent once the invitation is committed (a rolled-back one sends
	// nothing), through the queue: the delivery log records the result.
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.logger.ErrorContext(ctx, "send invitation mail", slog.Any("error", err))
	}
	return invitationOf(inv), nil
}

func invitationOf(i store.Invitation) Invitation {
	return Invitation{ID: i.ID, Email: i.Email, Role: tenant.Role(i.Role), DisplayName: i.DisplayName, ExpiresAt: i.ExpiresAt, CreatedAt: i.CreatedAt}
}

// ListInvitations returns the scope's tenant's open invitations.
func (s *Service) ListInvitations(ctx context.Context) (_ []Invitation, err error) {
	defer errs.Wrap(&err, "members: list invitations")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return nil, err
	}
	var out []Invitation
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListInvitations(ctx, store.ListInvitationsParams{TenantID: tx.TenantID(), Now: s.now()})
		for _, r := range rows {
			out = append(out, invitationOf(r))
		}
		return err
	})
	return out, err
}

// RevokeInvitation withdraws an open invitation.
func (s *Service) RevokeInvitation(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "members: revoke invitation %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		if _, err := tx.RevokeInvitation(ctx, store.RevokeInvitationParams{TenantID: tx.TenantID(), ID: id}); store.IsNotFound(err) {
			return tenant.NotFound("invitation")
		} else if err != nil {
			return err
		}
		return tx.Audit(ctx, "member.invitation_revoked", "invitation", &id, nil)
	})
}
