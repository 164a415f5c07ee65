//! What a component writes to its runtime's log (its stderr). Nothing written carries a
//! secret: core's errors hold none by construction, and mail is only logged where the runtime
//! offers no other way to deliver it.

use sesame_core::events::Event;
use sesame_core::mail::Mail;
use sesame_core::outbound::{Item, Payload, Refused, Settled};
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
    // One write for the whole mail: `eprintln!` writes each piece on its own, and a mail
    // written after the answer may be read, or interleaved with another instance's lines,
    // half-written.
    let whole = format!(
        "sesame: mail to={} subject={:?}\n{}\n",
        mail.to, mail.subject, mail.text
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), whole.as_bytes());
}

/// Writes that a mail or event (`kind`) was queued for delivery over HTTP, by its id only:
/// its content reaches the log only if it is given up.
pub fn queued(kind: &str, id: &str) {
    eprintln!("sesame: {kind} {id} queued for delivery");
}

/// Writes why a mail or event (`kind`) was not queued; the caller logs the item itself.
pub fn unqueued(kind: &str, refused: &Refused) {
    eprintln!("sesame: {kind} not queued: {refused}; it is written to the log instead");
}

/// Writes what became of one queued item a delivery pass looked at. An item given up is
/// written whole (a mail as [`mail`] writes one, an event's webhook body), so none is lost.
pub fn settled(settled: &Settled) {
    match settled {
        Settled::Delivered { id, kind, status } => {
            eprintln!("sesame: {kind} {id} delivered ({status})");
        }
        Settled::Retrying {
            id,
            kind,
            attempts,
            wait_ms,
            why,
        } => eprintln!(
            "sesame: {kind} {id} not delivered (attempt {attempts}): {why}; next attempt in {} s",
            wait_ms.div_ceil(1000)
        ),
        Settled::GaveUp { item, why } => gave_up(item, why),
        Settled::Failed(e) => eprintln!("sesame: outbound queue: {e}"),
    }
}

/// Writes an item given up, with its content.
fn gave_up(item: &Item, why: &str) {
    let (id, attempts) = (&item.id, item.attempts);
    match &item.payload {
        Payload::Mail(queued) => {
            eprintln!(
                "sesame: gave up mail {id} after {attempts} attempts: {why}; kept 30 days under outbound/dead/; the mail follows"
            );
            mail(&Mail {
                to: queued.to.clone(),
                subject: queued.subject.clone(),
                text: queued.text.clone(),
                html: None,
            });
        }
        Payload::Event(queued) => eprintln!(
            "sesame: gave up event {id} ({}) after {attempts} attempts: {why}; kept 30 days under outbound/dead/: {}",
            queued.kind, queued.body
        ),
    }
}
