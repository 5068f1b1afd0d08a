// Package web is tenantkit's HTTP layer: the edge middleware every request
// passes (request id, panic recovery, body limit, removal of any header that
// could name a tenant), the JSON API and the pages.
package web
