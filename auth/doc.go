// Package auth holds tenantkit's identity: accounts and their passwords
// (hashing, changes, mailed resets), sign-in and its limits, sessions and
// their tokens, the signed tenant cookie, memberships, the tenant switch's
// handoff, and accepting an invitation (which signs the invited person
// in). Administering a tenant's members and sending invitations is
// package members'; finding the tenant a host names is package tenants'.
package auth
