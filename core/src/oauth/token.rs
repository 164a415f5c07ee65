//! The token endpoint: client authentication (`client_secret_basic`, `client_secret_post`,
//! `none` for public clients), the authorization code grant with PKCE, and the refresh token
//! grant.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::authorize::{CodeRecord, code_hash, refused_code};
use super::{OAuthClient, OAuthError};
use crate::Sesame;
use crate::error::Error;
use crate::events::EventKind;
use crate::records::{self, oauth_code_key};
use crate::sessions::SignInProof;
use crate::store::StoreError;
use crate::throttle::Scope;
use crate::tokens::{FamilyOrigin, GrantFacts, TokenPair};

/// A token request, as the HTTP layer read it.
#[derive(Debug, Default)]
pub struct TokenRequest {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: String,
    /// The client id from the Basic header or the body.
    pub client_id: Option<String>,
    /// The client secret from the Basic header or the body.
    pub client_secret: Option<Zeroizing<String>>,
    /// The code (authorization code grant).
    pub code: Option<String>,
    /// The redirect URI the code was sent to.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<String>,
    /// The refresh token (refresh grant).
    pub refresh_token: Option<Zeroizing<String>>,
    /// The scopes asked for on refresh (must be those granted).
    pub scope: Option<String>,
}

/// The token endpoint's answer (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Debug)]
pub struct TokenResponse {
    /// The access token (a JWT whose `aud` is the client).
    pub access_token: Zeroizing<String>,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// The scopes granted.
    pub scope: String,
    /// The refresh token, when `offline_access` was granted.
    pub refresh_token: Option<Zeroizing<String>>,
    /// The ID token, when `openid` was granted.
    pub id_token: Option<String>,
}

