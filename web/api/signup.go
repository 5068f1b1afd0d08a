package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/web/route"
)

type signupInput struct {
	Body struct {
		Name  string `json:"name" minLength:"1" maxLength:"200" doc:"The organization's name."`
		Slug  string `json:"slug" minLength:"2" maxLength:"63" pattern:"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$" doc:"The organization's address: {slug}.{base domain}. Reserved names (www, api, admin, app, mail, static, status, …) are refused."`
		Email string `json:"email" minLength:"3" maxLength:"254" doc:"The owner's email address: the link that creates the organization is mailed there."`
		// The trap: a field a person never sees (the page hides it).
		Website string `json:"website,omitempty" maxLength:"200" doc:"Leave out or empty."`
	}
}

type signupConfirmInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"100" doc:"The token of the mailed link."`
		Password string `json:"password" minLength:"1" maxLength:"1024" doc:"A new account's password, chosen now; or the password of the address's existing account."`
	}
}

type signupConfirmOutput struct {
	Body struct {
		Tenant     tenantView `json:"tenant" doc:"The organization created."`
		HandoffURL string     `json:"handoff_url" doc:"The organization's redeem-handoff operation: POST {\"token\": …} there within 60 seconds to be signed in on its host as its owner."`
		Token      string     `json:"token" doc:"The one-time handoff token."`
		ExpiresAt  time.Time  `json:"expires_at"`
	}
}

func (s *API) registerSignup() {
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "signup", Method: http.MethodPost, Path: "/api/signup", Tags: []string{"signup"},
		Summary: "Create an organization: mail its confirmation link", DefaultStatus: http.StatusAccepted,
		Description: "Checks the name and the address (format, reserved names, taken) and mails a link to the email address; " +
			"nothing is created until that link is confirmed. Answers the same whether or not the address has an account. Limited per client address and email.",
		Errors: []int{409, 422, 429},
	}, route.Public, s.handleSignup)
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "confirm-signup", Method: http.MethodPost, Path: "/api/signup/confirm", Tags: []string{"signup"},
		Summary: "Confirm a sign-up: create the organization and its owner",
		Description: "With the mailed link's token: an address without an account gets one with the password given; " +
			"an existing account gives its own password and gets the new membership. Answers with a one-time handoff that signs the owner in on the organization's host.",
		Errors: []int{401, 409, 422, 429},
	}, route.Public, s.handleSignupConfirm)
}

func (s *API) handleSignup(ctx context.Context, in *signupInput) (*messageOutput, error) {
	err := s.auth.RequestSignup(ctx, auth.SignupRequest{Name: in.Body.Name, Slug: in.Body.Slug, Email: in.Body.Email, Trap: in.Body.Website}, route.ClientFrom(ctx))
	if err != nil {
		return nil, err
	}
	return message("Check your mail: the link in it creates the organization."), nil
}

func (s *API) handleSignupConfirm(ctx context.Context, in *signupConfirmInput) (*signupConfirmOutput, error) {
	h, _ := route.HostFrom(ctx)
	ho, err := s.auth.ConfirmSignup(ctx, in.Body.Token, in.Body.Password, h.Name, route.ClientFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := &signupConfirmOutput{}
	out.Body.Tenant = *s.tenantViewOf(ho.Tenant)
	out.Body.HandoffURL, out.Body.Token, out.Body.ExpiresAt = ho.APIURL, ho.Token, ho.ExpiresAt
	return out, nil
}
