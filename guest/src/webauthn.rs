//! The `sesame:auth/webauthn` export: each function calls the core operation of the same
//! name; credentials arrive as JSON text and are parsed by core.

use sesame_core::webauthn::wire::{parse_assertion, parse_registration};
use sesame_core::webauthn::{Ceremony, CredentialInfo, Usage};

use crate::bindings::exports::sesame::auth::webauthn as wit_wan;
use crate::bindings::types as wit;
use crate::{Component, call, call_for_client, call_in_session, convert};

fn usage_in(u: wit_wan::Usage) -> Usage {
    match u {
        wit_wan::Usage::First => Usage::First,
        wit_wan::Usage::Secondary => Usage::Secondary,
    }
}

fn usage_out(u: Usage) -> wit_wan::Usage {
    match u {
        Usage::First => wit_wan::Usage::First,
        Usage::Secondary => wit_wan::Usage::Secondary,
    }
}

fn ceremony(c: Ceremony) -> wit_wan::Ceremony {
    wit_wan::Ceremony {
        state: c.state.expose().to_owned(),
        options_json: c.options.to_string(),
        expires_at_ms: c.expires_at_ms,
    }
}

pub(crate) fn credential(c: CredentialInfo) -> wit_wan::CredentialInfo {
    wit_wan::CredentialInfo {
        id: c.id,
        name: c.name,
        usage: usage_out(c.usage),
        algorithm: c.algorithm.as_str().to_owned(),
        created_at_ms: c.created_at_ms,
        last_used_at_ms: c.last_used_at_ms,
        sign_count: c.sign_count,
        discoverable: c.discoverable,
        backed_up: c.backed_up,
    }
}

impl wit_wan::Guest for Component {
    fn register_begin(
        session_token: String,
        name: String,
        usage: wit_wan::Usage,
        host: Option<String>,
    ) -> Result<wit_wan::Ceremony, wit::AuthError> {
        call_in_session("webauthn.register-begin", &session_token, |s, info| {
            let rp = s.relying_party(host.as_deref())?;
            s.begin_passkey_registration(info, &name, usage_in(usage), &rp)
        })
        .map(ceremony)
    }

    fn register_finish(
        session_token: String,
        state: String,
        credential_json: String,
    ) -> Result<wit_wan::CredentialInfo, wit::AuthError> {
        call_in_session("webauthn.register-finish", &session_token, |s, info| {
            let answer = parse_registration(&credential_json)?;
            s.finish_passkey_registration(info, &state, &answer)
        })
        .map(credential)
    }

    fn authenticate_begin(
        identity: Option<String>,
        host: Option<String>,
    ) -> Result<wit_wan::Ceremony, wit::AuthError> {
        call("webauthn.authenticate-begin", |s| {
            let rp = s.relying_party(host.as_deref())?;
            s.begin_passkey_signin(identity.as_deref(), &rp)
        })
        .map(ceremony)
    }

    fn second_factor_begin(
        pending_token: String,
        host: Option<String>,
    ) -> Result<wit_wan::Ceremony, wit::AuthError> {
        call("webauthn.second-factor-begin", |s| {
            let rp = s.relying_party(host.as_deref())?;
            s.begin_passkey_second_factor(&pending_token, &rp)
        })
        .map(ceremony)
    }

    fn authenticate_finish(
        state: String,
        credential_json: String,
        pending_token: Option<String>,
        client: wit::ClientInfo,
    ) -> Result<wit::IssuedSession, wit::AuthError> {
        call_for_client("webauthn.authenticate-finish", client, |s, client| {
            let answer = parse_assertion(&credential_json)?;
            s.finish_passkey_signin(&state, &answer, pending_token.as_deref(), client)
        })
        .map(convert::issued)
    }

    fn verify_begin(
        session_token: String,
        host: Option<String>,
    ) -> Result<wit_wan::Ceremony, wit::AuthError> {
        call_in_session("webauthn.verify-begin", &session_token, |s, info| {
            let rp = s.relying_party(host.as_deref())?;
            s.begin_passkey_verify(info, &rp)
        })
        .map(ceremony)
    }

    fn verify_finish(
        session_token: String,
        state: String,
        credential_json: String,
    ) -> Result<u64, wit::AuthError> {
        call_in_session("webauthn.verify-finish", &session_token, |s, info| {
            let answer = parse_assertion(&credential_json)?;
            s.finish_passkey_verify(info, &state, &answer)
        })
    }

    fn list_credentials(
        session_token: String,
    ) -> Result<Vec<wit_wan::CredentialInfo>, wit::AuthError> {
        call_in_session("webauthn.list-credentials", &session_token, |s, info| {
            s.list_passkeys(&info.user.id)
        })
        .map(|list| list.into_iter().map(credential).collect())
    }

    fn delete(
        session_token: String,
        id_or_name: String,
    ) -> Result<wit_wan::CredentialInfo, wit::AuthError> {
        call_in_session("webauthn.delete", &session_token, |s, info| {
            s.delete_passkey(info, &id_or_name)
        })
        .map(credential)
    }
}
