//! The OpenID provider through Sesame's HTTP routes: the code flow end to end and every rule
//! it must keep.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::signature::Verifier as _;
use sha2::{Digest, Sha256};

use super::NewOAuthClient;
use crate::http::Request;
use crate::http::Response;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

const REDIRECT: &str = "https://app.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9-lT1pQxMeB4Nq3GzHxYq3kNnUoqLa";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn json(r: &Response) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null)
}

fn enc(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn query_of(location: &str, name: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| crate::http::parse::decode_component(v).unwrap())
    })
}

/// A fixture with ada registered and signed in, and a confidential client.
struct Flow {
    f: Fixture,
    cookie: String,
    csrf: String,
    client_id: String,
    secret: String,
}

impl Flow {
    fn new() -> Self {
        Flow::with_client(NewOAuthClient {
            name: "Wiki".into(),
            confidential: true,
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec!["https://app.example/bye".into()],
            ..Default::default()
        })
    }

    fn with_client(spec: NewOAuthClient) -> Self {
        Flow::configured(spec, |_| {})
    }

    fn configured(
        spec: NewOAuthClient,
        configure: impl FnOnce(&mut crate::config::Config),
    ) -> Self {
        let mut f = Fixture::registered();
        configure(&mut f.config);
        let created = f.sesame().add_oauth_client(&spec).unwrap();
        let r = f.send(
            Request::new("POST", "/login")
                .with_header("content-type", "application/json")
                .with_body(
                    serde_json::json!({"email": ADA_EMAIL, "password": ADA_PASSWORD})
                        .to_string()
                        .into_bytes(),
                ),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let cookie = r
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let csrf = json(&r)["csrf_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Flow {
            f,
            cookie,
            csrf,
            client_id: created.client.id,
            secret: created.secret.map(|s| s.to_string()).unwrap_or_default(),
        }
    }

    fn authorize_query(&self, extra: &str) -> String {
        format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20email%20offline_access&state=xyz&nonce=n-0S6&code_challenge={}&code_challenge_method=S256{extra}",
            self.client_id,
            enc(REDIRECT),
            challenge(VERIFIER)
        )
    }

    fn get(&self, path: &str, signed_in: bool) -> Response {
        let mut req = Request::new("GET", path).with_header("accept", "text/html");
        if signed_in {
            req = req.with_header("cookie", &self.cookie);
        }
        self.f.send(req)
    }

    /// Consents (through the form) and returns the code.
    fn code(&self) -> String {
        let r = self.get(&self.authorize_query(""), true);
        let location = if r.status == 200 {
            let query = self.authorize_query("");
            let params = query.split_once('?').unwrap().1;
            let form = format!("{params}&decision=allow&csrf_token={}", enc(&self.csrf));
            let r = self.f.send(
                Request::new("POST", "/oauth/authorize")
                    .with_header("cookie", &self.cookie)
                    .with_header("content-type", "application/x-www-form-urlencoded")
                    .with_body(form.into_bytes()),
            );
            assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
            r.header("location").unwrap().to_owned()
        } else {
            assert_eq!(r.status, 302);
            r.header("location").unwrap().to_owned()
        };
        assert!(location.starts_with(REDIRECT), "{location}");
        assert_eq!(query_of(&location, "state").as_deref(), Some("xyz"));
        assert_eq!(
            query_of(&location, "iss").as_deref(),
            Some(self.f.config.public_url.as_str())
        );
        query_of(&location, "code").expect("a code")
    }

    fn token(&self, form: &str, basic: bool) -> Response {
        let mut req = Request::new("POST", "/oauth/token")
            .with_header("content-type", "application/x-www-form-urlencoded");
        let mut body = form.to_owned();
        if basic {
            let credentials = STANDARD.encode(format!("{}:{}", self.client_id, self.secret));
            req = req.with_header("authorization", &format!("Basic {credentials}"));
        } else {
            body.push_str(&format!("&client_id={}", self.client_id));
        }
        self.f.send(req.with_body(body.into_bytes()))
    }

