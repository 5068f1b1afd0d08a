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
// The form creates a request for the client named by an email address; a
// person it does not know yet becomes a client. Anyone can type anyone's
// address, so the form is built to give an abuser as little as possible:
//
//   - It answers the same whether the address had an account, was already a
//     client, or was unknown, and it takes the same path in each case (the
//     account is found or created on the audited platform path every time),
//     so neither the body nor the path taken tells them apart. The time
//     taken still differs by the inserts a new address needs (about 1 ms of
//     3 on one machine); the rate limits bound how often it can be sampled.
//   - It never grants or changes access: an existing membership keeps its
//     role and name whatever the form says, and a removed member stays
//     removed (the request is filed under the removed membership for staff
//     to see). A new client's account has no password; only the owner of
//     the address can give it one (a password reset mails the address).
//   - It sends no mail: an unauthenticated form that mails the address it is
//     given is a relay for unsolicited mail in the firm's name.
//   - It is rate-limited per tenant and client address, per tenant and
//     email address, and per tenant (see [Config]); limits are keyed by
//     tenant so one firm's flood does not throttle another's form.
//   - An address outside the tenant's allowed email domains (security
//     settings) is refused before anything is looked up.
//   - Requests it files carry source "public" and no creating member, so
//     staff can tell them from requests a signed-in client made, and an
//     admin can delete spam ([Service.DeleteRequest]).
//
// What remains: an abuser can make a stranger's address a client of a
// tenant, within the limits. The stranger gains a client membership that
// shows only the requests filed under it (usable only if the address's
// owner has or sets a password), and the tenant's staff see an address the
// stranger did not give them. Confirming the address by mail before filing
// would close this, at the price of the mail relay above and a table of
// pending submissions; it is left for a later change.
//
// The platform transaction that finds or creates the account commits
// before the tenant transaction that files the request: if the second
// fails, an account without password or membership remains, which grants
// nothing.
package requests
