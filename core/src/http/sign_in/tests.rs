//! The sign-in and passkey pages: their language, their fields and errors, and passkey
//! autofill on the sign-in form.

use sesame_test_authenticator::{Alg, SoftCredential};

use crate::http::Request;
use crate::http::Response;
use crate::http::tests::body_json;
use crate::i18n::{CATALOG_FILES, Language, catalog_sources};
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};
use crate::two_factor::LoginOutcome;
use crate::webauthn::Usage;
use crate::webauthn::wire::RegistrationCredential;

const HOST: &str = "localhost:8080";
const ORIGIN: &str = "http://localhost:8080";

/// The body of a response as text.
fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// A browser's `GET` of `path` in `language`, with `cookie` when given.
fn page(f: &Fixture, path: &str, language: &str, cookie: Option<&str>) -> Response {
    let mut req = Request::new("GET", path)
        .with_header("accept", "text/html")
        .with_header("accept-language", language);
    if let Some(cookie) = cookie {
        req = req.with_header("cookie", cookie);
    }
    f.send(req)
}

/// A browser's form post of `body` to `path` in `language`, with `cookie` when given.
fn form(f: &Fixture, path: &str, body: &str, language: &str, cookie: Option<&str>) -> Response {
    let mut req = Request::new("POST", path)
        .with_header("accept", "text/html")
        .with_header("accept-language", language)
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(body.as_bytes().to_vec());
    if let Some(cookie) = cookie {
        req = req.with_header("cookie", cookie);
    }
    f.send(req)
}

/// Ada's session cookie and its CSRF token, from a sign-in just now.
fn ada_session(f: &Fixture) -> (String, String) {
    let issued = f
        .sesame()
        .login(ADA_EMAIL, ADA_PASSWORD, &Default::default())
        .expect("ada signs in");
    let cookie = format!("__Host-sesame_session={}", issued.token.expose());
    (cookie, issued.csrf_token.clone())
}

