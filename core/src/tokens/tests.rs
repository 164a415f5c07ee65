use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer as _;

use super::*;
use crate::env::Env;
use crate::error::ErrorCode;
use crate::events::EventKind;
use crate::sessions::ClientInfo;
use crate::store::Store;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture, error_code};

/// Tokens for ada's password.
fn try_issue(f: &Fixture) -> Result<TokenPair> {
    f.sesame()
        .issue_tokens(ADA_EMAIL, ADA_PASSWORD, &ClientInfo::default())
}

fn issue(f: &Fixture) -> TokenPair {
    try_issue(f).unwrap()
}

/// Re-signs `header`/`claims` JSON with `key`, for forging tests.
fn forge(header: &str, claims: &str, key: &ed25519_dalek::SigningKey) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn parts(token: &str) -> (serde_json::Value, serde_json::Value) {
    let mut it = token.split('.');
    let mut next = || -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap()
    };
    (next(), next())
}

#[test]
fn access_token_verifies_offline_and_names_user_and_login() {
    let f = Fixture::registered();
    let pair = issue(&f);
    let claims = f.sesame().verify_access_token(&pair.access_token).unwrap();
    assert_eq!(claims.user_id, pair.user.id);
    assert_eq!(
        claims.expires_at_secs - claims.issued_at_secs,
        f.config.tokens.access_ttl_ms / 1000
    );
    let (header, body) = parts(&pair.access_token);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");
    let jwks = f.sesame().keyring().unwrap().jwks();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(body["iss"], f.config.public_url.as_str());
    assert_eq!(body["sub"], pair.user.id.as_str());
    let info = f
        .sesame()
        .validate_access_token(&pair.access_token)
        .unwrap();
    assert_eq!(info.user.email, "ada@example.com");
    // Only hashes of refresh tokens are stored.
    for (key, entry) in f.store.scan("", None, 1000).unwrap() {
        assert!(!key.contains(&pair.refresh_token[REFRESH_TOKEN_PREFIX.len()..]));
        assert!(
            !String::from_utf8_lossy(&entry.value)
                .contains(&pair.refresh_token[REFRESH_TOKEN_PREFIX.len()..])
        );
    }
}

#[test]
fn expired_forged_none_and_unknown_kid_are_refused() {
    let f = Fixture::registered();
    let pair = issue(&f);
    let sesame = f.sesame();
    let (header, claims) = parts(&pair.access_token);

    // alg none, with and without a signature.
    let none_header = serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": header["kid"]});
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(none_header.to_string()),
        pair.access_token.split('.').nth(1).unwrap()
    );
    assert_eq!(
        error_code(sesame.verify_access_token(&unsigned)),
        ErrorCode::Unauthenticated
    );
    // HS256 keyed with the public key (algorithm confusion).
    let hs = serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]});
    let confused = format!(
        "{}.{}.AAAA",
        URL_SAFE_NO_PAD.encode(hs.to_string()),
        pair.access_token.split('.').nth(1).unwrap()
    );
    assert!(sesame.verify_access_token(&confused).is_err());

    // Signed by a key Sesame does not hold, under Sesame's kid and under another kid.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let forged = forge(&header.to_string(), &claims.to_string(), &stranger);
    let err = sesame.verify_access_token(&forged).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
    let other_kid = serde_json::json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "nope"});
    let err = sesame
        .verify_access_token(&forge(
            &other_kid.to_string(),
            &claims.to_string(),
            &stranger,
        ))
        .unwrap_err();
    assert!(err.to_string().contains("unknown or retired key"), "{err}");

    // A changed claim breaks the signature.
    let mut elevated = claims.clone();
    elevated["roles"] = serde_json::json!(["admin"]);
    let tampered = format!(
        "{}.{}.{}",
        pair.access_token.split('.').next().unwrap(),
        URL_SAFE_NO_PAD.encode(elevated.to_string()),
        pair.access_token.split('.').nth(2).unwrap()
    );
    assert!(sesame.verify_access_token(&tampered).is_err());

    for junk in ["", "a.b", "a.b.c.d", "!!!.@@@.###", &"x".repeat(5000)] {
        assert_eq!(
            error_code(sesame.verify_access_token(junk)),
            ErrorCode::Unauthenticated,
            "{junk:.20}"
        );
    }

    // Expiry.
    f.advance(f.config.tokens.access_ttl_ms);
    let err = f
        .sesame()
        .verify_access_token(&pair.access_token)
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn refresh_rotates_and_never_extends_the_login() {
    let f = Fixture::registered();
    let first = issue(&f);
    f.advance(60_000);
    let second = f.sesame().refresh_tokens(&first.refresh_token).unwrap();
    assert_ne!(*second.refresh_token, *first.refresh_token);
    assert_eq!(second.refresh_expires_at_ms, first.refresh_expires_at_ms);

    // Refreshing keeps working up to the absolute end, never past it.
    let mut current = second;
    let step = f.config.tokens.refresh_idle_ms / 2;
    while f.env.now_ms() + step < first.refresh_expires_at_ms {
        f.advance(step);
        current = f.sesame().refresh_tokens(&current.refresh_token).unwrap();
        assert_eq!(current.refresh_expires_at_ms, first.refresh_expires_at_ms);
        let claims = f
            .sesame()
            .verify_access_token(&current.access_token)
            .unwrap();
        assert!(claims.expires_at_secs * 1000 <= first.refresh_expires_at_ms);
    }
    f.advance(first.refresh_expires_at_ms - f.env.now_ms());
    assert_eq!(
        error_code(f.sesame().refresh_tokens(&current.refresh_token)),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn reusing_a_refresh_token_revokes_the_whole_family() {
    let f = Fixture::registered();
    let victim = issue(&f);
    // The attacker copied the refresh token and uses it first.
    let attacker = f.sesame().refresh_tokens(&victim.refresh_token).unwrap();
    // The victim's client refreshes with its (now replaced) token: reuse detected.
    let err = f
        .sesame()
        .refresh_tokens(&victim.refresh_token)
        .unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");
    // Both sides are out: the attacker's fresh tokens die too.
    assert_eq!(
        error_code(f.sesame().refresh_tokens(&attacker.refresh_token)),
        ErrorCode::Unauthenticated
    );
    assert!(
        f.sesame()
            .validate_access_token(&attacker.access_token)
            .is_err()
    );
    assert!(
        f.sesame()
            .validate_access_token(&victim.access_token)
            .is_err()
    );
    let kinds: Vec<_> = f
        .env
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&EventKind::RefreshTokenReused));
}