impl Sesame<'_> {
    /// Answers a token request.
    /// `address` is the client's network address, when known.
    pub fn exchange_token(
        &self,
        request: &TokenRequest,
        address: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let Some(client_id) = request.client_id.as_deref() else {
            return Err(OAuthError::invalid_client());
        };
        let secret = request.client_secret.as_ref().map(|s| s.as_str());
        // Failed authentications count per address, so a guesser is slowed without touching
        // the client's own budget.
        let client = self.authenticate_client(client_id, secret, address)?;
        // Counted before the grant is checked, once the client has proven who it is: a
        // confidential client's budget is its own; a public client (anyone can name it) has
        // one per address, so no stranger can use up its users' budget.
        let budget = match (client.confidential, address) {
            (false, Some(address)) => format!(
                "{client_id} {}",
                crate::client_addr::throttle_bucket(address)
            ),
            _ => client_id.to_owned(),
        };
        self.throttle(Scope::TokenByClient, &budget)?;
        match request.grant_type.as_str() {
            "authorization_code" => self.redeem_code(&client, request),
            "refresh_token" => self.refresh_grant(&client, request),
            "" => Err(OAuthError::new("invalid_request", "grant_type is missing")),
            _ => Err(OAuthError::new(
                "unsupported_grant_type",
                "grant_type is authorization_code or refresh_token",
            )),
        }
    }

    fn redeem_code(
        &self,
        client: &OAuthClient,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let code = request
            .code
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "code is missing"))?;
        if code.len() != 43 {
            return Err(refused_code());
        }
        let key = oauth_code_key(&code_hash(code));
        let Some((mut record, version)) = records::load::<CodeRecord>(self.store, &key)? else {
            return Err(refused_code());
        };
        // The bindings first: a code presented by another client, or without its verifier, is
        // refused without being used up.
        if record.client_id != client.id
            || request.redirect_uri.as_deref() != Some(record.redirect_uri.as_str())
        {
            return Err(refused_code());
        }
        match (&record.code_challenge, request.code_verifier.as_deref()) {
            (Some(challenge), Some(verifier)) if verifier_matches(verifier, challenge) => {}
            (None, None) => {}
            _ => {
                return Err(OAuthError::invalid_grant(
                    "The code_verifier does not match the code_challenge.",
                ));
            }
        }
        if let Some(family_id) = &record.redeemed_by {
            return Err(self.code_replayed(&key, &record, family_id));
        }
        let family_id = crate::tokens::new_family_id(self)?;
        record.redeemed_by = Some(family_id.clone());
        match self.save_code(&key, &record, version) {
            Ok(_) => {}
            Err(Error::Store(StoreError::Conflict)) => {
                // Someone redeemed it in parallel: both are the same code used twice.
                if let Some((other, _)) = records::load::<CodeRecord>(self.store, &key)?
                    && let Some(winner) = &other.redeemed_by
                {
                    return Err(self.code_replayed(&key, &other, winner));
                }
                return Err(refused_code());
            }
            Err(e) => return Err(e.into()),
        }
        if !self.session_alive(&record.session_id)? {
            return Err(OAuthError::invalid_grant(
                "The sign-in this code came from has ended.",
            ));
        }
        let user = match self.load_user(&record.user_id)? {
            Some((user, _)) if user.active => user.public(),
            _ => return Err(refused_code()),
        };
        let scopes: Vec<String> = record.scope.split(' ').map(str::to_owned).collect();
        if !client.first_party && !self.consent_covers(&record.user_id, &client.id, &scopes)? {
            return Err(OAuthError::invalid_grant(
                "The user withdrew this application's consent.",
            ));
        }
        let proof = SignInProof::from_stored(&record.methods, record.second_factor);
        let origin = FamilyOrigin {
            session_id: Some(record.session_id.clone()),
            authenticated_at_ms: record.authenticated_at_ms,
            second_factor: record.second_factor,
            two_factor_at_ms: record.two_factor_at_ms,
            ends_by_ms: Some(record.session_expires_at_ms),
            proof,
            grant: Some((client.id.clone(), record.scope.clone())),
            family_id: Some(family_id.clone()),
        };
        let pair = self.start_token_family(user, &Default::default(), origin)?;
        // A replay that raced this exchange found no login to end yet; it left a mark.
        if records::load::<CodeRecord>(self.store, &key)?.is_some_and(|(r, _)| r.replayed) {
            if let Some(grant) = self.live_grant(&pair.login_id)? {
                self.end_grant(&grant)?;
            }
            return Err(OAuthError::invalid_grant(
                "This authorization code was used twice; the tokens it gave are revoked.",
            ));
        }
        let grant = GrantFacts {
            family_id,
            user_id: record.user_id.clone(),
            client_id: Some(client.id.clone()),
            scope: Some(record.scope.clone()),
            session_id: Some(record.session_id.clone()),
            authenticated_at_ms: record.authenticated_at_ms,
            proof,
            created_at_ms: self.host.now_ms(),
            expires_at_ms: pair.refresh_expires_at_ms,
        };
        self.token_response(client, pair, &grant, record.nonce.as_deref())
    }

    /// Rewrites a code's record over `version`, keeping the code's own end.
    fn save_code(&self, key: &str, record: &CodeRecord, version: u64) -> crate::error::Result<u64> {
        let remaining = record
            .expires_at_ms
            .saturating_sub(self.host.now_ms())
            .max(1);
        records::save(self.store, key, record, Some(version), Some(remaining))
    }

    /// A code came back after it was used: end what it gave and refuse. The code is marked
    /// as replayed first, so an exchange still starting its login ends that login itself.
    fn code_replayed(&self, key: &str, record: &CodeRecord, family_id: &str) -> OAuthError {
        for _ in 0..records::CAS_ATTEMPTS {
            let Ok(Some((mut current, version))) = records::load::<CodeRecord>(self.store, key)
            else {
                break;
            };
            current.replayed = true;
            match self.save_code(key, &current, version) {
                Err(Error::Store(StoreError::Conflict)) => continue,
                _ => break,
            }
        }
        if let Ok(Some(grant)) = self.live_grant(family_id) {
            let _ = self.end_grant(&grant);
        }
        self.emit(
            EventKind::AuthorizationCodeReused,
            Some(&record.user_id),
            None,
        );
        OAuthError::invalid_grant(
            "This authorization code was already used; the tokens it gave are revoked.",
        )
    }

    fn refresh_grant(
        &self,
        client: &OAuthClient,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let token = request
            .refresh_token
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is missing"))?;
        // The scope is checked before the token is used, so a refused request spends nothing.
        if let Some(asked) = request.scope.as_deref().filter(|s| !s.trim().is_empty()) {
            let granted = self
                .grant_of_refresh_token(token)?
                .filter(|g| g.client_id.as_deref() == Some(client.id.as_str()))
                .and_then(|g| g.scope)
                .ok_or_else(|| {
                    OAuthError::invalid_grant("The refresh token is unknown, expired or revoked.")
                })?;
            let mut asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
            let mut granted: Vec<&str> = granted.split(' ').collect();
            asked.sort_unstable();
            asked.dedup();
            granted.sort_unstable();
            if asked != granted {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "A refresh gives the scopes granted; ask for those or none.",
                ));
            }
        }
        let (pair, grant) = match self.refresh_oauth_tokens(token, &client.id) {
            Ok(refreshed) => refreshed,
            Err(Error::Rejected(e)) => return Err(OAuthError::invalid_grant(e.message)),
            Err(e) => return Err(e.into()),
        };
        self.token_response(client, pair, &grant, None)
    }

    fn token_response(
        &self,
        client: &OAuthClient,
        pair: TokenPair,
        grant: &GrantFacts,
        nonce: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let scope = grant.scope.clone().unwrap_or_default();
        let scopes: Vec<&str> = scope.split(' ').collect();
        let id_token = if scopes.contains(&"openid") {
            Some(self.sign_id_token(client, &pair.user, grant, nonce)?)
        } else {
            None
        };
        let refresh_token = scopes
            .contains(&"offline_access")
            .then_some(pair.refresh_token);
        Ok(TokenResponse {
            access_token: pair.access_token,
            expires_in: pair.expires_in_secs,
            scope,
            refresh_token,
            id_token,
        })
    }
}

/// Whether `verifier` (RFC 7636: 43 to 128 unreserved characters) hashes to `challenge`.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return false;
    }
    use base64::Engine as _;
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}
