//! The `sesame:auth/two-factor` export: each function calls the core operation of the same
//! name.

use sesame_core::sessions::ClientInfo;
use sesame_core::two_factor::{LoginOutcome, Method, Reauth};

use crate::bindings::exports::sesame::auth::two_factor as wit_tf;
use crate::bindings::types as wit;
use crate::{Component, call, call_for_client, call_in_session, convert};

fn method(m: Method) -> wit_tf::Method {
    match m {
        Method::Totp => wit_tf::Method::Totp,
        Method::RecoveryCode => wit_tf::Method::RecoveryCode,
        Method::Webauthn => wit_tf::Method::Webauthn,
        Method::Email => wit_tf::Method::Email,
    }
}

/// A sign-in's outcome as the WIT names it.
pub(crate) fn login_outcome(outcome: LoginOutcome) -> wit_tf::LoginOutcome {
    match outcome {
        LoginOutcome::SignedIn(session) => {
            wit_tf::LoginOutcome::SignedIn(convert::issued(*session))
        }
        LoginOutcome::SecondFactor(p) => wit_tf::LoginOutcome::SecondFactor(wit_tf::PendingLogin {
            token: p.token.expose().to_owned(),
            methods: p.methods.into_iter().map(method).collect(),
            expires_at_ms: p.expires_at_ms,
        }),
    }
}

impl wit_tf::Guest for Component {
    fn required(user_id: String) -> Result<bool, wit::AuthError> {
        call("two-factor.required", |s| s.two_factor_required(&user_id))
    }

    fn status(token: String) -> Result<wit_tf::TwoFactorStatus, wit::AuthError> {
        call_in_session("two-factor.status", &token, |s, info| {
            s.two_factor_status(&info.user.id)
        })
        .map(|st| wit_tf::TwoFactorStatus {
            totp_enabled: st.totp_enabled,
            email_enabled: st.email_enabled,
            enrolment_pending: st.enrolment_pending,
            recovery_codes_left: st.recovery_codes_left,
        })
    }

    fn start_totp(token: String) -> Result<wit_tf::TotpEnrolment, wit::AuthError> {
        call_in_session("two-factor.start-totp", &token, |s, info| {
            s.start_totp(info)
        })
        .map(|e| wit_tf::TotpEnrolment {
            secret: e.secret_base32.as_str().to_owned(),
            otpauth_uri: e.otpauth_uri.as_str().to_owned(),
            qr_svg: e.qr_svg,
            algorithm: e.algorithm.as_str().to_owned(),
            digits: e.digits,
            period_secs: u32::try_from(e.period_secs).unwrap_or(u32::MAX),
        })
    }

    fn confirm_totp(token: String, code: String) -> Result<(), wit::AuthError> {
        call_in_session("two-factor.confirm-totp", &token, |s, info| {
            s.confirm_totp(info, &code)
        })
    }

    fn disable(token: String, proof: wit_tf::Reauth) -> Result<(), wit::AuthError> {
        call_in_session("two-factor.disable", &token, |s, info| {
            let proof = match &proof {
                wit_tf::Reauth::Password(p) => Reauth::Password(p),
                wit_tf::Reauth::Code(c) => Reauth::Code(c),
            };
            // The WIT call carries no client facts: the check is throttled per account.
            s.disable_two_factor(info, proof, &ClientInfo::default())
        })
    }

    fn generate_recovery_codes(token: String) -> Result<Vec<String>, wit::AuthError> {
        call_in_session("two-factor.generate-recovery-codes", &token, |s, info| {
            s.generate_recovery_codes(info)
        })
        .map(|codes| codes.0.iter().map(|c| c.as_str().to_owned()).collect())
    }

    fn begin_login(
        identity: String,
        password: String,
        client: wit::ClientInfo,
    ) -> Result<wit_tf::LoginOutcome, wit::AuthError> {
        call_for_client("two-factor.begin-login", client, |s, client| {
            s.begin_login(&identity, &password, client)
        })
        .map(login_outcome)
    }

    fn complete_totp(
        pending_token: String,
        code: String,
        client: wit::ClientInfo,
    ) -> Result<wit::IssuedSession, wit::AuthError> {
        call_for_client("two-factor.complete-totp", client, |s, client| {
            s.complete_totp(&pending_token, &code, client)
        })
        .map(convert::issued)
    }

    fn complete_recovery(
        pending_token: String,
        code: String,
        client: wit::ClientInfo,
    ) -> Result<wit::IssuedSession, wit::AuthError> {
        call_for_client("two-factor.complete-recovery", client, |s, client| {
            s.complete_recovery(&pending_token, &code, client)
        })
        .map(convert::issued)
    }

    fn start_email(token: String) -> Result<(), wit::AuthError> {
        call_in_session("two-factor.start-email", &token, |s, info| {
            s.start_email_factor(info)
        })
    }

    fn confirm_email(token: String, code: String) -> Result<(), wit::AuthError> {
        call_in_session("two-factor.confirm-email", &token, |s, info| {
            s.confirm_email_factor(info, &code)
        })
    }

    fn send_email_code(pending_token: String) -> Result<(), wit::AuthError> {
        call("two-factor.send-email-code", |s| {
            s.send_second_factor_code(&pending_token)
        })
    }

    fn complete_email(
        pending_token: String,
        code: String,
        client: wit::ClientInfo,
    ) -> Result<wit::IssuedSession, wit::AuthError> {
        call_for_client("two-factor.complete-email", client, |s, client| {
            s.complete_email(&pending_token, &code, client)
        })
        .map(convert::issued)
    }
}
