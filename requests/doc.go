// Package requests is a tenant's service requests: what its clients ask it
// to do, from submission to completion, with the history of every status
// change and the conversation around each request.
//
// Every method works in the tenant of the scope in its context. Another
// tenant's request, comment, client, staff member or service reads exactly
// like a missing one: [tenant.CodeNotFound], with a message that names only
// the kind of thing.
//
// # Who calls what
//
// Staff methods ([Service.FindRequests], [Service.CreateRequest],
// [Service.TransitionRequest], …) need a scope with role staff or above and
// see every request of the tenant; [Service.DeleteRequest] and
// [Service.DeleteComment] need an admin, because they erase a client's
// record and its history (their use is cleaning up spam and mistakes).
//
// Portal methods (the My… ones: [Service.FindMyRequests],
// [Service.CreateMyRequest], [Service.CancelMyRequest], …) act for the
// member of the scope as a client and only ever reach that member's own
// requests: another client's request reads like a missing one. They return
// their own types ([ClientRequest], [ClientComment], [ClientEvent]), which
// carry nothing of the firm's internal handling: no internal comments, no
// assignment, priority, due date, source, or the actors and notes of status
// changes. A client can cancel its request only before the work is planned
// (submitted, in review or approved); later the firm cancels it, with the
// booking rules that then apply.
//
// [Service.SubmitPublicRequest] serves the public form of a tenant's host:
// no sign-in, a scope naming the tenant alone.
//
// # The workflow
//
// A request moves submitted → in_review → approved → scheduled →
// in_progress → completed, and to cancelled from any state before
// completed; the allowed moves are the rows of service_request_transitions,
// and a trigger refuses any other status change whoever makes it. Every
// status change, and the submission itself, is one service_request_events
// row with its actor and note, written in the transaction of the change.
//
// # The public form and abuse
//
// The form takes a request for the person named by an email address, and
// mails that address a link that confirms it ([Service.SubmitPublicRequest],
// [Service.ConfirmPublicRequest]). Anyone can type anyone's address, so:
//
//   - Until the link is opened, the request is held apart
//     (public_submissions): it names no account and no member, and nobody
//     sees it. Typing someone's address attaches nothing to them, and no
//     account is made for an address nobody has shown they read.
//   - Opening the link is the proof of the address: only then is the
//     person's account found (or made, without a password) on the audited
//     platform path, the person made a client if they were not a member,
//     and the request filed under their membership. A person gets a
//     password only through a password reset mailed to the same address.
//   - The form answers the same whatever the address is (known, a client,
//     a staff member, unknown), and takes the same path: one row and one
//     queued mail, the mail leaving off the request's path.
//   - The confirmation mail carries nothing the submitter wrote (no title,
//     no details, no name): a form that mails any address must not relay a
//     stranger's words in the firm's name. It names the firm and the link.
//   - It never grants or changes access: an existing membership keeps its
//     role and name whatever the form says, and a removed member stays
//     removed (the request is filed under the removed membership for staff
//     to see).
//   - It is rate-limited per tenant and client address, per tenant and
//     email address, and per tenant (see [Config]); limits are keyed by
//     tenant so one firm's flood does not throttle another's form. Each
//     accepted submission mails one message, so these limits also bound
//     the mail one address can be sent.
//   - An address outside the tenant's allowed email domains (security
//     settings) is refused before anything is stored.
//   - Requests it files carry source "public" and no creating member, so
//     staff can tell them from requests a signed-in client made, and an
//     admin can delete spam ([Service.DeleteRequest]).
//
// A link works once, for [PublicConfirmationTTL], on its own tenant's host.
// The platform transaction that finds or makes the account commits before
// the tenant transaction that files the request: if the second fails, an
// account without password or membership remains, which grants nothing,
// and the link still works.
package requests