    fn exchange(&self, code: &str, verifier: &str) -> Response {
        self.token(
            &format!(
                "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}",
                enc(REDIRECT)
            ),
            true,
        )
    }

    fn userinfo(&self, access_token: &str) -> Response {
        self.f.send(
            Request::new("GET", "/oauth/userinfo")
                .with_header("authorization", &format!("Bearer {access_token}")),
        )
    }
}

/// Verifies an RS256 ID token against the JWKS the way a client library does.
fn verify_rs256(f: &Fixture, id_token: &str) -> serde_json::Value {
    let jwks = json(&f.send(Request::new("GET", "/.well-known/jwks.json")));
    let (input, signature) = id_token.rsplit_once('.').unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(input.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the kid is in the JWKS");
    assert_eq!(key["kty"], "RSA");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let public = rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(&n),
        rsa::BoxedUint::from_be_slice_vartime(&e),
    )
    .unwrap();
    let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
    let signature =
        rsa::pkcs1v15::Signature::try_from(URL_SAFE_NO_PAD.decode(signature).unwrap().as_slice())
            .unwrap();
    verifier
        .verify(input.as_bytes(), &signature)
        .expect("the signature verifies");
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(input.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn code_flow_gives_verifiable_tokens_userinfo_and_rotating_refresh() {
    let flow = Flow::new();
    let code = flow.code();
    let r = flow.exchange(&code, VERIFIER);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tokens = json(&r);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid email offline_access");
    let claims = verify_rs256(&flow.f, tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["iss"], flow.f.config.public_url.as_str());
    assert_eq!(claims["aud"], flow.client_id.as_str());
    assert_eq!(claims["nonce"], "n-0S6");
    assert_eq!(claims["email"], ADA_EMAIL);
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["acr"], "urn:sesame:acr:1fa");
    assert!(claims["auth_time"].as_u64().unwrap() <= claims["iat"].as_u64().unwrap());

    let access = tokens["access_token"].as_str().unwrap();
    let info = json(&flow.userinfo(access));
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email_verified"], false);
    // A client's access token is no Sesame credential.
    let me = flow
        .f
        .send(Request::new("GET", "/me").with_header("authorization", &format!("Bearer {access}")));
    assert_eq!(me.status, 401);

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r = flow.token(
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
        true,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let renewed = json(&r);
    assert!(renewed["id_token"].is_string());
    assert!(renewed["refresh_token"].as_str().unwrap() != refresh);
    // The replaced refresh token coming back ends the login.
    let r = flow.token(
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
        true,
    );
    assert_eq!(json(&r)["error"], "invalid_grant");
    assert_eq!(
        flow.userinfo(renewed["access_token"].as_str().unwrap())
            .status,
        401
    );
    // Sesame's own refresh route does not take a client's refresh token.
    let r = flow.f.send(
        Request::new("POST", "/tokens/refresh")
            .with_header("content-type", "application/json")
            .with_body(
                serde_json::json!({"refresh_token": renewed["refresh_token"]})
                    .to_string()
                    .into_bytes(),
            ),
    );
    assert_eq!(r.status, 401);
}

#[test]
fn a_code_works_once_and_a_replay_revokes_what_it_gave() {
    let flow = Flow::new();
    let code = flow.code();
    let first = json(&flow.exchange(&code, VERIFIER));
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(flow.userinfo(access).status, 200);
    let again = flow.exchange(&code, VERIFIER);
    assert_eq!(again.status, 400);
    assert_eq!(json(&again)["error"], "invalid_grant");
    assert_eq!(
        flow.userinfo(access).status,
        401,
        "the first exchange's tokens are revoked"
    );
}

#[test]
fn codes_are_bound_to_verifier_redirect_client_and_time() {
    let flow = Flow::new();
    let code = flow.code();
    // Missing and wrong verifiers, and another redirect URI, are refused without using it up.
    let r = flow.token(
        &format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}",
            enc(REDIRECT)
        ),
        true,
    );
    assert_eq!(json(&r)["error"], "invalid_grant");
    let other_verifier = "x".repeat(43);
    assert_eq!(
        json(&flow.exchange(&code, &other_verifier))["error"],
        "invalid_grant"
    );
    let r = flow.token(
        &format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
            enc("https://app.example/other")
        ),
        true,
    );
    assert_eq!(json(&r)["error"], "invalid_grant");
    // Another client cannot redeem it.
    let other = flow
        .f
        .sesame()
        .add_oauth_client(&NewOAuthClient {
            name: "Other".into(),
            confidential: true,
            redirect_uris: vec![REDIRECT.into()],
            ..Default::default()
        })
        .unwrap();
    let credentials = STANDARD.encode(format!(
        "{}:{}",
        other.client.id,
        other.secret.as_deref().unwrap().as_str()
    ));
    let r = flow.f.send(
        Request::new("POST", "/oauth/token")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_header("authorization", &format!("Basic {credentials}"))
            .with_body(
                format!(
                    "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
                    enc(REDIRECT)
                )
                .into_bytes(),
            ),
    );
    assert_eq!(json(&r)["error"], "invalid_grant");
    // The right client still can, once.
    assert_eq!(flow.exchange(&code, VERIFIER).status, 200);

    // A code is dead after 60 seconds.
    let late = flow.code();
    flow.f.advance(61_000);
    assert_eq!(
        json(&flow.exchange(&late, VERIFIER))["error"],
        "invalid_grant"
    );
}

