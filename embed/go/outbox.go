package sesame

import "sync"

// Outbox receives what the component hands to the host (`sesame:auth/outbox`): mail to
// deliver and account events. Methods cannot fail: delivery problems are the host's to log.
// They are called while a call into the component is running, so they must not call back
// into Sesame and should return quickly (queue slow work).
type Outbox interface {
	// SendMail delivers one message: its text, and its HTML part when it has one (send both
	// as multipart/alternative). Both may hold single-use links: expose them to nobody but the
	// recipient and the host's own log.
	SendMail(Mail)
	// EmitEvent records one account event.
	EmitEvent(Event)
}

// Mail is an email (WIT `outbox.mail`): plain text, and the same message as HTML.
type Mail struct {
	To      string `wit:"to"`
	Subject string `wit:"subject"`
	Text    string `wit:"text"`
	// HTML is the same message as an HTML document (inline styles, escaped values), when the
	// component wrote one.
	HTML *string `wit:"html"`
}

// Event is an account event (WIT `outbox.event`). It carries ids, never secrets.
type Event struct {
	// Kind is the WIT `event-kind` case, such as "registered" or "login-failed".
	Kind string `wit:"kind"`
	// UserID names the user, when known.
	UserID *string `wit:"user-id"`
	// Address is the client's address, when known.
	Address *string `wit:"address"`
	// AtMS is when it happened, in milliseconds since the Unix epoch.
	AtMS uint64 `wit:"at-ms"`
}

// MemoryOutbox keeps every mail and event in memory, in order, and delivers nothing: for
// tests and development. It grows without bound; a production host implements Outbox
// instead. Safe for concurrent use; the zero value is ready.
type MemoryOutbox struct {
	mu     sync.Mutex
	mails  []Mail
	events []Event
}

// SendMail implements Outbox.
func (o *MemoryOutbox) SendMail(m Mail) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mails = append(o.mails, m)
}

// EmitEvent implements Outbox.
func (o *MemoryOutbox) EmitEvent(e Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, e)
}

// Mails returns a copy of the mail sent so far, oldest first.
func (o *MemoryOutbox) Mails() []Mail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Mail(nil), o.mails...)
}

// Events returns a copy of the events emitted so far, oldest first.
func (o *MemoryOutbox) Events() []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Event(nil), o.events...)
}
