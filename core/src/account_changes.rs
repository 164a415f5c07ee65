//! Changes the owner of an account makes to how it is named, and the way back when the
//! username is forgotten: a new email address (`email`), a new username (`username`) and
//! the username mailed to the account's address (`recover`).
//!
//! Flask-Security 5.6's change-email, change-username and username-recovery, with Sesame's
//! rules on top:
//!
//! - **Fresh authentication.** Changing the email or the username needs a login that
//!   authenticated within the freshness window (`reauthentication-required` otherwise, as for
//!   passkeys and two-factor): a session cookie left on a shared computer cannot rename the
//!   account.
//! - **The new address proves itself.** A change of address is only asked for by the account;
//!   it happens when the link mailed to the *new* address is opened. The link names the
//!   account's address and its change count ([`UserRecord::email_epoch`]), so it works once,
//!   dies when any other change lands first, and never works again if the address goes back.
//! - **The old address can undo it.** At the request, the *old* address is told (the new one
//!   masked) and given a link, working for 7 days, that puts the old address back, ends every
//!   session and token login of the account and says to reset the password: a stolen session
//!   that moves the account to the thief's address is undone by the owner's mailbox. The undo
//!   also removes every passkey and second factor (the thief's session could have added one to
//!   keep a way in); the owner sets them up again after the password reset. The link works
//!   once, and not when the address is already back; a restore spends the later links issued
//!   before it but never an older one ([`UserRecord::last_restore`]), so a thief who moves the
//!   account on and undoes that move from an address they hold cannot spend the owner's link.
//! - **No account is told about another.** A new address that belongs to another account is
//!   answered exactly as a free one (the same status, body and mails sent: the address's owner
//!   hears that someone tried to move an account there). At confirmation the address is
//!   claimed in the email index by compare-and-swap, so two accounts racing to one address
//!   cannot both get it. Username recovery answers the same for every address.
//! - **No mail bombs.** Every request that mails is counted per address mailed
//!   ([`Scope::MailByRecipient`]) and the changes per account ([`Scope::ChangeByAccount`]),
//!   besides the HTTP layer's count per client address; counts are taken before anything is
//!   checked or sent, by compare-and-swap, so parallel requests cannot slip past them.
//!
//! A taken username is `already-exists` (409) to the signed-in owner, while registration hides
//! it unless `SESAME_REVEAL_TAKEN_USERNAMES`: the setting keeps anonymous clients from listing
//! usernames, and a change is made by a freshly authenticated account, counted per account,
//! so it cannot be used to walk the list either.
//!
//! WIT: none yet. `request_email_change`, `confirm_email_change`, `restore_email`,
//! `change_username` and `recover_username` are to be exported with the WIT interface.
//!
//! [`UserRecord::email_epoch`]: crate::accounts::UserRecord
//! [`UserRecord::last_restore`]: crate::accounts::UserRecord
//! [`Scope::MailByRecipient`]: crate::throttle::Scope::MailByRecipient
//! [`Scope::ChangeByAccount`]: crate::throttle::Scope::ChangeByAccount

mod email;
mod recover;
mod username;

pub use email::mask_email;

/// A user id no account has (ids are 32 hex digits): what an address without an account looks
/// up, so it costs the same store reads as one with an account.
const NO_ACCOUNT: &str = "-";

#[cfg(test)]
mod tests;
