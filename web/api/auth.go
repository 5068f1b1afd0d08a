package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

type accountView struct {
	ID    string `json:"id" format:"uuid"`
	Email string `json:"email"`
}

type tenantView struct {
	ID   string `json:"id" format:"uuid"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	URL  string `json:"url" doc:"The organization's address."`
}

type membershipView struct {
	Tenant tenantView `json:"tenant"`
	Role   string     `json:"role" enum:"owner,admin,staff,client"`
}

type sessionView struct {
	Account     accountView      `json:"account"`
	Tenant      *tenantView      `json:"tenant,omitempty" doc:"The active organization; absent on the platform host."`
	Role        string           `json:"role,omitempty" enum:"owner,admin,staff,client" doc:"The role in the active organization."`
	ExpiresAt   time.Time        `json:"expires_at"`
	Memberships []membershipView `json:"memberships" doc:"Every organization the account belongs to."`
}

type issuedView struct {
	sessionView
	Token     string `json:"token" doc:"The session token. Browsers get it as the __Host-session cookie; API clients send it as Authorization: Bearer."`
	TenantSig string `json:"tenant_sig,omitempty" doc:"The signed tenant value of a tenant session: browsers get it as the __Host-tenant_sig cookie; API clients must send it as that cookie with every request."`
	Redirect  string `json:"redirect,omitempty" doc:"Where a browser goes next (relative path)."`
}

type sessionOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      issuedView
}

type credentialsBody struct {
	Email    string `json:"email" minLength:"3" maxLength:"254" doc:"The account's email address."`
	Password string `json:"password" minLength:"1" maxLength:"1024"`
}

type loginInput struct {
	Body credentialsBody
}

type switchInput struct {
	Body struct {
		Tenant string `json:"tenant" pattern:"^[a-z0-9][a-z0-9-]{0,62}$" doc:"The slug of the organization to switch to."`
		Next   string `json:"next,omitempty" maxLength:"2000" doc:"A path on the target organization's host to land on."`
	}
}

type switchOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		HandoffURL string    `json:"handoff_url" doc:"The target organization's redeem-handoff operation: POST {\"token\": …} there within 60 seconds to be signed in on its host. A browser may post it only from a page of the host that asked for the switch."`
		Token      string    `json:"token" doc:"The one-time handoff token."`
		ExpiresAt  time.Time `json:"expires_at"`
	}
}

type tokenInput struct {
	Body struct {
		Token string `json:"token" minLength:"1" maxLength:"100"`
	}
}

type passwordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" minLength:"1" maxLength:"1024"`
		NewPassword     string `json:"new_password" minLength:"1" maxLength:"1024"`
	}
}

type resetRequestInput struct {
	Body struct {
		Email string `json:"email" minLength:"3" maxLength:"254"`
	}
}

type resetConfirmInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"100"`
		Password string `json:"password" minLength:"1" maxLength:"1024"`
	}
}

type messageOutput struct {
	Body struct {
		Message string `json:"message"`
	}
}

func message(m string) *messageOutput {
	out := &messageOutput{}
	out.Body.Message = m
	return out
}

type sessionViewOutput struct {
	Body sessionView
}

type noContent struct{}

func (s *API) registerAuth() {
	for _, api := range []route.Kind{route.TenantHost, route.ApexHost} {
		authenticated := route.Platform
		if api == route.TenantHost {
			authenticated = route.Member(tenant.RoleClient)
		}
		route.Operation(s.t, api, huma.Operation{
			OperationID: "login", Method: http.MethodPost, Path: "/api/auth/login", Tags: []string{"auth"},
			Summary:     "Sign in",
			Description: "On an organization's host, opens a session in that organization (members only). On the platform host, opens a platform session and lists the account's organizations.",
			Errors:      []int{401, 422, 429},
		}, route.Public, s.handleLogin)
		route.Operation(s.t, api, huma.Operation{
			OperationID: "logout", Method: http.MethodPost, Path: "/api/auth/logout", Tags: []string{"auth"},
			Summary: "Sign out: end this session", DefaultStatus: http.StatusOK,
		}, authenticated, s.handleLogout)
		route.Operation(s.t, api, huma.Operation{
			OperationID: "get-session", Method: http.MethodGet, Path: "/api/auth/session", Tags: []string{"auth"},
			Summary: "The signed-in account, its active organization and role, and its memberships",
		}, authenticated, s.handleSession)
		route.Operation(s.t, api, huma.Operation{
			OperationID: "switch-tenant", Method: http.MethodPost, Path: "/api/auth/switch", Tags: []string{"auth"},
			Summary:     "Switch to another organization",
			Description: "Checks the membership, ends this session, and returns a one-time handoff token to redeem on the target organization's host.",
			Errors:      []int{403},
		}, authenticated, s.handleSwitch)
		route.Operation(s.t, api, huma.Operation{
			OperationID: "change-password", Method: http.MethodPost, Path: "/api/auth/password", Tags: []string{"auth"},
			Summary:     "Change the password",
			Description: "Every session of the account ends; this one is replaced by a fresh one.",
		}, authenticated, s.handleChangePassword)
		route.Operation(s.t, api, huma.Operation{
			OperationID: "request-password-reset", Method: http.MethodPost, Path: "/api/auth/password-reset", Tags: []string{"auth"},
			Summary: "Mail a one-time password reset link", DefaultStatus: http.StatusAccepted,
			Description: "Answers the same whether or not the address belongs to an account.",
		}, route.Public, s.handleResetRequest)
		route.Operation(s.t, api, huma.Operation{
			OperationID: "confirm-password-reset", Method: http.MethodPost, Path: "/api/auth/password-reset/confirm", Tags: []string{"auth"},
			Summary: "Set a new password with a reset link's token", DefaultStatus: http.StatusNoContent,
			Description: "The token works only on the host its reset was asked on: an organization's host, or the platform host.",
		}, route.Public, s.handleResetConfirm)
	}
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "redeem-handoff", Method: http.MethodPost, Path: "/api/auth/handoff", Tags: []string{"auth"},
		Summary:     "Finish a switch: redeem a one-time handoff on this organization's host",
		Description: "A browser may post it only from a page of the host that asked for the switch (its Origin); otherwise 403, and the handoff stays unused.",
		Errors:      []int{401, 403},
	}, route.Public, s.handleHandoff)
}

func (s *API) sessionViewOf(is auth.Issued, h route.Host) sessionView {
	v := sessionView{
		Account:     accountView{ID: is.Session.AccountID.String(), Email: is.Email},
		ExpiresAt:   is.ExpiresAt,
		Memberships: []membershipView{},
	}
	if h.Kind == route.TenantHost {
		v.Tenant = s.tenantViewOf(h.Tenant)
		v.Role = is.Session.Role
	}
	return v
}

func (s *API) tenantViewOf(t tenant.Tenant) *tenantView {
	return &tenantView{ID: t.ID.String(), Slug: t.Slug, Name: t.Name, URL: s.urls.Tenant(t.Slug, "/")}
}

func membershipViews(ms []auth.Membership) []membershipView {
	out := make([]membershipView, 0, len(ms))
	for _, m := range ms {
		out = append(out, membershipView{Tenant: tenantView{ID: m.TenantID.String(), Slug: m.Slug, Name: m.Name, URL: m.URL}, Role: m.Role})
	}
	return out
}

func (s *API) issuedOutput(is auth.Issued, h route.Host, memberships []auth.Membership, redirect string) *sessionOutput {
	view := s.sessionViewOf(is, h)
	if memberships != nil {
		view.Memberships = membershipViews(memberships)
	}
	return &sessionOutput{
		SetCookie: route.SessionCookies(is),
		Body:      issuedView{sessionView: view, Token: is.Token, TenantSig: is.TenantSig, Redirect: redirect},
	}
}

func (s *API) handleLogin(ctx context.Context, in *loginInput) (*sessionOutput, error) {
	h, _ := route.HostFrom(ctx)
	meta := route.ClientFrom(ctx)
	if h.Kind == route.TenantHost {
		is, err := s.auth.LoginTenant(ctx, h.Tenant, in.Body.Email, in.Body.Password, meta)
		if err != nil {
			return nil, err
		}
		return s.issuedOutput(is, h, nil, "/"), nil
	}
	is, ms, err := s.auth.LoginPlatform(ctx, in.Body.Email, in.Body.Password, meta)
	if err != nil {
		return nil, err
	}
	return s.issuedOutput(is, h, ms, "/"), nil
}

type logoutOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		Message string `json:"message"`
	}
}

func (s *API) handleLogout(ctx context.Context, _ *struct{}) (*logoutOutput, error) {
	p, _ := route.PrincipalFrom(ctx)
	if err := s.auth.Logout(ctx, p); err != nil {
		return nil, err
	}
	out := &logoutOutput{SetCookie: route.ClearedCookies()}
	out.Body.Message = "signed out"
	return out, nil
}

func (s *API) handleSession(ctx context.Context, _ *struct{}) (*sessionViewOutput, error) {
	p, _ := route.PrincipalFrom(ctx)
	h, _ := route.HostFrom(ctx)
	ms, err := s.auth.Memberships(ctx, p)
	if err != nil {
		return nil, err
	}
	v := sessionView{
		Account:     accountView{ID: p.Session.AccountID.String(), Email: p.Email},
		ExpiresAt:   p.Session.ExpiresAt,
		Memberships: membershipViews(ms),
	}
	if h.Kind == route.TenantHost {
		v.Tenant = s.tenantViewOf(h.Tenant)
		v.Role = string(p.Scope.Role)
	}
	return &sessionViewOutput{Body: v}, nil
}

func (s *API) handleSwitch(ctx context.Context, in *switchInput) (*switchOutput, error) {
	p, _ := route.PrincipalFrom(ctx)
	h, _ := route.HostFrom(ctx)
	ho, err := s.auth.Switch(ctx, p, in.Body.Tenant, in.Body.Next, h.Name)
	if err != nil {
		return nil, err
	}
	out := &switchOutput{SetCookie: route.ClearedCookies()}
	out.Body.HandoffURL, out.Body.Token, out.Body.ExpiresAt = ho.APIURL, ho.Token, ho.ExpiresAt
	return out, nil
}

func (s *API) handleHandoff(ctx context.Context, in *tokenInput) (*sessionOutput, error) {
	h, _ := route.HostFrom(ctx)
	is, redirect, err := s.auth.RedeemHandoff(ctx, h.Tenant, in.Body.Token, route.ClientFrom(ctx))
	if err != nil {
		return nil, err
	}
	return s.issuedOutput(is, h, nil, redirect), nil
}

func (s *API) handleChangePassword(ctx context.Context, in *passwordInput) (*sessionOutput, error) {
	p, _ := route.PrincipalFrom(ctx)
	h, _ := route.HostFrom(ctx)
	is, err := s.auth.ChangePassword(ctx, p, in.Body.CurrentPassword, in.Body.NewPassword, route.ClientFrom(ctx))
	if err != nil {
		return nil, err
	}
	return s.issuedOutput(is, h, nil, "/"), nil
}

func (s *API) handleResetRequest(ctx context.Context, in *resetRequestInput) (*messageOutput, error) {
	if err := s.auth.RequestPasswordReset(ctx, route.HostTenant(ctx), in.Body.Email, route.ClientFrom(ctx)); err != nil {
		return nil, err
	}
	out := &messageOutput{}
	out.Body.Message = "If the address belongs to an account, a reset link is on its way."
	return out, nil
}

func (s *API) handleResetConfirm(ctx context.Context, in *resetConfirmInput) (*noContent, error) {
	if err := s.auth.ResetPassword(ctx, route.HostTenant(ctx), in.Body.Token, in.Body.Password); err != nil {
		return nil, err
	}
	return &noContent{}, nil
}
