//! The shared table of cases (`embed/cases.json`) through the `sesame` host's typed calls,
//! against a real SQLite store. The Python and Node hosts run the same table against the
//! `embed` component, so all three hosts are held to identical outcomes for identical inputs.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use sesame_tests::totp;

use super::support::{instance, runtime};
use crate::bindings::{Service, accounts, roles, tokens, two_factor, types};
use crate::ctx::HostState;
use crate::sandbox::SandboxLimits;
use crate::store::SqliteBackend;

fn table() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../embed/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn user(u: &types::User) -> Value {
    let t = &u.tracking;
    json!({
        "id": u.id, "email": u.email, "username": u.username, "roles": u.roles,
        "active": u.active, "created_at_ms": u.created_at_ms, "confirmed_at_ms": u.confirmed_at_ms,
        "tracking": {
            "login_count": t.login_count, "current_login_at_ms": t.current_login_at_ms,
            "current_login_ip": t.current_login_ip, "last_login_at_ms": t.last_login_at_ms,
            "last_login_ip": t.last_login_ip,
        },
    })
}

fn issued(s: &types::IssuedSession) -> Value {
    json!({"token": s.token, "user": user(&s.user), "csrf_token": s.csrf_token,
           "expires_at_ms": s.expires_at_ms})
}

fn role(r: &roles::Role) -> Value {
    json!({"name": r.name, "description": r.description, "permissions": r.permissions})
}

/// The table's subset comparison.
fn matches(expected: &Value, actual: &Value) -> bool {
    match expected {
        Value::Object(map) if map.len() == 1 && map.contains_key("$len") => actual
            .as_array()
            .is_some_and(|a| Some(a.len() as u64) == map["$len"].as_u64()),
        Value::Object(map) if map.len() == 1 && map.contains_key("$string") => {
            actual.as_str().is_some_and(|a| !a.is_empty())
        }
        Value::Object(map) => map
            .iter()
            .all(|(k, v)| actual.get(k).is_some_and(|a| matches(v, a))),
        _ => expected == actual,
    }
}

/// The table's `totp_code` step: the code `offset` steps from now, or with `wrong` the lowest
/// code matching no step from two before to two after now. Computed by the tests' own
/// authenticator (`sesame_tests::totp`), not by Sesame.
fn totp_code(a: &Value) -> String {
    let secret = s(a, "secret");
    let now = totp::now_step();
    if a.get("wrong").and_then(Value::as_bool) == Some(true) {
        let near: Vec<String> = (now - 2..=now + 2)
            .map(|step| totp::code(&secret, step))
            .collect();
        return (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|c| !near.contains(c))
            .unwrap();
    }
    let offset = a["offset"].as_i64().unwrap();
    totp::code(&secret, now.checked_add_signed(offset).unwrap())
}

/// The table's field path (dotted; list indexes as numbers; "" for the value itself).
fn pick<'v>(value: &'v Value, path: &str) -> &'v Value {
    path.split('.')
        .filter(|p| !p.is_empty())
        .fold(value, |v, part| match part.parse::<usize>() {
            Ok(i) if v.is_array() => &v[i],
            _ => &v[part],
        })
}

