//! Starting a token login, from a password or from a live session, and issuing its pairs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{FamilyRecord, REFRESH_TOKEN_PREFIX, RefreshRecord, TokenPair};
use crate::Sesame;
use crate::accounts::User;
use crate::env::random_array;
use crate::error::Result;
use crate::events::EventKind;
use crate::records::{self, refresh_key, token_family_key, user_token_family_key};
use crate::sessions::{ClientInfo, SessionInfo, SignInProof};

/// How a token login comes to be.
pub(crate) struct FamilyOrigin {
    /// The session it is made from, if any.
    pub session_id: Option<String>,
    /// When the person last really authenticated.
    pub authenticated_at_ms: u64,
    /// Whether that included a second factor.
    pub second_factor: bool,
    /// When it last authenticated with two factors (0: never).
    pub two_factor_at_ms: u64,
    /// The latest the login may end: the session's absolute end for one made from a session.
    pub ends_by_ms: Option<u64>,
    /// How the person signed in.
    pub proof: SignInProof,
    /// The OAuth client and the scopes granted to it, for a login made through `/oauth/token`.
    pub grant: Option<(String, String)>,
    /// The login's id when the caller chose it beforehand (an authorization code records the
    /// login it starts before starting it).
    pub family_id: Option<String>,
}

impl FamilyOrigin {
    /// A login made from the live session `info` (its authentication `times`), granted to an
    /// OAuth client with `scope` when `client_id` is given.
    pub(crate) fn of_session(
        info: &SessionInfo,
        times: &crate::freshness::AuthenticationTimes,
        grant: Option<(String, String)>,
    ) -> Self {
        FamilyOrigin {
            session_id: Some(info.id.clone()),
            authenticated_at_ms: times.any_ms,
            second_factor: info.second_factor,
            two_factor_at_ms: times.two_factor_ms,
            ends_by_ms: Some(info.expires_at_ms),
            proof: times.latest_proof,
            grant,
            family_id: None,
        }
    }
}

impl Sesame<'_> {
    /// Signs in with an identity and password and starts a token login. Throttled and locked
    /// out exactly like [`Sesame::login`]; refused with `second-factor-required` when the user
    /// has two-factor on.
    ///
    /// WIT: `sesame:auth/tokens.issue`.
    pub fn issue_tokens(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<TokenPair> {
        // A user with two-factor on signs in with both factors, then exchanges the session
        // (`issue_tokens_for_session`).
        let user = self.password_only_sign_in(identity, password, client)?;
        let origin = FamilyOrigin {
            session_id: None,
            authenticated_at_ms: self.host.now_ms(),
            second_factor: false,
            two_factor_at_ms: 0,
            ends_by_ms: None,
            proof: SignInProof::PASSWORD,
            grant: None,
            family_id: None,
        };
        self.start_token_family(user.public(), client, origin)
    }

    /// Starts a token login for the holder of a live session (a web app handing tokens to its
    /// own scripts or a companion app). The login is the session's in every respect that
    /// matters to security: it carries the session's authentication time and factors (so it
    /// is never fresher than the session), and it ends when the session ends (sign-out,
    /// sign-out everywhere, idle or absolute expiry), at the latest at the session's absolute
    /// end.
    ///
    /// WIT: `sesame:auth/tokens.issue-for-session`.
    pub fn issue_tokens_for_session(
        &self,
        session_token: &str,
        client: &ClientInfo,
    ) -> Result<TokenPair> {
        let info = self.validate_session(session_token)?;
        let times = self.authentication_times(&info)?;
        let origin = FamilyOrigin::of_session(&info, &times, None);
        self.start_token_family(info.user, client, origin)
    }

    /// Starts a family for `user` and issues its first pair.
    pub(crate) fn start_token_family(
        &self,
        user: User,
        client: &ClientInfo,
        origin: FamilyOrigin,
    ) -> Result<TokenPair> {
        let family_id = match origin.family_id.clone() {
            Some(id) => id,
            None => new_family_id(self)?,
        };
        let (token, hash) = self.new_refresh_token()?;
        let now = self.host.now_ms();
        let own_end = now.saturating_add(self.config.tokens.refresh_absolute_ms);
        let epoch = self.session_epoch_of(&user.id)?;
        let family = FamilyRecord {
            v: 1,
            user_id: user.id.clone(),
            created_at_ms: now,
            expires_at_ms: origin.ends_by_ms.map_or(own_end, |end| end.min(own_end)),
            refresh_hash: hash.clone(),
            refreshed_at_ms: now,
            address: client.address.clone(),
            user_agent: client.kept_user_agent(),
            session_id: origin.session_id,
            authenticated_at_ms: Some(origin.authenticated_at_ms),
            second_factor: origin.second_factor,
            two_factor_at_ms: Some(origin.two_factor_at_ms),
            methods: origin
                .proof
                .methods()
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            client_id: origin.grant.as_ref().map(|(client, _)| client.clone()),
            scope: origin.grant.map(|(_, scope)| scope),
            epoch,
        };
        // The index first, so log-out-everywhere can always find a family that exists.
        self.store.put(
            &user_token_family_key(&user.id, &family_id),
            b"",
            None,
            Some(self.config.tokens.refresh_absolute_ms),
        )?;
        let link = RefreshRecord {
            v: 1,
            family_id: family_id.clone(),
        };
        records::save(
            self.store,
            &refresh_key(&hash),
            &link,
            Some(0),
            Some(self.config.tokens.refresh_absolute_ms),
        )?;
        let ttl = self.family_ttl(&family, now);
        records::save(
            self.store,
            &token_family_key(&family_id),
            &family,
            Some(0),
            Some(ttl),
        )?;
        self.emit(
            EventKind::LoginSucceeded,
            Some(&user.id),
            client.address.as_deref(),
        );
        self.token_pair(user, &family_id, &family, token)
    }

    /// Signs an access token for `user` in `family_id`, and pairs it with `refresh_token`.
    pub(super) fn token_pair(
        &self,
        user: User,
        family_id: &str,
        family: &FamilyRecord,
        refresh_token: Zeroizing<String>,
    ) -> Result<TokenPair> {
        let now_ms = self.host.now_ms();
        let now = now_ms / 1000;
        // An access token never outlives its login.
        let exp = (now_ms.saturating_add(self.config.tokens.access_ttl_ms))
            .min(family.expires_at_ms)
            / 1000;
        let access_token = self.sign_access_token(&user, family_id, family, now, exp)?;
        Ok(TokenPair {
            access_token,
            expires_in_secs: exp.saturating_sub(now),
            refresh_token,
            refresh_expires_at_ms: family.expires_at_ms,
            user,
            login_id: family_id.to_owned(),
        })
    }

    pub(super) fn new_refresh_token(&self) -> Result<(Zeroizing<String>, String)> {
        let token = Zeroizing::new(format!(
            "{REFRESH_TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(random_array::<32>(self.host)?)
        ));
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        Ok((token, hash))
    }

    /// Time until the family would end if not refreshed: the sooner of idle and absolute end.
    pub(super) fn family_ttl(&self, family: &FamilyRecord, now: u64) -> u64 {
        family
            .refreshed_at_ms
            .saturating_add(self.config.tokens.refresh_idle_ms)
            .min(family.expires_at_ms)
            .saturating_sub(now)
            .max(1)
    }
}

/// A new random login id.
pub(crate) fn new_family_id(sesame: &Sesame<'_>) -> Result<String> {
    Ok(hex::encode(random_array::<16>(sesame.host)?))
}