/// The ids of the catalog files `names` (English).
fn catalog_ids(names: &[&str]) -> Vec<String> {
    let sources = catalog_sources(Language::En);
    CATALOG_FILES
        .iter()
        .zip(sources)
        .filter(|(name, _)| names.contains(name))
        .flat_map(|(_, source)| source.lines())
        .filter_map(|line| line.split_once(" = ").map(|(id, _)| id.trim()))
        .filter(|id| !id.is_empty() && !id.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Registers a passkey named `name` for Ada, made by a software authenticator, which it
/// returns.
fn ada_passkey(f: &Fixture, name: &str) -> SoftCredential {
    ada_key(f, name, Usage::First)
}

/// Registers a credential named `name` for Ada with `usage`, made by a software
/// authenticator, which it returns.
fn ada_key(f: &Fixture, name: &str, usage: Usage) -> SoftCredential {
    let s = f.sesame();
    let issued = s
        .login(ADA_EMAIL, ADA_PASSWORD, &Default::default())
        .expect("ada signs in");
    let info = s
        .validate_session(issued.token.expose())
        .expect("a session");
    let rp = s.relying_party(Some(HOST)).expect("a relying party");
    let ceremony = s
        .begin_passkey_registration(&info, name, usage, &rp)
        .expect("a registration");
    let mut cred = SoftCredential::new(Alg::Es256, 7);
    let answer: RegistrationCredential =
        serde_json::from_value(cred.register(&ceremony.options, ORIGIN)).expect("a credential");
    s.finish_passkey_registration(&info, ceremony.state.expose(), &answer)
        .expect("registered");
    cred
}

#[test]
fn a_page_is_in_the_language_the_browser_asks_for() {
    let f = Fixture::new();
    let r = page(&f, "/login", "de-DE,de;q=0.9,en;q=0.5", None);
    assert_eq!(r.status, 200);
    let html = text(&r);
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("<h1>Anmelden</h1>"), "{html}");
    assert!(
        html.contains(">E-Mail-Adresse oder Benutzername</label>"),
        "{html}"
    );
    assert!(html.contains(">Passwort vergessen?</a>"), "{html}");
    // The script's messages travel in the page, in its language.
    assert!(
        html.contains("data-cancelled=\"Die Passkey-Anfrage wurde abgebrochen"),
        "{html}"
    );
    let r = page(&f, "/register", "fr", None);
    assert!(text(&r).contains("<h1>Créer un compte</h1>"));
    let r = page(&f, "/wan-signin", "es", None);
    assert!(text(&r).contains("<h1>Iniciar sesión con una llave de acceso</h1>"));
}

/// Every page of this area, in every language, shows text for every message it uses: a
/// message missing everywhere would show its id.
#[test]
fn every_page_has_its_text_in_every_language() {
    let f = Fixture::registered();
    ada_passkey(&f, "laptop");
    let (cookie, _) = ada_session(&f);
    let ids = catalog_ids(&["sign-in", "passkeys", "common"]);
    assert!(ids.len() > 100, "{}", ids.len());
    let paths = [
        "/",
        "/login",
        "/register",
        "/reset",
        "/reset?token=abc",
        "/wan-signin",
        "/change",
        "/verify",
        "/wan-verify",
        "/wan-register",
    ];
    for language in Language::ALL {
        for path in paths {
            let r = page(&f, path, language.tag(), Some(&cookie));
            assert_eq!(r.status, 200, "{path} in {}", language.tag());
            let html = text(&r);
            assert!(html.contains(&format!("<html lang=\"{}\">", language.tag())));
            for id in &ids {
                assert!(
                    !html.contains(&format!(">{id}<")) && !html.contains(&format!("\"{id}\"")),
                    "{path} in {} shows the id {id}",
                    language.tag()
                );
            }
            // No inline style or script: the policy forbids them.
            assert!(!html.contains("style="), "{path}");
            assert!(!html.contains("<script>"), "{path}");
            assert_eq!(html.matches("<h1").count(), 1, "{path}");
        }
    }
}

#[test]
fn the_sign_in_form_offers_passkeys_in_autofill() {
    let f = Fixture::new();
    let r = page(&f, "/login?login_hint=ada%40example.com", "en", None);
    assert_eq!(r.status, 200);
    let html = text(&r);
    assert!(
        html.contains(
            "<input id=\"email\" name=\"email\" type=\"text\" autocomplete=\"username webauthn\""
        ),
        "{html}"
    );
    assert!(html.contains("value=\"ada@example.com\""), "{html}");
    assert!(
        html.contains("<form method=\"post\" action=\"/login\" data-wan-autofill>"),
        "{html}"
    );
    assert!(
        html.contains("<script src=\"/wan.js\" defer></script>"),
        "{html}"
    );
    // The button for browsers without autofill is hidden until the script shows it; without
    // script the link to the passkey page remains.
    assert!(html.contains("<div data-wan-fallback hidden>"), "{html}");
    assert!(html.contains("data-wan-passkey>Sign in with a passkey</button>"));
    assert!(html.contains("<a href=\"/wan-signin\">"), "{html}");
    let policy = r.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    // The script checks for autofill and asks for it with the challenge of /wan-signin.
    let script = text(&f.send(Request::new("GET", "/wan.js")));
    assert!(script.contains("isConditionalMediationAvailable"));
    assert!(script.contains("mediation: 'conditional'"));
    assert!(script.contains("post('/wan-signin', {})"));
}

/// The autofill's request is an ordinary passkey sign-in without a username: it names no
/// credential (so it tells nothing about who has an account), and its challenge works once.
#[test]
fn an_autofilled_passkey_signs_in_with_a_single_use_challenge() {
    let f = Fixture::registered();
    let mut cred = ada_passkey(&f, "laptop");
    let start = || {
        f.send(
            Request::new("POST", "/wan-signin")
                .with_header("host", HOST)
                .with_header("content-type", "application/json")
                .with_body(b"{}".to_vec()),
        )
    };
    let started = start();
    assert_eq!(started.status, 200);
    let started = body_json(&started);
    let options = &started["options"];
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        serde_json::json!([])
    );
    let answer = cred.assert(options, ORIGIN);
    let finish = |answer: &serde_json::Value| {
        let body = serde_json::json!({"state": started["state"], "credential": answer});
        f.send(
            Request::new("POST", "/wan-signin-response")
                .with_header("host", HOST)
                .with_header("content-type", "application/json")
                .with_body(body.to_string().into_bytes()),
        )
    };
    let signed_in = finish(&answer);
    assert_eq!(signed_in.status, 200, "{}", text(&signed_in));
    assert_eq!(body_json(&signed_in)["user"]["email"], ADA_EMAIL);
    let again = finish(&answer);
    assert_eq!(again.status, 400, "{}", text(&again));
    assert_eq!(body_json(&again)["error"]["code"], "challenge-invalid");
}

