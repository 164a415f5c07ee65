//! Access rules for forward-auth: which request a reverse proxy may pass to the application
//! behind it, decided from the request (host, path, method, client network) and the caller
//! (anonymous, a person and how they signed in, or a service's API key).
//!
//! The rules are a TOML document ([`rules`]), read once per configuration; the request being
//! checked is read strictly and normalised once ([`target`]); [`AccessRules::decide`] walks the
//! rules in order and the first whose criteria all hold decides.
//!
//! A rule that names subjects cannot be judged for an anonymous caller: signing in might make
//! it apply. Such a rule therefore asks an anonymous caller to sign in, whatever its policy,
//! which also keeps a rule's subjects from being probed without an account.

pub mod rules;
pub mod settings;
pub mod target;

use std::net::IpAddr;

pub use rules::{AccessRules, Policy, RulesError, SubjectPattern};
pub use target::{Malformed, Scheme, Target};

/// A person's login, as far as rules look at it.
#[derive(Debug, Clone, Copy)]
pub struct PersonFacts<'a> {
    /// The user's id.
    pub id: &'a str,
    /// The user's email.
    pub email: &'a str,
    /// The user's username, if any.
    pub username: Option<&'a str>,
    /// The user's roles.
    pub roles: &'a [String],
    /// Whether the sign-in included a second factor or a passkey with user verification.
    pub second_factor: bool,
    /// When the person last really authenticated, ms since the epoch.
    pub authenticated_at_ms: u64,
    /// When the person last authenticated with two factors, ms since the epoch (0: never):
    /// what a `two_factor` rule's `max_auth_age_secs` counts from, so a password-only
    /// re-verification cannot make an old two-factor sign-in recent.
    pub two_factor_at_ms: u64,
}

/// Who asks, as far as rules look at it.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// No credential, or none that is live.
    Anonymous,
    /// A person's session or token login.
    Person(PersonFacts<'a>),
    /// A service's live API key, with its scopes.
    ApiKey {
        /// The key's scopes.
        scopes: &'a [String],
    },
}

/// Why a caller has to sign in (again) before passing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInNeeded {
    /// Nobody is signed in.
    NotSignedIn,
    /// The sign-in lacked a second factor the rule asks for.
    SecondFactor,
    /// The sign-in is older than the rule allows.
    Stale,
}

/// What the rules decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Pass the request.
    Allow,
    /// Send the caller to sign in, then try again.
    SignIn(SignInNeeded),
    /// Refuse; signing in would not change it.
    Deny,
}

/// A decision and the rule that made it (`None`: the default policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// What to do.
    pub decision: Decision,
    /// The 1-based line of the deciding rule in the rules document.
    pub rule_line: Option<usize>,
}

impl AccessRules {
    /// Decides `target` asked for by `caller` from `client`, at `now_ms`. `has_permission`
    /// answers for the person's permissions, asked only when a rule names one (it may read
    /// the store).
    pub fn decide<E>(
        &self,
        target: &Target,
        client: Option<IpAddr>,
        caller: &Caller<'_>,
        now_ms: u64,
        mut has_permission: impl FnMut(&str) -> Result<bool, E>,
    ) -> Result<Verdict, E> {
        for rule in &self.rules {
            if !rule.matches_request(target, client) {
                continue;
            }
            let named = !rule.subjects.is_empty();
            if named {
                if matches!(caller, Caller::Anonymous) {
                    return Ok(Verdict {
                        decision: Decision::SignIn(SignInNeeded::NotSignedIn),
                        rule_line: Some(rule.line),
                    });
                }
                let mut any = false;
                for subject in &rule.subjects {
                    if subject_matches(subject, caller, &mut has_permission)? {
                        any = true;
                        break;
                    }
                }
                if !any {
                    continue;
                }
            }
            return Ok(Verdict {
                decision: apply(rule.policy, rule.max_auth_age_ms, caller, named, now_ms),
                rule_line: Some(rule.line),
            });
        }
        Ok(Verdict {
            decision: apply(self.default_policy, None, caller, false, now_ms),
            rule_line: None,
        })
    }
}

/// Whether `caller` is what `subject` names.
fn subject_matches<E>(
    subject: &SubjectPattern,
    caller: &Caller<'_>,
    has_permission: &mut impl FnMut(&str) -> Result<bool, E>,
) -> Result<bool, E> {
    Ok(match (subject, caller) {
        (SubjectPattern::User(name), Caller::Person(person)) => {
            person.id == name
                || person.email.eq_ignore_ascii_case(name)
                || person.username.is_some_and(|u| u == name)
        }
        (SubjectPattern::Role(role), Caller::Person(person)) => person.roles.contains(role),
        (SubjectPattern::Permission(permission), Caller::Person(_)) => has_permission(permission)?,
        (SubjectPattern::Scope(scope), Caller::ApiKey { scopes }) => scopes.contains(scope),
        _ => false,
    })
}

/// What `policy` decides for `caller`; `named` says the rule matched the caller by subject.
fn apply(
    policy: Policy,
    max_auth_age_ms: Option<u64>,
    caller: &Caller<'_>,
    named: bool,
    now_ms: u64,
) -> Decision {
    match (policy, caller) {
        (Policy::Bypass, _) => Decision::Allow,
        (Policy::Deny, _) => Decision::Deny,
        (_, Caller::Anonymous) => Decision::SignIn(SignInNeeded::NotSignedIn),
        // A service's key passes only a one-factor rule that names one of its scopes: rules
        // for people are not for keys, and a key is never a second factor.
        (Policy::OneFactor, Caller::ApiKey { .. }) if named => Decision::Allow,
        (_, Caller::ApiKey { .. }) => Decision::Deny,
        (Policy::TwoFactor, Caller::Person(person)) if !person.second_factor => {
            Decision::SignIn(SignInNeeded::SecondFactor)
        }
        (_, Caller::Person(person)) => {
            let since = match policy {
                Policy::TwoFactor => person.two_factor_at_ms,
                _ => person.authenticated_at_ms,
            };
            match max_auth_age_ms {
                Some(max) if now_ms.saturating_sub(since) > max => {
                    Decision::SignIn(SignInNeeded::Stale)
                }
                _ => Decision::Allow,
            }
        }
    }
}

#[cfg(test)]
mod tests;
