package probe

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
)

// Mailbox reads the mail a server sent.
type Mailbox interface {
	// Token returns the token query parameter of the link in the newest
	// message to address.
	Token(ctx context.Context, address string) (string, error)
}

// MailboxFunc adapts a function to a Mailbox.
type MailboxFunc func(ctx context.Context, address string) (string, error)

// Token implements Mailbox.
func (f MailboxFunc) Token(ctx context.Context, address string) (string, error) {
	return f(ctx, address)
}

// DevOutbox reads the development outbox page that `tenantkit dev` serves
// on the apex host (/dev/outbox), newest message first.
type DevOutbox struct {
	c    *client
	apex string
}

var outboxMessage = regexp.MustCompile(`(?s)<p class="muted">To ([^<]*?) · [^<]*</p><pre>(.*?)</pre>`)

// Token implements Mailbox.
func (o *DevOutbox) Token(ctx context.Context, address string) (string, error) {
	r, err := o.c.do(ctx, request{method: "GET", host: o.apex, path: "/dev/outbox", header: map[string]string{"Accept": "text/html"}})
	if err != nil {
		return "", err
	}
	if r.status != 200 {
		return "", fmt.Errorf("no development outbox at %s/dev/outbox (%d): pass a Mailbox, or run against tenantkit dev", o.apex, r.status)
	}
	for _, m := range outboxMessage.FindAllSubmatch(r.body, -1) {
		if !strings.EqualFold(html.UnescapeString(string(m[1])), address) {
			continue
		}
		return TokenInText(html.UnescapeString(string(m[2])))
	}
	return "", fmt.Errorf("no mail to %s in the outbox", address)
}

// TokenInText returns the token query parameter of the first link in a
// message's text.
func TokenInText(text string) (string, error) {
	i := strings.Index(text, "token=")
	if i < 0 {
		return "", fmt.Errorf("no token in the message")
	}
	raw := strings.Fields(text[i+len("token="):])[0]
	raw, _, _ = strings.Cut(raw, "&")
	return url.QueryUnescape(raw)
}