/// While a password sign-in awaits its second factor, `/wan-signin` would start that second
/// factor: the sign-in form then offers no passkey of its own.
#[test]
fn the_sign_in_form_offers_no_autofill_during_a_pending_sign_in() {
    let f = Fixture::registered();
    ada_key(&f, "security key", Usage::Secondary);
    let outcome = f
        .sesame()
        .begin_login(ADA_EMAIL, ADA_PASSWORD, &Default::default())
        .expect("the password is right");
    let LoginOutcome::SecondFactor(pending) = outcome else {
        panic!("a security key makes the password sign-in wait for it");
    };
    let cookie = format!("__Host-sesame_tf={}", pending.token.expose());
    let html = text(&page(&f, "/login", "en", Some(&cookie)));
    assert!(!html.contains("data-wan-autofill"), "{html}");
    assert!(!html.contains("data-wan-fallback"), "{html}");
    assert!(
        html.contains("autocomplete=\"username webauthn\""),
        "{html}"
    );
    let html = text(&page(&f, "/login", "en", Some("__Host-sesame_tf=gone")));
    assert!(html.contains("data-wan-autofill"), "{html}");
}

#[test]
fn a_field_error_is_shown_next_to_its_field() {
    let f = Fixture::new();
    let r = form(
        &f,
        "/register",
        "email=ada%40example.com&username=&password=short",
        "en",
        None,
    );
    assert_eq!(r.status, 422, "{}", text(&r));
    let html = text(&r);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains("aria-invalid=\"true\" aria-describedby=\"password-hint password-error\""),
        "{html}"
    );
    assert!(
        html.contains("<p class=\"field-error\" id=\"password-error\">The password must have at least 8 characters.</p>"),
        "{html}"
    );
    // What was entered stays, but the password.
    assert!(html.contains("value=\"ada@example.com\""), "{html}");
    assert!(!html.contains("short"), "{html}");
    // Only the field concerned is marked.
    assert_eq!(html.matches("aria-invalid").count(), 1, "{html}");

    // In German the message is the code's, next to the field all the same.
    let r = form(
        &f,
        "/register",
        "email=ada%40example.com&password=short",
        "de",
        None,
    );
    let html = text(&r);
    assert!(
        html.contains("id=\"password-error\">Dieses Passwort ist zu schwach.</p>"),
        "{html}"
    );
    assert!(html.contains("<html lang=\"de\">"), "{html}");

    let r = form(
        &f,
        "/register",
        "email=not-an-address&password=analytical+engine",
        "en",
        None,
    );
    let html = text(&r);
    assert!(
        html.contains("aria-invalid=\"true\" aria-describedby=\"email-error\""),
        "{html}"
    );
}

