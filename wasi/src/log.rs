//! What a component writes to its runtime's log (its stderr). Nothing written carries a
//! secret: core's errors hold none by construction, and mail is only logged where the runtime
//! offers no other way to deliver it.

use sesame_core::events::Event;
use sesame_core::mail::Mail;
use sesame_core::{AuthError, Error, ErrorCode};

/// Writes an internal error to the log; errors the client caused (and is told about) are not
/// the operator's concern and are left out.
pub fn error(context: &str, e: &Error) {
    if matches!(
        AuthError::from(e).code,
        ErrorCode::Internal | ErrorCode::StoreUnavailable
    ) {
        eprintln!("sesame: {context}: {e}");
    }
}

/// Writes what went wrong behind an answer that failed inside Sesame
/// (`sesame_core::http::Response::fault`).
pub fn fault(description: &str) {
    eprintln!("sesame: {description}");
}

/// Writes an account event to the log.
pub fn event(event: &Event) {
    eprintln!(
        "sesame: event {} user={} address={} at_ms={}",
        event.kind.as_str(),
        event.user_id.as_deref().unwrap_or("-"),
        event.address.as_deref().unwrap_or("-"),
        event.at_ms
    );
}

/// Writes a mail (recipient, subject and text) to the log, for runtimes without a mail relay:
/// the operator reads or ships the log, exactly as `sesame serve` logs mail when no SMTP relay
/// is configured.
pub fn mail(mail: &Mail) {
    eprintln!(
        "sesame: mail to={} subject={:?}\n{}",
        mail.to, mail.subject, mail.text
    );
}
