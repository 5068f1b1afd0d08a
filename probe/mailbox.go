package probe

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
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
// on the apex host (/dev/outbox), newest message first. The server mails
// through a queue, so a message shows a moment after the request that sent
// it: Token looks again for a while, and hands out each token once, so an
// older message to the same address is not mistaken for the one awaited.
type DevOutbox struct {
	c    *client
	apex string

	mu   sync.Mutex
	seen map[string]bool
}

var outboxMessage = regexp.MustCompile(`(?s)<p class="muted">To ([^<]*?) · [^<]*</p><pre>(.*?)</pre>`)

// outboxWait is how long Token looks for a message before giving up.
const outboxWait = 15 * time.Second

// Token implements Mailbox.
func (o *DevOutbox) Token(ctx context.Context, address string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, outboxWait)
	defer cancel()
	for {
		tok, err := o.newest(ctx, address)
		if err != nil || tok != "" {
			return tok, err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no new mail to %s in the outbox after %s", address, outboxWait)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// newest returns the token of the newest message to address not handed
// out before, or "".
func (o *DevOutbox) newest(ctx context.Context, address string) (string, error) {
	r, err := o.c.do(ctx, request{method: "GET", host: o.apex, path: "/dev/outbox", header: map[string]string{"Accept": "text/html"}})
	if err != nil {
		return "", err
	}
	if r.status != 200 {
		return "", fmt.Errorf("no development outbox at %s/dev/outbox (%d): pass a Mailbox, or run against tenantkit dev", o.apex, r.status)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	for _, m := range outboxMessage.FindAllSubmatch(r.body, -1) {
		if !strings.EqualFold(html.UnescapeString(string(m[1])), address) {
			continue
		}
		tok, err := TokenInText(html.UnescapeString(string(m[2])))
		if err != nil {
			return "", err
		}
		if o.seen[tok] {
			return "", nil // the newest one is old: the awaited one is still queued
		}
		o.seen[tok] = true
		return tok, nil
	}
	return "", nil
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