#[test]
fn client_authentication_is_checked() {
    let flow = Flow::new();
    let code = flow.code();
    let wrong = STANDARD.encode(format!("{}:sesame_cs_wrong", flow.client_id));
    let r = flow.f.send(
        Request::new("POST", "/oauth/token")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_header("authorization", &format!("Basic {wrong}"))
            .with_body(
                format!(
                    "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
                    enc(REDIRECT)
                )
                .into_bytes(),
            ),
    );
    assert_eq!(r.status, 401);
    assert_eq!(json(&r)["error"], "invalid_client");
    assert!(r.header("www-authenticate").is_some());
    // A confidential client cannot pass as public (no secret).
    let r = flow.token(
        &format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
            enc(REDIRECT)
        ),
        false,
    );
    assert_eq!(json(&r)["error"], "invalid_client");
    // client_secret_post works.
    let r = flow.token(
        &format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}&client_secret={}",
            enc(REDIRECT),
            flow.secret
        ),
        false,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn unknown_client_or_redirect_never_redirects() {
    let flow = Flow::new();
    let bad_client = flow.authorize_query("").replace(&flow.client_id, "nope");
    let r = flow.get(&bad_client, true);
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
    let evil = flow
        .authorize_query("")
        .replace(&enc(REDIRECT), &enc("https://evil.example/cb"));
    let r = flow.get(&evil, true);
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
    // A repeated parameter is refused before anything is sent anywhere.
    let r = flow.get(&flow.authorize_query("&state=again"), true);
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
    // Later errors go back to the client, with state and iss.
    let r = flow.get(
        &flow
            .authorize_query("")
            .replace("response_type=code", "response_type=token"),
        true,
    );
    assert_eq!(r.status, 302);
    let location = r.header("location").unwrap();
    assert_eq!(
        query_of(location, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(query_of(location, "state").as_deref(), Some("xyz"));
}

#[test]
fn public_clients_need_pkce_s256() {
    let flow = Flow::with_client(NewOAuthClient {
        name: "SPA".into(),
        confidential: false,
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    });
    let no_pkce = flow.authorize_query("").replace(
        &format!(
            "&code_challenge={}&code_challenge_method=S256",
            challenge(VERIFIER)
        ),
        "",
    );
    let r = flow.get(&no_pkce, true);
    assert_eq!(
        query_of(r.header("location").unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    let plain = flow
        .authorize_query("")
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let r = flow.get(&plain, true);
    assert_eq!(
        query_of(r.header("location").unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    let code = flow.code();
    let r = flow.token(
        &format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
            enc(REDIRECT)
        ),
        false,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn prompt_none_and_login() {
    let flow = Flow::new();
    let r = flow.get(&flow.authorize_query("&prompt=none"), false);
    assert_eq!(
        query_of(r.header("location").unwrap(), "error").as_deref(),
        Some("login_required")
    );
    let r = flow.get(&flow.authorize_query("&prompt=none"), true);
    assert_eq!(
        query_of(r.header("location").unwrap(), "error").as_deref(),
        Some("consent_required")
    );
    // Without a session the browser signs in and comes back; prompt=login asks again.
    let r = flow.get(&flow.authorize_query(""), false);
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
    let r = flow.get(
        &flow.authorize_query("&login_hint=ada%40example.com"),
        false,
    );
    let login = r.header("location").unwrap().to_owned();
    assert_eq!(login, "/login?login_hint=ada%40example.com");
    let page = String::from_utf8(flow.get(&login, false).body).unwrap();
    assert!(page.contains("value=\"ada@example.com\""), "{page}");
    let r = flow.get(&flow.authorize_query("&prompt=login"), true);
    assert_eq!((r.status, r.header("location")), (303, Some("/verify")));
    let back = r
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.contains("rd="))
        .map(|(_, v)| v.clone())
        .unwrap();
    let value = back.split(';').next().unwrap().split_once('=').unwrap().1;
    let resume = String::from_utf8(URL_SAFE_NO_PAD.decode(value).unwrap()).unwrap();
    assert!(resume.starts_with("/oauth/authorize?"));
    assert!(resume.contains("sesame_reauth="), "{resume}");
    // An old sign-in and max_age: sign in again.
    flow.f.advance(120_000);
    let r = flow.get(&flow.authorize_query("&max_age=60"), true);
    assert_eq!(r.header("location"), Some("/verify"));
}

#[test]
fn signing_out_of_sesame_ends_the_grants_of_that_session() {
    let flow = Flow::new();
    let tokens = json(&flow.exchange(&flow.code(), VERIFIER));
    let id_token = tokens["id_token"].as_str().unwrap();
    let r = flow.get(
        &format!(
            "/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=s1",
            enc("https://app.example/bye")
        ),
        true,
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("https://app.example/bye?state=s1")
    );
    assert_eq!(
        flow.userinfo(tokens["access_token"].as_str().unwrap())
            .status,
        401
    );
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r = flow.token(
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
        true,
    );
    assert_eq!(json(&r)["error"], "invalid_grant");
    // An unregistered post-logout URI gets a page, not a redirect.
    let r = flow.get(
        &format!(
            "/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
            enc("https://evil.example/")
        ),
        false,
    );
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
}

#[test]
fn forged_id_token_hints_are_not_read() {
    let flow = Flow::new();
    let tokens = json(&flow.exchange(&flow.code(), VERIFIER));
    let id_token = tokens["id_token"].as_str().unwrap();
    let s = flow.f.sesame();
    assert!(s.read_id_token_hint(id_token).unwrap().is_some());
    let (_, claims, _) = {
        let mut p = id_token.split('.');
        (p.next().unwrap(), p.next().unwrap(), p.next().unwrap())
    };
    for alg in ["none", "HS256"] {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"x"}}"#));
        assert!(
            s.read_id_token_hint(&format!("{header}.{claims}."))
                .unwrap()
                .is_none()
        );
    }
    // An access token is not an ID token.
    assert!(
        s.read_id_token_hint(tokens["access_token"].as_str().unwrap())
            .unwrap()
            .is_none()
    );
}

#[test]
fn es256_and_eddsa_clients_get_tokens_verifiable_by_their_kid() {
    for alg in ["ES256", "EdDSA"] {
        let flow = Flow::with_client(NewOAuthClient {
            name: "Alg".into(),
            confidential: true,
            redirect_uris: vec![REDIRECT.into()],
            id_token_alg: alg.into(),
            ..Default::default()
        });
        let tokens = json(&flow.exchange(&flow.code(), VERIFIER));
        let id_token = tokens["id_token"].as_str().unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(id_token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], alg);
        assert!(
            flow.f
                .sesame()
                .read_id_token_hint(id_token)
                .unwrap()
                .is_some()
        );
        let jwks = json(&flow.f.send(Request::new("GET", "/.well-known/jwks.json")));
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == header["kid"] && k["alg"] == alg)
        );
    }
}

#[test]
fn introspection_and_revocation() {
    let flow = Flow::new();
    let tokens = json(&flow.exchange(&flow.code(), VERIFIER));
    let access = tokens["access_token"].as_str().unwrap();
    let r = flow.token(&format!("token={access}"), true);
    assert_eq!(
        json(&r)["error"],
        "invalid_request",
        "grant_type is required"
    );
    let introspect = |token: &str| {
        let credentials = STANDARD.encode(format!("{}:{}", flow.client_id, flow.secret));
        json(
            &flow.f.send(
                Request::new("POST", "/oauth/introspect")
                    .with_header("content-type", "application/x-www-form-urlencoded")
                    .with_header("authorization", &format!("Basic {credentials}"))
                    .with_body(format!("token={token}").into_bytes()),
            ),
        )
    };
    let answer = introspect(access);
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], flow.client_id.as_str());
    assert_eq!(introspect("garbage")["active"], false);
    let credentials = STANDARD.encode(format!("{}:{}", flow.client_id, flow.secret));
    let r = flow.f.send(
        Request::new("POST", "/oauth/revoke")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_header("authorization", &format!("Basic {credentials}"))
            .with_body(format!("token={}", tokens["refresh_token"].as_str().unwrap()).into_bytes()),
    );
    assert_eq!(r.status, 200);
    assert_eq!(introspect(access)["active"], false);
}

