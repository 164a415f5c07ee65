use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

fn secret() -> String {
    URL_SAFE_NO_PAD.encode([1u8; 32])
}

#[test]
fn reads_variables_and_requires_a_secret() {
    let secret = secret();
    let config = Config::from_vars([
        ("SESAME_SECRET", secret.as_str()),
        ("SESAME_ARGON2_M_KIB", "8192"),
        ("SESAME_COOKIE_SECURE", "false"),
        ("SESAME_SESSION_IDLE_SECS", "60"),
    ])
    .unwrap();
    assert_eq!(config.argon2.m_kib, 8192);
    assert!(!config.cookie_secure);
    assert_eq!(config.sessions.idle_ms, 60_000);
    assert!(matches!(Config::from_vars([]), Err(Error::Config(_))));
    let short = URL_SAFE_NO_PAD.encode([1u8; 16]);
    assert!(matches!(
        Config::from_vars([("SESAME_SECRET", short.as_str())]),
        Err(Error::Config(why)) if why.starts_with("SESAME_SECRET: ")
    ));
    assert!(format!("{:?}", config.secret).contains(".."));
}

#[test]
fn reads_trusted_proxies_and_refuses_bad_ones() {
    let secret = secret();
    let config = Config::from_vars([("SESAME_SECRET", secret.as_str())]).unwrap();
    assert!(config.trusted_proxies.is_empty());
    let config = Config::from_vars([
        ("SESAME_SECRET", secret.as_str()),
        ("SESAME_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8"),
    ])
    .unwrap();
    assert!(config.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
    assert!(matches!(
        Config::from_vars([
            ("SESAME_SECRET", secret.as_str()),
            ("SESAME_TRUSTED_PROXIES", "10.0.0.0/8,nginx"),
        ]),
        Err(Error::Config(why)) if why.starts_with("SESAME_TRUSTED_PROXIES: 'nginx'")
    ));
}

/// Each documented default is the value core uses when the variable is unset: giving it
/// explicitly changes nothing.
#[test]
fn every_documented_default_is_the_default() {
    let secret = secret();
    let unset = format!(
        "{:?}",
        Config::from_vars([("SESAME_SECRET", secret.as_str())]).unwrap()
    );
    let mut checked = 0;
    for setting in settings().filter(|s| !s.default.is_empty()) {
        let given = Config::from_vars([
            ("SESAME_SECRET", secret.as_str()),
            (setting.name, setting.default),
        ])
        .unwrap_or_else(|e| panic!("{}={}: {e}", setting.name, setting.default));
        assert_eq!(format!("{given:?}"), unset, "{}", setting.name);
        checked += 1;
    }
    assert!(checked > 25, "only {checked} defaults");
}

#[test]
fn names_are_unique_documented_and_prefixed() {
    let names: Vec<&str> = settings().map(|s| s.name).collect();
    let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "a setting is listed twice");
    for setting in settings() {
        assert!(setting.name.starts_with("SESAME_"), "{}", setting.name);
        assert!(!setting.doc.is_empty(), "{} is undocumented", setting.name);
    }
}

/// Every row's parser refuses nonsense with a message naming its variable (rows taking free
/// text accept anything and are skipped).
#[test]
fn bad_values_are_refused_by_name() {
    let secret = secret();
    let free_text = [
        "SESAME_PUBLIC_URL",
        "SESAME_TOKEN_AUDIENCE",
        "SESAME_TOTP_ISSUER",
        "SESAME_WEBAUTHN_RP_ID",
        "SESAME_WEBAUTHN_RP_NAME",
        "SESAME_WEBAUTHN_ORIGINS",
        "SESAME_PRODUCT_NAME",
        "SESAME_TEMPLATES_DIR",
        "SESAME_MAIL_FROM",
        "SESAME_MAIL_API_TOKEN",
    ];
    for setting in settings().filter(|s| !free_text.contains(&s.name)) {
        let result = Config::from_vars([
            ("SESAME_SECRET", secret.as_str()),
            (setting.name, "nonsense"),
        ]);
        assert!(
            matches!(&result, Err(Error::Config(why)) if why.contains(setting.name)),
            "{}: {result:?}",
            setting.name
        );
    }
}

#[test]
fn the_current_freshness_name_wins_over_its_alias() {
    let secret = secret();
    for order in [
        [
            ("SESAME_FRESHNESS_SECS", "30"),
            ("SESAME_WEBAUTHN_FRESHNESS_SECS", "90"),
        ],
        [
            ("SESAME_WEBAUTHN_FRESHNESS_SECS", "90"),
            ("SESAME_FRESHNESS_SECS", "30"),
        ],
    ] {
        let config =
            Config::from_vars(std::iter::once(("SESAME_SECRET", secret.as_str())).chain(order))
                .unwrap();
        assert_eq!(config.freshness.window_ms, 30_000);
    }
    let alias_only = Config::from_vars([
        ("SESAME_SECRET", secret.as_str()),
        ("SESAME_WEBAUTHN_FRESHNESS_SECS", "90"),
    ])
    .unwrap();
    assert_eq!(alias_only.freshness.window_ms, 90_000);
}
