package auth

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/onetime"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// MaxInvitationFailures is how many wrong passwords an invitation takes
// before it is revoked: a token is not kept alive by guessing.
const MaxInvitationFailures = 5

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
func (s *Service) openInvitation(ctx context.Context, t tenant.Tenant, hash []byte) (store.Invitation, int, error) {
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
	if !tenant.Role(inviter.Role).Manages(tenant.Role(inv.Role)) {
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
func (s *Service) PreviewInvitation(ctx context.Context, t tenant.Tenant, token string) (_ InvitationPreview, err error) {
	defer errs.Wrap(&err, "auth: preview invitation")
	if token == "" || len(token) > 100 {
		return InvitationPreview{}, errInvalidInvitation
	}
	inv, min, err := s.openInvitation(ctx, t, onetime.Hash(token))
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
func (s *Service) AcceptInvitation(ctx context.Context, t tenant.Tenant, token, password string, meta ClientMeta) (_ Issued, err error) {
	defer errs.Wrap(&err, "auth: accept invitation")
	if err := s.guessAllowed(meta, ""); err != nil {
		return Issued{}, err
	}
	if token == "" || len(token) > 100 {
		s.guessFailed(meta, "")
		return Issued{}, errInvalidInvitation
	}
	hash := onetime.Hash(token)
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
func (s *Service) checkNotMember(ctx context.Context, t tenant.Tenant, accountID uuid.UUID) error {
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
func (s *Service) countInvitationFailure(ctx context.Context, t tenant.Tenant, inv store.Invitation) error {
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