#[test]
fn idle_refresh_tokens_expire() {
    let f = Fixture::registered();
    let pair = issue(&f);
    f.advance(f.config.tokens.refresh_idle_ms);
    assert!(f.sesame().refresh_tokens(&pair.refresh_token).is_err());
}

#[test]
fn revoking_and_signing_out_everywhere_end_token_logins() {
    let f = Fixture::registered();
    let one = issue(&f);
    let two = issue(&f);
    f.sesame().revoke_tokens(&one.access_token).unwrap();
    assert!(f.sesame().validate_access_token(&one.access_token).is_err());
    assert!(f.sesame().refresh_tokens(&one.refresh_token).is_err());
    // The other login is untouched ...
    assert!(f.sesame().validate_access_token(&two.access_token).is_ok());
    // ... until the user signs out everywhere.
    f.sesame().revoke_all_sessions(&two.user.id).unwrap();
    assert!(f.sesame().validate_access_token(&two.access_token).is_err());
    assert!(f.sesame().refresh_tokens(&two.refresh_token).is_err());

    // Revoking by refresh token works as well.
    let three = issue(&f);
    f.sesame().revoke_tokens(&three.refresh_token).unwrap();
    assert!(
        f.sesame()
            .validate_access_token(&three.access_token)
            .is_err()
    );
}

#[test]
fn password_change_revokes_tokens() {
    let f = Fixture::registered();
    let pair = issue(&f);
    let session = f
        .sesame()
        .login(
            "ada@example.com",
            "analytical engine",
            &ClientInfo::default(),
        )
        .unwrap();
    f.sesame()
        .change_password(
            session.token.expose(),
            "analytical engine",
            "difference engine no 2",
            &ClientInfo::default(),
        )
        .unwrap();
    assert!(
        f.sesame()
            .validate_access_token(&pair.access_token)
            .is_err()
    );
    assert!(f.sesame().refresh_tokens(&pair.refresh_token).is_err());
}

#[test]
fn wrong_passwords_and_malformed_refresh_tokens_are_clear_errors() {
    let f = Fixture::registered();
    assert_eq!(
        error_code(f.sesame().issue_tokens(
            "ada@example.com",
            "wrong password!",
            &ClientInfo::default()
        )),
        ErrorCode::InvalidCredentials
    );
    for junk in ["", "sesame_rt_", "sesame_rt_short", "x".repeat(53).as_str()] {
        assert_eq!(
            error_code(f.sesame().refresh_tokens(junk)),
            ErrorCode::Unauthenticated
        );
    }
    let unknown = format!("{REFRESH_TOKEN_PREFIX}{}", "A".repeat(43));
    assert_eq!(
        error_code(f.sesame().refresh_tokens(&unknown)),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn rotated_keys_keep_old_tokens_valid_until_expiry() {
    let f = Fixture::registered();
    let before = issue(&f);
    f.sesame().rotate_keys().unwrap();
    let after = issue(&f);
    let (old, _) = parts(&before.access_token);
    let (new, _) = parts(&after.access_token);
    assert_ne!(old["kid"], new["kid"]);
    assert!(f.sesame().verify_access_token(&before.access_token).is_ok());
    assert!(f.sesame().verify_access_token(&after.access_token).is_ok());
}

#[test]
fn issuer_and_audience_are_checked() {
    let f = Fixture::registered();
    let pair = issue(&f);
    let mut other = f.config.clone();
    other.tokens.audience = Some("https://elsewhere.example".into());
    let sesame = crate::Sesame::new(&f.store, &f.env, &other).unwrap();
    let err = sesame.verify_access_token(&pair.access_token).unwrap_err();
    assert!(err.to_string().contains("audience"), "{err}");
}

#[test]
fn disabling_the_account_revokes_tokens() {
    let f = Fixture::registered();
    let pair = issue(&f);
    f.sesame().set_active("ada@example.com", false).unwrap();
    assert!(
        f.sesame()
            .validate_access_token(&pair.access_token)
            .is_err()
    );
    assert!(f.sesame().refresh_tokens(&pair.refresh_token).is_err());
    f.sesame().set_active("ada@example.com", true).unwrap();
    assert!(try_issue(&f).is_ok());
}
