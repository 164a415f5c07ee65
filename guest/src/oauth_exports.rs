//! The `oauth-clients` export: the client registry of the OpenID provider, for the `sesame
//! client` commands. The rules live in sesame-core's `oauth::clients`.

use sesame_core::oauth::{NewOAuthClient, OAuthClient};

use crate::bindings::exports::sesame::auth::oauth_clients as wit_clients;
use crate::bindings::types as wit;
use crate::{Component, call};

impl wit_clients::Guest for Component {
    fn add(
        client: wit_clients::NewOauthClient,
    ) -> Result<wit_clients::CreatedOauthClient, wit::AuthError> {
        let spec = NewOAuthClient {
            name: client.name,
            confidential: client.confidential,
            redirect_uris: client.redirect_uris,
            post_logout_redirect_uris: client.post_logout_redirect_uris,
            scopes: client.scopes,
            id_token_alg: client.id_token_alg,
            first_party: client.first_party,
        };
        call("oauth-clients.add", |s| s.add_oauth_client(&spec)).map(|created| {
            wit_clients::CreatedOauthClient {
                client: to_wit(created.client),
                secret: created.secret.map(|s| s.to_string()),
            }
        })
    }

    fn list() -> Result<Vec<wit_clients::OauthClient>, wit::AuthError> {
        call("oauth-clients.list", |s| s.oauth_clients())
            .map(|list| list.into_iter().map(to_wit).collect())
    }

    fn get(id: String) -> Result<Option<wit_clients::OauthClient>, wit::AuthError> {
        call("oauth-clients.get", |s| s.oauth_client(&id)).map(|c| c.map(to_wit))
    }

    fn remove(id: String) -> Result<(), wit::AuthError> {
        call("oauth-clients.remove", |s| s.remove_oauth_client(&id))
    }

    fn rotate_secret(id: String) -> Result<String, wit::AuthError> {
        call("oauth-clients.rotate-secret", |s| {
            s.rotate_oauth_client_secret(&id)
        })
        .map(|secret| secret.to_string())
    }
}

fn to_wit(c: OAuthClient) -> wit_clients::OauthClient {
    wit_clients::OauthClient {
        id: c.id,
        name: c.name,
        confidential: c.confidential,
        redirect_uris: c.redirect_uris,
        post_logout_redirect_uris: c.post_logout_redirect_uris,
        scopes: c.scopes,
        id_token_alg: c.id_token_alg,
        first_party: c.first_party,
        dynamic: c.dynamic,
        created_at_ms: c.created_at_ms,
    }
}
