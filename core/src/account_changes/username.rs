//! Changing the account's username.

use crate::Sesame;
use crate::accounts::{User, UserRecord, Username};
use crate::error::{Error, Result};
use crate::notices::Notice;
use crate::sessions::{ClientInfo, SessionInfo};
use crate::throttle::Scope;

impl Sesame<'_> {
    /// Gives `login`'s account the username `new` (validated as at registration), claiming it
    /// in the username index by compare-and-swap and releasing the old one; the account's
    /// address is told. Needs a fresh login; a username another account holds is
    /// [`Error::UsernameTaken`] (`already-exists`), see the module documentation for why.
    pub fn change_username(
        &self,
        login: &SessionInfo,
        new: &str,
        client: &ClientInfo,
    ) -> Result<User> {
        self.require_fresh(login)?;
        let name = Username::parse(new)?;
        let user_id = login.user.id.as_str();
        // Counted before the index is asked, so the count bounds what can be learnt from it.
        self.throttle(Scope::ChangeByAccount, user_id)?;
        let display = name.as_str().to_owned();
        let record = self
            .move_claim(
                user_id,
                Some(&name.claim_key()),
                username_claim,
                Error::UsernameTaken,
                |r| {
                    r.username = Some(display.clone());
                    Ok(())
                },
            )
            .map_err(|e| match e {
                Error::UnknownAccount => Error::NoSession("user deleted"),
                other => other,
            })?;
        self.security_notice(user_id, Notice::UsernameChanged, client.address.as_deref())?;
        Ok(record.public())
    }
}

/// The key claiming `record`'s username, if it has one.
fn username_claim(record: &UserRecord) -> Option<String> {
    record
        .username
        .as_deref()
        .and_then(|u| Username::parse(u).ok())
        .map(|u| u.claim_key())
}
