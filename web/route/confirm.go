package route

import "net/http"

// confirmingWriter holds back a page's answer until the request's session
// check has run (see [Binder]): before the first byte or status goes out
// it confirms the session, and when that fails it answers with the
// refusal instead and drops whatever the handler writes after. A page
// that read its data has already run the check with its first statement,
// so confirming costs nothing then.
type confirmingWriter struct {
	http.ResponseWriter
	// before is the header as the handler got it: a refusal goes out
	// with it, not with what the handler set (cookies among them).
	before  http.Header
	confirm func() error
	refuse  func(error)
	decided bool
	refused bool
}

// allow reports whether the handler's answer may go out, deciding once.
func (w *confirmingWriter) allow() bool {
	if !w.decided {
		w.decided = true
		if err := w.confirm(); err != nil {
			w.refused = true
			h := w.ResponseWriter.Header()
			clear(h)
			for k, v := range w.before {
				h[k] = v
			}
			w.refuse(err)
		}
	}
	return !w.refused
}

func (w *confirmingWriter) WriteHeader(status int) {
	if w.allow() {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *confirmingWriter) Write(p []byte) (int, error) {
	if !w.allow() {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Flush lets streaming pages flush through the wrapper.
func (w *confirmingWriter) Flush() {
	if w.allow() {
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// Unwrap serves http.ResponseController.
func (w *confirmingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// done decides for a handler that wrote nothing at all.
func (w *confirmingWriter) done() { w.allow() }
