//! Roles and API keys as an administrator changes them, with the rule that nobody widens their
//! own reach: whatever would hand out an admin permission or scope needs the whole of `admin`.

use super::{Actor, Sesame};
use crate::accounts::User;
use crate::api_keys::{ApiKeyInfo, CreatedApiKey};
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, role_key};
use crate::roles::Role;

impl Sesame<'_> {
    /// Creates or replaces a role. A role that holds (or would hold) an admin permission needs
    /// the whole of `admin`.
    pub fn admin_put_role(&self, actor: &Actor, role: &Role) -> Result<Role> {
        actor.check_may_grant(&role.permissions)?;
        actor.check_may_grant(&self.stored_permissions(&role.name)?)?;
        let stored = self.put_role(role)?;
        self.admin_did(actor, &format!("role.put:{}", stored.name), None);
        Ok(stored)
    }

    /// Deletes a role; returns whether it existed.
    pub fn admin_delete_role(&self, actor: &Actor, name: &str) -> Result<bool> {
        actor.check_may_grant(&self.stored_permissions(name)?)?;
        let existed = self.delete_role(name)?;
        if existed {
            self.admin_did(actor, &format!("role.delete:{name}"), None);
        }
        Ok(existed)
    }

    /// Grants an existing role to the user named by `id_or_email`.
    pub fn admin_grant_role(&self, actor: &Actor, id_or_email: &str, role: &str) -> Result<User> {
        let id = self.admin_user_id(id_or_email)?;
        self.check_may_manage(actor, &id)?;
        actor.check_may_grant(&self.stored_permissions(role)?)?;
        let email = self.user_email(&id)?;
        let user = self.grant_role(&email, role)?;
        self.admin_did(actor, &format!("user.role.grant:{role}"), Some(&id));
        Ok(user)
    }

    /// Takes a role away from the user named by `id_or_email`.
    pub fn admin_revoke_role(&self, actor: &Actor, id_or_email: &str, role: &str) -> Result<User> {
        let id = self.admin_user_id(id_or_email)?;
        self.check_may_manage(actor, &id)?;
        let email = self.user_email(&id)?;
        let user = self.revoke_role(&email, role)?;
        self.admin_did(actor, &format!("user.role.revoke:{role}"), Some(&id));
        Ok(user)
    }

    /// Creates an API key. A key with an admin scope needs the whole of `admin`.
    pub fn admin_create_api_key(
        &self,
        actor: &Actor,
        name: &str,
        scopes: &[String],
    ) -> Result<CreatedApiKey> {
        actor.check_may_grant(scopes)?;
        let created = self.create_api_key(name, scopes)?;
        self.admin_did(actor, &format!("api-key.create:{}", created.info.id), None);
        Ok(created)
    }

    /// Revokes an API key. Revoking a key with an admin scope needs the whole of `admin`.
    pub fn admin_revoke_api_key(&self, actor: &Actor, id: &str) -> Result<()> {
        if let Some(info) = self.api_key_info(id)? {
            actor.check_may_grant(&info.scopes)?;
        }
        self.revoke_api_key(id)?;
        self.admin_did(actor, &format!("api-key.revoke:{id}"), None);
        Ok(())
    }

    /// Every API key, by name.
    pub fn admin_list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        self.list_api_keys()
    }

    /// The permissions the stored role `name` holds now (none when it does not exist).
    fn stored_permissions(&self, name: &str) -> Result<Vec<String>> {
        let Ok(name) = crate::accounts::parse_role(name) else {
            return Ok(Vec::new());
        };
        Ok(records::load::<Role>(self.store, &role_key(&name))?
            .map(|(role, _)| role.permissions)
            .unwrap_or_default())
    }

    /// The email of the user `id`.
    fn user_email(&self, id: &str) -> Result<String> {
        self.load_user(id)?
            .map(|(r, _)| r.email)
            .ok_or_else(|| Error::rejected(ErrorCode::NotFound, "There is no such user."))
    }
}