/// The WIT spelling of an enum case from its generated Rust `Debug` name (`WeakPassword`,
/// possibly path-qualified), as the table writes it.
fn kebab(debug: &str) -> String {
    let name = debug.rsplit("::").next().unwrap_or(debug);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn token_pair(p: &tokens::TokenPair) -> Value {
    json!({"access_token": p.access_token, "expires_in_secs": p.expires_in_secs,
           "refresh_token": p.refresh_token, "refresh_expires_at_ms": p.refresh_expires_at_ms,
           "user": user(&p.user)})
}

fn s(args: &Value, name: &str) -> String {
    args[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name}"))
        .to_owned()
}

fn opt(args: &Value, name: &str) -> Option<String> {
    args.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn list(args: &Value, name: &str) -> Vec<String> {
    args[name]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// One table call through the typed export of the same name; the ok value as table JSON.
async fn call(
    service: &Service,
    store: &mut wasmtime::Store<HostState>,
    name: &str,
    a: &Value,
) -> Result<Value, types::AuthError> {
    let acc = service.sesame_auth_accounts();
    let ses = service.sesame_auth_sessions();
    let rol = service.sesame_auth_roles();
    let tf = service.sesame_auth_two_factor();
    let tok = service.sesame_auth_tokens();
    let keys = service.sesame_auth_api_keys();
    let signer = service.sesame_auth_signer();
    let client = types::ClientInfo {
        address: opt(a, "address"),
        user_agent: opt(a, "user_agent"),
    };
    let st = &mut *store;
    match name {
        "register" => acc
            .call_register(
                st,
                &s(a, "email"),
                &s(a, "password"),
                opt(a, "username").as_deref(),
            )
            .await
            .unwrap()
            .map(|()| Value::Null),
        "create_user" => {
            let new = accounts::NewUser {
                email: s(a, "email"),
                password: s(a, "password"),
                username: opt(a, "username"),
                roles: list(a, "roles"),
            };
            acc.call_create_user(st, &new)
                .await
                .unwrap()
                .map(|u| user(&u))
        }
        "import_user" => {
            let imported = accounts::ImportedUser {
                email: s(a, "email"),
                username: opt(a, "username"),
                password_hash: s(a, "password_hash"),
                roles: list(a, "roles"),
                active: a["active"].as_bool().unwrap(),
                confirmed: a["confirmed"].as_bool().unwrap(),
            };
            let salt = opt(a, "flask_security_salt");
            acc.call_import_user(st, &imported, salt.as_deref())
                .await
                .unwrap()
                .map(|u| user(&u))
        }
        "get_user" => acc
            .call_get_user(st, &s(a, "id"))
            .await
            .unwrap()
            .map(|u| u.as_ref().map_or(Value::Null, user)),
        "list_users" => {
            let limit = u32::try_from(a["limit"].as_u64().unwrap()).unwrap();
            acc.call_list_users(st, opt(a, "after").as_deref(), limit)
                .await
                .unwrap()
                .map(|users| users.iter().map(user).collect())
        }
        // Until when the login is fresh: a time, so the table checks only that it is one.
        "verify_password" => acc
            .call_verify_password(st, &s(a, "token"), &s(a, "password"), &client)
            .await
            .unwrap()
            .map(|until| json!(until > 0)),
        "change_password" => acc
            .call_change_password(st, &s(a, "token"), &s(a, "current"), &s(a, "new"), &client)
            .await
            .unwrap()
            .map(|i| issued(&i)),
        "login" => ses
            .call_login(st, &s(a, "identity"), &s(a, "password"), &client)
            .await
            .unwrap()
            .map(|i| issued(&i)),
        "validate" => ses
            .call_validate(st, &s(a, "token"))
            .await
            .unwrap()
            .map(|i| {
                json!({"user": user(&i.user), "csrf_token": i.csrf_token,
                       "created_at_ms": i.created_at_ms, "expires_at_ms": i.expires_at_ms})
            }),
        "logout" => ses
            .call_logout(st, &s(a, "token"))
            .await
            .unwrap()
            .map(|()| Value::Null),
        "list_sessions" => ses
            .call_list_sessions(st, &s(a, "token"))
            .await
            .unwrap()
            .map(|list| {
                list.iter()
                    .map(|x| {
                        json!({"id": x.id, "created_at_ms": x.created_at_ms,
                               "last_seen_at_ms": x.last_seen_at_ms,
                               "expires_at_ms": x.expires_at_ms,
                               "address": x.address, "user_agent": x.user_agent})
                    })
                    .collect()
            }),
        "revoke" => ses
            .call_revoke(st, &s(a, "token"), &s(a, "id"))
            .await
            .unwrap()
            .map(|()| Value::Null),
        "revoke_all" => ses
            .call_revoke_all(st, &s(a, "token"))
            .await
            .unwrap()
            .map(|n| json!(n)),
        "put_role" => {
            let r = roles::Role {
                name: s(a, "name"),
                description: s(a, "description"),
                permissions: list(a, "permissions"),
            };
            rol.call_put_role(st, &r).await.unwrap().map(|r| role(&r))
        }
        "delete_role" => rol
            .call_delete_role(st, &s(a, "name"))
            .await
            .unwrap()
            .map(|b| json!(b)),
        "list_roles" => rol
            .call_list_roles(st)
            .await
            .unwrap()
            .map(|list| list.iter().map(role).collect()),
        "grant_role" => rol
            .call_grant_role(st, &s(a, "email"), &s(a, "role"))
            .await
            .unwrap()
            .map(|u| user(&u)),
        "revoke_role" => rol
            .call_revoke_role(st, &s(a, "email"), &s(a, "role"))
            .await
            .unwrap()
            .map(|u| user(&u)),
        "set_active" => acc
            .call_set_active(st, &s(a, "email"), a["active"].as_bool().unwrap())
            .await
            .unwrap()
            .map(|u| user(&u)),
        "two_factor_required" => tf
            .call_required(st, &s(a, "user_id"))
            .await
            .unwrap()
            .map(|b| json!(b)),
        "two_factor_status" => tf.call_status(st, &s(a, "token")).await.unwrap().map(|x| {
            json!({"totp_enabled": x.totp_enabled, "enrolment_pending": x.enrolment_pending,
                   "recovery_codes_left": x.recovery_codes_left})
        }),
        "start_totp" => tf
            .call_start_totp(st, &s(a, "token"))
            .await
            .unwrap()
            .map(|e| {
                json!({"secret": e.secret, "otpauth_uri": e.otpauth_uri, "qr_svg": e.qr_svg,
                       "algorithm": e.algorithm, "digits": e.digits,
                       "period_secs": e.period_secs})
            }),
        "confirm_totp" => tf
            .call_confirm_totp(st, &s(a, "token"), &s(a, "code"))
            .await
            .unwrap()
            .map(|()| Value::Null),
        "disable_two_factor" => {
            let proof = match opt(a, "password") {
                Some(password) => two_factor::Reauth::Password(password),
                None => two_factor::Reauth::Code(s(a, "code")),
            };
            tf.call_disable(st, &s(a, "token"), &proof)
                .await
                .unwrap()
                .map(|()| Value::Null)
        }
        "generate_recovery_codes" => tf
            .call_generate_recovery_codes(st, &s(a, "token"))
            .await
            .unwrap()
            .map(|codes| json!(codes)),
        "begin_login" => tf
            .call_begin_login(st, &s(a, "identity"), &s(a, "password"), &client)
            .await
            .unwrap()
            .map(|outcome| match outcome {
                two_factor::LoginOutcome::SignedIn(i) => json!({"signed_in": issued(&i)}),
                two_factor::LoginOutcome::SecondFactor(p) => {
                    let methods: Vec<String> =
                        p.methods.iter().map(|m| kebab(&format!("{m:?}"))).collect();
                    json!({"second_factor": {"token": p.token, "methods": methods,
                                             "expires_at_ms": p.expires_at_ms}})
                }
            }),
        "complete_totp" => tf
            .call_complete_totp(st, &s(a, "pending_token"), &s(a, "code"), &client)
            .await
            .unwrap()
            .map(|i| issued(&i)),
        "complete_recovery" => tf
            .call_complete_recovery(st, &s(a, "pending_token"), &s(a, "code"), &client)
            .await
            .unwrap()
            .map(|i| issued(&i)),
        "issue_tokens" => tok
            .call_issue(st, &s(a, "identity"), &s(a, "password"), &client)
            .await
            .unwrap()
            .map(|p| token_pair(&p)),
        "issue_tokens_for_session" => tok
            .call_issue_for_session(st, &s(a, "session_token"), &client)
            .await
            .unwrap()
            .map(|p| token_pair(&p)),
        "refresh_tokens" => tok
            .call_refresh(st, &s(a, "refresh_token"))
            .await
            .unwrap()
            .map(|p| token_pair(&p)),
        "revoke_token" => tok
            .call_revoke(st, &s(a, "token"))
            .await
            .unwrap()
            .map(|()| Value::Null),
        "verify_access" => tok
            .call_verify_access(st, &s(a, "access_token"))
            .await
            .unwrap()
            .map(|c| {
                json!({"user_id": c.user_id, "login_id": c.login_id, "roles": c.roles,
                       "issued_at_secs": c.issued_at_secs, "expires_at_secs": c.expires_at_secs})
            }),
        "rotate_keys" | "list_keys" => {
            let generations = if name == "rotate_keys" {
                tok.call_rotate_keys(st).await.unwrap()
            } else {
                tok.call_list_keys(st).await.unwrap()
            };
            generations.map(|list| {
                list.iter()
                    .map(|g| {
                        json!({"number": g.number, "created_at_ms": g.created_at_ms,
                               "retired_at_ms": g.retired_at_ms})
                    })
                    .collect()
            })
        }
        "create_api_key" => keys
            .call_create(st, &s(a, "name"), &list(a, "scopes"))
            .await
            .unwrap()
            .map(|k| {
                json!({"info": {"id": k.info.id, "name": k.info.name, "scopes": k.info.scopes,
                                "created_at_ms": k.info.created_at_ms},
                       "key": k.key})
            }),
        "list_api_keys" => keys.call_list(st).await.unwrap().map(|list| {
            list.iter()
                .map(|k| {
                    json!({"id": k.id, "name": k.name, "scopes": k.scopes,
                           "created_at_ms": k.created_at_ms})
                })
                .collect()
        }),
        "revoke_api_key" => keys
            .call_revoke(st, &s(a, "id"))
            .await
            .unwrap()
            .map(|()| Value::Null),
        "verify_api_key" => keys.call_verify(st, &s(a, "key")).await.unwrap().map(|k| {
            json!({"id": k.id, "name": k.name, "scopes": k.scopes,
                   "created_at_ms": k.created_at_ms})
        }),
        "sign" => signer
            .call_sign(st, &s(a, "purpose"), s(a, "payload").as_bytes())
            .await
            .unwrap()
            .map(|t| json!(t)),
        "verify_signed" => signer
            .call_verify(
                st,
                &s(a, "purpose"),
                &s(a, "token"),
                a["max_age_secs"].as_u64().unwrap(),
            )
            .await
            .unwrap()
            .map(|v| {
                json!({"payload": String::from_utf8(v.payload).unwrap(),
                       "issued_at_secs": v.issued_at_secs})
            }),
        "totp_code" => Ok(json!(totp_code(a))),
        other => panic!("unknown call in cases.json: {other}"),
    }
}

/// The WIT spelling of an error code, as the table writes it. The generated enum has no name
/// accessor; its `Debug` output is the Rust case name.
fn code(e: &types::AuthError) -> String {
    kebab(&format!("{:?}", e.code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_case_table() {
    let table = table();
    let env: Vec<(String, String)> = table["config"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let cases = table["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    // Each case gets a fresh store and instance; the compiled component is shared through the
    // host's compilation cache, so it is compiled once, not once per case.
    let compiled = tempfile::tempdir().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(SqliteBackend::open(&dir.path().join("sesame.db")).unwrap());
        let runtime = runtime(
            backend,
            env.clone(),
            None,
            Some(compiled.path()),
            SandboxLimits::default(),
        );
        let (mut store, service) = instance(&runtime).await;
        let mut saved = std::collections::HashMap::<String, String>::new();
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let mut args = step["args"].clone();
            for value in args.as_object_mut().unwrap().values_mut() {
                if let Some(key) = value.as_str().and_then(|v| v.strip_prefix('@')) {
                    *value = json!(saved[key]);
                }
            }
            let call_name = step["call"].as_str().unwrap();
            let where_ = format!("{name}: step {i} ({call_name})");
            let expect = &step["expect"];
            match call(&service, &mut store, call_name, &args).await {
                Ok(actual) => {
                    let ok = expect
                        .get("ok")
                        .unwrap_or_else(|| panic!("{where_}: expected {expect}, got {actual}"));
                    assert!(matches(ok, &actual), "{where_}: {actual}");
                    match step.get("save") {
                        Some(Value::String(save)) => {
                            saved.insert(save.clone(), actual["token"].as_str().unwrap().into());
                        }
                        Some(Value::Object(paths)) => {
                            for (save, path) in paths {
                                let value = pick(&actual, path.as_str().unwrap());
                                saved.insert(save.clone(), value.as_str().unwrap().into());
                            }
                        }
                        _ => {}
                    }
                }
                Err(e) => {
                    assert_eq!(
                        Some(code(&e).as_str()),
                        expect.get("error").and_then(Value::as_str),
                        "{where_}: {e:?}"
                    );
                    assert!(!e.message.is_empty(), "{where_}");
                }
            }
        }
    }
}
