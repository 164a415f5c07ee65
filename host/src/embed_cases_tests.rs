//! The shared table of cases (`embed/cases.json`) through the `sesame` host's typed calls,
//! against a real SQLite store. The Python and Node hosts run the same table against the
//! `embed` component, so all three hosts are held to identical outcomes for identical inputs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::bindings::{Service, accounts, roles, types};
use crate::ctx::HostState;
use crate::engine::Runtime;
use crate::outbox::{EventSink, Mailer};
use crate::store::SqliteBackend;

/// The component built next to this test binary (`scripts/test` builds it first).
fn component() -> PathBuf {
    if let Some(path) = std::env::var_os("SESAME_COMPONENT") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>");
    target.join("wasm32-wasip2/release/sesame_guest.wasm")
}

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
        Value::Object(map) => map
            .iter()
            .all(|(k, v)| actual.get(k).is_some_and(|a| matches(v, a))),
        _ => expected == actual,
    }
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
        other => panic!("unknown call in cases.json: {other}"),
    }
}

/// The WIT spelling of an error code, as the table writes it.
fn code(e: &types::AuthError) -> String {
    // The generated enum has no name accessor; its Debug output is the Rust case name
    // (`WeakPassword`, possibly path-qualified), which maps back to the WIT kebab-case.
    let debug = format!("{:?}", e.code);
    let name = debug.rsplit("::").next().unwrap_or(&debug);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
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
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(SqliteBackend::open(&dir.path().join("sesame.db")).unwrap());
        let mailer = Mailer::new(None, "Sesame <sesame@localhost>", None).unwrap();
        let runtime = Runtime::new(
            &component(),
            None,
            backend,
            Arc::new(mailer),
            Arc::new(EventSink::new(None)),
            env.clone(),
            crate::sandbox::SandboxLimits::default(),
        )
        .unwrap();
        let mut store = runtime.new_store();
        let service = runtime
            .service()
            .unwrap()
            .instantiate_async(&mut store)
            .await
            .unwrap();
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
                    if let Some(save) = step.get("save").and_then(Value::as_str) {
                        saved.insert(save.to_owned(), actual["token"].as_str().unwrap().into());
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
