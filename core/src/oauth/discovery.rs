//! The provider's metadata (OpenID Connect Discovery 1.0, RFC 8414): exactly what Sesame
//! supports, so client libraries configure themselves from it.

use serde::Deserialize;

use super::id_token::{ACR_ONE_FACTOR, ACR_TWO_FACTORS};
use super::{CreatedOAuthClient, NewOAuthClient, OAuthError, SCOPES};
use crate::Sesame;
use crate::keyring::jose::SigningAlg;
use crate::throttle::Scope;

/// Paths of the endpoints, below the public URL.
pub mod paths {
    /// Authorization endpoint.
    pub const AUTHORIZE: &str = "/oauth/authorize";
    /// Token endpoint.
    pub const TOKEN: &str = "/oauth/token";
    /// Userinfo endpoint.
    pub const USERINFO: &str = "/oauth/userinfo";
    /// Revocation endpoint (RFC 7009).
    pub const REVOKE: &str = "/oauth/revoke";
    /// Introspection endpoint (RFC 7662).
    pub const INTROSPECT: &str = "/oauth/introspect";
    /// RP-initiated logout.
    pub const LOGOUT: &str = "/oauth/logout";
    /// Dynamic client registration (RFC 7591).
    pub const REGISTER: &str = "/oauth/register";
    /// The JWK Set.
    pub const JWKS: &str = "/.well-known/jwks.json";
}

/// Client metadata of a dynamic registration (RFC 7591 §2). Values Sesame cannot honour in
/// the fields it reads are refused; fields it does not know are ignored, as §2 allows.
#[derive(Debug, Deserialize)]
pub struct RegistrationRequest {
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    response_types: Option<Vec<String>>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    id_token_signed_response_alg: Option<String>,
    #[serde(default)]
    post_logout_redirect_uris: Option<Vec<String>>,
}

impl Sesame<'_> {
    /// The OpenID Connect discovery document (also served as the RFC 8414 metadata).
    pub fn provider_metadata(&self) -> serde_json::Value {
        let base = &self.config.public_url;
        let url = |path: &str| format!("{base}{path}");
        let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.name()).collect();
        let mut metadata = serde_json::json!({
            "issuer": base,
            "authorization_endpoint": url(paths::AUTHORIZE),
            "token_endpoint": url(paths::TOKEN),
            "userinfo_endpoint": url(paths::USERINFO),
            "jwks_uri": url(paths::JWKS),
            "revocation_endpoint": url(paths::REVOKE),
            "introspection_endpoint": url(paths::INTROSPECT),
            "end_session_endpoint": url(paths::LOGOUT),
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "bearer"],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "acr_values_supported": [ACR_ONE_FACTOR, ACR_TWO_FACTORS],
            "claims_supported": ["iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "email", "email_verified", "preferred_username", "roles"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
            "frontchannel_logout_supported": false,
            "backchannel_logout_supported": false,
        });
        if self.config.oauth.dynamic_registration {
            metadata["registration_endpoint"] = url(paths::REGISTER).into();
        }
        metadata
    }

    /// Registers a client from its own metadata (RFC 7591), when the setting allows it.
    /// Dynamic clients are never first-party: their users are always asked for consent.
    pub fn register_client(
        &self,
        request: &RegistrationRequest,
        address: Option<&str>,
    ) -> Result<CreatedOAuthClient, OAuthError> {
        if !self.config.oauth.dynamic_registration {
            return Err(OAuthError::Protocol {
                code: "access_denied",
                description: "Dynamic client registration is turned off.".into(),
                status: 403,
            });
        }
        if let Some(address) = address {
            self.throttle(Scope::ClientRegistrationByAddress, address)?;
        }
        let metadata = |description: &str| OAuthError::new("invalid_client_metadata", description);
        let confidential = match request.token_endpoint_auth_method.as_deref() {
            None | Some("client_secret_basic") | Some("client_secret_post") => true,
            Some("none") => false,
            Some(_) => {
                return Err(metadata(
                    "token_endpoint_auth_method is client_secret_basic, client_secret_post or none",
                ));
            }
        };
        if request.grant_types.as_ref().is_some_and(|g| {
            g.iter()
                .any(|t| t != "authorization_code" && t != "refresh_token")
        }) {
            return Err(metadata(
                "grant_types are authorization_code and refresh_token",
            ));
        }
        if request
            .response_types
            .as_ref()
            .is_some_and(|r| r.iter().any(|t| t != "code"))
        {
            return Err(metadata("response_types is code"));
        }
        let spec = NewOAuthClient {
            name: request
                .client_name
                .clone()
                .unwrap_or_else(|| "Unnamed application".to_owned()),
            confidential,
            redirect_uris: request.redirect_uris.clone(),
            post_logout_redirect_uris: request
                .post_logout_redirect_uris
                .clone()
                .unwrap_or_default(),
            scopes: request
                .scope
                .as_deref()
                .map(|s| {
                    s.split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            id_token_alg: request
                .id_token_signed_response_alg
                .clone()
                .unwrap_or_default(),
            first_party: false,
        };
        match self.create_client(&spec, true) {
            Ok(created) => Ok(created),
            Err(crate::Error::Rejected(e)) => {
                let code = if e.message.contains("redirect URI") {
                    "invalid_redirect_uri"
                } else {
                    "invalid_client_metadata"
                };
                Err(OAuthError::new(code, e.message))
            }
            Err(e) => Err(e.into()),
        }
    }
}
