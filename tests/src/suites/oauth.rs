//! Sesame as an OpenID provider over HTTP, shared by every server that runs it: a client
//! registered over HTTP (RFC 7591, so no server needs a command line for it) signs a browser
//! in with the code flow and PKCE, checks the RS256 ID token against the JWKS, reads
//! userinfo and refreshes; and every rule a client or an attacker could break.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::signature::Verifier as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::accounts::{EMAIL, PASSWORD};
use crate::{FreshServer, Host, Server, Signed};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxhbW";

/// A server with dynamic registration on, ada registered and signed in, and a client.
struct Provider {
    server: FreshServer,
    ada: Signed,
    client_id: String,
    secret: String,
}

fn provider(host: Host, env: &[(&str, &str)]) -> Provider {
    let mut all = vec![("SESAME_OAUTH_DYNAMIC_REGISTRATION", "true")];
    all.extend_from_slice(env);
    let server = host.start_fresh_with_env(&all);
    server.register(EMAIL, PASSWORD);
    let ada = server.sign_in(EMAIL, PASSWORD);
    let r = server.post_json(
        "/oauth/register",
        &json!({
            "redirect_uris": [REDIRECT],
            "client_name": "Wiki",
            "token_endpoint_auth_method": "client_secret_basic",
            "post_logout_redirect_uris": ["http://127.0.0.1:9/bye"],
        }),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    Provider {
        client_id: body["client_id"].as_str().unwrap().to_owned(),
        secret: body["client_secret"].as_str().unwrap().to_owned(),
        server,
        ada,
    }
}

fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn dec(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn query_value(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?.1.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| dec(v))
    })
}

impl Provider {
    fn authorize_path(&self, extra: &str) -> String {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=st-1&nonce=no-1&code_challenge={challenge}&code_challenge_method=S256{extra}",
            self.client_id,
            enc(REDIRECT),
            enc("openid email offline_access"),
        )
    }

    /// The browser's way through the consent page (once consent is remembered, straight
    /// back); returns where it is sent.
    fn consent(&self, extra: &str) -> String {
        let path = self.authorize_path(extra);
        let page = self.server.get(
            &path,
            &[("cookie", &self.ada.cookie), ("accept", "text/html")],
        );
        if page.status == 302 {
            return page.header("location").unwrap().to_owned();
        }
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(
            page.text().contains("Wiki"),
            "the consent page names the client"
        );
        let policy = page
            .header("content-security-policy")
            .unwrap_or_default()
            .to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let form = format!(
            "{}&decision=allow&csrf_token={}",
            path.split_once('?').unwrap().1,
            enc(&self.ada.csrf)
        );
        let r = self.server.send(
            "POST",
            "/oauth/authorize",
            &[
                ("cookie", &self.ada.cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        );
        assert_eq!(r.status, 303, "{}", r.text());
        r.header("location").unwrap().to_owned()
    }

    fn code(&self) -> String {
        let location = self.consent("");
        assert!(location.starts_with(REDIRECT), "{location}");
        assert_eq!(query_value(&location, "state").as_deref(), Some("st-1"));
        assert!(query_value(&location, "iss").is_some());
        query_value(&location, "code").unwrap()
    }

    fn token(&self, form: &str) -> crate::Reply {
        let basic = STANDARD.encode(format!("{}:{}", self.client_id, self.secret));
        self.server.send(
            "POST",
            "/oauth/token",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("authorization", &format!("Basic {basic}")),
            ],
            form.as_bytes(),
        )
    }

    fn exchange(&self, code: &str) -> crate::Reply {
        self.token(&format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
            enc(REDIRECT)
        ))
    }

    fn userinfo(&self, access: &Value) -> crate::Reply {
        self.server.get(
            "/oauth/userinfo",
            &[(
                "authorization",
                &format!("Bearer {}", access.as_str().unwrap()),
            )],
        )
    }
}

