//! A user's sessions and token logins, as an administrator lists and ends them.

use super::{Actor, Sesame};
use crate::error::Result;
use crate::sessions::SessionSummary;
use crate::tokens::TokenLoginSummary;

impl Sesame<'_> {
    /// The live sessions of the user named by `id_or_email`, newest first.
    pub fn admin_list_sessions(&self, id_or_email: &str) -> Result<Vec<SessionSummary>> {
        let id = self.admin_user_id(id_or_email)?;
        self.list_sessions(&id)
    }

    /// The live token logins of the user named by `id_or_email`, newest first.
    pub fn admin_list_token_logins(&self, id_or_email: &str) -> Result<Vec<TokenLoginSummary>> {
        let id = self.admin_user_id(id_or_email)?;
        self.list_token_logins(&id)
    }

    /// Ends one session of the user (`session_id`), or every session and token login when it
    /// is `None`; returns how many ended. `not-found` for a session that is not theirs.
    pub fn admin_revoke_sessions(
        &self,
        actor: &Actor,
        id_or_email: &str,
        session_id: Option<&str>,
    ) -> Result<u32> {
        let id = self.admin_user_id(id_or_email)?;
        self.check_may_manage(actor, &id)?;
        let ended = match session_id {
            Some(session) => {
                self.revoke_session(&id, session)?;
                self.forget_reauthentication(session)?;
                1
            }
            None => self.revoke_all_sessions(&id)?,
        };
        self.admin_did(actor, "user.sessions.revoke", Some(&id));
        Ok(u32::try_from(ended).unwrap_or(u32::MAX))
    }

    /// Ends one token login of the user; `not-found` when it is not theirs.
    pub fn admin_revoke_token_login(
        &self,
        actor: &Actor,
        id_or_email: &str,
        login_id: &str,
    ) -> Result<()> {
        let id = self.admin_user_id(id_or_email)?;
        self.check_may_manage(actor, &id)?;
        self.end_token_login(&id, login_id)?;
        self.admin_did(actor, "user.token-login.revoke", Some(&id));
        Ok(())
    }
}
