// Package web is tenantkit's HTTP server: the edge middleware every request
// passes (request id, panic recovery, body limit, security headers, removal
// of any header that could name a tenant, cross-origin protection), the
// resolution of the host to a tenant, the per-tenant limits, and the
// binding of a request's credentials to its host ([Server.Bind]). It
// assembles the route table (package route) from the JSON operations
// (package api) and the pages (package ui).
package web
