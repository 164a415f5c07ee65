//! Roles and permissions: a role is a named set of permissions; users hold roles.
//!
//! WIT: `sesame:auth/roles`.

use serde::{Deserialize, Serialize};

use crate::Sesame;
use crate::accounts::{Email, User, parse_role};
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, ROLE_PREFIX, role_key};

/// Most roles `list_roles` returns.
pub const MAX_ROLES: u32 = 1000;
/// Most permissions one role holds.
pub const MAX_PERMISSIONS_PER_ROLE: usize = 256;

/// A role and the permissions it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Name, as validated by [`parse_role`].
    pub name: String,
    /// What the role is for, for administrators.
    #[serde(default)]
    pub description: String,
    /// Permission names, same alphabet as role names.
    pub permissions: Vec<String>,
}

impl Sesame<'_> {
    /// Creates or replaces a role.
    ///
    /// WIT: `sesame:auth/roles.put-role`.
    pub fn put_role(&self, role: &Role) -> Result<Role> {
        let name = parse_role(&role.name)?;
        if role.permissions.len() > MAX_PERMISSIONS_PER_ROLE {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                format!("A role holds at most {MAX_PERMISSIONS_PER_ROLE} permissions."),
            ));
        }
        let mut permissions = role
            .permissions
            .iter()
            .map(|p| parse_role(p))
            .collect::<Result<Vec<_>>>()?;
        permissions.sort();
        permissions.dedup();
        let stored = Role {
            name: name.clone(),
            description: role.description.chars().take(500).collect(),
            permissions,
        };
        records::save(self.store, &role_key(&name), &stored, None, None)?;
        Ok(stored)
    }

    /// Deletes a role; users who held it keep the name but gain nothing from it.
    ///
    /// WIT: `sesame:auth/roles.delete-role`.
    pub fn delete_role(&self, name: &str) -> Result<bool> {
        Ok(self.store.delete(&role_key(name), None)?)
    }

    /// Lists roles by name.
    ///
    /// WIT: `sesame:auth/roles.list-roles`.
    pub fn list_roles(&self) -> Result<Vec<Role>> {
        self.store
            .scan(ROLE_PREFIX, None, MAX_ROLES)?
            .iter()
            .map(|(key, entry)| records::decode(key, &entry.value))
            .collect()
    }

    /// Grants an existing role to the user with `email`.
    ///
    /// WIT: `sesame:auth/roles.grant-role`.
    pub fn grant_role(&self, email: &str, role: &str) -> Result<User> {
        if records::load::<Role>(self.store, &role_key(role))?.is_none() {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                format!("There is no role '{}'.", short(role)),
            ));
        }
        let id = self.user_id_by_email(email)?;
        let role = role.to_owned();
        Ok(self
            .update_user(&id, |r| {
                if !r.roles.contains(&role) {
                    r.roles.push(role.clone());
                    r.roles.sort();
                }
                Ok(())
            })?
            .public())
    }

    /// Takes a role away from the user with `email`.
    ///
    /// WIT: `sesame:auth/roles.revoke-role`.
    pub fn revoke_role(&self, email: &str, role: &str) -> Result<User> {
        let id = self.user_id_by_email(email)?;
        Ok(self
            .update_user(&id, |r| {
                r.roles.retain(|held| held != role);
                Ok(())
            })?
            .public())
    }

    /// Whether a role named `name` exists.
    pub fn role_exists(&self, name: &str) -> Result<bool> {
        let Ok(name) = parse_role(name) else {
            return Ok(false);
        };
        Ok(self.store.get(&role_key(&name))?.is_some())
    }

    /// The union of the permissions of `user`'s roles, sorted.
    pub fn permissions_of(&self, user: &User) -> Result<Vec<String>> {
        self.permissions_of_roles(&user.roles)
    }

    /// The union of the permissions of the roles named `roles`, sorted; unknown roles grant
    /// nothing.
    pub fn permissions_of_roles(&self, roles: &[String]) -> Result<Vec<String>> {
        let mut all = Vec::new();
        for name in roles {
            if let Some((role, _)) = records::load::<Role>(self.store, &role_key(name))? {
                all.extend(role.permissions);
            }
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    pub(crate) fn user_id_by_email(&self, email: &str) -> Result<String> {
        let email = Email::parse(email)?;
        self.user_id_for_email(&email)?.ok_or_else(|| {
            Error::rejected(ErrorCode::NotFound, "There is no user with this email.")
        })
    }
}

fn short(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::NewUser;
    use crate::store::MemStore;
    use crate::testing::{FixedEnv, test_config};

    #[test]
    fn roles_grant_permissions() {
        let (store, env, config) = (MemStore::new(), FixedEnv::new(), test_config());
        let s = Sesame::new(&store, &env, &config).unwrap();
        s.create_user(&NewUser {
            email: "ada@example.com".into(),
            password: "analytical engine".into(),
            username: None,
            roles: vec![],
        })
        .unwrap();
        let editor = s
            .put_role(&Role {
                name: "editor".into(),
                description: "edits".into(),
                permissions: vec![
                    "posts:write".into(),
                    "posts:read".into(),
                    "posts:read".into(),
                ],
            })
            .unwrap();
        assert_eq!(editor.permissions, ["posts:read", "posts:write"]);
        assert!(s.grant_role("ada@example.com", "nosuch").is_err());
        let user = s.grant_role("ADA@example.com", "editor").unwrap();
        assert_eq!(user.roles, ["editor"]);
        assert_eq!(
            s.permissions_of(&user).unwrap(),
            ["posts:read", "posts:write"]
        );
        assert!(
            s.put_role(&Role {
                name: "Bad Name".into(),
                description: String::new(),
                permissions: vec![]
            })
            .is_err()
        );
        assert!(s.grant_role("eve@example.com", "editor").is_err());
        s.delete_role("editor").unwrap();
        assert!(s.permissions_of(&user).unwrap().is_empty());
        let user = s.revoke_role("ada@example.com", "editor").unwrap();
        assert!(user.roles.is_empty());
        assert!(s.list_roles().unwrap().is_empty());
    }
}