/// Checks an RS256 JWT's signature with the key its `kid` names in the server's JWKS and
/// returns its claims.
fn verified_claims(server: &Server, jwt: &str) -> Value {
    let jwks = server.get("/.well-known/jwks.json", &[]).json();
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    let part = |i: usize| -> Value {
        serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(input.split('.').nth(i).unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    let header = part(0);
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the ID token's kid is in the JWKS");
    let number = |name: &str| {
        rsa::BoxedUint::from_be_slice_vartime(
            &URL_SAFE_NO_PAD.decode(key[name].as_str().unwrap()).unwrap(),
        )
    };
    let public = rsa::PublicKey::new(number("n"), number("e")).unwrap();
    let signature =
        rsa::pkcs1v15::Signature::try_from(URL_SAFE_NO_PAD.decode(signature).unwrap().as_slice())
            .unwrap();
    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public)
        .verify(input.as_bytes(), &signature)
        .expect("the ID token's signature verifies");
    part(1)
}

pub fn code_flow_with_pkce_gives_verified_tokens_userinfo_and_refresh(host: Host) {
    let p = provider(host, &[]);
    let discovery = p
        .server
        .get("/.well-known/openid-configuration", &[])
        .json();
    let issuer = discovery["issuer"].as_str().unwrap().to_owned();
    assert_eq!(
        discovery["registration_endpoint"],
        format!("{issuer}/oauth/register")
    );

    let r = p.exchange(&p.code());
    assert_eq!(r.status, 200, "{}", r.text());
    let tokens = r.json();
    let claims = verified_claims(&p.server, tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], p.client_id.as_str());
    assert_eq!(claims["nonce"], "no-1");
    assert_eq!(claims["email"], EMAIL);
    assert_eq!(claims["amr"], json!(["pwd"]));

    let info = p.userinfo(&tokens["access_token"]);
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.json()["sub"], claims["sub"]);
    // The client's token is not a Sesame credential.
    assert_eq!(
        p.server
            .get_with_token("/me", &tokens["access_token"])
            .status,
        401
    );

    let refresh = format!(
        "grant_type=refresh_token&refresh_token={}",
        tokens["refresh_token"].as_str().unwrap()
    );
    let renewed = p.token(&refresh);
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    let replayed = p.token(&refresh);
    assert_eq!(
        (replayed.status, replayed.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    assert_eq!(
        p.userinfo(&renewed.json()["access_token"]).status,
        401,
        "reuse ends the login"
    );
}

pub fn codes_are_single_use_short_lived_and_bound(host: Host) {
    // Codes live 5 s here: long enough for the checks below on a slow host (a code that
    // expired before its replay could not show the replay's revocation), short to outwait.
    let p = provider(host, &[("SESAME_OAUTH_CODE_SECS", "5")]);
    let code = p.code();
    // Without the verifier, or with another redirect URI: refused, and not used up.
    let r = p.token(&format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        enc(REDIRECT)
    ));
    assert_eq!(r.json()["error"], "invalid_grant");
    let r = p.token(&format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
        enc("http://127.0.0.1:9/other")
    ));
    assert_eq!(r.json()["error"], "invalid_grant");
    let first = p.exchange(&code);
    assert_eq!(first.status, 200, "{}", first.text());
    // The replay is refused and ends what the code gave.
    assert_eq!(p.exchange(&code).json()["error"], "invalid_grant");
    assert_eq!(p.userinfo(&first.json()["access_token"]).status, 401);
    // A wrong secret is invalid_client.
    let basic = STANDARD.encode(format!("{}:sesame_cs_wrong", p.client_id));
    let r = p.server.send(
        "POST",
        "/oauth/token",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", &format!("Basic {basic}")),
        ],
        b"grant_type=refresh_token&refresh_token=x",
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
    // After its time, a code is dead.
    let late = p.code();
    std::thread::sleep(std::time::Duration::from_millis(5_200));
    assert_eq!(p.exchange(&late).json()["error"], "invalid_grant");
}

pub fn wrong_clients_redirects_and_silent_errors_never_redirect_unasked(host: Host) {
    let p = provider(host, &[]);
    let html = [("accept", "text/html"), ("cookie", p.ada.cookie.as_str())];
    for path in [
        p.authorize_path("").replace(&p.client_id, "unknown"),
        p.authorize_path("")
            .replace(&enc(REDIRECT), &enc("https://evil.example/cb")),
    ] {
        let r = p.server.get(&path, &html);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.header("location").is_none(), "never a redirect");
    }
    // This provider's client registered itself, so its URIs are anyone's: a silent request
    // that fails (nobody signed in, no consent yet) gets a page, never a redirect there.
    for headers in [&[("accept", "text/html")][..], &html[..]] {
        let r = p.server.get(&p.authorize_path("&prompt=none"), headers);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.header("location").is_none(), "no unasked redirect");
    }
    // Once consent is given, prompt=none answers with a code at once.
    p.code();
    let r = p.server.get(&p.authorize_path("&prompt=none"), &html);
    assert_eq!(r.status, 302);
    assert!(query_value(r.header("location").unwrap(), "code").is_some());
    // Another site cannot post the consent form for the user.
    let r = p.server.send(
        "POST",
        "/oauth/authorize",
        &[
            ("cookie", &p.ada.cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        format!(
            "{}&decision=allow",
            p.authorize_path("").split_once('?').unwrap().1
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 403, "no CSRF token: {}", r.text());
}

pub fn signing_out_of_sesame_ends_the_clients_grants(host: Host) {
    let p = provider(host, &[]);
    let tokens = p.exchange(&p.code()).json();
    let id_token = tokens["id_token"].as_str().unwrap();
    let r = p.server.get(
        &format!(
            "/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye-1",
            enc("http://127.0.0.1:9/bye")
        ),
        &[("cookie", &p.ada.cookie), ("accept", "text/html")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some("http://127.0.0.1:9/bye?state=bye-1")
    );
    assert_eq!(
        p.server.get("/me", &[("cookie", &p.ada.cookie)]).status,
        401
    );
    assert_eq!(p.userinfo(&tokens["access_token"]).status, 401);
    let r = p.token(&format!(
        "grant_type=refresh_token&refresh_token={}",
        tokens["refresh_token"].as_str().unwrap()
    ));
    assert_eq!(r.json()["error"], "invalid_grant");
}