#[test]
fn discovery_lists_what_is_supported() {
    let f = Fixture::new();
    let doc = json(&f.send(Request::new("GET", "/.well-known/openid-configuration")));
    assert_eq!(doc["issuer"], f.config.public_url.as_str());
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert!(doc.get("registration_endpoint").is_none());
    assert_eq!(
        json(&f.send(Request::new(
            "GET",
            "/.well-known/oauth-authorization-server"
        ))),
        doc
    );
}

#[test]
fn prompt_login_is_answered_only_by_a_new_authentication() {
    let flow = Flow::new();
    flow.code(); // consent given
    let r = flow.get(&flow.authorize_query("&prompt=login"), true);
    assert_eq!(r.header("location"), Some("/verify"));
    let cookie = r
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.contains("rd="))
        .map(|(_, v)| v.clone())
        .unwrap();
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let resume = String::from_utf8(URL_SAFE_NO_PAD.decode(value).unwrap()).unwrap();
    assert!(
        resume.contains("prompt=login") && resume.contains("sesame_reauth="),
        "{resume}"
    );
    // Coming back without authenticating again: sent to re-authenticate again.
    flow.f.advance(1000);
    let r = flow.get(&resume, true);
    assert_eq!(
        r.header("location"),
        Some("/verify"),
        "the prompt is not skipped"
    );
    // A forged or stripped mark does not help either.
    let forged = format!(
        "{}&sesame_reauth=AA.0.AA",
        flow.authorize_query("&prompt=login")
    );
    assert_eq!(flow.get(&forged, true).header("location"), Some("/verify"));
    // The password again, then the same way back gives a code.
    let r = flow.f.send(
        Request::new("POST", "/verify")
            .with_header("cookie", &flow.cookie)
            .with_header("x-csrf-token", &flow.csrf)
            .with_header("content-type", "application/json")
            .with_body(
                serde_json::json!({"password": ADA_PASSWORD})
                    .to_string()
                    .into_bytes(),
            ),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = flow.get(&resume, true);
    assert_eq!(r.status, 302);
    assert!(query_of(r.header("location").unwrap(), "code").is_some());
}

