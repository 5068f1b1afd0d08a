// Package auth holds tenantkit's identity: password hashing, sessions and
// tokens, the signed tenant cookie, memberships and the tenant switch.
package auth
