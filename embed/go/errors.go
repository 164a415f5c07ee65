package sesame

import (
	"errors"
	"fmt"
)

// Error is a refusal from Sesame: the `err` side of an exported function's result. For the
// embed world's functions that is a WIT `auth-error`, so Code is its `error-code` (such as
// "invalid-credentials" or "weak-password", spelled as in the WIT) and Message says why, for
// people.
type Error struct {
	// Code is the WIT error-code; empty when the error type is not an auth-error.
	Code string
	// Message is the auth-error's message; otherwise the error value, formatted.
	Message string
	// Value is the error value as Call converts values (nil for a bare `err`).
	Value any
}

// Error formats the code and the message.
func (e *Error) Error() string {
	if e.Code == "" {
		return "sesame: " + e.Message
	}
	return fmt.Sprintf("sesame: %s: %s", e.Code, e.Message)
}

// newError converts the payload of a function result's `err` side.
func newError(value any) *Error {
	if m, ok := value.(map[string]any); ok {
		code, isCode := m["code"].(string)
		message, isMessage := m["message"].(string)
		if isCode && isMessage && len(m) == 2 {
			return &Error{Code: code, Message: message, Value: value}
		}
	}
	if value == nil {
		return &Error{Message: "the call failed without a reason"}
	}
	return &Error{Message: fmt.Sprint(value), Value: value}
}

// ErrTrap is wrapped by the error of a call during which the component trapped or a host
// function (a Store or Outbox method) panicked. The instance is discarded; the next call gets
// a fresh one over the same store.
var ErrTrap = errors.New("sesame: the component trapped")

// ErrClosed is returned by calls on a closed Sesame.
var ErrClosed = errors.New("sesame: closed")