#[test]
fn strangers_cannot_use_up_a_clients_token_budget() {
    let flow = Flow::configured(
        NewOAuthClient {
            name: "Wiki".into(),
            confidential: true,
            redirect_uris: vec![REDIRECT.into()],
            ..Default::default()
        },
        |config| config.throttle.token_per_client = 3,
    );
    let stranger: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    for _ in 0..40 {
        let wrong = STANDARD.encode(format!("{}:sesame_cs_wrong", flow.client_id));
        flow.f.send(
            Request::new("POST", "/oauth/token")
                .with_peer(stranger)
                .with_header("content-type", "application/x-www-form-urlencoded")
                .with_header("authorization", &format!("Basic {wrong}"))
                .with_body(b"grant_type=refresh_token&refresh_token=x".to_vec()),
        );
    }
    let r = flow.exchange(&flow.code(), VERIFIER);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn a_replay_racing_the_first_exchange_still_revokes() {
    let flow = Flow::new();
    let code = flow.code();
    // The mark a replay leaves while the first exchange is still starting its login.
    let key = crate::records::oauth_code_key(&super::authorize::code_hash(&code));
    let (mut record, version) =
        crate::records::load::<super::authorize::CodeRecord>(&flow.f.store, &key)
            .unwrap()
            .unwrap();
    record.replayed = true;
    crate::records::save(&flow.f.store, &key, &record, Some(version), Some(60_000)).unwrap();
    let r = flow.exchange(&code, VERIFIER);
    assert_eq!(json(&r)["error"], "invalid_grant");
    assert!(
        flow.f.sesame().consents(&record.user_id).unwrap().len() == 1,
        "consent is untouched"
    );
}

#[test]
fn a_refused_refresh_spends_nothing_and_withdrawn_consent_stops_codes() {
    let flow = Flow::new();
    let tokens = json(&flow.exchange(&flow.code(), VERIFIER));
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for scope in ["openid", "openid%20email%20offline_access%20roles"] {
        let r = flow.token(
            &format!("grant_type=refresh_token&refresh_token={refresh}&scope={scope}"),
            true,
        );
        assert_eq!(json(&r)["error"], "invalid_scope");
    }
    let r = flow.token(
        &format!("grant_type=refresh_token&refresh_token={refresh}&scope="),
        true,
    );
    assert_eq!(
        r.status,
        200,
        "an empty scope is no scope: {}",
        String::from_utf8_lossy(&r.body)
    );

    let code = flow.code();
    let user = flow
        .f
        .sesame()
        .validate_session(flow.cookie.split_once('=').unwrap().1)
        .unwrap()
        .user;
    flow.f
        .sesame()
        .revoke_consent(&user.id, &flow.client_id)
        .unwrap();
    assert_eq!(
        json(&flow.exchange(&code, VERIFIER))["error"],
        "invalid_grant"
    );
}

#[test]
fn client_names_cannot_hide_what_they_say() {
    let f = Fixture::new();
    for name in ["Google\u{202E}elgooG", "Sesame\u{200B}", "a\u{0007}"] {
        let r = f.sesame().add_oauth_client(&NewOAuthClient {
            name: name.into(),
            confidential: true,
            redirect_uris: vec![REDIRECT.into()],
            ..Default::default()
        });
        assert!(r.is_err(), "{name:?}");
    }
}

/// The consent form stands only for the consent step: posting it straight away with a
/// session too old for `max_age`, or without answering `prompt=login`, sends the browser to
/// re-authenticate instead of giving a code.
#[test]
fn the_consent_form_cannot_skip_prompt_login_or_max_age() {
    let flow = Flow::new();
    flow.f.advance(120_000);
    for extra in ["&max_age=60", "&prompt=login", "&prompt=login%20consent"] {
        let query = flow.authorize_query(extra);
        let params = query.split_once('?').unwrap().1;
        let form = format!("{params}&decision=allow&csrf_token={}", enc(&flow.csrf));
        let r = flow.f.send(
            Request::new("POST", "/oauth/authorize")
                .with_header("cookie", &flow.cookie)
                .with_header("content-type", "application/x-www-form-urlencoded")
                .with_body(form.into_bytes()),
        );
        assert_eq!(
            (r.status, r.header("location")),
            (303, Some("/verify")),
            "{extra}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // Refusing needs no fresh sign-in, and a recent enough session still consents.
    let refused = format!(
        "{}&decision=deny&csrf_token={}",
        flow.authorize_query("&max_age=60")
            .split_once('?')
            .unwrap()
            .1,
        enc(&flow.csrf)
    );
    let r = flow.f.send(
        Request::new("POST", "/oauth/authorize")
            .with_header("cookie", &flow.cookie)
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(refused.into_bytes()),
    );
    assert_eq!(
        query_of(r.header("location").unwrap(), "error").as_deref(),
        Some("access_denied")
    );
    assert!(!flow.code().is_empty());
}

/// A two-factor sign-in re-verified later with the password alone: the latest authentication
/// is that password, so what an ID token says of it (`auth_time` with `amr`/`acr`) is one
/// factor, not the earlier two. Before any re-verification, the sign-in's own proof stands.
#[test]
fn a_password_reverification_is_reported_as_one_factor() {
    use crate::sessions::{ClientInfo, SignInProof};
    let f = Fixture::registered();
    let sesame = f.sesame();
    let user = sesame.list_users(None, 1).unwrap().remove(0);
    let client = ClientInfo::default();
    let session = sesame
        .issue_session(user, &client, SignInProof::PASSWORD_AND_CODE)
        .unwrap();
    let info = sesame.validate_session(session.token.expose()).unwrap();
    let times = sesame.authentication_times(&info).unwrap();
    assert_eq!(times.latest_proof, SignInProof::PASSWORD_AND_CODE);
    assert!(times.latest_proof.multi_factor());

    f.advance(120_000);
    let sesame = f.sesame();
    let info = sesame.validate_session(session.token.expose()).unwrap();
    sesame
        .verify_password(&info, ADA_PASSWORD, &client)
        .unwrap();
    let times = sesame.authentication_times(&info).unwrap();
    assert_eq!(times.any_ms, sesame.now_ms());
    assert_eq!(times.latest_proof, SignInProof::PASSWORD);
    assert!(!times.latest_proof.multi_factor());
    // A token login minted now carries the same description.
    let tokens = sesame
        .issue_tokens_for_session(session.token.expose(), &client)
        .unwrap();
    let login = sesame
        .validate_access_token(tokens.access_token.as_str())
        .unwrap();
    assert_eq!(login.proof, SignInProof::PASSWORD);
}

/// Sesame's own revocation route answers a client's refresh token as it answers any token,
/// and leaves the client's login alone: only the client, authenticated, revokes it.
#[test]
fn a_clients_refresh_token_is_not_revoked_at_sesames_token_route() {
    let flow = Flow::new();
    let code = flow.code();
    let tokens = json(&flow.exchange(&code, VERIFIER));
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r = flow.f.send(
        Request::new("DELETE", "/tokens")
            .with_header("content-type", "application/json")
            .with_body(
                serde_json::json!({ "refresh_token": refresh })
                    .to_string()
                    .into_bytes(),
            ),
    );
    assert_eq!(r.status, 200, "the same answer as for any token");
    let r = flow.token(
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
        true,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// Client authentication at every direct endpoint is counted per address before the secret
/// is checked and given back when it succeeds: wrong secrets use up the address's allowance
/// at the token, introspection and revocation endpoints alike, and once it is used up the
/// right secret is refused there too, so a refusal tells a guesser nothing.
#[test]
fn client_authentication_failures_are_counted_before_checking_everywhere() {
    let flow = Flow::configured(
        NewOAuthClient {
            name: "Wiki".into(),
            confidential: true,
            redirect_uris: vec![REDIRECT.into()],
            ..Default::default()
        },
        |config| {
            config.throttle.login_per_address = 6;
            config.throttle.token_per_client = 1000;
        },
    );
    let guesser: std::net::IpAddr = "203.0.113.7".parse().unwrap();
    let send = |path: &str, secret: &str| {
        let credentials = STANDARD.encode(format!("{}:{secret}", flow.client_id));
        flow.f
            .send(
                Request::new("POST", path)
                    .with_peer(guesser)
                    .with_header("content-type", "application/x-www-form-urlencoded")
                    .with_header("authorization", &format!("Basic {credentials}"))
                    .with_body(b"token=x&grant_type=refresh_token&refresh_token=x".to_vec()),
            )
            .status
    };
    // Right secrets from the address spend nothing.
    for _ in 0..10 {
        assert_ne!(send("/oauth/introspect", &flow.secret), 429);
    }
    let mut statuses = Vec::new();
    for path in ["/oauth/token", "/oauth/introspect", "/oauth/revoke"] {
        for _ in 0..3 {
            statuses.push(send(path, "sesame_cs_wrong"));
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        6,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    for path in ["/oauth/token", "/oauth/introspect", "/oauth/revoke"] {
        assert_eq!(
            send(path, &flow.secret),
            429,
            "{path}: the right secret too"
        );
    }
}

/// A self-registered client's URIs are anyone's, so Sesame never sends a browser there
/// without the person having acted: a malformed request and `prompt=none` get a page, not a
/// redirect; and a logout goes back to an application only with its ID token as the hint.
#[test]
fn self_registered_clients_get_no_unasked_redirects() {
    let flow = Flow::configured(
        NewOAuthClient {
            name: "Wiki".into(),
            confidential: true,
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec!["https://app.example/bye".into()],
            ..Default::default()
        },
        |config| config.oauth.dynamic_registration = true,
    );
    let r = flow.f.send(
        Request::new("POST", "/oauth/register")
            .with_header("content-type", "application/json")
            .with_body(
                serde_json::json!({
                    "client_name": "t",
                    "redirect_uris": ["https://evil.example/cb"],
                    "post_logout_redirect_uris": ["https://evil.example/phish"],
                    "token_endpoint_auth_method": "none",
                })
                .to_string()
                .into_bytes(),
            ),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = json(&r)["client_id"].as_str().unwrap().to_owned();
    let base = format!(
        "/oauth/authorize?client_id={id}&redirect_uri={}&state=s",
        enc("https://evil.example/cb")
    );
    for path in [
        format!("{base}&response_type=x"),
        format!(
            "{base}&response_type=code&scope=openid&prompt=none&code_challenge={}&code_challenge_method=S256",
            challenge(VERIFIER)
        ),
    ] {
        let r = flow.get(&path, false);
        assert_eq!((r.status, r.header("location")), (400, None), "{path}");
    }
    let r = flow.get(
        &format!(
            "/oauth/logout?client_id={id}&post_logout_redirect_uri={}",
            enc("https://evil.example/phish")
        ),
        false,
    );
    assert_eq!((r.status, r.header("location")), (400, None));
    // An administrator's client still gets its errors at its redirect URI.
    let r = flow.get(&flow.authorize_query("&prompt=none"), false);
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().starts_with(REDIRECT));
}
