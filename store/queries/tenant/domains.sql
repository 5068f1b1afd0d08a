-- Custom domains (migration 00015): a tenant's claims, and the verified
-- domains the host resolver serves.

-- name: ListDomainClaims :many
SELECT * FROM domain_claims WHERE tenant_id = @tenant_id ORDER BY domain;

-- name: GetDomainClaim :one
SELECT * FROM domain_claims WHERE tenant_id = @tenant_id AND id = @id;

-- name: CreateDomainClaim :one
INSERT INTO domain_claims (tenant_id, domain, token, created_at)
VALUES (@tenant_id, @domain, @token, @created_at)
RETURNING *;

-- name: MarkDomainClaimVerified :one
UPDATE domain_claims SET verified_at = @verified_at
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: DeleteDomainClaim :one
DELETE FROM domain_claims WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- DomainOwnedElsewhere tells whether a verified domain belongs to another
-- tenant: the host resolver serves verified domains to every request, so
-- this is no more than a request to the domain reveals.

-- name: DomainOwnedElsewhere :one
SELECT EXISTS (SELECT 1 FROM tenant_domains WHERE domain = @domain AND tenant_id <> @tenant_id AND verified_at IS NOT NULL);

-- name: InsertVerifiedDomain :exec
INSERT INTO tenant_domains (domain, tenant_id, verification_token, verified_at)
VALUES (@domain, @tenant_id, @verification_token, @verified_at);

-- name: DeleteVerifiedDomain :execrows
DELETE FROM tenant_domains WHERE tenant_id = @tenant_id AND domain = @domain;