#[test]
fn the_password_forms_mark_the_field_their_error_concerns() {
    let f = Fixture::registered();
    let (cookie, csrf) = ada_session(&f);
    let post = |path: &str, body: &str| form(&f, path, body, "en", Some(&cookie));

    let r = post(
        "/change",
        &format!(
            "csrf_token={csrf}&password=analytical+engine&new_password=difference+engine&new_password_confirm=difference+engines"
        ),
    );
    assert_eq!(r.status, 400, "{}", text(&r));
    let html = text(&r);
    assert!(
        html.contains("id=\"new_password_confirm\" name=\"new_password_confirm\" type=\"password\" autocomplete=\"new-password\" required aria-invalid=\"true\" aria-describedby=\"new_password_confirm-error\""),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{csrf}\"")), "{html}");

    let r = post(
        "/change",
        &format!(
            "csrf_token={csrf}&password=analytical+engine&new_password=short&new_password_confirm=short"
        ),
    );
    assert!(
        text(&r).contains("aria-describedby=\"new_password-hint new_password-error\""),
        "{}",
        text(&r)
    );

    let r = post(
        "/change",
        &format!("csrf_token={csrf}&password=wrong+password&new_password=difference+engine"),
    );
    assert_eq!(r.status, 401, "{}", text(&r));
    assert!(text(&r).contains("aria-describedby=\"password-error\""));

    let r = post(
        "/verify",
        &format!("csrf_token={csrf}&password=wrong+password"),
    );
    assert_eq!(r.status, 401, "{}", text(&r));
    let html = text(&r);
    assert!(
        html.contains("aria-describedby=\"password-error\""),
        "{html}"
    );
    assert!(html.contains("autocomplete=\"current-password\""), "{html}");

    // A reset link's form stays while its token may work, the mistyped field marked.
    let r = form(
        &f,
        "/reset",
        "token=abc&password=difference+engine&password_confirm=difference",
        "en",
        None,
    );
    assert_eq!(r.status, 400, "{}", text(&r));
    let html = text(&r);
    assert!(html.contains("name=\"token\" value=\"abc\""), "{html}");
    assert!(
        html.contains("aria-describedby=\"password_confirm-error\""),
        "{html}"
    );
    // A dead token gets the form that asks for a new link.
    let r = form(
        &f,
        "/reset",
        "token=abc&password=difference+engine&password_confirm=difference+engine",
        "en",
        None,
    );
    let html = text(&r);
    assert!(!html.contains("name=\"token\""), "{html}");
    assert!(html.contains("autocomplete=\"email\""), "{html}");
}

#[test]
fn the_passkeys_page_lists_them_in_a_table_and_says_what_was_deleted() {
    let f = Fixture::registered();
    ada_passkey(&f, "laptop <1>");
    let (cookie, csrf) = ada_session(&f);
    let html = text(&page(&f, "/wan-register", "en", Some(&cookie)));
    assert!(
        html.contains("<caption id=\"passkeys-caption\">My passkeys and security keys</caption>")
    );
    assert!(html.contains("<th scope=\"col\">Last used</th>"), "{html}");
    assert!(html.contains("<td>laptop &lt;1&gt;</td>"), "{html}");
    assert!(
        html.contains(">Delete “laptop &lt;1&gt;”</button>"),
        "{html}"
    );
    assert!(html.contains("<td>never</td>"), "{html}");
    assert!(html.contains(" UTC</time>"), "{html}");
    let id = body_json(
        &f.send(Request::new("GET", "/wan-register").with_header("cookie", &cookie)),
    )["credentials"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let r = form(
        &f,
        "/wan-delete",
        &format!("csrf_token={csrf}&id={id}"),
        "fr",
        Some(&cookie),
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(
        html.contains("role=\"status\">«\u{a0}laptop &lt;1&gt;\u{a0}» a été supprimée.</div>"),
        "{html}"
    );
    assert!(
        html.contains("<p>Vous n’avez encore aucune clé d’accès"),
        "{html}"
    );
}

/// Confirming the password for an application (OpenID's `prompt=login`) goes back to the
/// authorization endpoint by a page that refreshes itself, in the browser's language.
#[test]
fn verifying_for_an_application_continues_to_it() {
    use base64::Engine as _;
    let f = Fixture::registered();
    let (cookie, csrf) = ada_session(&f);
    let back = "/oauth/authorize?client_id=app&scope=openid";
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(back);
    let cookies = format!("{cookie}; __Host-sesame_rd={value}");
    let r = form(
        &f,
        "/verify",
        &format!("csrf_token={csrf}&password=analytical+engine"),
        "es",
        Some(&cookies),
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    let href = "/oauth/authorize?client_id=app&amp;scope=openid";
    assert!(
        html.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"0;url={href}\">"
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a href=\"{href}\">Continuar a la aplicación</a>")),
        "{html}"
    );
}
