//! The behaviour every server shares, as suites of cases: each case is a function taking the
//! [`Host`](crate::Host) to start, and each suite has a macro that a test binary calls with a
//! host to get one `#[test]` per case, in a module named after the suite
//! (`sesame_tests::http_suite!(Sesame)` gives `http::restart_loses_nothing`, ...).
//!
//! Every case is public so the macros can call it from a test binary; its name says what it
//! checks, its body how.
#![allow(missing_docs, reason = "each case's name says what it checks")]

pub mod http;
pub mod oauth;
pub mod passwordless;
pub mod reauthentication;
pub mod tokens;
pub mod two_factor;

/// One `#[test]` per listed case of `suite`, run against the [`Host`](crate::Host) variant
/// `host`, in a module named after the suite.
#[macro_export]
macro_rules! suite_tests {
    ($host:ident, $suite:ident: $($case:ident),+ $(,)?) => {
        mod $suite {
            $(
                #[test]
                fn $case() {
                    if $crate::Host::$host.available() {
                        $crate::suites::$suite::$case($crate::Host::$host);
                    }
                }
            )+
        }
    };
}

/// One `#[test]` per case of the HTTP suite ([`http`]),
/// run against the given [`Host`](crate::Host) variant.
#[macro_export]
macro_rules! http_suite {
    ($host:ident) => {
        $crate::suite_tests!(
            $host,
            http:
            bad_input_gets_clear_4xx_never_5xx,
            bearer_token_when_asked_for,
            change_password_over_http_ends_other_sessions,
            client_address_comes_from_the_connection_not_the_client,
            expired_session_is_401,
            forwarded_clients_are_throttled_apart_only_behind_a_trusted_proxy,
            html_forms_for_browsers,
            locked_account_answers_exactly_like_a_wrong_password,
            register_login_me_logout_then_me_is_401,
            restart_loses_nothing,
            session_cookie_attributes_on_plain_loopback,
            throttled_logins_get_429_with_retry_after,
            two_hundred_concurrent_logins_count_exactly,
            wrong_password_and_unknown_email_answer_alike,
        );
    };
}

/// One `#[test]` per case of the OpenID provider suite ([`oauth`]),
/// run against the given [`Host`](crate::Host) variant.
#[macro_export]
macro_rules! oauth_suite {
    ($host:ident) => {
        $crate::suite_tests!(
            $host,
            oauth:
            code_flow_with_pkce_gives_verified_tokens_userinfo_and_refresh,
            codes_are_single_use_short_lived_and_bound,
            signing_out_of_sesame_ends_the_clients_grants,
            wrong_clients_redirects_and_silent_errors_never_redirect_unasked,
        );
    };
}

/// One `#[test]` per case of the re-authentication suite ([`reauthentication`]),
/// run against the given [`Host`](crate::Host) variant.
#[macro_export]
macro_rules! reauthentication_suite {
    ($host:ident) => {
        $crate::suite_tests!(
            $host,
            reauthentication:
            a_stale_session_cannot_mint_a_fresh_token_login,
            a_token_login_ends_with_its_session,
            two_hundred_parallel_wrong_codes_check_at_most_the_limit,
            verify_has_a_form_and_needs_the_csrf_token,
            wrong_passwords_at_change_lock_the_account_for_login,
            wrong_passwords_at_two_factor_disable_lock_the_account,
        );
    };
}

/// One `#[test]` per case of the API token suite ([`tokens`]),
/// run against the given [`Host`](crate::Host) variant.
#[macro_export]
macro_rules! tokens_suite {
    ($host:ident) => {
        $crate::suite_tests!(
            $host,
            tokens:
            expired_access_tokens_are_401,
            forged_none_and_unknown_kid_tokens_are_401,
            token_login_refresh_reuse_and_revocation,
        );
    };
}

/// One `#[test]` per case of the two-factor suite ([`two_factor`]),
/// run against the given [`Host`](crate::Host) variant.
#[macro_export]
macro_rules! two_factor_suite {
    ($host:ident) => {
        $crate::suite_tests!(
            $host,
            two_factor:
            a_code_is_accepted_once_and_only_within_one_step,
            a_pending_sign_in_expires,
            disabling_needs_the_password_and_restores_password_sign_in,
            enrol_logout_login_with_a_code,
            html_pages_work_as_plain_forms,
            racing_requests_with_one_code_give_exactly_one_session,
            recovery_codes_sign_in_once_each_and_regeneration_voids_the_old_set,
            tf_validate_without_pending_state_signs_out,
            the_secret_is_not_readable_in_the_sqlite_file,
            wrong_codes_lock_the_second_step_of_the_account,
            wrong_malformed_and_exhausted_codes_get_clear_answers,
        );
    };
}

/// One `#[test]` per case of the unified sign-in suite ([`passwordless`]),
/// run against the given [`Host`](crate::Host) variant.
#[macro_export]
macro_rules! passwordless_suite {
    ($host:ident) => {
        $crate::suite_tests!(
            $host,
            passwordless:
            a_code_from_the_mail_works_only_with_the_code_sign_in_that_asked,
            a_mailed_code_signs_in_the_client_that_asked_once,
            an_account_registered_without_a_password_signs_in_by_code,
            an_authenticator_code_replaces_the_password_but_not_the_second_step,
            an_unknown_identity_gets_the_same_answer_and_no_mail,
            email_as_a_second_factor_end_to_end,
            json_clients_keep_the_token_themselves,
            sending_is_throttled_alike_for_known_and_unknown_identities,
            the_device_code_signs_in_the_other_browser,
            the_link_signs_in_the_asking_browser_and_elsewhere_asks_for_the_device_code,
            the_pages_work_as_plain_forms,
            two_hundred_parallel_wrong_codes_check_at_most_five,
            where_codes_are_not_offered_they_are_refused,
            wrong_codes_end_the_code_sign_in_after_five,
        );
    };
}

#[cfg(test)]
mod tests {
    /// The suites' sources with the cases their macros list: a case missing from its macro
    /// would silently never run.
    const SUITES: [(&str, &str); 4] = [
        ("http", include_str!("http.rs")),
        ("reauthentication", include_str!("reauthentication.rs")),
        ("tokens", include_str!("tokens.rs")),
        ("two_factor", include_str!("two_factor.rs")),
    ];

    #[test]
    fn every_case_of_a_suite_is_in_its_macro() {
        let macros = include_str!("mod.rs");
        for (suite, source) in SUITES {
            let start = macros
                .find(&format!("macro_rules! {suite}_suite"))
                .unwrap_or_else(|| panic!("no macro for the {suite} suite"));
            let listed = &macros[start..];
            let listed = &listed[..listed.find("\n}").unwrap_or(listed.len())];
            for line in source.lines() {
                let Some(case) = line
                    .strip_prefix("pub fn ")
                    .and_then(|rest| rest.strip_suffix("(host: Host) {"))
                else {
                    continue;
                };
                assert!(
                    listed.contains(&format!(" {case},")),
                    "{suite}::{case} is not in {suite}_suite!"
                );
            }
        }
    }
}
