//! The exports for API clients and hosts: `tokens`, `api-keys` and `signer`. Glue only; the
//! rules live in sesame-core's `tokens`, `keyring`, `api_keys` and `signer` modules.

use sesame_core::api_keys::ApiKeyInfo;
use sesame_core::keyring::KeyGeneration;
use sesame_core::tokens::TokenPair;

use crate::bindings::exports::sesame::auth::{api_keys, signer, tokens};
use crate::bindings::types as wit;
use crate::{Component, call, call_for_client, convert};

impl tokens::Guest for Component {
    fn issue(
        identity: String,
        password: String,
        client: wit::ClientInfo,
    ) -> Result<tokens::TokenPair, wit::AuthError> {
        call_for_client("tokens.issue", client, |s, client| {
            s.issue_tokens(&identity, &password, client)
        })
        .map(pair)
    }

    fn issue_for_session(
        session_token: String,
        client: wit::ClientInfo,
    ) -> Result<tokens::TokenPair, wit::AuthError> {
        call_for_client("tokens.issue-for-session", client, |s, client| {
            s.issue_tokens_for_session(&session_token, client)
        })
        .map(pair)
    }

    fn refresh(refresh_token: String) -> Result<tokens::TokenPair, wit::AuthError> {
        call("tokens.refresh", |s| s.refresh_tokens(&refresh_token)).map(pair)
    }

    fn revoke(token: String) -> Result<(), wit::AuthError> {
        call("tokens.revoke", |s| s.revoke_tokens(&token))
    }

    fn verify_access(access_token: String) -> Result<tokens::AccessClaims, wit::AuthError> {
        call("tokens.verify-access", |s| {
            s.verify_access_token(&access_token)
        })
        .map(|c| tokens::AccessClaims {
            user_id: c.user_id,
            login_id: c.family_id,
            roles: c.roles,
            issued_at_secs: c.issued_at_secs,
            expires_at_secs: c.expires_at_secs,
        })
    }

    fn jwks() -> Result<String, wit::AuthError> {
        call("tokens.jwks", |s| Ok(s.keyring()?.jwks().to_string()))
    }

    fn rotate_keys() -> Result<Vec<tokens::KeyGeneration>, wit::AuthError> {
        call("tokens.rotate-keys", |s| s.rotate_keys())
            .map(|list| list.into_iter().map(generation).collect())
    }

    fn list_keys() -> Result<Vec<tokens::KeyGeneration>, wit::AuthError> {
        call("tokens.list-keys", |s| {
            Ok(s.keyring()?.generations().to_vec())
        })
        .map(|list| list.into_iter().map(generation).collect())
    }
}

impl api_keys::Guest for Component {
    fn create(
        name: String,
        scopes: Vec<String>,
    ) -> Result<api_keys::CreatedApiKey, wit::AuthError> {
        call("api-keys.create", |s| s.create_api_key(&name, &scopes)).map(|created| {
            api_keys::CreatedApiKey {
                info: key_info(created.info),
                key: created.key.to_string(),
            }
        })
    }

    fn list() -> Result<Vec<api_keys::ApiKeyInfo>, wit::AuthError> {
        call("api-keys.list", |s| s.list_api_keys())
            .map(|list| list.into_iter().map(key_info).collect())
    }

    fn revoke(id: String) -> Result<(), wit::AuthError> {
        call("api-keys.revoke", |s| s.revoke_api_key(&id))
    }

    fn verify(key: String) -> Result<api_keys::ApiKeyInfo, wit::AuthError> {
        call("api-keys.verify", |s| s.verify_api_key(&key)).map(key_info)
    }
}

impl signer::Guest for Component {
    fn sign(purpose: String, payload: Vec<u8>) -> Result<String, wit::AuthError> {
        call("signer.sign", |s| s.sign_for_host(&purpose, &payload))
    }

    fn verify(
        purpose: String,
        token: String,
        max_age_secs: u64,
    ) -> Result<signer::Verified, wit::AuthError> {
        call("signer.verify", |s| {
            s.verify_for_host(&purpose, &token, max_age_secs)
        })
        .map(|(payload, issued_at_secs)| signer::Verified {
            payload,
            issued_at_secs,
        })
    }
}

fn pair(pair: TokenPair) -> tokens::TokenPair {
    tokens::TokenPair {
        access_token: pair.access_token.to_string(),
        expires_in_secs: pair.expires_in_secs,
        refresh_token: pair.refresh_token.to_string(),
        refresh_expires_at_ms: pair.refresh_expires_at_ms,
        user: convert::user(pair.user),
    }
}

fn generation(g: KeyGeneration) -> tokens::KeyGeneration {
    tokens::KeyGeneration {
        number: g.number,
        created_at_ms: g.created_at_ms,
        retired_at_ms: g.retired_at_ms,
    }
}

pub(crate) fn key_info(info: ApiKeyInfo) -> api_keys::ApiKeyInfo {
    api_keys::ApiKeyInfo {
        id: info.id,
        name: info.name,
        scopes: info.scopes,
        created_at_ms: info.created_at_ms,
    }
}
